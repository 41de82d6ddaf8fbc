"""Sensitivity of the pooled proportions to the outcome definition and to the timepoint.

Within each pooled group (drug x route x population x outcome kind x time window x comparator type,
as in marts.evidence_summary) the rows that enter pools (``transform.meta.usable_rows`` of the
rows the build pools) are split by definition (instrument, operator, threshold, unit: MADRS >=50%
reduction, HAM-D >=50% reduction, MADRS <=10, MADRS <=12, ...) and, separately, by timepoint. Each
part is pooled as the build pools a group: one reading per trial (``select_trials``), its arms
summed, DerSimonian-Laird on the logit scale (``pool_proportions``).

Two parts differ when their pooled proportions are at least 5 percentage points apart
(``DIFFERENCE``); such a pair is also marked when one point estimate lies outside the other's
95% CI.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import combinations

import pandas as pd

from ketamine_evidence.transform.meta import GROUP_KEYS, pool_proportions, select_trials, usable_rows
from ketamine_evidence.transform.outcomes.rows import NON_PLAIN_FLAGS, split_flags

DIFFERENCE = 0.05
RULE = ("parts differ when their pooled proportions are at least 5 percentage points apart "
        "(marked “outside CI” when one point estimate lies outside the other's 95% CI)")
OPERATORS = {">=": "≥", "<=": "≤", ">": ">", "<": "<"}
NOT_GIVEN = {"definition": "definition not given", "timepoint": "timepoint not given"}


@dataclass(frozen=True)
class Part:
    """The pooled proportion of one definition or timepoint within a group."""

    label: str
    k: int
    n: int
    estimate: float | None
    ci_lower: float | None
    ci_upper: float | None
    study_keys: tuple[str, ...]

    def covers(self, value: float) -> bool:
        return self.ci_lower is not None and self.ci_upper is not None and self.ci_lower <= value <= self.ci_upper


@dataclass(frozen=True)
class Contrast:
    """Two parts whose pooled proportions differ by the rule."""

    first: Part
    second: Part

    @property
    def gap(self) -> float:
        return abs((self.first.estimate or 0.0) - (self.second.estimate or 0.0))

    @property
    def outside_ci(self) -> bool:
        a, b = self.first, self.second
        return not (b.covers(a.estimate or 0.0) and a.covers(b.estimate or 0.0))


@dataclass(frozen=True)
class Sensitivity:
    """One group split along one dimension (definition or timepoint) into at least two pooled parts."""

    group: dict[str, object]
    dimension: str
    overall: Part
    parts: tuple[Part, ...]
    contrasts: tuple[Contrast, ...]

    @property
    def differs(self) -> bool:
        return bool(self.contrasts)

    @property
    def label(self) -> str:
        return " / ".join(str(self.group[k]) for k in GROUP_KEYS if self.group.get(k) is not None)


def _number(value: object) -> str:
    return f"{float(value):g}"  # type: ignore[arg-type]  # a threshold or timepoint column value


def _scale_and_threshold(row: pd.Series) -> str:
    instrument, threshold = row.get("instrument"), row.get("threshold")
    if pd.isna(instrument) and pd.isna(threshold):
        return NOT_GIVEN["definition"]
    name = "scale not given" if pd.isna(instrument) else str(instrument)
    if pd.isna(threshold):
        return f"{name}, threshold not given"
    operator = OPERATORS.get(str(row.get("operator")), "") if pd.notna(row.get("operator")) else ""
    unit = "% reduction" if row.get("threshold_unit") == "pct_reduction" else ""
    return f"{name} {operator}{_number(threshold)}{unit}"


def definition_label(row: pd.Series) -> str:
    """`MADRS ≥50% reduction`, `MADRS ≤12`, `definition not given`; flags of a definition that is not
    the plain one follow in brackets (`MADRS, threshold not given [onset sustained]`)."""
    other = sorted(NON_PLAIN_FLAGS & set(split_flags(row.get("flag"))))
    suffix = f" [{', '.join(other).replace('_', ' ')}]" if other else ""
    return _scale_and_threshold(row) + suffix


def timepoint_label(row: pd.Series) -> str:
    """`24 hours` for sub-day points, `day 28`, or `timepoint not given`."""
    hours, days = row.get("timepoint_hours"), row.get("timepoint_days")
    if pd.notna(hours):
        return f"{_number(hours)} hours"
    return NOT_GIVEN["timepoint"] if pd.isna(days) else f"day {_number(days)}"


DIMENSIONS: dict[str, Callable[[pd.Series], str]] = {"definition": definition_label, "timepoint": timepoint_label}


def pooled_part(label: str, active: pd.DataFrame, pool: pd.DataFrame) -> Part:
    """The pooled proportion of these active rows, one reading per trial (as the build pools a group)."""
    trials = select_trials(active, pool)
    result = pool_proportions([t.events for t in trials], [t.total for t in trials])
    return Part(label, len(trials), sum(t.total for t in trials), result.estimate, result.ci_lower,
                result.ci_upper, tuple(t.study_key for t in trials))


def _contrasts(parts: list[Part]) -> tuple[Contrast, ...]:
    pairs = (Contrast(a, b) for a, b in combinations(parts, 2))
    return tuple(c for c in pairs if c.gap >= DIFFERENCE - 1e-12)


def _split(keys: dict[str, object], group: pd.DataFrame, pool: pd.DataFrame) -> list[Sensitivity]:
    overall = pooled_part("all definitions and timepoints (as pooled)", group, pool)
    found = []
    for dimension, label_of in DIMENSIONS.items():
        labels = group.apply(label_of, axis=1)
        parts = [pooled_part(label, rows, pool) for label, rows in group.groupby(labels, sort=True)]
        parts = [p for p in parts if p.estimate is not None]
        if len(parts) >= 2:
            found.append(Sensitivity(keys, dimension, overall, tuple(parts), _contrasts(parts)))
    return found


def sensitivity(outcomes: pd.DataFrame) -> list[Sensitivity]:
    """Every group with at least two poolable definitions or timepoints, split along each dimension."""
    pool = usable_rows(outcomes)
    if pool.empty:
        return []
    active = pool[pool["arm_role"] == "active"]
    found: list[Sensitivity] = []
    for values, group in active.groupby(list(GROUP_KEYS), dropna=False, sort=True):
        keys = {k: (None if pd.isna(v) else v) for k, v in zip(GROUP_KEYS, values, strict=True)}
        found += _split(keys, group, pool)
    return found
