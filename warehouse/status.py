"""A plain-text account of what a warehouse file holds and how its last runs went."""

from __future__ import annotations

from pathlib import Path

from ketamine_evidence.warehouse.db import connect

TABLES = """
select table_schema || '.' || table_name, table_type
from information_schema.tables where table_schema in ('raw', 'meta', 'core', 'marts')
order by table_schema, table_name
"""

RUNS = """
select run_id, mode, status, strftime(started_at, '%Y-%m-%d %H:%M:%S'),
       coalesce(ctgov_new, 0), coalesce(ctgov_changed, 0), coalesce(ctgov_unchanged, 0),
       coalesce(pubmed_new, 0), coalesce(pubmed_changed, 0), coalesce(pubmed_unchanged, 0),
       studies, publications, outcomes, error, flagged_outcomes, flag_counts
from meta.refresh_run order by started_at desc limit ?
"""


def describe(db: str | Path, *, runs: int = 5) -> str:
    con = connect(db, read_only=True)
    try:
        lines = ["Tables (rows):"]
        for name, kind in con.execute(TABLES).fetchall():
            rows = con.execute(f"select count(*) from {name}").fetchall()[0][0]
            view = "  (view)" if kind == "VIEW" else ""
            lines.append(f"  {name:<32} {rows:>9,}{view}")
        lines += ["", f"Last {runs} runs:"]
        for r in con.execute(RUNS, [runs]).fetchall():
            lines.append(
                f"  {r[0]}  {r[1]:<8} {r[2]:<8} {r[3]}  ctgov new/changed/same {r[4]}/{r[5]}/{r[6]}"
                f"  pubmed {r[7]}/{r[8]}/{r[9]}  -> studies {r[10]}, publications {r[11]},"
                f" outcomes {r[12]} ({r[14] or 0} with problem flags)" + (f"  error: {r[13]}" if r[13] else ""))
        latest_flags = con.execute(
            "select flag_counts from meta.refresh_run where flag_counts is not null"
            " order by started_at desc limit 1").fetchall()
        if latest_flags:
            lines += ["", f"Outcome flags in the latest build: {latest_flags[0][0]}"]
        return "\n".join(lines)
    finally:
        con.close()
