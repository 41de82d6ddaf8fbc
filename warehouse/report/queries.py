"""Everything the report shows, read from the warehouse; a missing table becomes an explanation."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pandas as pd

from ketamine_evidence.warehouse.history import Changes, changes_since_previous, relation_exists
from ketamine_evidence.warehouse.report.sensitivity import Sensitivity, sensitivity

if TYPE_CHECKING:
    from ketamine_evidence.transform.claims import Claim

KIND_ORDER = ("response", "remission", "relapse")
WINDOW_ORDER = ("acute", "first_week", "induction", "maintenance")

LAST_RUN = """
select run_id, mode, status, started_at, finished_at, snapshot_dir
from meta.refresh_run
where status = 'success' or (status = 'running' and run_id = ?)
order by (run_id = ?) desc, started_at desc
limit 1
"""

CLAIMS = """
select c.claim_id, c.text, c.quote_hint, c.figure_lo, c.figure_hi, c.unit, c.metric, c.scope_drug,
       c.scope_route, c.scope_population, c.scope_window, c.scope_comparator, c.checkable, c.reason,
       k.scope, k.verdict, k.rationale, k.evidence_measure, k.pooled_estimate, k.pooled_ci_lower,
       k.pooled_ci_upper, k.pooled_k, k.pooled_n, k.pooled_status, k.pooled_study_keys, k.trial_figure,
       k.trial_study_key, k.trial_nct_id, k.trial_pmid, k.trial_source, k.trial_locator,
       k.trial_span_text, k.mismatch, k.pooled_rows, k.pooled_rows_checked, k.trial_checked_by
from marts.claims as c
left join {check} as k on k.claim_id = c.claim_id
order by c.claim_id
"""

CLAIM_CHECK_ONLY = """
select claim_id, claim_text as text, claim_lo as figure_lo, claim_hi as figure_hi, unit, metric,
       verdict <> 'not_checkable' as checkable, null as reason, *
       exclude (claim_id, claim_text, claim_lo, claim_hi, unit, metric)
from {check} order by claim_id
"""

NUMBERED = """
select row_number() over (
           order by list_position(?, outcome_kind) nulls last, list_position(?, time_window) nulls last,
                    drug, route nulls last, population, comparator_type) as group_no, *
from {summary}
"""
SUMMARY = "select * exclude (outcome_ids) from ({numbered}) order by group_no"

FOREST_TRIALS = """
with ids as (
    select group_no, unnest(outcome_ids) as outcome_id from ({numbered})
),
rows as (
    select distinct ids.group_no, o.*
    from ids join core.outcome_curated as o on o.outcome_id = ids.outcome_id
)
select rows.group_no, rows.study_key, any_value(rows.nct_id) as nct_id, any_value(rows.pmid) as pmid,
       any_value(rows.source) as source, any_value(study.acronym) as acronym,
       sum(rows.events) filter (where rows.arm_role = 'active')::integer as events,
       sum(rows.total) filter (where rows.arm_role = 'active')::integer as total,
       sum(rows.events) filter (where rows.arm_role = 'control')::integer as control_events,
       sum(rows.total) filter (where rows.arm_role = 'control')::integer as control_total,
       string_agg(distinct rows.dose, ' + ' order by rows.dose) filter (where rows.arm_role = 'active') as dose,
       string_agg(distinct rows.drug, ' + ' order by rows.drug) filter (where rows.arm_role = 'control')
           as control_drug,
       max(rows.timepoint_raw) as timepoint,
       bool_and(rows.checked) as checked,
       array_agg(distinct rows.outcome_id order by rows.outcome_id) as outcome_ids
from rows
left join core.study as study on study.nct_id = rows.nct_id
group by rows.group_no, rows.study_key
order by rows.group_no, rows.study_key
"""


# The columns of a claim_check row the report shows (CLAIMS above), for a claims file judged now.
CHECK_FIELDS = (
    "scope", "verdict", "rationale", "evidence_measure", "pooled_estimate", "pooled_ci_lower", "pooled_ci_upper",
    "pooled_k", "pooled_n", "pooled_status", "pooled_study_keys", "trial_figure", "trial_study_key", "trial_nct_id",
    "trial_pmid", "trial_source", "trial_locator", "trial_span_text", "mismatch", "pooled_rows",
    "pooled_rows_checked", "trial_checked_by",
)

COUNT_FIELDS = ("pooled_k", "pooled_n", "pooled_rows", "pooled_rows_checked")

RUN_BY_ID = """
select run_id, mode, status, started_at, finished_at, snapshot_dir from meta.refresh_run where run_id = ?
"""
TRIGGER = "select parameters->>'$.trigger' from meta.refresh_run where run_id = ?"

# The latest run (up to the report's) that searched each source; its date is when the responses were
# fetched (from the snapshot's manifest for a replay), else the run's start.
SEARCH_DATES = """
with runs as (
    select run_id, started_at from meta.refresh_run where status = 'success' or run_id = ?
),
searched as (
    select s.source, s.run_id, r.started_at, s.query, s.window_start, s.window_end, s.hits
    from meta.search_log as s join runs as r on r.run_id = s.run_id
    qualify dense_rank() over (partition by s.source order by r.started_at desc, s.run_id desc) = 1
),
fetched as (
    select run_id, source, max(fetched_at) as fetched_at from meta.source_file group by run_id, source
)
select s.source, s.run_id, coalesce(f.fetched_at, s.started_at) as searched_at, s.query, s.window_start,
       s.window_end, s.hits
from searched as s left join fetched as f on f.run_id = s.run_id and f.source = s.source
order by s.source, s.query
"""

# Every retrieved record with its screening result; `is_new` when all its versions arrived in the
# given run (as history.NEW_TRIALS), the split of the PRISMA 2020 flow diagram for updated reviews.
PRISMA_RECORDS = """
with seen as (
    select 'ctgov' as source, nct_id as record_id, bool_and(run_id = $latest) as is_new
    from raw.ctgov_study group by nct_id
    union all
    select 'pubmed', pmid, bool_and(run_id = $latest)
    from (select pmid, run_id from raw.pubmed_article union all select pmid, run_id from raw.pubmed_deletion)
    group by pmid
)
select seen.source, seen.record_id, seen.is_new, s.record_id is not null as screened,
       coalesce(s.included or s.exclusion_reason = 'duplicate_report', false) as included,
       s.exclusion_reason, s.study_key, coalesce(i.included, false) as study_included
from seen left join core.screening as s on s.source = seen.source and s.record_id = seen.record_id
left join core.study_inclusion as i on i.study_key = s.study_key
order by seen.source, seen.record_id
"""

REVIEW = """
select state, decision_id, reviewer, decision, record_id, outcome_kind, arm_label, evidence, detail
from core.review_decision where state in ('conflict', 'orphaned')
order by state, record_id, outcome_kind, decided_at
"""
REVIEW_COUNTS = "select review_status, count(*) as n from core.outcome_curated group by all order by all"


@dataclass(frozen=True)
class Marts:
    """Which marts the report reads: the build's, or those from checked rows only (--verified-only)."""

    summary: str = "marts.evidence_summary"
    check: str = "marts.claim_check"

    @property
    def numbered(self) -> str:
        return NUMBERED.format(summary=self.summary)


BUILT = Marts()
VERIFIED = Marts("marts.evidence_summary_verified", "marts.claim_check_verified")


@dataclass(frozen=True)
class RunInfo:
    run_id: str
    mode: str
    status: str
    started_at: datetime | None
    finished_at: datetime | None
    snapshot_dir: str | None

    @property
    def offline(self) -> bool:
        return self.mode == "offline"


@dataclass(frozen=True)
class SearchDate:
    """When a source was last searched (PRISMA 2020 item 6), with the search as sent."""

    source: str
    run_id: str
    searched_at: datetime | None
    query: str | None
    window_start: str | None
    window_end: str | None
    hits: int | None


@dataclass(frozen=True)
class Version:
    """This report as a version of the living review (PRISMA-LSR: version, preceding version, trigger)."""

    number: int | None
    run: RunInfo
    previous_number: int | None
    previous: RunInfo | None
    trigger: str | None  # `scheduled` or `manual` when the run recorded it (parameters.trigger)


@dataclass
class ReportData:
    generated_at: datetime
    run: RunInfo | None
    claims: pd.DataFrame
    summary: pd.DataFrame
    trials: pd.DataFrame
    prisma: pd.DataFrame
    studies: pd.DataFrame
    changes: Changes
    missing: dict[str, str] = field(default_factory=dict)
    review: pd.DataFrame = field(default_factory=pd.DataFrame)  # open conflicts and orphaned decisions
    review_counts: pd.DataFrame = field(default_factory=pd.DataFrame)
    verified_only: bool = False
    version: Version | None = None
    searches: list[SearchDate] = field(default_factory=list)
    sensitivity: list[Sensitivity] = field(default_factory=list)
    prisma_records: pd.DataFrame = field(default_factory=pd.DataFrame)  # empty for a first version
    claims_path: str | None = None  # another claims file, judged now against this warehouse's evidence


def _frame(con: duckdb.DuckDBPyConnection, sql: str, params: list | dict | None = None) -> pd.DataFrame:
    frame = con.execute(sql, params or []).df()
    return frame.astype(object).where(frame.notna(), None)


def last_run(con: duckdb.DuckDBPyConnection, current: str | None = None) -> RunInfo | None:
    if not relation_exists(con, "meta.refresh_run"):
        return None
    rows = con.execute(LAST_RUN, [current, current]).fetchall()
    return RunInfo(*rows[0]) if rows else None


def _need(con: duckdb.DuckDBPyConnection, tables: tuple[str, ...], missing: dict[str, str],
          section: str) -> bool:
    absent = [t for t in tables if not relation_exists(con, t)]
    if absent:
        missing[section] = f"{', '.join(absent)} is not in this warehouse (run `ketamine-evidence refresh`)."
    return not absent


def claims(con: duckdb.DuckDBPyConnection, missing: dict[str, str], marts: Marts = BUILT) -> pd.DataFrame:
    if relation_exists(con, "marts.claims") and relation_exists(con, marts.check):
        return _frame(con, CLAIMS.format(check=marts.check))
    if relation_exists(con, marts.check):
        return _frame(con, CLAIM_CHECK_ONLY.format(check=marts.check))
    _need(con, ("marts.claims", marts.check), missing, "claims")
    return pd.DataFrame()


def summary(con: duckdb.DuckDBPyConnection, missing: dict[str, str], marts: Marts = BUILT) -> pd.DataFrame:
    if not _need(con, (marts.summary,), missing, "summary"):
        return pd.DataFrame()
    return _frame(con, SUMMARY.format(numbered=marts.numbered), [list(KIND_ORDER), list(WINDOW_ORDER)])


def forest_trials(con: duckdb.DuckDBPyConnection, missing: dict[str, str], marts: Marts = BUILT) -> pd.DataFrame:
    if not _need(con, (marts.summary, "core.outcome_curated", "core.study"), missing, "forest"):
        return pd.DataFrame()
    sql = FOREST_TRIALS.format(numbered=marts.numbered)
    return _frame(con, sql, [list(KIND_ORDER), list(WINDOW_ORDER)])


def review(con: duckdb.DuckDBPyConnection, missing: dict[str, str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(open conflicts and orphaned decisions, rows per review status)."""
    if not _need(con, ("core.review_decision", "core.outcome_curated"), missing, "review"):
        return pd.DataFrame(), pd.DataFrame()
    return _frame(con, REVIEW), _frame(con, REVIEW_COUNTS)


def prisma(con: duckdb.DuckDBPyConnection, missing: dict[str, str]) -> pd.DataFrame:
    if not _need(con, ("marts.prisma_flow",), missing, "prisma"):
        return pd.DataFrame()
    try:
        return _frame(con, "select step, source, reason, n from marts.prisma_flow")
    except duckdb.Error as exc:
        missing["prisma"] = f"marts.prisma_flow could not be read: {str(exc).splitlines()[0]}"
        return pd.DataFrame()


def studies(con: duckdb.DuckDBPyConnection, missing: dict[str, str]) -> pd.DataFrame:
    if not _need(con, ("marts.study_characteristics",), missing, "studies"):
        return pd.DataFrame()
    return _frame(con, "select * from marts.study_characteristics")


# what `judge` reads besides the summary mart (warehouse.models.SYNTHESIS_ROWS)
JUDGED_FROM = ("core.outcome_curated", "core.study_inclusion")


def judge(con: duckdb.DuckDBPyConnection, claims: list[Claim], marts: Marts = BUILT) -> pd.DataFrame:
    """claim_check rows for these claims, judged now as the build judges them (warehouse.models)."""
    from ketamine_evidence.transform.verdicts import check_claims
    from ketamine_evidence.warehouse.models import HELD_ROWS, SYNTHESIS_ROWS, VERIFIED_ROWS
    from ketamine_evidence.warehouse.synthesis import pool_review_counts

    outcomes = con.execute(VERIFIED_ROWS if marts is VERIFIED else SYNTHESIS_ROWS).df()
    checked = check_claims(claims, con.sql(f"select * from {marts.summary}").df(), outcomes,
                           con.execute(HELD_ROWS).df())
    return pool_review_counts(con, claims, checked, outcomes)


def claims_from_file(con: duckdb.DuckDBPyConnection, path: Path | str, missing: dict[str, str],
                     marts: Marts = BUILT) -> pd.DataFrame:
    """The claims of another file, with verdicts judged now against this warehouse's evidence
    (without verdicts when the warehouse has no pooled rows to judge them on)."""
    from ketamine_evidence.transform.claims import claims_frame, load_claims

    found = load_claims(path)
    frame = claims_frame(found)
    if _need(con, (*JUDGED_FROM, marts.summary), missing, "claims"):
        checks = judge(con, found, marts)[["claim_id", *CHECK_FIELDS]]
        frame = frame.merge(checks, on="claim_id", how="left")
        frame = frame.astype(dict.fromkeys(COUNT_FIELDS, "Int64"))  # counts, not 3.0, where some are NULL
    frame = frame.sort_values("claim_id", ignore_index=True)
    return frame.astype(object).where(frame.notna(), None)


def _run_by_id(con: duckdb.DuckDBPyConnection, run_id: str | None) -> RunInfo | None:
    if run_id is None or not relation_exists(con, "meta.refresh_run"):
        return None
    rows = con.execute(RUN_BY_ID, [run_id]).fetchall()
    return RunInfo(*rows[0]) if rows else None


def version(con: duckdb.DuckDBPyConnection, run: RunInfo | None, changes: Changes) -> Version | None:
    """The report's run as a numbered version, with the version it updates."""
    if run is None:
        return None
    trigger = con.execute(TRIGGER, [run.run_id]).fetchall()[0][0]
    previous = _run_by_id(con, changes.previous_run) if changes.latest_run == run.run_id else None
    return Version(changes.versions.get(run.run_id), run, changes.previous_version if previous else None,
                   previous, trigger)


def search_dates(con: duckdb.DuckDBPyConnection, current: str | None = None) -> list[SearchDate]:
    if not all(relation_exists(con, t) for t in ("meta.search_log", "meta.refresh_run", "meta.source_file")):
        return []
    return [SearchDate(*row) for row in con.execute(SEARCH_DATES, [current]).fetchall()]


def prisma_records(con: duckdb.DuckDBPyConnection, changes: Changes) -> pd.DataFrame:
    """Records split into previous and new ones, for an update (empty when this is the first version)."""
    tables = ("raw.ctgov_study", "raw.pubmed_article", "raw.pubmed_deletion", "core.screening")
    if changes.first_run or not all(relation_exists(con, t) for t in tables):
        return pd.DataFrame()
    return _frame(con, PRISMA_RECORDS, {"latest": changes.latest_run})


def sensitivity_groups(con: duckdb.DuckDBPyConnection, missing: dict[str, str],
                       verified_only: bool = False) -> list[Sensitivity]:
    """The groups of the pools split by definition and by timepoint, from the rows the build pools."""
    from ketamine_evidence.warehouse.models import SYNTHESIS_ROWS, VERIFIED_ROWS

    if not _need(con, ("core.outcome_curated",), missing, "sensitivity"):
        return []
    try:
        rows = con.execute(VERIFIED_ROWS if verified_only else SYNTHESIS_ROWS).df()
    except duckdb.CatalogException as exc:
        missing["sensitivity"] = f"The pooled rows could not be read: {str(exc).splitlines()[0]}"
        return []
    return sensitivity(rows)


def load(con: duckdb.DuckDBPyConnection, current_run: str | None = None, verified_only: bool = False,
         claims_path: str | None = None) -> ReportData:
    """All sections' data; `current_run` is the run making the report (counted while still running);
    `claims_path`, another claims file, judged now against the same evidence (as `claims --claims`)."""
    missing: dict[str, str] = {}
    marts = VERIFIED if verified_only else BUILT
    decisions, counts = review(con, missing)
    run, changes = last_run(con, current_run), changes_since_previous(con)
    judged = claims_from_file(con, claims_path, missing, marts) if claims_path else claims(con, missing, marts)
    return ReportData(
        generated_at=datetime.now(UTC),
        run=run,
        claims=judged,
        summary=summary(con, missing, marts),
        trials=forest_trials(con, missing, marts),
        prisma=prisma(con, missing),
        studies=studies(con, missing),
        changes=changes,
        missing=missing,
        review=decisions,
        review_counts=counts,
        verified_only=verified_only,
        version=version(con, run, changes),
        searches=search_dates(con, current_run),
        sensitivity=sensitivity_groups(con, missing, verified_only),
        prisma_records=prisma_records(con, changes),
        claims_path=claims_path,
    )
