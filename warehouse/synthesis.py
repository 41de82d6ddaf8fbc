"""How many of the rows behind each pool and verdict a person checked (marts review columns).

The pools themselves come from `transform.meta` and `transform.verdicts`; this module only counts,
per pool, the core.outcome_curated rows that entered it and how many of them are `checked`.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import pandas as pd

from ketamine_evidence.transform.claims import Claim
from ketamine_evidence.transform.meta import select_trials, usable_rows
from ketamine_evidence.transform.verdicts import KIND_OF_METRIC, prepare, scope_mask

REVIEWERS = "select outcome_id, reviewed_by from core.outcome_curated where checked"


def _reviewers(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    return {oid: list(who) for oid, who in con.execute(REVIEWERS).fetchall()}


def with_review_counts(con: duckdb.DuckDBPyConnection, summary: pd.DataFrame) -> pd.DataFrame:
    """marts.evidence_summary rows with n_rows and n_rows_checked."""
    checked = _reviewers(con)
    ids = summary["outcome_ids"]
    return summary.assign(n_rows=[len(i) for i in ids], n_rows_checked=[sum(x in checked for x in i) for i in ids])


def _pool_kind(claim: Claim) -> str | None:
    if claim.metric in KIND_OF_METRIC and claim.unit == "percent":
        return KIND_OF_METRIC[claim.metric]
    return "relapse" if claim.metric == "relapse_reduction" else None


def pool_outcome_ids(claim: Claim, pool: pd.DataFrame) -> list[str]:
    """The arm rows the verdict's pooled estimate is built from, chosen as transform.verdicts chooses them."""
    kind = _pool_kind(claim)
    if kind is None or pool.empty:
        return []
    active = pool[(pool["arm_role"] == "active") & scope_mask(pool, claim.scope, (kind,))]
    return [i for t in select_trials(active, pool) for i in t.outcome_ids] if not active.empty else []


def pool_review_counts(con: duckdb.DuckDBPyConnection, claims: Sequence[Claim], checks: pd.DataFrame,
                       outcomes: pd.DataFrame) -> pd.DataFrame:
    """marts.claim_check rows with pooled_rows, pooled_rows_checked and trial_checked_by."""
    checked = _reviewers(con)
    by_id = {c.id: c for c in claims}
    pool = usable_rows(prepare(outcomes))
    counts, checked_counts, trial_by = [], [], []
    for _, row in checks.iterrows():
        trial = row.get("trial_outcome_id")
        ids = pool_outcome_ids(by_id[row["claim_id"]], pool) if pd.notna(row.get("pooled_estimate")) else []
        if not ids and isinstance(trial, str):
            ids = [trial]
        counts.append(len(ids) if ids else None)
        checked_counts.append(sum(i in checked for i in ids) if ids else None)
        trial_by.append(", ".join(checked[trial]) if isinstance(trial, str) and trial in checked else None)
    return checks.assign(pooled_rows=counts, pooled_rows_checked=checked_counts, trial_checked_by=trial_by)
