"""Land a snapshot's response files in `raw` (and its searches in `meta`), per source.

Each source is saved in its own transaction: if PubMed fails after ClinicalTrials.gov landed,
the study versions stay.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

import duckdb

from ketamine_evidence.extract.ctgov.parse import iter_studies, study_version
from ketamine_evidence.extract.pubmed.parse import DELETE_TAG, ArticleRecord, Deletion, iter_pubmed_xml
from ketamine_evidence.extract.snapshot import Snapshot, SnapshotFile, sha256_bytes, utcnow
from ketamine_evidence.warehouse.db import bulk_gc
from ketamine_evidence.warehouse.load import (
    Landing,
    RawArticle,
    RawCounts,
    RawStudy,
    article_rows,
    save_deletions,
    save_search_log,
    save_source_files,
    study_rows,
)

R = TypeVar("R", RawStudy, RawArticle)


@dataclass
class IngestCounts:
    ctgov: RawCounts = field(default_factory=RawCounts)
    pubmed: RawCounts = field(default_factory=RawCounts)
    deleted: int = 0
    files: int = 0

    def as_run_counts(self) -> dict[str, int]:
        return {
            "ctgov_new": self.ctgov.new, "ctgov_changed": self.ctgov.changed,
            "ctgov_unchanged": self.ctgov.unchanged, "pubmed_new": self.pubmed.new,
            "pubmed_changed": self.pubmed.changed, "pubmed_unchanged": self.pubmed.unchanged,
            "pubmed_deleted": self.deleted,
        }


def _file_row(f: SnapshotFile, run_id: str, records: int) -> dict[str, object]:
    body = f.path.read_bytes()
    return {
        "run_id": run_id, "source": f.source, "name": f.name, "sha256": sha256_bytes(body),
        "bytes": len(body), "fetched_at": f.fetched_at or utcnow(), "request": dict(f.request),
        "records": records,
    }


def iter_raw_studies(files: Iterable[SnapshotFile], per_file: dict[str, int],
                     fetched_at: datetime | None = None) -> Iterator[RawStudy]:
    """Each ctgov file's studies, one file parsed at a time (MalformedResponse names the file); counts
    each file's studies into `per_file`."""
    for f in files:
        found = list(iter_studies(f.path.read_bytes(), name=str(f.path)))
        per_file[f.name] = len(found)
        when = fetched_at or f.fetched_at or utcnow()
        found.reverse()
        while found:  # popped, so a study's objects are freed once it is saved
            study = found.pop()
            nct_id, version = study_version(study)
            yield RawStudy(nct_id, version, study, when, f.name)


def iter_raw_articles(files: Iterable[SnapshotFile], per_file: dict[str, int],
                      deletions: list[tuple[str, datetime, str]],
                      fetched_at: datetime | None = None) -> Iterator[RawArticle]:
    """Each pubmed file's records as they stream out of the parser; DeleteCitations go to `deletions`."""
    for f in files:
        when = fetched_at or f.fetched_at or utcnow()
        per_file[f.name] = 0
        with f.path.open("rb") as handle:
            for item in iter_pubmed_xml(handle, name=str(f.path)):
                if isinstance(item, Deletion):
                    deletions.extend((p, when, f.name) for p in item.pmids)
                elif isinstance(item, ArticleRecord):
                    revised = item.fields.get("date_revised")
                    per_file[f.name] += 1
                    yield RawArticle(item.pmid, item.version, revised, item.xml, when, f.name, item.fields)


def read_studies(files: Iterable[SnapshotFile]) -> tuple[list[RawStudy], dict[str, int]]:
    """Every study of the files, as one list (for small snapshots; landing streams them)."""
    per_file: dict[str, int] = {}
    return list(iter_raw_studies(files, per_file)), per_file


def read_articles(files: Iterable[SnapshotFile]) -> tuple[list[RawArticle], list[tuple], dict[str, int]]:
    per_file: dict[str, int] = {}
    deletions: list[tuple[str, datetime, str]] = []
    articles = list(iter_raw_articles(files, per_file, deletions))
    return articles, list(deletions), per_file


def missing_cited_pmids(snapshot: Snapshot, known: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """PMIDs the snapshot's registry records cite (referencesModule) that neither its PubMed files nor
    `known` (the warehouse's PMIDs) hold."""
    cited = {
        str(ref["pmid"]).strip()
        for study in iter_raw_studies(snapshot.of("ctgov"), {})
        for ref in study.payload.get("protocolSection", {}).get("referencesModule", {}).get("references", [])
        if ref.get("pmid")
    }
    have = {a.pmid for a in iter_raw_articles(snapshot.of("pubmed"), {}, [])}
    return sorted(cited - have - set(known))


def _searches(snapshot: Snapshot, source: str, found: int) -> list[Mapping[str, object]]:
    logged = [s for s in snapshot.searches if s.get("source") == source]
    if logged:
        return logged
    query = snapshot.queries.get(source)
    return [{"source": source, "query": None if query is None else str(query), "hits": found}]


def ingest_snapshot(con: duckdb.DuckDBPyConnection, snapshot: Snapshot, run_id: str) -> IngestCounts:
    """Land both sources, streaming: at most one file's studies and one chunk of rows are held at once."""
    with bulk_gc():
        return _ingest(con, snapshot, run_id)


def _ingest(con: duckdb.DuckDBPyConnection, snapshot: Snapshot, run_id: str) -> IngestCounts:
    counts = IngestCounts()
    ctgov_files: dict[str, int] = {}
    ncts: set[str] = set()
    with Landing(con, "raw.ctgov_study", "nct_id", run_id) as landing:
        for f in snapshot.of("ctgov"):
            when, file_sha = f.fetched_at or utcnow(), sha256_bytes(f.path.read_bytes())
            if (known := landing.known_file(file_sha, when)) is not None:
                ctgov_files[f.name] = len(known)
                ncts.update(known)
                continue
            studies = _keys(iter_raw_studies([f], ctgov_files, when), ncts, "nct_id")
            landing.add(study_rows(studies, run_id), file_sha)
        counts.ctgov = landing.counts()
    _log(con, snapshot, "ctgov", run_id, ctgov_files, len(ncts))
    pubmed_files: dict[str, int] = {}
    deletions: list[tuple[str, datetime, str]] = []
    pmids: set[str] = set()
    with Landing(con, "raw.pubmed_article", "pmid", run_id) as landing:
        for f in snapshot.of("pubmed"):
            when, body = f.fetched_at or utcnow(), f.path.read_bytes()
            file_sha = sha256_bytes(body)
            # a file announcing deletions is always read, so every run records them
            known = None if DELETE_TAG.encode() in body else landing.known_file(file_sha, when)
            del body
            if known is not None:
                pubmed_files[f.name] = len(known)
                pmids.update(known)
                continue
            articles = _keys(iter_raw_articles([f], pubmed_files, deletions, when), pmids, "pmid")
            landing.add(article_rows(articles, run_id), file_sha)
        counts.pubmed = landing.counts()
    counts.deleted = save_deletions(con, deletions, run_id) if deletions else 0
    _log(con, snapshot, "pubmed", run_id, pubmed_files, len(pmids))
    counts.files = len(ctgov_files) + len(pubmed_files)
    return counts


def _keys(records: Iterable[R], seen: set[str], attribute: str) -> Iterator[R]:
    """Pass records through, noting their ids in `seen` (the search log's `fetched`)."""
    for record in records:
        seen.add(getattr(record, attribute))
        yield record


def _log(con: duckdb.DuckDBPyConnection, snapshot: Snapshot, source: str, run_id: str,
         per_file: Mapping[str, int], found: int) -> None:
    files = [_file_row(f, run_id, per_file.get(f.name, 0)) for f in snapshot.of(source)]
    save_source_files(con, files)
    rows = [{**s, "run_id": run_id, "fetched": found} for s in _searches(snapshot, source, found)]
    save_search_log(con, [{k: r.get(k) for k in (
        "run_id", "source", "query", "window_start", "window_end", "hits", "fetched")} for r in rows])
