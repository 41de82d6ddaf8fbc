"""A plain-text account of what a warehouse file holds and how its last runs went.

Readable as printed: a value a run did not record is left out (never `None`), an error shows its
first line only, and the outcome flags of the latest build are a small table.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from ketamine_evidence.warehouse.lock import reading, running_refresh

MAX_ERROR = 160  # characters of a run's error shown; the whole text is in meta.refresh_run.error

TABLES = """
select table_schema || '.' || table_name, table_type
from information_schema.tables where table_schema in ('raw', 'meta', 'core', 'marts')
order by table_schema, table_name
"""

RUNS = """
select run_id, mode, status, strftime(started_at, '%Y-%m-%d %H:%M:%S') as started,
       round(epoch(finished_at - started_at)) as seconds,
       ctgov_new, ctgov_changed, ctgov_unchanged, pubmed_new, pubmed_changed, pubmed_unchanged,
       studies, publications, outcomes, flagged_outcomes, error
from meta.refresh_run order by started_at desc limit ?
"""

LATEST_FLAGS = """
select flag_counts from meta.refresh_run where flag_counts is not null order by started_at desc limit 1
"""


def first_line(text: str, limit: int = MAX_ERROR) -> str:
    """The first non-empty line of `text`, cut to `limit` characters."""
    line = next((part.strip() for part in text.splitlines() if part.strip()), "")
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _counts(*values: object) -> str:
    return "/".join("-" if v is None else str(v) for v in values)


def run_line(run: dict[str, object]) -> list[str]:
    """One run: when and how it ended, what it fetched and built (parts it never reached are left out)."""
    seconds = run["seconds"]
    took = f" in {int(seconds)} s" if isinstance(seconds, float | int) else ""
    head = f"  {run['run_id']}  {run['mode']:<8} {run['status']:<9} {run['started']}{took}"
    fetched = [run[k] for k in ("ctgov_new", "ctgov_changed", "ctgov_unchanged", "pubmed_new", "pubmed_changed",
                                "pubmed_unchanged")]
    if any(v is not None for v in fetched):
        head += f"  new/changed/same: ctgov {_counts(*fetched[:3])}, pubmed {_counts(*fetched[3:])}"
    built = [f"{run[k]} {k}" for k in ("studies", "publications", "outcomes") if run[k] is not None]
    if built:
        flagged = f" ({run['flagged_outcomes']} with problem flags)" if run["flagged_outcomes"] else ""
        head += f"  -> {', '.join(built)}{flagged}"
    lines = [head]
    if run["error"]:
        lines.append(f"      error: {first_line(str(run['error']))}")
    return lines


def flag_table(flag_counts: object) -> list[str]:
    """The latest build's outcome flags, one per line with its row count, most frequent first."""
    counts = json.loads(flag_counts) if isinstance(flag_counts, str) else flag_counts
    if not isinstance(counts, dict) or not counts:
        return []
    width = max(len(str(name)) for name in counts)
    rows = sorted(counts.items(), key=lambda item: (-int(item[1]), str(item[0])))
    return ["Outcome flags in the latest build:", f"  {'flag':<{width}}  {'rows':>5}",
            *[f"  {name:<{width}}  {count:>5}" for name, count in rows]]


def _tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    lines = ["Tables (rows):"]
    for name, kind in con.execute(TABLES).fetchall():
        rows = con.execute(f"select count(*) from {name}").fetchall()[0][0]
        view = "  (view)" if kind == "VIEW" else ""
        lines.append(f"  {name:<32} {rows:>9,}{view}")
    return lines


def _runs(con: duckdb.DuckDBPyConnection, runs: int) -> list[str]:
    cursor = con.execute(RUNS, [runs])
    names = [d[0] for d in cursor.description or []]
    found = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    lines = ["", f"Runs (newest first, up to {runs}):" if found else "Runs: none recorded"]
    for run in found:
        lines += run_line(run)
    return lines


def describe(db: str | Path, *, runs: int = 5) -> str:
    running = running_refresh(db)
    with reading(db) as con:
        lines = _tables(con)
        if runs:
            lines += _runs(con, runs)
        latest = con.execute(LATEST_FLAGS).fetchall()
    flags = flag_table(latest[0][0]) if latest else []
    if flags:
        lines += ["", *flags]
    if running:
        lines.insert(0, f"A refresh is running: {running.describe()}; these counts may change when it ends.\n")
    return "\n".join(lines)
