"""Land a snapshot's response files in `raw` (and its searches in `meta`), per source.

Each source is saved in its own transaction: if PubMed fails after ClinicalTrials.gov landed,
the study versions stay.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import duckdb

from ketamine_evidence.extract.ctgov.parse import iter_studies, study_version
from ketamine_evidence.extract.pubmed.parse import ArticleRecord, Deletion, iter_pubmed_xml
from ketamine_evidence.extract.snapshot import Snapshot, SnapshotFile, sha256_bytes, utcnow
from ketamine_evidence.warehouse.load import (
    RawArticle,
    RawCounts,
    RawStudy,
    save_deletions,
    save_raw_articles,
    save_raw_studies,
    save_search_log,
    save_source_files,
)


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


def read_studies(files: Iterable[SnapshotFile]) -> tuple[list[RawStudy], dict[str, int]]:
    """Parse every ctgov file (raises MalformedResponse naming the file) before anything is saved."""
    studies, per_file = [], {}
    for f in files:
        found = list(iter_studies(f.path.read_bytes(), name=str(f.path)))
        per_file[f.name] = len(found)
        for study in found:
            nct_id, version = study_version(study)
            studies.append(RawStudy(nct_id, version, study, f.fetched_at or utcnow(), f.name))
    return studies, per_file


def read_articles(files: Iterable[SnapshotFile]) -> tuple[list[RawArticle], list[tuple], dict[str, int]]:
    articles: list[RawArticle] = []
    deletions: list[tuple] = []
    per_file: dict[str, int] = {}
    for f in files:
        when = f.fetched_at or utcnow()
        count = 0
        with f.path.open("rb") as handle:
            for item in iter_pubmed_xml(handle, name=str(f.path)):
                if isinstance(item, Deletion):
                    deletions.extend((p, when, f.name) for p in item.pmids)
                elif isinstance(item, ArticleRecord):
                    revised = item.fields.get("date_revised")
                    articles.append(RawArticle(item.pmid, item.version, revised, item.xml, when, f.name))
                    count += 1
        per_file[f.name] = count
    return articles, deletions, per_file


def missing_cited_pmids(snapshot: Snapshot, known: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """PMIDs the snapshot's registry records cite (referencesModule) that neither its PubMed files nor
    `known` (the warehouse's PMIDs) hold."""
    studies, _ = read_studies(snapshot.of("ctgov"))
    articles, _, _ = read_articles(snapshot.of("pubmed"))
    cited = {
        str(ref["pmid"]).strip()
        for study in studies
        for ref in study.payload.get("protocolSection", {}).get("referencesModule", {}).get("references", [])
        if ref.get("pmid")
    }
    return sorted(cited - {a.pmid for a in articles} - set(known))


def _searches(snapshot: Snapshot, source: str, found: int) -> list[Mapping[str, object]]:
    logged = [s for s in snapshot.searches if s.get("source") == source]
    if logged:
        return logged
    query = snapshot.queries.get(source)
    return [{"source": source, "query": None if query is None else str(query), "hits": found}]


def ingest_snapshot(con: duckdb.DuckDBPyConnection, snapshot: Snapshot, run_id: str) -> IngestCounts:
    counts = IngestCounts()
    studies, ctgov_files = read_studies(snapshot.of("ctgov"))
    counts.ctgov = save_raw_studies(con, studies, run_id)
    _log(con, snapshot, "ctgov", run_id, ctgov_files, len({s.nct_id for s in studies}))
    articles, deletions, pubmed_files = read_articles(snapshot.of("pubmed"))
    counts.pubmed = save_raw_articles(con, articles, run_id)
    counts.deleted = save_deletions(con, deletions, run_id) if deletions else 0
    _log(con, snapshot, "pubmed", run_id, pubmed_files, len({a.pmid for a in articles}))
    counts.files = len(ctgov_files) + len(pubmed_files)
    return counts


def _log(con: duckdb.DuckDBPyConnection, snapshot: Snapshot, source: str, run_id: str,
         per_file: Mapping[str, int], found: int) -> None:
    files = [_file_row(f, run_id, per_file.get(f.name, 0)) for f in snapshot.of(source)]
    save_source_files(con, files)
    rows = [{**s, "run_id": run_id, "fetched": found} for s in _searches(snapshot, source, found)]
    save_search_log(con, [{k: r.get(k) for k in (
        "run_id", "source", "query", "window_start", "window_end", "hits", "fetched")} for r in rows])
