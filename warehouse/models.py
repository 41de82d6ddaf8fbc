"""The build's Python models: each reads tables, calls pure functions of `extract` or `transform`, writes.

Each model declares what it reads and the contracts of what it writes (`warehouse.graph`); the
pure functions take and return plain Python/pandas values and are tested without a database.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, TypeVar

import duckdb

from ketamine_evidence.extract.ctgov.parse import flatten_study
from ketamine_evidence.extract.pubmed.parse import parse_article_xml
from ketamine_evidence.transform.claims import Claim, claims_frame
from ketamine_evidence.transform.drugs import drug_vocabulary, normalize_drug, normalize_route
from ketamine_evidence.transform.meta import evidence_summary
from ketamine_evidence.transform.outcomes import outcome_rows, screening_rows
from ketamine_evidence.transform.verdicts import check_claims
from ketamine_evidence.warehouse import contracts as c
from ketamine_evidence.warehouse.curation import Records, curate
from ketamine_evidence.warehouse.frames import insert_frame, insert_rows
from ketamine_evidence.warehouse.graph import Model, python_model
from ketamine_evidence.warehouse.load import parser_version
from ketamine_evidence.warehouse.registry_input import READS as REGISTRY_READS
from ketamine_evidence.warehouse.registry_input import registry_studies
from ketamine_evidence.warehouse.review import record_texts, stored_decisions
from ketamine_evidence.warehouse.synthesis import pool_review_counts, with_review_counts

T = TypeVar("T")


def _records(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict]:
    frame = con.execute(sql).df()
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def _links(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """Each paper's trials by its best report link (own registration, then a RESULT/DERIVED registry
    reference, then an NCT id in the abstract); BACKGROUND citations never make a paper a trial's report."""
    linked: dict[str, list[str]] = defaultdict(list)
    rows = con.execute(
        "select pmid, nct_id from core.study_publication where link_role = 'report'"
        " qualify link_tier = min(link_tier) over (partition by pmid) order by pmid, nct_id").fetchall()
    for pmid, nct_id in rows:
        linked[pmid].append(nct_id)
    return linked


def _routes(con: duckdb.DuckDBPyConnection) -> dict[tuple[object, object], str]:
    found = con.execute(
        "select nct_id, drug, min(route) from core.intervention"
        " where drug is not null and route is not null group by nct_id, drug having count(distinct route) = 1"
    ).fetchall()
    return {(nct, drug): route for nct, drug, route in found}


def with_drug_and_route(row: dict) -> dict:
    """An intervention's drug and route from its name, other names and description (transform.drugs)."""
    name, description = row.get("name") or "", row.get("description") or ""
    other_names = json.loads(row.get("other_names") or "[]")
    route = normalize_route(name) or normalize_route(description)
    return {**row, "drug": normalize_drug(name, other_names, description), "route": route}


def with_registry_routes(rows: list[dict], routes: dict[tuple[object, object], str]) -> list[dict]:
    """Abstracts rarely name the route; take it from the trial's registered intervention for that drug."""
    return [
        {**row, "route": routes.get((row.get("nct_id"), row.get("drug")))} if not row.get("route") else row
        for row in rows
    ]


def with_default_windows(rows: list[dict]) -> list[dict]:
    """Relapse is measured after response, in continuation: an undated relapse row is a maintenance row."""
    relapse = ("relapse", "time_to_relapse")
    return [
        {**row, "time_window": "maintenance", "rule": f"{row.get('rule')}+window.relapse_is_maintenance"}
        if row.get("outcome_kind") in relapse and not row.get("time_window") else row
        for row in rows
    ]


CTGOV_STAGING = (
    c.STAGING_CTGOV_STUDY, c.STAGING_CTGOV_ARM, c.STAGING_CTGOV_INTERVENTION, c.STAGING_CTGOV_CONDITION,
    c.STAGING_CTGOV_REFERENCE, c.STAGING_CTGOV_OUTCOME_MEASURE, c.STAGING_CTGOV_RESULT_GROUP,
    c.STAGING_CTGOV_OUTCOME_DENOM, c.STAGING_CTGOV_OUTCOME_MEASUREMENT, c.STAGING_CTGOV_OUTCOME_ANALYSIS,
    c.STAGING_CTGOV_FLOW_MILESTONE,
)
# The current versions' payloads, read from the table through the view's keys: the view's window then sorts
# keys only, not payloads, so DuckDB streams them (a payload may come twice; readers skip a repeated sha256).
LATEST_STUDIES = (
    "select r.payload, r.sha256 from raw.ctgov_study r semi join"
    " (select nct_id, sha256, fetched_at from raw.ctgov_study_current) c"
    " on r.nct_id = c.nct_id and r.sha256 = c.sha256 and r.fetched_at = c.fetched_at")
# Curated rows (review decisions applied): never rejected ones, held ones only once a person checked them,
# and only of trials screening includes (core.study_inclusion); excluded trials stay visible in PRISMA.
INCLUDED_ROWS = (
    "select o.* from core.outcome_curated as o semi join core.study_inclusion as i"
    " on i.study_key = o.study_key and i.included"
)
SYNTHESIS_ROWS = f"{INCLUDED_ROWS} where o.in_synthesis"
VERIFIED_ROWS = f"{SYNTHESIS_ROWS} and o.checked"
NOT_REJECTED_ROWS = f"{INCLUDED_ROWS} where o.review_status <> 'rejected'"
# Rows of included trials waiting for a person: never judged on, only counted in a rationale.
HELD_ROWS = f"{NOT_REJECTED_ROWS} and not o.in_synthesis"
SYNTHESIS_READS = ["core.outcome_curated", "core.study_inclusion"]
LATEST_ARTICLES = "select payload, sha256, fetched_at from raw.pubmed_article_current order by pmid"


@dataclass
class BuildContext:
    """What the models of one build share: the validated claims, and how many raw versions it parsed."""

    claims: list[Claim]
    verified_only: bool = False  # the main marts from checked rows only (refresh --verified-only)
    parsed: dict[str, int] = field(default_factory=dict)  # raw versions parsed, per source

    def studies(self, con: duckdb.DuckDBPyConnection,
                shas: list[str] | None = None) -> Iterator[tuple[dict[str, Any], str]]:
        """The latest version of each study (of those with a sha256 in `shas`), parsed in batches."""
        sql = LATEST_STUDIES if shas is None else LATEST_STUDIES_OF
        seen: set[str] = set()
        for payload, sha in _raw_batches(con, sql, [] if shas is None else [shas]):
            if sha not in seen:
                seen.add(sha)
                yield json.loads(payload), sha

    @property
    def synthesis_rows(self) -> str:
        return VERIFIED_ROWS if self.verified_only else SYNTHESIS_ROWS


RAW_BATCH = 500  # raw payloads read, parsed and inserted at a time, so memory does not grow with the warehouse
LATEST_STUDIES_OF = f"{LATEST_STUDIES} where r.sha256 in (select unnest(?::varchar[]))"
# the fields the landing parser kept (meta.pubmed_parsed), then the payloads of the versions it did not keep;
# each filtered by a list of hashes (a small join side), so DuckDB streams the rows
KEPT_FIELDS_OF = (
    "select sha256, fields, null from meta.pubmed_parsed"
    " where parser_version = ? and sha256 in (select unnest(?::varchar[]))")
LATEST_ARTICLES_OF = (
    "select sha256, null, payload from raw.pubmed_article where sha256 in (select unnest(?::varchar[]))")
# Incremental staging (the build keeps these tables when its rules are unchanged, build.kept_tables): rows
# of versions no longer current go, and only the versions not yet in staging are parsed.
STALE_STUDY_ROWS = (
    "delete from {table} where raw_sha256 is null"
    " or raw_sha256 not in (select sha256 from raw.ctgov_study_current)")
NEW_STUDY_SHAS = (
    "select sha256 from raw.ctgov_study_current c"
    " where not exists (select 1 from staging.ctgov_study s where s.raw_sha256 = c.sha256) order by nct_id")
STALE_ARTICLE_ROWS = (
    "delete from staging.pubmed_article s where not exists (select 1 from raw.pubmed_article_current c"
    " where c.pmid = s.pmid and c.sha256 = s.raw_sha256 and c.fetched_at = s.fetched_at)")
NEW_ARTICLE_SHAS = (
    "select sha256, fetched_at from raw.pubmed_article_current c where not exists"
    " (select 1 from staging.pubmed_article s where s.pmid = c.pmid and s.raw_sha256 = c.sha256"
    " and s.fetched_at = c.fetched_at)")


def _raw_batches(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> Iterator[tuple[Any, ...]]:
    """Rows of a query over `raw`, fetched RAW_BATCH at a time through a second connection, so the build can
    write on `con` between batches. Raw is not written during a build, so both see the same rows."""
    reader = con.cursor()
    try:
        reader.execute(sql, params)
        while batch := reader.fetchmany(RAW_BATCH):
            yield from batch
    finally:
        reader.close()


def _batched(items: Iterator[T], size: int = RAW_BATCH) -> Iterator[list[T]]:
    while batch := list(islice(items, size)):
        yield batch


def _staging_rows(studies: Iterable[tuple[dict[str, Any], str]]) -> Iterator[tuple[str, dict[str, Any]]]:
    for study, sha in studies:
        for table, rows in flatten_study(study).items():
            for row in rows:
                yield table, {**row, "raw_sha256": sha}


@python_model(reads=["raw.ctgov_study_current"], writes=CTGOV_STAGING, incremental=True)
def ctgov_staging(con: duckdb.DuckDBPyConnection, context: BuildContext) -> None:
    """The long staging tables of every latest study version; interventions get their drug and route."""
    for staged in CTGOV_STAGING:
        con.execute(STALE_STUDY_ROWS.format(table=staged.qualified))
    shas = [sha for (sha,) in con.execute(NEW_STUDY_SHAS).fetchall()]
    context.parsed["ctgov"] = len(shas)
    for batch in _batched(context.studies(con, shas) if shas else iter(())):
        tables: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for table, row in _staging_rows(batch):
            tables[table].append(with_drug_and_route(row) if table == "ctgov_intervention" else row)
        for table, rows in tables.items():
            insert_rows(con, f"staging.{table}", rows)


def _article_row(sha: str, fetched_at: object, kept: str | None, payload: str | None,
                 parsed: list[int]) -> dict[str, Any]:
    if kept is not None:
        fields = json.loads(kept)
    else:
        fields = parse_article_xml(str(payload).encode("utf-8"))
        parsed[0] += 1
    sections = json.dumps(fields.get("abstract_sections") or [])
    return {**fields, "abstract_sections": sections, "raw_sha256": sha, "fetched_at": fetched_at}


@python_model(reads=["raw.pubmed_article_current", "meta.pubmed_parsed"], writes=[c.STAGING_PUBMED_ARTICLE],
              incremental=True)
def pubmed_staging(con: duckdb.DuckDBPyConnection, context: BuildContext) -> None:
    """Each latest article version read once: a kept table holds the earlier builds' rows, and a version's
    fields come from the landing's parse (meta.pubmed_parsed) when it kept them, else from its XML."""
    con.execute(STALE_ARTICLE_ROWS)
    current = dict(con.execute(NEW_ARTICLE_SHAS).fetchall())  # sha256 -> the current version's fetched_at
    parsed = [0]
    kept = _raw_batches(con, KEPT_FIELDS_OF, [parser_version(), list(current)]) if current else iter(())
    _stage_articles(con, kept, current, parsed)
    left = _raw_batches(con, LATEST_ARTICLES_OF, [list(current)]) if current else iter(())
    _stage_articles(con, left, current, parsed)
    context.parsed["pubmed"] = parsed[0]


def _stage_articles(con: duckdb.DuckDBPyConnection, found: Iterator[tuple[Any, ...]], current: dict[str, object],
                    parsed: list[int]) -> None:
    """Staging rows of the found versions still in `current` (popped: each version is staged once)."""
    rows = (_article_row(sha, current.pop(sha), fields, payload, parsed)
            for sha, fields, payload in found if sha in current)
    for batch in _batched(rows):
        insert_rows(con, "staging.pubmed_article", batch)


def _publications(con: duckdb.DuckDBPyConnection, where: str = "true") -> list[dict[str, Any]]:
    """Articles with the trials each reports (`_links`: its best report link, not only its DataBankList)."""
    linked = _links(con)
    articles = _records(con, f"select * from staging.pubmed_article as a where {where} order by pmid")
    return [{**a, "nct_ids": linked.get(a["pmid"], [])} for a in articles]


# Abstracts are read only where screening keeps the record: included, or a further report of an included trial.
SCREENED_IN = (
    "a.pmid in (select record_id from core.screening where record_type = 'publication'"
    " and (included or exclusion_reason = 'duplicate_report'))"
)


@python_model(reads=[*REGISTRY_READS, "staging.pubmed_article", "core.study_publication", "core.screening"],
              writes=[c.CORE_OUTCOME])
def outcomes(con: duckdb.DuckDBPyConnection, _context: BuildContext) -> None:
    """Response, remission and relapse rows from posted results (the long core tables) and from the
    abstracts of screened-in publications (transform.outcomes)."""
    rows = outcome_rows(registry_studies(con), _publications(con, SCREENED_IN))
    insert_rows(con, "core.outcome", with_default_windows(with_registry_routes(rows, _routes(con))))


@python_model(reads=["raw.ctgov_study_current", "staging.pubmed_article", "core.study_publication"],
              writes=[c.CORE_SCREENING])
def screening(con: duckdb.DuckDBPyConnection, context: BuildContext) -> None:
    studies = (s for s, _ in context.studies(con))
    insert_rows(con, "core.screening", screening_rows(studies, _publications(con)))


@python_model(reads=[], writes=[c.CORE_DRUG])
def drugs(con: duckdb.DuckDBPyConnection, _context: BuildContext) -> None:
    """The drug vocabulary, so SQL models ask `ketamine_class` instead of listing the drugs again."""
    insert_rows(con, "core.drug", drug_vocabulary())


@python_model(reads=[], writes=[c.MARTS_CLAIMS])
def claims(con: duckdb.DuckDBPyConnection, context: BuildContext) -> None:
    insert_frame(con, "marts.claims", claims_frame(context.claims))


def _records_for_adds(con: duckdb.DuckDBPyConnection) -> Records:
    populations = con.execute(
        "select study_key, mode(population) from core.outcome where population is not null group by study_key"
    ).fetchall()
    return Records(record_texts(con), _links(con), dict(populations))


@python_model(reads=["core.outcome", "meta.review_decision", "core.publication", "core.study_publication",
                     "raw.ctgov_study_current"],
              writes=[c.CORE_OUTCOME_CURATED, c.CORE_REVIEW_DECISION])
def curated_outcomes(con: duckdb.DuckDBPyConnection, _context: BuildContext) -> None:
    """core.outcome with the stored review decisions applied (warehouse.curation), and each decision's state."""
    rows = _records(con, "select * from core.outcome order by outcome_id")
    for row in rows:
        row["flag"] = list(row["flag"])
    curated, states = curate(rows, stored_decisions(con), _records_for_adds(con))
    insert_rows(con, "core.outcome_curated", curated)
    insert_rows(con, "core.review_decision", states)


def _summary(con: duckdb.DuckDBPyConnection, rows_sql: str, table: str) -> None:
    frame = evidence_summary(con.execute(rows_sql).df())
    insert_frame(con, table, with_review_counts(con, frame))


def _claim_check(con: duckdb.DuckDBPyConnection, context: BuildContext, rows_sql: str, summary: str,
                 table: str) -> None:
    outcomes_frame = con.execute(rows_sql).df()
    summary_frame = con.execute(f"select * from {summary}").df()
    checked = check_claims(context.claims, summary_frame, outcomes_frame, con.execute(HELD_ROWS).df())
    insert_frame(con, table, pool_review_counts(con, context.claims, checked, outcomes_frame))


@python_model(reads=SYNTHESIS_READS, writes=[c.MARTS_EVIDENCE_SUMMARY])
def summary(con: duckdb.DuckDBPyConnection, context: BuildContext) -> None:
    """Pooled estimates per comparable group (transform.meta), from the curated rows."""
    _summary(con, context.synthesis_rows, "marts.evidence_summary")


@python_model(reads=[*SYNTHESIS_READS, "marts.evidence_summary", "marts.claims"], writes=[c.MARTS_CLAIM_CHECK])
def claim_check(con: duckdb.DuckDBPyConnection, context: BuildContext) -> None:
    """A verdict per claim (transform.verdicts); marts.claims is read so the verdicts follow the claims."""
    _claim_check(con, context, context.synthesis_rows, "marts.evidence_summary", "marts.claim_check")


@python_model(reads=SYNTHESIS_READS, writes=[c.MARTS_EVIDENCE_SUMMARY_VERIFIED])
def summary_verified(con: duckdb.DuckDBPyConnection, _context: BuildContext) -> None:
    """The same pools from checked rows only, for `report --verified-only` and `claims --verified-only`."""
    _summary(con, VERIFIED_ROWS, "marts.evidence_summary_verified")


@python_model(reads=[*SYNTHESIS_READS, "marts.evidence_summary_verified", "marts.claims"],
              writes=[c.MARTS_CLAIM_CHECK_VERIFIED])
def claim_check_verified(con: duckdb.DuckDBPyConnection, context: BuildContext) -> None:
    _claim_check(con, context, VERIFIED_ROWS, "marts.evidence_summary_verified", "marts.claim_check_verified")


PYTHON_MODELS: tuple[Model, ...] = (
    ctgov_staging, pubmed_staging, drugs, outcomes, screening, curated_outcomes, claims, summary, claim_check,
    summary_verified, claim_check_verified,
)
