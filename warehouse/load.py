"""`save_*` functions: they only write to DuckDB, in bulk, append-only for raw."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from importlib import resources
from itertools import islice
from pathlib import Path
from typing import TypeVar

import duckdb
import pandas as pd
import pyarrow as pa

from ketamine_evidence.extract.snapshot import sha256_bytes
from ketamine_evidence.warehouse.db import transaction
from ketamine_evidence.warehouse.frames import insert_frame, insert_rows

T = TypeVar("T")


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
    fields: Mapping[str, object] | None = None  # as the parser read them at landing (kept in meta.pubmed_parsed)


def canonical_sha(study: Mapping[str, object]) -> str:
    """Hash of the record's content, blind to key order and whitespace of the response."""
    text = json.dumps(study, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return sha256_bytes(text.encode("utf-8"))


# Unchanged: the record equals the *current* version (raw.*_current), or this very content is already
# stored as fetched at that time or later (replaying an older snapshot). A change back to an earlier
# version fetched anew, or a deleted PubMed record that comes back, is stored again as a new version.
# Incoming rows arrive in chunks (`CHUNK_ROWS`); each is classified against the table as it was before
# this landing (`_before`, `_before_current`: keys, hashes and times only), and a (key, sha256) pair
# seen in an earlier chunk (`_seen`) is skipped, so the counts and rows equal one pass over them all.
_BEFORE = """
create or replace temp table _before as select {key}, sha256, fetched_at from {table};
create or replace temp table _before_current as select {key}, sha256 from {table}_current;
create or replace temp table _seen ({key} varchar, sha256 varchar, status varchar);
"""
_CLASSIFY_AND_INSERT = """
create or replace temp table _classified as
select i.{key}, i.sha256,
       case when c.sha256 = i.sha256 then 'unchanged'
            when exists (select 1 from _before r where r.{key} = i.{key} and r.sha256 = i.sha256
                         and r.fetched_at >= i.fetched_at) then 'unchanged'
            when exists (select 1 from _before r where r.{key} = i.{key}) then 'changed'
            else 'new' end as status
from (select distinct on ({key}, sha256) {key}, sha256, fetched_at from _chunk) i
left join _before_current c on c.{key} = i.{key}
where not exists (select 1 from _seen s where s.{key} = i.{key} and s.sha256 = i.sha256);
insert into _seen select * from _classified;
insert into {table} by name
select distinct on (i.{key}, i.sha256) i.* from _chunk i
where exists (select 1 from _classified k where k.{key} = i.{key} and k.sha256 = i.sha256
              and k.status <> 'unchanged');
"""
_UNDO = """
delete from {table} r where r.run_id = ? and exists (
    select 1 from _seen s where s.{key} = r.{key} and s.sha256 = r.sha256 and s.status <> 'unchanged')
"""
_AFTER = "drop table if exists _classified; drop table if exists _seen; drop table if exists _before;" \
    " drop table if exists _before_current"
CHUNK_ROWS = 1000  # rows converted and sent to DuckDB at a time: Python holds at most one chunk


def chunks(items: Iterable[T], size: int | None = None) -> Iterator[list[T]]:
    """Lists of up to `size` (default CHUNK_ROWS) consecutive items."""
    it = iter(items)
    while chunk := list(islice(it, size or CHUNK_ROWS)):
        yield chunk


class Landing:
    """One source's landing: versions are classified and appended one committed chunk at a time, so
    DuckDB never holds a whole source uncommitted in memory. Any failure deletes what this landing
    appended, so a source lands whole or not at all (a killed process may leave part of it, as
    verbatim versions). Each file's records are noted in meta.source_record, so a file landed before
    whose records are all unchanged is skipped without being parsed (`known_file`)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, table: str, key: str, run_id: str) -> None:
        self.con, self.table, self.key, self.run_id = con, table, key, run_id
        self.source = SOURCE_OF[table]

    def __enter__(self) -> Landing:
        self.con.execute(_BEFORE.format(table=self.table, key=self.key))
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        try:
            if kind is not None:
                with transaction(self.con):
                    self.con.execute(_UNDO.format(table=self.table, key=self.key), [self.run_id])
                    self.con.execute("delete from meta.source_record where run_id = ? and source = ?",
                                     [self.run_id, self.source])
        finally:
            self.con.execute(_AFTER)

    def add(self, rows: Iterable[dict[str, object]], file_sha256: str | None = None) -> None:
        """Append the versions among `rows` that are new or changed; with `file_sha256`, note the file's records."""
        noted: list[tuple[str, str]] = []
        for batch in chunks(rows):
            noted += [(str(r[self.key]), str(r["sha256"])) for r in batch] if file_sha256 else []
            with transaction(self.con):
                self.con.register("_chunk", pa.Table.from_pylist(batch, schema=_SCHEMAS[self.table]))
                try:
                    self.con.execute(_CLASSIFY_AND_INSERT.format(table=self.table, key=self.key))
                finally:
                    self.con.unregister("_chunk")
                if self.table == "raw.pubmed_article":
                    _keep_parsed(self.con, batch)
        if file_sha256 and noted:
            self.con.execute(
                "insert into meta.source_record select ?, ?, ?, unnest(?::varchar[]), unnest(?::varchar[])",
                [self.source, file_sha256, self.run_id, [k for k, _ in noted], [h for _, h in noted]])

    def known_file(self, file_sha256: str, fetched_at: datetime) -> list[str] | None:
        """The record ids of a file landed before (same bytes) when each of its records is unchanged for a
        file fetched at `fetched_at` (they are counted as such); None when it must be parsed."""
        records = self.con.execute(_KNOWN_FILE.format(key=self.key), [fetched_at, self.source, file_sha256]).fetchall()
        if not records or not all(unchanged for _, _, unchanged in records):
            return None
        self.con.execute(_SEEN_UNCHANGED.format(key=self.key),
                         [[r for r, _, _ in records], [h for _, h, _ in records]])
        return [r for r, _, _ in records]

    def counts(self) -> RawCounts:
        counted = dict(self.con.execute(
            f"select status, count(distinct {self.key}) from _seen group by status").fetchall())
        return RawCounts(counted.get("new", 0), counted.get("changed", 0), counted.get("unchanged", 0))


SOURCE_OF = {"raw.ctgov_study": "ctgov", "raw.pubmed_article": "pubmed"}


@cache
def parser_version() -> str:
    """SHA-256 of the PubMed parser's source: fields kept under another version are parsed again."""
    return sha256_bytes((Path(str(resources.files("ketamine_evidence"))) / "extract/pubmed/parse.py").read_bytes())


_PARSED_SCHEMA = pa.schema([("sha256", pa.string()), ("fields", pa.string())])


def _keep_parsed(con: duckdb.DuckDBPyConnection, batch: list[dict[str, object]]) -> None:
    """Keep the fields the landing parser read, by the version's sha256, so the build need not parse it again."""
    parsed = [{"sha256": r["sha256"], "fields": r["parsed"]} for r in batch if r.get("parsed") is not None]
    if not parsed:
        return
    con.register("_parsed", pa.Table.from_pylist(parsed, schema=_PARSED_SCHEMA))
    try:
        con.execute(
            "insert into meta.pubmed_parsed select distinct on (sha256) sha256, ?, fields from _parsed p"
            " where not exists (select 1 from meta.pubmed_parsed k where k.sha256 = p.sha256 and k.parser_version = ?)",
            [parser_version(), parser_version()])
    finally:
        con.unregister("_parsed")
# The records of the last landing of a file with these bytes, each with whether it is unchanged (the rule of
# _CLASSIFY_AND_INSERT, against the table as it was before this landing).
_KNOWN_FILE = """
with noted as (
    select record_id, sha256 from meta.source_record
    where source = $2 and file_sha256 = $3
      and run_id = (select max(run_id) from meta.source_record where source = $2 and file_sha256 = $3)
)
select n.record_id, n.sha256,
       coalesce(c.sha256 = n.sha256, false) or exists (
           select 1 from _before b where b.{key} = n.record_id and b.sha256 = n.sha256 and b.fetched_at >= $1)
from noted n left join _before_current c on c.{key} = n.record_id
"""
_SEEN_UNCHANGED = """
insert into _seen
select distinct k, h, 'unchanged' from (select unnest(?::varchar[]) as k, unnest(?::varchar[]) as h) n
where not exists (select 1 from _seen s where s.{key} = n.k and s.sha256 = n.h)
"""


def _save_versions(con: duckdb.DuckDBPyConnection, table: str, key: str, run_id: str,
                   rows: Iterable[dict[str, object]]) -> RawCounts:
    with Landing(con, table, key, run_id) as landing:
        landing.add(rows)
        return landing.counts()


_SCHEMAS = {
    "raw.ctgov_study": pa.schema([
        ("nct_id", pa.string()), ("version_date", pa.string()), ("sha256", pa.string()),
        ("payload", pa.string()), ("run_id", pa.string()), ("fetched_at", pa.timestamp("us")),
        ("source_file", pa.string())]),
    "raw.pubmed_article": pa.schema([
        ("pmid", pa.string()), ("pmid_version", pa.string()), ("date_revised", pa.string()),
        ("sha256", pa.string()), ("payload", pa.string()), ("run_id", pa.string()),
        ("fetched_at", pa.timestamp("us")), ("source_file", pa.string())]),
}


def study_rows(studies: Iterable[RawStudy], run_id: str) -> Iterator[dict[str, object]]:
    for s in studies:
        yield {
            "nct_id": s.nct_id,
            "version_date": s.version_date,
            "sha256": canonical_sha(s.payload),
            "payload": json.dumps(s.payload, ensure_ascii=False),
            "run_id": run_id,
            "fetched_at": s.fetched_at,
            "source_file": s.source_file,
        }


def article_rows(articles: Iterable[RawArticle], run_id: str) -> Iterator[dict[str, object]]:
    for a in articles:
        yield {
            "parsed": None if a.fields is None else json.dumps(a.fields, ensure_ascii=False),
            "pmid": a.pmid,
            "pmid_version": a.pmid_version,
            "date_revised": a.date_revised,
            "sha256": sha256_bytes(a.payload),
            "payload": a.payload.decode("utf-8"),
            "run_id": run_id,
            "fetched_at": a.fetched_at,
            "source_file": a.source_file,
        }


def save_raw_studies(con: duckdb.DuckDBPyConnection, studies: Iterable[RawStudy], run_id: str) -> RawCounts:
    return _save_versions(con, "raw.ctgov_study", "nct_id", run_id, study_rows(studies, run_id))


def save_raw_articles(
    con: duckdb.DuckDBPyConnection, articles: Iterable[RawArticle], run_id: str
) -> RawCounts:
    return _save_versions(con, "raw.pubmed_article", "pmid", run_id, article_rows(articles, run_id))


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
