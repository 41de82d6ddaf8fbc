"""Verdicts on the article's claims against the warehouse (rows of marts.claim_check).

Evidence for a claim is looked up in core.outcome rows that fall in the claim's scope: drug
(``ketamine_class`` = the drugs marked so in ``data/drugs.csv``; ``any`` = all), route, population (``mdd``
includes ``trd``), time window, comparator type and analysis subset (substring), and the outcome
kind of the metric. Pooled figures are re-pooled from those rows with the rules of
``transform.meta`` (one reading per trial, DerSimonian-Laird). Percent claims are compared in
percentage points; a range claim [lo, hi] fits when it holds the estimate or lies inside the CI.

Rules, applied top to bottom; the first that fires gives the verdict:

| # | verdict       | fires when                                                              |
|---|---------------|-------------------------------------------------------------------------|
| 0 | not_checkable | the claims file says ``checkable: false``; its reason is the rationale |
| 1 | contradicted  | the evidence points the other way (a)                                   |
| 2 | consistent    | the claim fits the in-scope evidence (b)                                |
| 3 | misattributed | not consistent, but the figure matches evidence for another scope (c)   |
| 4 | overstated    | in-scope evidence exists and the claim lies above it (d)                |
| 5 | understated   | in-scope evidence exists and the claim lies below it (d)                |
| 6 | unsupported   | no in-scope evidence and no match elsewhere; the rationale says what   |

(a) Proportion claims: the pooled RR vs control in scope has its whole 95% CI below 1 (above 1
    for relapse). Relapse-reduction claims: the RR/HR CI lies wholly above 1 (no benefit).
(b) Pooled proportion (k >= 2): the pooled estimate lies inside the claimed range, or the claimed
    figure (or whole range) lies inside the 95% CI; a range that merely overlaps the CI while the
    estimate lies outside it is over- or understated. One trial: within ``PCT_TOLERANCE`` (5
    percentage points) of its figure. Ratios: the same rule on the reduction 1 - RR and its CI
    (pooled, or the single trial's CI). Durations ("up to 88 weeks"): the longest in-scope
    follow-up reaches the figure less ``TIME_TOLERANCE`` (10%). Median time to relapse: an
    in-scope median lies in the claimed range +/- 10%.
(c) A single-trial or pooled proportion of the claim's outcome kind (any drug, route, population,
    window, comparator, or a single trial inside the scope) equal to the claimed point at the claim's
    printed precision (64 matches 63.5 to 64.5); a range claim matches a pooled estimate (k >= 2)
    inside the range. Ratios: another scope's reduction within 5 points with the claim inside
    its CI. Durations and medians: another scope satisfying (b).
(d) Above/below the CI (or the trial figure +/- tolerance), a larger/smaller reduction than the
    CI allows, a duration beyond the longest follow-up, a median time above/below the evidence.

For a time-to-relapse claim ("relapse within 2-4 weeks") the evidence is a median time to relapse
(rows with ``outcome_kind = 'time_to_relapse'`` and ``median_days``);
without such rows the verdict is ``unsupported`` with that reason. Relapse-reduction claims are read
as 1 - RR (pooled from relapse arm counts) or, without arm counts, 1 - HR/RR of a trial-level
effect row, in percent.

The closest single-trial figure (in scope, else the matching out-of-scope row) is reported with its
trial, source, outcome_id and locator (registry ``json_path`` or abstract span offsets and text).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import SupportsFloat

import numpy as np
import pandas as pd

from ketamine_evidence.transform.claims import Claim, Scope
from ketamine_evidence.transform.drugs import KETAMINE_CLASS
from ketamine_evidence.transform.meta import (
    CONTRACT_COLUMNS,
    GROUP_KEYS,
    PoolResult,
    ScopeEvidence,
    pool_trials,
    select_trials,
    usable_rows,
)

PCT_TOLERANCE = 5.0
TIME_TOLERANCE = 0.10
KIND_OF_METRIC = {"response": "response", "remission": "remission", "relapse": "relapse"}
UNIT_DAYS = {"days": 1.0, "weeks": 7.0, "months": 30.4375, "hours": 1 / 24}
CHECK_COLUMNS = (
    "claim_id", "metric", "claim_text", "claim_lo", "claim_hi", "unit", "scope", "verdict",
    "rationale", "evidence_measure", "pooled_estimate", "pooled_ci_lower", "pooled_ci_upper",
    "pooled_k", "pooled_n", "pooled_status", "pooled_study_keys", "trial_figure", "trial_study_key",
    "trial_nct_id", "trial_pmid", "trial_source", "trial_outcome_id", "trial_locator",
    "trial_span_text", "trial_drug", "trial_route", "trial_population", "trial_outcome_kind",
    "trial_time_window", "trial_timepoint_days", "trial_comparator_type", "mismatch",
)


@dataclass
class Finding:
    verdict: str
    rationale: str
    measure: str | None = None
    pooled: dict[str, object] = field(default_factory=dict)
    trial: pd.Series | None = None
    trial_figure: float | None = None
    mismatch: str | None = None


# --- scope ------------------------------------------------------------------------------------

def prepare(outcomes: pd.DataFrame) -> pd.DataFrame:
    """Contract columns present; trial-level effect rows without drug/route/population take the
    values of the trial's active arms (undated relapse rows are maintenance rows already in core.outcome)."""
    frame = outcomes.reindex(columns=list(CONTRACT_COLUMNS)).copy()
    active = frame[frame["arm_role"] == "active"].dropna(subset=["drug"])
    for col in ("drug", "route", "population"):
        per_trial = active.groupby("study_key")[col].agg(lambda s: s.mode().iat[0] if s.notna().any() else None)
        frame[col] = frame[col].fillna(frame["study_key"].map(per_trial))
    return frame


def _text(column: pd.Series) -> pd.Series:
    return column.astype("string").fillna("")


def _dimension_masks(frame: pd.DataFrame, scope: Scope) -> dict[str, pd.Series]:
    true = pd.Series(True, index=frame.index)
    drug = frame["drug"]
    masks = {
        "drug": {"any": true, "ketamine_class": drug.isin(KETAMINE_CLASS),
                 "conventional_ad": ~drug.isin(KETAMINE_CLASS)}.get(scope.drug, drug == scope.drug),
        "route": true if scope.route in ("any", None)
        else _text(frame["route"]).str.lower() == scope.route.lower(),
        "population": {"any": true, "mdd": frame["population"].isin(["mdd", "trd"])}.get(
            scope.population, frame["population"] == scope.population),
        "window": true if scope.window == "any" else frame["time_window"] == scope.window,
        "comparator": true if scope.comparator == "any" else frame["comparator_type"] == scope.comparator,
        "subset": true if not scope.subset
        else _text(frame["analysis_subset"]).str.contains(scope.subset, case=False, regex=False),
    }
    return masks


def scope_mask(frame: pd.DataFrame, scope: Scope, kinds: tuple[str, ...] | None = None) -> pd.Series:
    mask = pd.Series(True, index=frame.index)
    for part in _dimension_masks(frame, scope).values():
        mask &= part
    if kinds is not None:
        mask &= frame["outcome_kind"].isin(kinds)
    return mask


def describe_scope(scope: Scope) -> str:
    parts = [scope.drug, scope.route, f"population {scope.population}", f"window {scope.window}",
             f"vs {scope.comparator}"]
    if scope.timepoint_days is not None:
        parts.append(f"around day {scope.timepoint_days:g}")
    if scope.subset:
        parts.append(f"subset {scope.subset}")
    return ", ".join(parts)


def _mismatch(row: pd.Series, scope: Scope, kind: str | None) -> str:
    frame = row.to_frame().T
    diffs = [
        f"{name} {row.get(col)} (claim: {getattr(scope, name)})"
        for name, col in (("drug", "drug"), ("route", "route"), ("population", "population"),
                          ("window", "time_window"), ("comparator", "comparator_type"))
        if not bool(_dimension_masks(frame, scope)[name].iat[0])
    ]
    if kind and row.get("outcome_kind") != kind:
        diffs.append(f"outcome {row.get('outcome_kind')} (claim: {kind})")
    if diffs:
        return "; ".join(diffs)
    return f"{trial_arms(row)}: a single trial, not the pooled evidence for the claim's scope"


def trial_arms(row: pd.Series) -> str:
    """The trial's arm, its comparator arm and its timepoint, as a rationale names them."""
    arm = next((str(row[c]) for c in ("arm_label", "dose", "drug") if isinstance(row.get(c), str)), "its arm")
    versus = next((str(row[c]) for c in ("comparator", "comparator_type") if isinstance(row.get(c), str)), None)
    day = row.get("timepoint_days")
    when = f"day {_fmt(day)}" if day is not None and pd.notna(day) else "timepoint not given"
    return f"{arm}" + (f" vs {versus}" if versus else " (no comparator arm)") + f", {when}"


# --- helpers ----------------------------------------------------------------------------------

def _fmt(value: SupportsFloat | None, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "n/a"
    return f"{float(value):.{digits}f}".rstrip("0").rstrip(".")


def _distance(value: float, lo: float, hi: float) -> float:
    return max(lo - value, value - hi, 0.0)


def _rounds_to(value: float, claim: Claim) -> bool:
    return not claim.is_range and abs(value - claim.lo) <= 0.5 * 10 ** (-claim.decimals) + 1e-9


def _pooled_fields(result: PoolResult, scale: Callable[[float], float], keys: list[str]) -> dict[str, object]:
    def conv(x: float | None) -> float | None:
        return None if x is None else scale(x)

    lo, hi = conv(result.ci_lower), conv(result.ci_upper)
    # a decreasing scale (1 - RR) swaps the bounds
    ci = (min(lo, hi), max(lo, hi)) if lo is not None and hi is not None else (None, None)
    return {"pooled_estimate": conv(result.estimate), "pooled_ci_lower": ci[0], "pooled_ci_upper": ci[1],
            "pooled_k": result.k, "pooled_n": result.n_total, "pooled_status": result.status,
            "pooled_study_keys": keys}


def _closest(rows: pd.DataFrame, values: pd.Series, claim: Claim) -> tuple[pd.Series, float]:
    """The row (of non-empty `rows`) whose value is nearest the claim, then nearest its timepoint."""
    target = claim.scope.timepoint_days
    gap = values.apply(lambda v: _distance(v, claim.lo, claim.hi))
    tp_gap = (rows["timepoint_days"] - target).abs().fillna(1e9) if target is not None else 0.0
    order = pd.DataFrame({"gap": gap, "tp": tp_gap, "id": rows["outcome_id"].astype(str)}).sort_values(
        ["gap", "tp", "id"])
    index = order.index[0]
    return rows.loc[index], float(values.loc[index])


# --- proportion claims --------------------------------------------------------------------------

def _pct(rows: pd.DataFrame) -> pd.Series:
    return rows["events"] / rows["total"] * 100.0


def _contradiction(ev: ScopeEvidence, kind: str) -> PoolResult | None:
    rr = ev.ratios["RR_dl"]
    if rr.status not in ("pooled", "single_study") or rr.ci_lower is None or rr.ci_upper is None:
        return None
    against = rr.ci_lower > 1 if kind == "relapse" else rr.ci_upper < 1
    return rr if against else None


def _summary_matches(summary: pd.DataFrame, claim: Claim) -> pd.DataFrame:
    if summary.empty or "prop_estimate" not in summary:
        return summary
    est = summary["prop_estimate"].astype(float) * 100
    if claim.is_range:
        hit = (summary["k_trials"] >= 2) & est.between(claim.lo, claim.hi)
    else:
        hit = est.apply(lambda v: pd.notna(v) and _rounds_to(v, claim))
    return summary[hit]


def _misattribution(claim: Claim, kind: str, active: pd.DataFrame, summary: pd.DataFrame,
                    in_scope_k: int) -> Finding | None:
    # Only figures of the claim's own outcome kind can be its source: a 64% remission rate says
    # nothing about where a "64% response" came from, and with hundreds of arms some would match.
    active = active[active["outcome_kind"] == kind]
    summary = summary[summary["outcome_kind"] == kind] if "outcome_kind" in summary else summary
    pct = _pct(active)
    hits = active[pct.apply(lambda v: _rounds_to(v, claim))]
    inside = hits[scope_mask(hits, claim.scope, (kind,))] if not hits.empty else hits
    if claim.presented_as == "one_trial" and not inside.empty:
        row, value = _closest(inside, _pct(inside), claim)
        return Finding("consistent", f"The article presents {claim.figure_text} as one trial's result: it "
                       f"equals {_fmt(value)}% in {row['study_key']} ({trial_arms(row)}).", "proportion",
                       trial=row, trial_figure=value)
    if not hits.empty:
        row, value = _closest(hits, _pct(hits), claim)
        what = _mismatch(row, claim.scope, kind)
        return Finding("misattributed", f"The claimed {claim.figure_text} is not supported by the evidence "
                       f"for its scope (k={in_scope_k}) but equals {_fmt(value)}% in {row['study_key']}: "
                       f"{what}.", "proportion", trial=row, trial_figure=value, mismatch=what)
    groups = _summary_matches(summary, claim)
    if groups.empty:
        return None
    g = groups.iloc[0]
    where = ", ".join(f"{k} {g[k]}" for k in GROUP_KEYS)
    return Finding("misattributed", f"The claimed {claim.figure_text} matches the pooled "
                   f"{_fmt(g['prop_estimate'] * 100)}% (k={g['k_trials']}) for {where}, not the claim's scope.",
                   "proportion", mismatch=where)


def _check_proportion(claim: Claim, pool: pd.DataFrame, summary: pd.DataFrame) -> Finding:
    kind = KIND_OF_METRIC[claim.metric]
    active = pool[pool["arm_role"] == "active"]
    in_scope = active[scope_mask(active, claim.scope, (kind,))]
    ev = pool_trials(select_trials(in_scope, pool)) if not in_scope.empty else None
    scope_text = describe_scope(claim.scope)
    if ev is None:
        found = _misattribution(claim, kind, active, summary, 0)
        return found or Finding("unsupported", f"No usable {kind} rows (arm events and totals) for "
                                f"{scope_text}; nothing elsewhere matches {claim.figure_text}.", "proportion")
    prop = ev.proportion
    pooled = _pooled_fields(prop, lambda x: x * 100, [t.study_key for t in ev.trials])
    closest = _closest(in_scope, _pct(in_scope), claim)
    finding = _judge_proportion(claim, kind, ev, prop, active, summary, closest)
    finding.pooled = finding.pooled or pooled
    if finding.trial is None:
        finding.trial, finding.trial_figure = closest
    return finding


def _judge_proportion(claim: Claim, kind: str, ev: ScopeEvidence, prop: PoolResult,
                      active: pd.DataFrame, summary: pd.DataFrame,
                      closest: tuple[pd.Series, float]) -> Finding:
    against = _contradiction(ev, kind)
    if against is not None:
        return Finding("contradicted", f"The pooled risk ratio of {kind} vs control is "
                       f"{_fmt(against.estimate, 2)} (95% CI {_fmt(against.ci_lower, 2)}-"
                       f"{_fmt(against.ci_upper, 2)}, k={against.k}): the active arms did "
                       f"{'worse' if kind != 'relapse' else 'relapse more'} than control.", "proportion")
    est, lo, hi = (None if v is None else v * 100 for v in (prop.estimate, prop.ci_lower, prop.ci_upper))
    if prop.status == "pooled" and est is not None and lo is not None and hi is not None:
        fit = _fit(claim, est, lo, hi)
        pooled_text = f"the pooled {kind} of {_fmt(est)}% (95% CI {_fmt(lo)}-{_fmt(hi)}; k={prop.k}, n={prop.n_total})"
        if fit is not None:
            return Finding("consistent", _sentence(fit, claim.figure_text, pooled_text), "proportion")
        bounds = (lo, hi)
    elif prop.status == "single_study" and est is not None:
        if _distance(est, claim.lo, claim.hi) <= PCT_TOLERANCE:
            return Finding("consistent", f"The claimed {claim.figure_text} is within {_fmt(PCT_TOLERANCE)} "
                           f"points of the only trial's {_fmt(est)}% ({closest[0]['study_key']}).",
                           "proportion")
        bounds = (est - PCT_TOLERANCE, est + PCT_TOLERANCE)
    else:
        return _misattribution(claim, kind, active, summary, 0) or Finding(
            "unsupported", f"The {kind} rows in scope give no estimate (status {prop.status}).", "proportion")
    found = _misattribution(claim, kind, active, summary, prop.k)
    if found is not None:
        return found
    side = _side(claim, est, bounds)
    overlap = " It overlaps that interval, but the estimate lies outside the claim." if _overlaps(claim, bounds) else ""
    return Finding(side, f"The claimed {claim.figure_text} is {'above' if side == 'overstated' else 'below'} "
                   f"the evidence: {kind} {_fmt(est)}% ({_fmt(bounds[0])}-{_fmt(bounds[1])}; k={prop.k})."
                   f"{overlap}", "proportion")


def _fit(claim: Claim, est: float, lo: float, hi: float) -> str | None:
    """How a claim fits an estimate and its CI, or None: the estimate lies inside the claimed range, or
    the claimed figure (range) lies inside the CI. A range that only overlaps the CI does not fit."""
    if claim.is_range and claim.lo <= est <= claim.hi:
        return "{evidence} lies within the claimed {claim}"
    if lo <= claim.lo and claim.hi <= hi:
        return "The claimed {claim} lies within {evidence}"
    return None


def _sentence(fit: str, claimed: str, evidence: str) -> str:
    text = fit.format(claim=claimed, evidence=evidence)
    return f"{text[0].upper()}{text[1:]}."


def _overlaps(claim: Claim, bounds: tuple[float, float]) -> bool:
    return claim.hi >= bounds[0] and claim.lo <= bounds[1]


def _side(claim: Claim, est: float | None, bounds: tuple[float, float]) -> str:
    """Overstated when the claim lies above the evidence (above the estimate, for a range that overlaps it)."""
    centre = est if est is not None else (bounds[0] + bounds[1]) / 2
    return "overstated" if (claim.lo > bounds[1] or (_overlaps(claim, bounds) and claim.lo > centre)) else "understated"


# --- relapse reduction --------------------------------------------------------------------------

def _ratio_rows(frame: pd.DataFrame) -> pd.DataFrame:
    kinds = frame["outcome_kind"].isin(["relapse", "time_to_relapse"])
    types = _text(frame["effect_type"]).str.upper().isin(["HR", "RR"])
    return frame[kinds & types & frame["effect"].notna()]


def _reduction(row: pd.Series) -> tuple[float, float | None, float | None]:
    lo = None if pd.isna(row["ci_upper"]) else (1 - row["ci_upper"]) * 100
    hi = None if pd.isna(row["ci_lower"]) else (1 - row["ci_lower"]) * 100
    return (1 - row["effect"]) * 100, lo, hi


def _pooled_reduction(ev: ScopeEvidence | None) -> tuple[float, float, float, PoolResult] | None:
    """1 - RR in percent with its CI (the bounds swap), when the in-scope RR pool has an estimate."""
    rr = ev.ratios["RR_dl"] if ev is not None else None
    if rr is None or rr.status not in ("pooled", "single_study"):
        return None
    if rr.estimate is None or rr.ci_lower is None or rr.ci_upper is None:
        return None
    return (1 - rr.estimate) * 100, (1 - rr.ci_upper) * 100, (1 - rr.ci_lower) * 100, rr


def _check_reduction(claim: Claim, frame: pd.DataFrame, pool: pd.DataFrame) -> Finding:
    active = pool[(pool["arm_role"] == "active") & scope_mask(pool, claim.scope, ("relapse",))]
    ev = pool_trials(select_trials(active, pool)) if not active.empty else None
    effects = _ratio_rows(frame)
    in_scope = effects[scope_mask(effects, claim.scope)]
    reduction = _pooled_reduction(ev)
    lo: float | None
    hi: float | None
    trial: pd.Series | None = None
    if ev is not None and reduction is not None:
        est, lo, hi, rr = reduction
        pooled = _pooled_fields(rr, lambda x: (1 - x) * 100, [t.study_key for t in ev.trials])
        k, label = rr.k, "pooled RR"
    elif not in_scope.empty:
        trial = _closest(in_scope, in_scope.apply(lambda r: _reduction(r)[0], axis=1), claim)[0]
        est, lo, hi = _reduction(trial)
        k, label = 1, f"{str(trial['effect_type']).upper()} in {trial['study_key']}"
        pooled = {"pooled_estimate": est, "pooled_ci_lower": lo, "pooled_ci_upper": hi, "pooled_k": 1,
                  "pooled_status": "single_study", "pooled_study_keys": [trial["study_key"]]}
    else:
        return _reduction_elsewhere(claim, effects) or Finding(
            "unsupported", f"No relapse risk ratio or hazard ratio for {describe_scope(claim.scope)}.",
            "relapse_reduction")
    finding = _judge_reduction(claim, est, lo, hi, k, label, effects, in_scope)
    finding.pooled = finding.pooled or pooled
    if finding.trial is None and trial is not None:
        finding.trial, finding.trial_figure = trial, est
    return finding


def _judge_reduction(claim: Claim, est: float, lo: float | None, hi: float | None, k: int, label: str,
                     effects: pd.DataFrame, in_scope: pd.DataFrame) -> Finding:
    text = f"{label}: relapse reduction {_fmt(est)}% (95% CI {_fmt(lo)} to {_fmt(hi)}; k={k})"
    if hi is not None and hi < 0:
        return Finding("contradicted", f"The claimed {claim.figure_text} reduction is contradicted: {text}, "
                       "so the interval excludes any benefit.", "relapse_reduction")
    lo_b, hi_b = (lo, hi) if lo is not None and hi is not None else (est - PCT_TOLERANCE, est + PCT_TOLERANCE)
    fit = _fit(claim, est, lo_b, hi_b)
    if fit is not None:
        return Finding("consistent", _sentence(fit, f"{claim.figure_text} reduction", text), "relapse_reduction")
    found = _reduction_elsewhere(claim, effects.drop(index=in_scope.index))
    if found is not None:
        return found
    side = _side(claim, est, (lo_b, hi_b))
    size = "larger" if side == "overstated" else "smaller"
    return Finding(side, f"The claimed {claim.figure_text} reduction is {size} than the evidence allows: "
                   f"{text}.", "relapse_reduction")


def _reduction_elsewhere(claim: Claim, effects: pd.DataFrame) -> Finding | None:
    for _, row in effects.iterrows():
        est, lo, hi = _reduction(row)
        inside = lo is not None and hi is not None and lo <= claim.hi and claim.lo <= hi
        if inside and _distance(est, claim.lo, claim.hi) <= PCT_TOLERANCE:
            what = _mismatch(row, claim.scope, None)
            return Finding("misattributed", f"The claimed {claim.figure_text} reduction matches "
                           f"{str(row['effect_type']).upper()} {_fmt(row['effect'], 2)} ({_fmt(est)}% reduction) "
                           f"in {row['study_key']}: {what}.", "relapse_reduction",
                           trial=row, trial_figure=est, mismatch=what)
    return None


# --- time claims --------------------------------------------------------------------------------

def _in_days(claim: Claim) -> tuple[float, float] | None:
    factor = UNIT_DAYS.get(claim.unit)
    return None if factor is None else (claim.lo * factor, claim.hi * factor)


def _check_time_to_relapse(claim: Claim, frame: pd.DataFrame) -> Finding:
    medians = frame["median_days"] if "median_days" in frame else pd.Series(None, index=frame.index, dtype=float)
    rows = frame[(frame["outcome_kind"] == "time_to_relapse") & medians.notna()]
    rows = rows.assign(effect=medians[rows.index])
    days = _in_days(claim)
    if rows.empty or days is None:
        return Finding("unsupported", "No median time to relapse (time_to_relapse rows with median_days) "
                       "is in the warehouse, so the claimed interval cannot be checked.", "median_days")
    lo, hi = days[0] * (1 - TIME_TOLERANCE), days[1] * (1 + TIME_TOLERANCE)
    in_scope = rows[scope_mask(rows, claim.scope)]
    hits = rows[rows["effect"].between(lo, hi)]
    inside = hits[hits.index.isin(in_scope.index)]
    if not inside.empty:
        row = inside.iloc[0]
        return Finding("consistent", f"The median time to relapse in {row['study_key']} is {_fmt(row['effect'])} "
                       f"days, within the claimed {claim.figure_text}.", "median_days",
                       trial=row, trial_figure=float(row["effect"]))
    if not hits.empty:
        row = hits.iloc[0]
        what = _mismatch(row, claim.scope, None)
        return Finding("misattributed", f"A median time to relapse of {_fmt(row['effect'])} days fits the "
                       f"claimed {claim.figure_text} but comes from {row['study_key']}: {what}.",
                       "median_days", trial=row, trial_figure=float(row["effect"]), mismatch=what)
    if in_scope.empty:
        return Finding("unsupported", f"No median time to relapse for {describe_scope(claim.scope)}.",
                       "median_days")
    row = in_scope.iloc[(in_scope["effect"] - days[0]).abs().argsort().iat[0]]
    side = "understated" if hi < row["effect"] else "overstated"
    return Finding(side, f"The median time to relapse in {row['study_key']} is {_fmt(row['effect'])} days, "
                   f"outside the claimed {claim.figure_text}.", "median_days", trial=row,
                   trial_figure=float(row["effect"]))


def _check_duration(claim: Claim, frame: pd.DataFrame) -> Finding:
    factor = UNIT_DAYS.get(claim.unit, 7.0)
    rows = frame[frame["timepoint_days"].notna() & frame["outcome_kind"].notna()]
    needed = claim.lo * factor * (1 - TIME_TOLERANCE)
    in_scope = rows[scope_mask(rows, claim.scope)]
    if not in_scope.empty and in_scope["timepoint_days"].max() >= needed:
        row = in_scope.loc[in_scope["timepoint_days"].idxmax()]
        return _duration_finding("consistent", claim, row, factor, "reaches")
    elsewhere = rows[rows["timepoint_days"] >= needed]
    if not elsewhere.empty:
        row = elsewhere.loc[elsewhere["timepoint_days"].idxmax()]
        finding = _duration_finding("misattributed", claim, row, factor, "reaches")
        finding.mismatch = _mismatch(row, claim.scope, None)
        finding.rationale += f" It is outside the claim's scope: {finding.mismatch}."
        return finding
    if in_scope.empty:
        return Finding("unsupported", f"No follow-up timepoints for {describe_scope(claim.scope)}.",
                       f"max_followup_{claim.unit}")
    row = in_scope.loc[in_scope["timepoint_days"].idxmax()]
    return _duration_finding("overstated", claim, row, factor, "only reaches")


def _duration_finding(verdict: str, claim: Claim, row: pd.Series, factor: float, verb: str) -> Finding:
    value = float(row["timepoint_days"]) / factor
    return Finding(verdict, f"The longest follow-up ({row['study_key']}, {row['outcome_kind']}) {verb} "
                   f"{_fmt(value)} {claim.unit}; the claim says up to {claim.figure_text}.",
                   f"max_followup_{claim.unit}", trial=row, trial_figure=value)


def _hours(frame: pd.DataFrame) -> pd.Series:
    return frame["timepoint_hours"].fillna(frame["timepoint_days"] * 24)


def _check_onset(claim: Claim, pool: pd.DataFrame, held: pd.DataFrame | None) -> Finding:
    """An onset claim ("within 4 hours") against responder rows at or before that hour. Every hour up to
    the limit is looked at, each comparator type pooled on its own: the effect has appeared when, at some
    hour, response with the drug beats control (risk ratio CI above 1). Only trials with a control count."""
    limit = claim.hi * (1 + TIME_TOLERANCE)  # onset claims are stated in hours
    responders = pool[(pool["arm_role"] == "active") & scope_mask(pool, claim.scope, ("response",))]
    active = responders[_hours(responders) <= limit]
    if active.empty:
        return Finding("not_checkable", _no_onset_rows(claim, responders, held, limit), "response_by_hour")
    checked = [_onset_at(active, pool, hour, comparator)
               for hour in sorted(_hours(active).unique())
               for comparator in sorted(active.loc[_hours(active) == hour, "comparator_type"].dropna().unique())]
    controlled = [c for c in checked if c is not None]
    if not controlled:
        return Finding("not_checkable", f"Up to {_fmt(claim.hi, 0)} hours only the drug arms report responders "
                       f"({', '.join(sorted(set(active['study_key'])))}); without a control the onset of an effect "
                       "is not shown.", "response_by_hour")
    shown = [c for c in controlled if c[2].ci_lower is not None and c[2].ci_lower > 1]
    hour, comparator, rr, keys = (shown or controlled)[0] if shown else controlled[-1]
    ratio = (f"RR {_fmt(rr.estimate, 2)} (95% CI {_fmt(rr.ci_lower, 2)}-{_fmt(rr.ci_upper, 2)}; "
             f"k={rr.k}, {', '.join(keys)})")
    if shown:
        return Finding("consistent", f"By {_fmt(hour, 0)} hours response with the drug is higher than with "
                       f"{comparator}: {ratio}.", "response_by_hour")
    return Finding("unsupported", f"At no hour up to {_fmt(claim.hi, 0)} is response with the drug shown to "
                   f"differ from control ({len(controlled)} hour/comparator pool(s) checked; the latest, "
                   f"{_fmt(hour, 0)} hours vs {comparator}: {ratio}).", "response_by_hour")


def _onset_at(active: pd.DataFrame, pool: pd.DataFrame, hour: float,
              comparator: str) -> tuple[float, str, PoolResult, list[str]] | None:
    """The pooled risk ratio of the trials with a control at this hour and comparator type, else None."""
    rows = active[(_hours(active) == hour) & (active["comparator_type"] == comparator)]
    trials = [t for t in select_trials(rows, pool[_hours(pool) == hour]) if t.control_total]
    if not trials:
        return None
    rr = pool_trials(trials).ratios.get("RR_dl")
    if rr is None or rr.status not in ("pooled", "single_study") or rr.ci_lower is None or rr.ci_upper is None:
        return None
    return hour, comparator, rr, [t.study_key for t in trials]


def _no_onset_rows(claim: Claim, responders: pd.DataFrame, held: pd.DataFrame | None, limit: float) -> str:
    reason = (f"Not checkable: no usable responder rows at or before {_fmt(claim.hi, 0)} hours for "
              f"{describe_scope(claim.scope)}")
    later = _hours(responders).dropna()
    if not later.empty:
        reason += f"; the earliest usable responder rows are at {_fmt(later.min(), 0)} hours"
    if held is not None and not held.empty:
        waiting = held[(held["arm_role"] == "active") & scope_mask(held, claim.scope, ("response",))]
        waiting = waiting[_hours(waiting) <= limit]
        if not waiting.empty:
            reason += f"; {len(waiting)} responder rows at those hours wait for review"
    return reason + "."


# --- assembly -----------------------------------------------------------------------------------

def _judge(claim: Claim, frame: pd.DataFrame, pool: pd.DataFrame, summary: pd.DataFrame,
           held: pd.DataFrame | None = None) -> Finding:
    if not claim.checkable:
        return Finding("not_checkable", f"Not checkable: {claim.reason}.")
    if claim.metric in KIND_OF_METRIC and claim.unit == "percent":
        return _check_proportion(claim, pool, summary)
    if claim.metric == "relapse_reduction":
        return _check_reduction(claim, frame, pool)
    if claim.metric == "time_to_relapse":
        return _check_time_to_relapse(claim, frame)
    if claim.metric == "duration_of_benefit":
        return _check_duration(claim, frame)
    if claim.metric == "onset" and claim.unit == "hours":
        return _check_onset(claim, pool, held)
    return Finding("unsupported", f"No rule compares a {claim.metric} claim in {claim.unit} with trial data.")


def _locator(row: pd.Series, measure: str | None) -> str | None:
    """Where the figure behind the verdict sits: the posted analysis for a ratio, else the row's value."""
    if measure == "relapse_reduction" and isinstance(row.get("effect_json_path"), str):
        return row["effect_json_path"]
    if isinstance(row.get("json_path"), str):
        return row["json_path"]
    if pd.notna(row.get("span_start")):
        return f"abstract[{int(row['span_start'])}:{int(row['span_end'])}]"
    return None


def _uses_analysis(row: pd.Series, measure: str | None) -> bool:
    return len(row) > 0 and _locator(row, measure) == row.get("effect_json_path")


def _row(claim: Claim, finding: Finding) -> dict[str, object]:
    t = finding.trial if finding.trial is not None else pd.Series(dtype=object)

    def get(col: str) -> object:
        value = t.get(col)
        return None if value is None or (not isinstance(value, str) and pd.isna(value)) else value

    pooled = {"pooled_estimate": None, "pooled_ci_lower": None, "pooled_ci_upper": None, "pooled_k": None,
              "pooled_n": None, "pooled_status": None, "pooled_study_keys": None, **finding.pooled}
    return {
        "claim_id": claim.id, "metric": claim.metric, "claim_text": claim.text, "claim_lo": claim.lo,
        "claim_hi": claim.hi, "unit": claim.unit, "scope": describe_scope(claim.scope),
        "verdict": finding.verdict, "rationale": finding.rationale, "evidence_measure": finding.measure,
        **pooled, "trial_figure": finding.trial_figure, "trial_study_key": get("study_key"),
        "trial_nct_id": get("nct_id"), "trial_pmid": get("pmid"), "trial_source": get("source"),
        "trial_outcome_id": get("outcome_id"), "trial_locator": _locator(t, finding.measure) if len(t) else None,
        "trial_span_text": None if _uses_analysis(t, finding.measure) else get("span_text"),
        "trial_drug": get("drug"), "trial_route": get("route"),
        "trial_population": get("population"), "trial_outcome_kind": get("outcome_kind"),
        "trial_time_window": get("time_window"), "trial_timepoint_days": get("timepoint_days"),
        "trial_comparator_type": get("comparator_type"), "mismatch": finding.mismatch,
    }


def check_claims(claims: list[Claim], summary: pd.DataFrame, outcomes: pd.DataFrame,
                 held: pd.DataFrame | None = None) -> pd.DataFrame:
    """One marts.claim_check row per claim (not_checkable claims included). `held` are rows waiting for a
    person (never judged on): a rationale may say how many would bear on a claim."""
    frame = prepare(outcomes)
    pool = usable_rows(frame)
    waiting = prepare(held) if held is not None else None
    rows = [_row(claim, _judge(claim, frame, pool, summary, waiting)) for claim in claims]
    return pd.DataFrame(rows, columns=list(CHECK_COLUMNS))
