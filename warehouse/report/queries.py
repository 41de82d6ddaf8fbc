"""Everything the report shows, read from the warehouse; a missing table becomes an explanation."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import duckdb
import pandas as pd

from ketamine_evidence.warehouse.history import Changes, changes_since_previous, relation_exists

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
       bool_and(rows.checked) as checked
from rows
left join core.study as study on study.nct_id = rows.nct_id
group by rows.group_no, rows.study_key
order by rows.group_no, rows.study_key
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


def _frame(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> pd.DataFrame:
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


def load(con: duckdb.DuckDBPyConnection, current_run: str | None = None, verified_only: bool = False) -> ReportData:
    """All sections' data; `current_run` is the run making the report (counted while still running)."""
    missing: dict[str, str] = {}
    marts = VERIFIED if verified_only else BUILT
    decisions, counts = review(con, missing)
    return ReportData(
        generated_at=datetime.now(UTC),
        run=last_run(con, current_run),
        claims=claims(con, missing, marts),
        summary=summary(con, missing, marts),
        trials=forest_trials(con, missing, marts),
        prisma=prisma(con, missing),
        studies=studies(con, missing),
        changes=changes_since_previous(con),
        missing=missing,
        review=decisions,
        review_counts=counts,
        verified_only=verified_only,
    )
