"""`save_*` functions: they only write to DuckDB, in bulk, append-only for raw."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import duckdb
import pandas as pd

from ketamine_evidence.extract.snapshot import sha256_bytes
from ketamine_evidence.warehouse.db import transaction
from ketamine_evidence.warehouse.frames import insert_frame, insert_rows


@dataclass(frozen=True)
class RawCounts:
    new: int = 0
    changed: int = 0
    unchanged: int = 0


@dataclass(frozen=True)
class RawStudy:
    nct_id: str
    version_date: str | None
    payload: dict
    fetched_at: datetime
    source_file: str


@dataclass(frozen=True)
class RawArticle:
    pmid: str
    pmid_version: str
    date_revised: str | None
    payload: bytes
    fetched_at: datetime
    source_file: str


def canonical_sha(study: Mapping[str, object]) -> str:
    """Hash of the record's content, blind to key order and whitespace of the response."""
    text = json.dumps(study, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return sha256_bytes(text.encode("utf-8"))


# Unchanged: the record equals the *current* version (raw.*_current), or this very content is already
# stored as fetched at that time or later (replaying an older snapshot). A change back to an earlier
# version fetched anew, or a deleted PubMed record that comes back, is stored again as a new version.
_CLASSIFY_AND_INSERT = """
create or replace temp table _classified as
select i.*,
       case when c.sha256 = i.sha256 then 'unchanged'
            when exists (select 1 from {table} r where r.{key} = i.{key} and r.sha256 = i.sha256
                         and r.fetched_at >= i.fetched_at) then 'unchanged'
            when exists (select 1 from {table} r where r.{key} = i.{key}) then 'changed'
            else 'new' end as status
from (select distinct on ({key}, sha256) * from _incoming) i
left join {table}_current c on c.{key} = i.{key};
insert into {table} by name
select * exclude (status) from _classified where status <> 'unchanged';
"""


def _save_versions(con: duckdb.DuckDBPyConnection, table: str, key: str, frame: pd.DataFrame) -> RawCounts:
    if frame.empty:
        return RawCounts()
    with transaction(con):
        con.register("_incoming", frame)
        try:
            con.execute(_CLASSIFY_AND_INSERT.format(table=table, key=key))
        finally:
            con.unregister("_incoming")
        counted = dict(con.execute(
            f"select status, count(distinct {key}) from _classified group by status"
        ).fetchall())
        con.execute("drop table _classified")
    return RawCounts(counted.get("new", 0), counted.get("changed", 0), counted.get("unchanged", 0))


def save_raw_studies(con: duckdb.DuckDBPyConnection, studies: Iterable[RawStudy], run_id: str) -> RawCounts:
    frame = pd.DataFrame.from_records([
        {
            "nct_id": s.nct_id,
            "version_date": s.version_date,
            "sha256": canonical_sha(s.payload),
            "payload": json.dumps(s.payload, ensure_ascii=False),
            "run_id": run_id,
            "fetched_at": s.fetched_at,
            "source_file": s.source_file,
        }
        for s in studies
    ])
    return _save_versions(con, "raw.ctgov_study", "nct_id", frame)


def save_raw_articles(
    con: duckdb.DuckDBPyConnection, articles: Iterable[RawArticle], run_id: str
) -> RawCounts:
    frame = pd.DataFrame.from_records([
        {
            "pmid": a.pmid,
            "pmid_version": a.pmid_version,
            "date_revised": a.date_revised,
            "sha256": sha256_bytes(a.payload),
            "payload": a.payload.decode("utf-8"),
            "run_id": run_id,
            "fetched_at": a.fetched_at,
            "source_file": a.source_file,
        }
        for a in articles
    ])
    return _save_versions(con, "raw.pubmed_article", "pmid", frame)


def save_deletions(
    con: duckdb.DuckDBPyConnection, pmids: Iterable[tuple[str, datetime, str]], run_id: str
) -> int:
    rows = [{"pmid": p, "run_id": run_id, "fetched_at": t, "source_file": f} for p, t, f in pmids]
    frame = pd.DataFrame.from_records(rows).drop_duplicates("pmid") if rows else pd.DataFrame()
    with transaction(con):
        return insert_frame(con, "raw.pubmed_deletion", frame)


def save_source_files(con: duckdb.DuckDBPyConnection, files: Iterable[Mapping[str, object]]) -> int:
    rows = [{**f, "request": json.dumps(f.get("request") or {})} for f in files]
    with transaction(con):
        return insert_rows(con, "meta.source_file", rows)


def save_search_log(con: duckdb.DuckDBPyConnection, rows: Iterable[Mapping[str, object]]) -> int:
    with transaction(con):
        return insert_rows(con, "meta.search_log", rows)


def start_run(
    con: duckdb.DuckDBPyConnection, run_id: str, *, mode: str, snapshot_dir: str | None,
    since: date | None, parameters: Mapping[str, object], tool_version: str, started_at: datetime,
) -> None:
    con.execute(
        "insert into meta.refresh_run (run_id, started_at, mode, snapshot_dir, since, parameters,"
        " tool_version, status) values (?, ?, ?, ?, ?, ?, ?, 'running')",
        [run_id, started_at, mode, snapshot_dir, since, json.dumps(parameters, default=str), tool_version],
    )


STALE_AFTER = timedelta(hours=12)  # far longer than a full live refresh takes


def abandon_stale_runs(con: duckdb.DuckDBPyConnection, now: datetime) -> int:
    """Runs still `running` long after they started died without recording their end."""
    rows = con.execute(
        "update meta.refresh_run set status = 'abandoned', finished_at = ?,"
        " error = coalesce(error, 'the process ended before the run was recorded')"
        " where status = 'running' and started_at < ? returning run_id", [now, now - STALE_AFTER]).fetchall()
    return len(rows)


RUN_COUNT_COLUMNS = (
    "ctgov_new", "ctgov_changed", "ctgov_unchanged", "pubmed_new", "pubmed_changed",
    "pubmed_unchanged", "pubmed_deleted", "studies", "publications", "outcomes", "flagged_outcomes",
    "flag_counts",
)


def finish_run(
    con: duckdb.DuckDBPyConnection, run_id: str, *, status: str, finished_at: datetime,
    counts: Mapping[str, int | None], error: str | None = None,
) -> None:
    known = {k: v for k, v in counts.items() if k in RUN_COUNT_COLUMNS}
    assignments = "".join(f", {column} = ?" for column in known)
    con.execute(
        f"update meta.refresh_run set status = ?, finished_at = ?, error = ?{assignments} where run_id = ?",
        [status, finished_at, error, *known.values(), run_id],
    )


def last_live_run_date(con: duckdb.DuckDBPyConnection) -> date | None:
    rows = con.execute(
        "select max(started_at)::date from meta.refresh_run where mode = 'live' and status = 'success'"
    ).fetchall()
    return rows[0][0]
