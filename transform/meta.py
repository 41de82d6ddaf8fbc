"""Random-effects pooling of trial proportions and risk/odds ratios, and marts.evidence_summary.

The statistics come from ``statsmodels.stats.meta_analysis``: ``effectsize_2proportions`` for the
log RR / log OR and their variances (0.5 added to every cell of a study with a zero cell) and
``combine_effects`` for DerSimonian-Laird (``method_re="dl"``) and Paule-Mandel (``"pm"``) pooling,
with its HKSJ (Hartung-Knapp) variance for the optional Hartung-Knapp interval
(``conf_int(use_t=True)``, t with k-1 df). Three things statsmodels 0.15 has no function for:

* the logit of a single proportion and its variance, ``log(e/(n-e))`` and ``1/e + 1/(n-e)``
  (metafor's ``escalc("PLO")``), with 0.5 added to events and non-events when e is 0 or n;
* the prediction interval, the standard formula of Higgins, Thompson & Spiegelhalter (2009):
  ``mu +/- t(0.975, k-2) * sqrt(tau2 + se(mu)^2)``, given for k >= 3 only;
* the per-study continuity correction: ``effectsize_2proportions(zero_correction=0.5)`` in 0.15 adds
  0.5 to the events of *every* study but 1 to the totals only of studies with a zero cell, so we
  add 0.5 to each cell (1 to each total) of the zero-cell studies ourselves and call it uncorrected;
* truncation of the DerSimonian-Laird tau2 at 0: ``combine_effects`` returns a negative moment
  estimate when Q < k-1; we then report tau2 = 0 and the fixed-effect columns of the same results
  object, which is what the truncated estimator gives.

I2 is Higgins' ``(Q - (k-1)) / Q`` (statsmodels' ``i2``), truncated at 0 and given in percent.

Defined results, never NaN: k = 0 gives status ``no_data`` with every number None; a single study
gives its own estimate and Wald CI with status ``single_study`` and tau2, I2 and the prediction
interval None; no events anywhere gives ``no_events`` (numbers None). Ratio pooling drops studies
with zero events in both arms (they carry no information on RR/OR) and counts them in ``dropped``.

Which row of a trial enters a pool (``select_trials``): within one group (drug x route x population x
outcome kind x time window x comparator type) and one trial (``study_key``), candidate "readings" are
the sets of rows sharing source, timepoint, analysis subset, instrument, threshold and measure (the
registry measure, i.e. ``json_path`` up to ``.classes``, or the definition text). The reading kept is
the first by: registry before abstract; plain definitions before onset/sustained/composite ones
(flagged by the registry classifier, or so worded); latest timepoint in the window; no analysis
subset before a subset; larger active denominator (ITT);
higher confidence; then the measure name. Active arms of that reading (several doses) are combined by
summing events and totals, as are its control arms (Cochrane Handbook 6.5.2.10).
"""

from __future__ import annotations

import math
import re
import warnings
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import special, stats
from statsmodels.stats.meta_analysis import combine_effects, effectsize_2proportions

from ketamine_evidence.transform.outcomes.rows import COLUMNS, NON_PLAIN_FLAGS, POOL_EXCLUDED_FLAGS, split_flags
from ketamine_evidence.transform.tables import rows

CONTRACT_COLUMNS = COLUMNS  # core.outcome, docs/outcome-contract.md
BINARY_KINDS = ("response", "remission", "relapse")
GROUP_KEYS = ("drug", "route", "population", "outcome_kind", "time_window", "comparator_type")
PM_OPTIONS = {"atol": 1e-10, "maxiter": 500}
REML_ATOL = 1e-12
METHODS = ("dl", "pm", "reml")
_COMPOSITE = re.compile(r"\b(onset|sustain\w*|composite)\b", re.IGNORECASE)
_CONFIDENCE_RANK = {"high": 0, "medium": 1, "low": 2}


@dataclass(frozen=True)
class PoolResult:
    """A pooled estimate on the natural scale (proportion 0..1, RR or OR) with its uncertainty."""

    measure: str
    method: str
    status: str
    k: int
    n_total: int
    estimate: float | None = None
    ci_lower: float | None = None
    ci_upper: float | None = None
    pi_lower: float | None = None
    pi_upper: float | None = None
    tau2: float | None = None
    i2: float | None = None
    log_estimate: float | None = None
    se: float | None = None
    hartung_knapp: bool = False
    dropped: int = 0

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _ints(values: Sequence[float] | np.ndarray) -> np.ndarray:
    return np.asarray(values, dtype=float)


def _check_counts(events: np.ndarray, totals: np.ndarray) -> None:
    if events.shape != totals.shape:
        raise ValueError("events and totals differ in length")
    if np.any(totals <= 0) or np.any(events < 0) or np.any(events > totals):
        raise ValueError("every study needs 0 <= events <= total and total > 0")


def _quiet(func, *args, **kwargs):
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return func(*args, **kwargs)


def _combine(eff: np.ndarray, var: np.ndarray, method: str):
    """combine_effects; for PM, a retry at statsmodels' default tolerance if the tight iteration
    stopped on a rounding-negative estimating equation (tau2 reset to 0 although Q > k-1)."""
    if method != "pm":
        return _quiet(combine_effects, eff, var, method_re=method)
    res = _quiet(combine_effects, eff, var, method_re="pm", **PM_OPTIONS)
    if res.tau2 == 0 and res.q > len(eff) - 1:
        res = _quiet(combine_effects, eff, var, method_re="pm")
    return res


def _pooled(measure: str, method: str, eff: np.ndarray, var: np.ndarray, n_total: int,
            hartung_knapp: bool, dropped: int, back) -> PoolResult:
    if method == "reml" and len(eff) > 1:
        return _pooled_reml(measure, eff, var, n_total, hartung_knapp, dropped, back)
    res = _combine(eff, var, "dl" if method == "reml" else method)
    k = len(eff)
    if k == 1:
        lo, hi = _quiet(res.conf_int, use_t=False)[0]
        return PoolResult(measure, method, "single_study", 1, n_total, back(res.mean_effect_fe),
                          back(lo), back(hi), log_estimate=float(res.mean_effect_fe),
                          se=float(res.sd_eff_w_fe), dropped=dropped)
    truncated = res.tau2 <= 0
    tau2 = 0.0 if truncated else float(res.tau2)
    mean = float(res.mean_effect_fe if truncated else res.mean_effect_re)
    se = float(res.sd_eff_w_fe if truncated else res.sd_eff_w_re)
    intervals = _quiet(res.conf_int, use_t=hartung_knapp)
    lo, hi = intervals[(2 if truncated else 3) if hartung_knapp else (0 if truncated else 1)]
    pi = _prediction_interval(mean, se, tau2, k)
    return PoolResult(measure, method, "pooled", k, n_total, back(mean), back(lo), back(hi),
                      back(pi[0]) if pi else None, back(pi[1]) if pi else None, tau2, _i2(res.q, k), mean, se,
                      hartung_knapp, dropped)


def _i2(q: float, k: int) -> float:
    """Higgins' (Q - (k-1)) / Q in percent, truncated at 0 (the same definition for every tau2 method)."""
    return 0.0 if q <= 0 else max(0.0, (float(q) - (k - 1)) / float(q)) * 100.0


def _pooled_reml(measure: str, eff: np.ndarray, var: np.ndarray, n_total: int, hartung_knapp: bool,
                 dropped: int, back) -> PoolResult:
    """REML from PyMetaAnalysis. Its prediction interval under normal inference is the HTS one used for
    DL and PM, so it is taken from that fit even when the Hartung-Knapp CI is asked for."""
    import meta_analyze  # about 1 s to import: only when REML is asked for

    def fit(ci_method: str):
        return _quiet(meta_analyze.meta_analysis, effect=eff, variance=var, model="random", tau2_method="REML",
                      ci_method=ci_method, atol=REML_ATOL)

    res = fit("normal")
    lo, hi = fit("hartung_knapp").ci if hartung_knapp else res.ci
    pi = res.prediction_interval
    return PoolResult(measure, "reml", "pooled", res.k, n_total, back(res.estimate), back(lo), back(hi),
                      back(pi[0]) if pi else None, back(pi[1]) if pi else None, float(res.tau2),
                      _i2(res.q, res.k), float(res.estimate), float(res.standard_error), hartung_knapp, dropped)


def _prediction_interval(mean: float, se: float, tau2: float, k: int) -> tuple[float, float] | None:
    """Higgins, Thompson & Spiegelhalter (2009): t with k-2 df; undefined below k = 3."""
    if k < 3:
        return None
    half = stats.t.ppf(0.975, k - 2) * np.sqrt(tau2 + se**2)
    return mean - half, mean + half


def _expit(x: float) -> float:
    return float(special.expit(x))


def _exp(x: float) -> float:
    return float(np.exp(x))


def pool_proportions(events: Sequence[float], totals: Sequence[float], method: str = "dl",
                     hartung_knapp: bool = False) -> PoolResult:
    """Random-effects pooled proportion on the logit scale, back-transformed (0..1)."""
    e, n = _ints(events), _ints(totals)
    _check_counts(e, n)
    if len(e) == 0:
        return PoolResult("proportion", method, "no_data", 0, 0)
    if not np.any(e > 0):
        return PoolResult("proportion", method, "no_events", len(e), int(n.sum()))
    eff, var = logit_effects(e, n)
    return _pooled("proportion", method, eff, var, int(n.sum()), hartung_knapp, 0, _expit)


Counts = Sequence[float] | np.ndarray


def logit_effects(events: Counts, totals: Counts) -> tuple[np.ndarray, np.ndarray]:
    """Each trial's logit proportion and its variance as the pool uses them: 0.5 added to both cells of
    a trial with a zero cell (metafor's escalc default)."""
    e, n = _ints(events), _ints(totals)
    edge = (e == 0) | (e == n)
    e_c, n_c = e + 0.5 * edge, n + 1.0 * edge
    return np.log(e_c / (n_c - e_c)), 1.0 / e_c + 1.0 / (n_c - e_c)


def pool_ratio(e1: Sequence[float], n1: Sequence[float], e0: Sequence[float], n0: Sequence[float],
               measure: str = "RR", method: str = "dl", hartung_knapp: bool = False) -> PoolResult:
    """Random-effects pooled RR or OR (arm 1 = active vs arm 0 = control), pooled on the log scale."""
    if measure not in ("RR", "OR"):
        raise ValueError(f"measure must be RR or OR, not {measure!r}")
    a1, t1, a0, t0 = map(_ints, (e1, n1, e0, n0))
    _check_counts(a1, t1)
    _check_counts(a0, t0)
    if len(a1) != len(a0):
        raise ValueError("active and control arrays differ in length")
    if len(a1) == 0:
        return PoolResult(measure, method, "no_data", 0, 0)
    keep = (a1 + a0) > 0
    dropped = int((~keep).sum())
    if not keep.any():
        return PoolResult(measure, method, "no_events", 0, int((t1 + t0).sum()), dropped=dropped)
    a1, t1, a0, t0 = a1[keep], t1[keep], a0[keep], t0[keep]
    n_total = int((t1 + t0).sum())
    zero_cell = (a1 == 0) | (a1 == t1) | (a0 == 0) | (a0 == t0)
    a1, a0 = a1 + 0.5 * zero_cell, a0 + 0.5 * zero_cell
    t1, t0 = t1 + 1.0 * zero_cell, t0 + 1.0 * zero_cell
    statistic = "risk-ratio" if measure == "RR" else "odds-ratio"
    eff, var = effectsize_2proportions(a1, t1, a0, t0, statistic=statistic)
    return _pooled(measure, method, np.asarray(eff), np.asarray(var), n_total, hartung_knapp, dropped, _exp)


# --- evidence_summary ---------------------------------------------------------------------------

def _measure_key(row: pd.Series) -> str:
    path = row.get("json_path")
    if isinstance(path, str) and path:
        return path.split(".classes", 1)[0].split(".analyses", 1)[0]
    text = row.get("definition_text")
    return text if isinstance(text, str) else ""


READING_KEYS = ("source", "timepoint_days", "analysis_subset", "instrument", "threshold", "measure")
# data/analysis_readings.csv ranks each named analysis population and method; unnamed ones sit between.
_ANALYSIS_RANK = {(r["field"], r["value"]): int(r["rank"]) for r in rows("analysis_readings")}
_UNNAMED_RANK = {"population": 1, "method": 2}
_MEASURE_TYPE_RANK = {"primary": 0, "secondary": 1, "other_pre_specified": 2, "post_hoc": 3}


def usable_rows(outcomes: pd.DataFrame) -> pd.DataFrame:
    """Arm-level binary outcome rows with valid counts and no disqualifying flag (missing contract
    columns are added empty, so hand-made frames work)."""
    missing = [c for c in CONTRACT_COLUMNS if c not in outcomes.columns]
    outcomes = outcomes.assign(**{c: None for c in missing})
    if outcomes.empty:
        return outcomes.assign(measure=pd.Series(dtype=object))
    frame = outcomes[outcomes["outcome_kind"].isin(BINARY_KINDS)].copy()
    frame = frame[frame["events"].notna() & frame["total"].notna()]
    frame = frame[(frame["total"] > 0) & (frame["events"] >= 0) & (frame["events"] <= frame["total"])]
    frame = frame[~frame["flag"].apply(lambda value: not POOL_EXCLUDED_FLAGS.isdisjoint(split_flags(value)))]
    frame["measure"] = frame.apply(_measure_key, axis=1) if len(frame) else pd.Series(dtype=object)
    return frame


Record = Mapping[str, Any]


def _missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _number(value: object) -> float | None:
    return None if _missing(value) else float(value)  # type: ignore[arg-type]


def _is_plain(first: Record) -> bool:
    definition = first.get("definition_text")
    worded = isinstance(definition, str) and _COMPOSITE.search(definition)
    return NON_PLAIN_FLAGS.isdisjoint(split_flags(first.get("flag"))) and not worded


def _analysis_rank(first: Record, field: str) -> int:
    value = first.get(f"analysis_{field}")
    return _ANALYSIS_RANK.get((field, value), _UNNAMED_RANK[field]) if isinstance(value, str) else _UNNAMED_RANK[field]


def _total(rows: list[Record]) -> float:
    return float(sum(r["total"] for r in rows))


def _reading_rank(reading: list[Record]) -> tuple:
    """Which of a trial's readings a pool takes (README, "One reading per trial"): registry before
    abstract, a plain definition, the latest timepoint of the window, the full set before a subset, a
    primary measure before a secondary one, the intended population (ITT, full analysis set) before
    per-protocol or completers, imputed or LOCF data before observed cases, more participants, higher
    confidence, and the measure's path last so the choice is stable."""
    first = reading[0]
    timepoint = _number(first.get("timepoint_days"))
    return (
        0 if first.get("source") == "registry" else 1,
        0 if _is_plain(first) else 1,
        -(timepoint if timepoint is not None else -1e9),
        0 if _missing(first.get("analysis_subset")) else 1,
        _MEASURE_TYPE_RANK.get(str(first.get("measure_type")), 4),
        _analysis_rank(first, "population"),
        _analysis_rank(first, "method"),
        -_total([r for r in reading if r.get("arm_role") == "active"]),
        _CONFIDENCE_RANK.get(str(first.get("confidence")), 3),
        str(first.get("measure")),
    )


def _reading_label(reading: list[Record]) -> str:
    first = reading[0]
    parts = [str(first.get(c)) for c in ("source", "measure_type", "analysis_population", "analysis_method")
             if isinstance(first.get(c), str)]
    day = first.get("timepoint_days")
    parts += [f"day {day:g}"] if not _missing(day) else []
    parts += [str(first["analysis_subset"])] if isinstance(first.get("analysis_subset"), str) else []
    return ", ".join(parts) + f" (n={int(_total(reading))})"


def _choice(study_key: str, best: list[Record], others: list[list[Record]]) -> str:
    passed = f" over {len(others)} other reading(s): {'; '.join(map(_reading_label, others))}" if others else ""
    return f"{study_key}: {_reading_label(best)}{passed}"


def _dedupe_arms(rows: list[Record]) -> list[Record]:
    """One row per arm (its group id, else its label, else the row itself), the first seen."""
    seen: set[object] = set()
    kept = []
    for row in rows:
        arm = next((row[c] for c in ("group_id", "arm_label", "outcome_id") if not _missing(row.get(c))), None)
        if arm not in seen:
            seen.add(arm)
            kept.append(row)
    return kept


@dataclass(frozen=True)
class TrialRow:
    """The one contribution of a trial to a pool (arms of the chosen reading summed)."""

    study_key: str
    events: int
    total: int
    control_events: int | None
    control_total: int | None
    outcome_ids: tuple[str, ...]
    timepoint_days: float | None
    passed_over_ids: tuple[str, ...] = ()  # active rows of the trial's other readings
    choice: str = ""  # the chosen reading, and how many were passed over


ReadingKey = tuple[object, ...]
ControlIndex = dict[tuple[object, ...], list[Record]]


def _reading_key(row: Record) -> ReadingKey:
    return tuple(None if _missing(row.get(k)) else row.get(k) for k in READING_KEYS)


def _sort_key(key: ReadingKey) -> tuple:
    """The order pandas' groupby(sort=True, dropna=False) gives reading keys: values ascending, missing last."""
    return tuple((value is None, value if value is not None else 0) for value in key)


def control_index(pool: pd.DataFrame) -> ControlIndex:
    """Control rows by (trial, outcome kind, reading key), in pool order: each reading's controls in one lookup."""
    index: ControlIndex = defaultdict(list)
    controls = pool[pool["arm_role"] == "control"] if not pool.empty else pool
    for row in controls.to_dict("records"):
        index[(row["study_key"], row["outcome_kind"], *_reading_key(row))].append(row)
    return index


def _readings_by_trial(active: pd.DataFrame) -> dict[object, list[list[Record]]]:
    grouped: dict[object, dict[ReadingKey, list[Record]]] = defaultdict(dict)
    for row in active.to_dict("records"):
        if not _missing(row.get("study_key")):  # as pandas' groupby drops a missing key
            grouped[row["study_key"]].setdefault(_reading_key(row), []).append(row)
    return {study: [readings[k] for k in sorted(readings, key=_sort_key)] for study, readings in grouped.items()}


def select_trials(active: pd.DataFrame, pool: pd.DataFrame, controls: ControlIndex | None = None) -> list[TrialRow]:
    """One TrialRow per study_key among `active` rows; controls are looked up in `pool` (or its
    `control_index`, built once when many groups share one pool)."""
    index = control_index(pool) if controls is None else controls
    chosen: list[TrialRow] = []
    by_trial = _readings_by_trial(active)
    for study_key in sorted(by_trial, key=str):
        best, *others = sorted(by_trial[study_key], key=_reading_rank)
        arms = _dedupe_arms(best)
        found = _dedupe_arms(index.get((study_key, best[0]["outcome_kind"], *_reading_key(best[0])), []))
        chosen.append(TrialRow(
            str(study_key), int(sum(r["events"] for r in arms)), int(sum(r["total"] for r in arms)),
            int(sum(r["events"] for r in found)) if found else None,
            int(sum(r["total"] for r in found)) if found else None,
            tuple(str(r["outcome_id"]) for r in arms) + tuple(str(r["outcome_id"]) for r in found),
            _number(best[0].get("timepoint_days")),
            tuple(str(r["outcome_id"]) for o in others for r in o),
            _choice(str(study_key), best, others),
        ))
    return chosen


@dataclass(frozen=True)
class ScopeEvidence:
    trials: list[TrialRow]
    proportion: PoolResult
    ratios: dict[str, PoolResult]
    proportion_reml: PoolResult | None = None


def pool_trials(trials: list[TrialRow]) -> ScopeEvidence:
    """Pooled proportion (DL and REML) and RR/OR (DL, PM, REML, each with and without Hartung-Knapp)."""
    events, totals = [t.events for t in trials], [t.total for t in trials]
    proportion = pool_proportions(events, totals, "dl")
    controlled = [t for t in trials if t.control_total]
    # select_trials sets control_events whenever it sets control_total
    args = ([t.events for t in controlled], [t.total for t in controlled],
            [t.control_events or 0 for t in controlled], [t.control_total or 0 for t in controlled])
    ratios = {
        f"{measure}_{method}{'_hk' if hk else ''}": pool_ratio(*args, measure=measure, method=method,
                                                              hartung_knapp=hk)
        for measure in ("RR", "OR") for method in METHODS for hk in (False, True)
    }
    return ScopeEvidence(trials, proportion, ratios, pool_proportions(events, totals, "reml"))


RATIO_COLUMNS = (
    "status", "k", "dl", "dl_ci_lower", "dl_ci_upper", "dl_hk_ci_lower", "dl_hk_ci_upper",
    "pm", "pm_ci_lower", "pm_ci_upper", "pm_hk_ci_lower", "pm_hk_ci_upper",
    "reml", "reml_ci_lower", "reml_ci_upper", "reml_hk_ci_lower", "reml_hk_ci_upper",
    "pi_lower", "pi_upper", "tau2_dl", "tau2_pm", "tau2_reml",
    "pm_pi_lower", "pm_pi_upper", "reml_pi_lower", "reml_pi_upper", "i2", "dropped",
)
SUMMARY_COLUMNS = (
    *GROUP_KEYS, "status", "k_trials", "n_participants", "n_active", "events_active",
    "prop_estimate", "prop_ci_lower", "prop_ci_upper", "prop_pi_lower", "prop_pi_upper",
    "prop_tau2", "prop_i2",
    "prop_reml", "prop_reml_ci_lower", "prop_reml_ci_upper", "prop_reml_pi_lower", "prop_reml_pi_upper",
    "prop_tau2_reml",
    *[f"{m}_{c}" for m in ("rr", "or") for c in RATIO_COLUMNS],
    "study_keys", "outcome_ids", "passed_over_ids", "reading_choices",
)


def _method_columns(prefix: str, method: str, plain: PoolResult, hk: PoolResult) -> dict[str, object]:
    pi = "pi" if method == "dl" else f"{method}_pi"  # rr_pi_* (DL) predates the other methods
    return {
        f"{prefix}_{method}": plain.estimate, f"{prefix}_{method}_ci_lower": plain.ci_lower,
        f"{prefix}_{method}_ci_upper": plain.ci_upper, f"{prefix}_{method}_hk_ci_lower": hk.ci_lower,
        f"{prefix}_{method}_hk_ci_upper": hk.ci_upper, f"{prefix}_{pi}_lower": plain.pi_lower,
        f"{prefix}_{pi}_upper": plain.pi_upper, f"{prefix}_tau2_{method}": plain.tau2,
    }


def _ratio_columns(prefix: str, ev: ScopeEvidence) -> dict[str, object]:
    m = prefix.upper()
    dl = ev.ratios[f"{m}_dl"]
    columns: dict[str, object] = {f"{prefix}_status": dl.status, f"{prefix}_k": dl.k, f"{prefix}_i2": dl.i2,
                                  f"{prefix}_dropped": dl.dropped}
    for method in METHODS:
        columns |= _method_columns(prefix, method, ev.ratios[f"{m}_{method}"], ev.ratios[f"{m}_{method}_hk"])
    return columns


def _reml_proportion_columns(reml: PoolResult | None) -> dict[str, object]:
    names = ("prop_reml", "prop_reml_ci_lower", "prop_reml_ci_upper", "prop_reml_pi_lower", "prop_reml_pi_upper",
             "prop_tau2_reml")
    if reml is None:
        return dict.fromkeys(names)
    values = (reml.estimate, reml.ci_lower, reml.ci_upper, reml.pi_lower, reml.pi_upper, reml.tau2)
    return dict(zip(names, values, strict=True))


def _summary_row(keys: dict[str, object], ev: ScopeEvidence) -> dict[str, object]:
    p = ev.proportion
    n_control = sum(t.control_total or 0 for t in ev.trials)
    n_active = sum(t.total for t in ev.trials)
    return {
        **keys, "status": p.status, "k_trials": len(ev.trials),
        "n_participants": n_active + n_control, "n_active": n_active,
        "events_active": sum(t.events for t in ev.trials),
        "prop_estimate": p.estimate, "prop_ci_lower": p.ci_lower, "prop_ci_upper": p.ci_upper,
        "prop_pi_lower": p.pi_lower, "prop_pi_upper": p.pi_upper, "prop_tau2": p.tau2,
        "prop_i2": p.i2, **_reml_proportion_columns(ev.proportion_reml),
        **_ratio_columns("rr", ev), **_ratio_columns("or", ev),
        "study_keys": [t.study_key for t in ev.trials],
        "outcome_ids": [i for t in ev.trials for i in t.outcome_ids],
        "passed_over_ids": [i for t in ev.trials for i in t.passed_over_ids],
        "reading_choices": [t.choice for t in ev.trials],
    }


def evidence_summary(outcomes: pd.DataFrame) -> pd.DataFrame:
    """Rows of marts.evidence_summary: one per group with at least one usable active arm."""
    pool = usable_rows(outcomes)
    active = pool[pool["arm_role"] == "active"] if not pool.empty else pool
    rows = []
    if not active.empty:
        controls = control_index(pool)
        for values, group in active.groupby(list(GROUP_KEYS), dropna=False, sort=True):
            keys = {k: (None if pd.isna(v) else v) for k, v in zip(GROUP_KEYS, values, strict=True)}
            rows.append(_summary_row(keys, pool_trials(select_trials(group, pool, controls))))
    return pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))
