"""Forest plots (matplotlib object API on the Agg canvas): one PNG per outcome kind x time window.

Rows are the trials of each marts.evidence_summary group (their arm rows in core.outcome, summed
as the pooling summed them) with a 95% CI, then the group's pooled diamond from the mart. Trial
intervals are computed here from the warehouse counts: Wilson score intervals for proportions, and
for risk ratios the project's own single-study estimator (transform.meta.pool_ratio: log RR, Wald,
0.5 added to the cells of a zero-cell trial).

Each plot also carries its drawn rows as data (`Plot.table`, written as forest-<name>.csv beside the
PNG). A trial's weight is its share (percent) of the group's DerSimonian-Laird random-effects
weights, 1 / (v_i + tau2), with v_i the variance the pooling used (logit proportion, or log RR) and
tau2 the group's DL estimate from the mart (0 when truncated). A zero-event trial keeps its
0.5-corrected variance, as in the pool; trials a risk-ratio pool leaves out (no events in either arm)
have no weight.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Polygon
from matplotlib.ticker import FixedLocator, FormatStrFormatter, NullFormatter, PercentFormatter
from matplotlib.transforms import blended_transform_factory
from statsmodels.stats.proportion import proportion_confint

from ketamine_evidence.transform.meta import PoolResult, logit_effects, pool_ratio
from ketamine_evidence.warehouse.report.queries import KIND_ORDER, WINDOW_ORDER

ROW_INCH = 0.30
LABEL_CHARS = 58
TRIAL_COLOR = "#1f4e79"
POOL_COLOR = "#c0504d"
LOG_TICKS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100)


TABLE_COLUMNS = ("row_kind", "group", "label", "estimate", "ci_low", "ci_high", "weight_pct", "events", "total",
                 "control_events", "control_total", "study_key", "nct_id", "pmid", "outcome_ids")
COUNT_COLUMNS = ("events", "total", "control_events", "control_total")


@dataclass(frozen=True)
class Counts:
    """The numbers behind a drawn row and where they come from (core.outcome_curated)."""

    events: int | None = None
    total: int | None = None
    control_events: int | None = None
    control_total: int | None = None
    study_key: str | None = None
    nct_id: str | None = None
    pmid: str | None = None
    outcome_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Row:
    label: str
    estimate: float | None
    lower: float | None
    upper: float | None
    right: str
    kind: str  # header, trial, pooled, note
    group: str = ""
    weight_pct: float | None = None
    counts: Counts = Counts()

    def record(self) -> dict[str, object]:
        """The row as a forest CSV line (outcome ids space-separated)."""
        c = self.counts
        return {"row_kind": self.kind, "group": self.group, "label": self.label, "estimate": self.estimate,
                "ci_low": self.lower, "ci_high": self.upper, "weight_pct": self.weight_pct, "events": c.events,
                "total": c.total, "control_events": c.control_events, "control_total": c.control_total,
                "study_key": c.study_key, "nct_id": c.nct_id, "pmid": c.pmid,
                "outcome_ids": " ".join(c.outcome_ids) or None}


@dataclass(frozen=True)
class Plot:
    filename: str
    title: str
    caption: str
    png: bytes
    rows: tuple[Row, ...] = field(default=(), repr=False)

    @property
    def csv_filename(self) -> str:
        return self.filename.removesuffix(".png") + ".csv"

    def table(self) -> pd.DataFrame:
        """One line per drawn row, columns TABLE_COLUMNS."""
        frame = pd.DataFrame([r.record() for r in self.rows], columns=list(TABLE_COLUMNS))
        return frame.astype(dict.fromkeys(COUNT_COLUMNS, "Int64"))


def window_label(window: object) -> str:
    return str(window).replace("_", " ") if window else "window not given"


def group_label(group: pd.Series) -> str:
    route = f" {group['route']}" if group.get("route") else ""
    population = str(group["population"]).upper() if group.get("population") else "population not given"
    return f"{group['drug']}{route} · {population} · vs {group['comparator_type'] or 'no control'}"


def _short(text: str) -> str:
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "…"


def trial_label(trial: pd.Series, group: pd.Series) -> str:
    name = trial["study_key"] + (f" {trial['acronym']}" if trial.get("acronym") else "")
    dose = f" {trial['dose']}" if trial.get("dose") else ""
    control = trial.get("control_drug") or "no control arm"
    return f"{name}: {group['drug']}{dose} vs {control}"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}"


def _optional_int(value: object) -> int | None:
    return None if value is None or pd.isna(value) else int(value)  # type: ignore[call-overload]


def _trial_counts(t: pd.Series, controlled: bool) -> Counts:
    """A trial row's counts and source ids (`outcome_ids` when the forest query gives them)."""
    ids = t.get("outcome_ids")
    return Counts(
        _optional_int(t["events"]), _optional_int(t["total"]),
        _optional_int(t.get("control_events")) if controlled else None,
        _optional_int(t.get("control_total")) if controlled else None,
        str(t["study_key"]), t.get("nct_id"), t.get("pmid"),
        tuple(str(i) for i in ids) if ids is not None and len(ids) else (),
    )


def weights(results: Sequence[PoolResult | None], tau2: float | None) -> list[float | None]:
    """Percent DL random-effects weights from each trial's own (single-study) result; None where the
    trial has no variance (left out of the pool)."""
    raw = [None if r is None or r.se is None else 1.0 / (r.se**2 + (tau2 or 0.0)) for r in results]
    total = sum(w for w in raw if w is not None)
    return [None if w is None or not total else 100.0 * w / total for w in raw]


def proportion_weights(events: Sequence[int], totals: Sequence[int], tau2: float | None) -> list[float | None]:
    """Percent DL random-effects weights with the variances the pool used (a zero-event trial keeps its
    0.5-corrected variance when another trial has events); none when no trial has events (no pool)."""
    if not any(events):
        return [None] * len(events)
    _, var = logit_effects(events, totals)
    raw = 1.0 / (var + (tau2 or 0.0))
    return [float(100.0 * w / raw.sum()) for w in raw]


def proportion_rows(group: pd.Series, trials: pd.DataFrame) -> list[Row]:
    name = group_label(group)
    rows = [Row(name, None, None, None, "", "header", name)]
    tau2 = group.get("prop_tau2")
    shares = proportion_weights([int(e) for e in trials["events"]], [int(n) for n in trials["total"]],
                                None if tau2 is None or pd.isna(tau2) else float(tau2))
    for (_, t), share in zip(trials.iterrows(), shares, strict=True):
        lo, hi = proportion_confint(t["events"], t["total"], method="wilson")
        p = t["events"] / t["total"]
        rows.append(Row(trial_label(t, group), p, lo, hi,
                        f"{t['events']}/{t['total']}  {_pct(p)}% [{_pct(lo)}, {_pct(hi)}]", "trial", name, share,
                        _trial_counts(t, controlled=False)))
    est = group.get("prop_estimate")
    pooled = Counts(_optional_int(group.get("events_active")), _optional_int(group.get("n_active")))
    if est is None:
        rows.append(Row(f"Pooled: {group['status']}", None, None, None, "no estimate", "note", name, None, pooled))
    else:
        label = "Pooled (DL random effects)" if group["status"] == "pooled" else "Single trial (logit CI)"
        rows.append(Row(f"{label}, k={group['k_trials']}", est, group["prop_ci_lower"], group["prop_ci_upper"],
                        f"{_pct(est)}% [{_pct(group['prop_ci_lower'])}, {_pct(group['prop_ci_upper'])}]",
                        "pooled", name, 100.0 if any(shares) else None, pooled))
    return rows


def _ratio(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def ratio_rows(group: pd.Series, trials: pd.DataFrame) -> list[Row]:
    name = group_label(group)
    rows = [Row(name, None, None, None, "", "header", name)]
    controlled = trials[trials["control_total"].notna()]
    results = [pool_ratio([t["events"]], [t["total"]], [t["control_events"]], [t["control_total"]], "RR")
               for _, t in controlled.iterrows()]
    shares = weights([r if r.estimate is not None else None for r in results], group.get("rr_tau2_dl"))
    for (_, t), res, share in zip(controlled.iterrows(), results, shares, strict=True):
        counts = f"{t['events']}/{t['total']} vs {t['control_events']}/{t['control_total']}"
        data = _trial_counts(t, controlled=True)
        if res.estimate is None:
            rows.append(Row(trial_label(t, group), None, None, None, f"{counts}  no events", "trial", name, None,
                            data))
            continue
        rows.append(Row(trial_label(t, group), res.estimate, res.ci_lower, res.ci_upper,
                        f"{counts}  {_ratio(res.estimate)} [{_ratio(res.ci_lower)}, {_ratio(res.ci_upper)}]",
                        "trial", name, share, data))
    est = group.get("rr_dl")
    label = "Pooled RR (DL random effects)" if group["rr_status"] == "pooled" else "Single trial RR"
    rows.append(Row(f"{label}, k={group['rr_k']}", est, group["rr_dl_ci_lower"], group["rr_dl_ci_upper"],
                    f"{_ratio(est)} [{_ratio(group['rr_dl_ci_lower'])}, {_ratio(group['rr_dl_ci_upper'])}]",
                    "pooled", name, 100.0 if any(shares) else None))
    return rows


def _diamond(ax: Axes, row: Row, y: float) -> None:
    assert row.lower is not None and row.estimate is not None and row.upper is not None  # checked by _draw_row
    points = [(row.lower, y), (row.estimate, y + 0.32), (row.upper, y), (row.estimate, y - 0.32)]
    ax.add_patch(Polygon(points, closed=True, color=POOL_COLOR))


def _draw_row(ax: Axes, row: Row, y: float) -> None:
    trans = blended_transform_factory(ax.figure.transFigure, ax.transData)
    weight = "bold" if row.kind in ("header", "pooled") else "normal"
    indent = 0.0 if row.kind == "header" else 0.012
    label = _short(row.label) if row.kind == "trial" else row.label
    ax.text(0.01 + indent, y, label, transform=trans, ha="left", va="center", fontsize=8.5,
            weight=weight, clip_on=False)
    ax.text(0.715, y, row.right, transform=trans, ha="left", va="center", fontsize=8.5, weight=weight,
            clip_on=False)
    if row.estimate is None or row.lower is None or row.upper is None:
        return
    if row.kind == "pooled":
        _diamond(ax, row, y)
    else:
        ax.plot([row.lower, row.upper], [y, y], color=TRIAL_COLOR, lw=1.4)
        ax.plot([row.estimate], [y], "s", color=TRIAL_COLOR, ms=5)


def render(rows: list[Row], title: str, xlabel: str, log: bool) -> bytes:
    height = max(1.6, ROW_INCH * len(rows) + 1.1)
    fig = Figure(figsize=(11, height), dpi=110)
    ax = fig.subplots()
    fig.subplots_adjust(left=0.42, right=0.70, top=1 - 0.45 / height, bottom=0.55 / height)
    for i, row in enumerate(rows):
        _draw_row(ax, row, len(rows) - i)
    ax.set_ylim(0.3, len(rows) + 0.7)
    ax.set_yticks([])
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    if log:
        _log_axis(ax, rows)
    else:
        ax.set_xlim(0, 1)
        ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel(xlabel, fontsize=9)
    fig.suptitle(title, x=0.01, y=1 - 0.12 / height, ha="left", va="top", fontsize=11, weight="bold")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def _log_axis(ax: Axes, rows: list[Row]) -> None:
    values = [v for r in rows for v in (r.lower, r.upper) if v is not None and v > 0]
    lo, hi = min([*values, 0.5]), max([*values, 2.0])
    ax.set_xscale("log")
    ax.set_xlim(lo / 1.2, hi * 1.2)
    ax.axvline(1.0, color="#888888", lw=0.8, ls="--")
    ax.xaxis.set_major_locator(FixedLocator([t for t in LOG_TICKS if lo / 1.2 <= t <= hi * 1.2]))
    ax.xaxis.set_major_formatter(FormatStrFormatter("%g"))
    ax.xaxis.set_minor_formatter(NullFormatter())


def _panels(summary: pd.DataFrame) -> Iterator[tuple[str, object, pd.DataFrame]]:
    if summary.empty:
        return
    kinds = [k for k in KIND_ORDER if k in set(summary["outcome_kind"])]
    kinds += sorted(set(summary["outcome_kind"].dropna()) - set(kinds))
    windows = [*WINDOW_ORDER, None]
    for kind in kinds:
        for window in windows:
            mask = (summary["outcome_kind"] == kind) & (
                summary["time_window"].isna() if window is None else summary["time_window"] == window)
            if mask.any():
                yield kind, window, summary[mask]


def _trials_of(trials: pd.DataFrame, group_no: int) -> pd.DataFrame:
    return trials[trials["group_no"] == group_no] if not trials.empty else trials


def forest_plots(summary: pd.DataFrame, trials: pd.DataFrame) -> list[Plot]:
    """Proportion forests for every kind x window with data, and RR forests where a group has k >= 1
    trials with a control arm."""
    plots = []
    for kind, window, groups in _panels(summary):
        stem = f"{kind}-{window or 'no-window'}"
        title = f"{kind.capitalize()}, {window_label(window)}"
        rows = [r for _, g in groups.iterrows() for r in proportion_rows(g, _trials_of(trials, g["group_no"]))]
        plots.append(Plot(f"forest-{stem}-proportion.png", f"{title}: proportion with the event (active arms)",
                          "Squares: trial proportion with 95% Wilson CI. Diamond: pooled proportion with 95% CI "
                          "(marts.evidence_summary).", render(rows, title, f"{kind} (active arms)", log=False),
                          tuple(rows)))
        ratio_groups = groups[groups["rr_k"].fillna(0) >= 1]
        if ratio_groups.empty:
            continue
        rows = [r for _, g in ratio_groups.iterrows() for r in ratio_rows(g, _trials_of(trials, g["group_no"]))]
        plots.append(Plot(f"forest-{stem}-rr.png", f"{title}: risk ratio, active vs control",
                          "Squares: trial risk ratio with 95% CI. Diamond: pooled DerSimonian-Laird RR with 95% CI "
                          "(marts.evidence_summary). Dashed line: no difference.",
                          render(rows, f"{title}: risk ratio", "risk ratio (log scale)", log=True), tuple(rows)))
    return plots
