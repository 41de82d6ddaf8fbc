"""Report content as plain strings and tables, shared by the HTML and Markdown renderers.

Numbers are formatted here, never computed: each comes from a warehouse column.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import pandas as pd

from ketamine_evidence.warehouse.history import Changes
from ketamine_evidence.warehouse.report.queries import ReportData

VERDICT_ORDER = (
    "consistent", "overstated", "understated", "misattributed", "contradicted", "unsupported", "not_checkable",
)
PRISMA_STEPS = {
    "searched_hits": "Hits reported by the latest run's searches",
    "identified": "Records identified (distinct, all runs)",
    "removed_before_screening": "Records removed before screening",
    "screened": "Records screened",
    "excluded": "Records excluded",
    "included_reports": "Reports included",
    "included_studies": "Studies included",
    "studies_without_registry_record": "Included studies without a registry record",
}
SOURCE_NAMES = {"ctgov": "ClinicalTrials.gov", "pubmed": "PubMed", "citation": "citation searching",
                "all": "all sources"}
EMPTY = {
    "claims": "No claims are in the warehouse.",
    "summary": "No pooled estimates: marts.evidence_summary is empty (no usable response, remission or "
               "relapse rows in core.outcome).",
    "forest": "No forest plots: there are no pooled groups with trial rows.",
    "prisma": "marts.prisma_flow is empty.",
    "studies": "No included studies: marts.study_characteristics is empty.",
}


@dataclass(frozen=True)
class Table:
    columns: list[str]
    rows: list[list[str]]


def blank(value: object) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def num(value: object, digits: int = 1) -> str:
    return "–" if blank(value) else f"{float(value):.{digits}f}"  # type: ignore[arg-type]  # a number or NULL


def pct(value: object) -> str:
    return "–" if blank(value) else f"{100 * float(value):.1f}%"  # type: ignore[arg-type]  # a number or NULL


def text(value: object) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    if hasattr(value, "tolist") and not isinstance(value, str):
        return text(value.tolist())
    return "" if blank(value) else str(value)


def unit_suffix(unit: object) -> str:
    return "%" if unit == "percent" else f" {unit}"


def claimed_figure(row: pd.Series) -> str:
    lo, hi = row.get("figure_lo"), row.get("figure_hi")
    if blank(lo):
        return "–"
    core = f"{float(lo):g}" if blank(hi) or lo == hi else f"{float(lo):g}–{float(hi):g}"
    return core + unit_suffix(row.get("unit")).replace("_", " ")


def claim_scope(row: pd.Series) -> str:
    if not blank(row.get("scope")):
        return str(row["scope"])
    parts = [f"{k} {row.get(f'scope_{k}')}" for k in ("drug", "route", "population", "window", "comparator")
             if not blank(row.get(f"scope_{k}")) and row.get(f"scope_{k}") != "any"]
    return ", ".join(parts) or "any"


def verdict_of(row: pd.Series) -> str:
    if not blank(row.get("verdict")):
        return str(row["verdict"])
    return "not_checkable" if row.get("checkable") is False else "not yet checked"


def rationale_of(row: pd.Series) -> str:
    if not blank(row.get("rationale")):
        return str(row["rationale"])
    return f"Not checkable: {row['reason']}." if not blank(row.get("reason")) else ""


def pooled_evidence(row: pd.Series) -> str:
    if blank(row.get("pooled_estimate")):
        return ""
    unit = unit_suffix(row.get("unit"))
    return (f"Pooled {num(row['pooled_estimate'])}{unit} (95% CI {num(row.get('pooled_ci_lower'))}–"
            f"{num(row.get('pooled_ci_upper'))}), k={text(row.get('pooled_k'))}, "
            f"n={text(row.get('pooled_n'))} [{text(row.get('pooled_status'))}]: "
            f"{text(row.get('pooled_study_keys'))}")


def trial_evidence(row: pd.Series) -> str:
    if blank(row.get("trial_study_key")):
        return ""
    figure = "" if blank(row.get("trial_figure")) else f"{num(row['trial_figure'])}{unit_suffix(row.get('unit'))} in "
    pmid = f", PMID {row['trial_pmid']}" if not blank(row.get("trial_pmid")) else ""
    return f"{figure}{row['trial_study_key']} ({text(row.get('trial_source'))}{pmid}; {checked_mark(row)})"


def checked_mark(row: pd.Series) -> str:
    """Whether a person checked the figure: `checked by NAME`, else `machine-extracted`."""
    who = row.get("trial_checked_by")
    return f"checked by {who}" if not blank(who) else "machine-extracted"


def review_lines(data: ReportData) -> list[str]:
    """Rows by review status, then every open conflict and orphaned decision."""
    counts = ", ".join(f"{r['review_status']} {r['n']}" for _, r in data.review_counts.iterrows())
    basis = "checked rows only (--verified-only)" if data.verified_only else "every row not rejected or held"
    lines = [f"Pools and verdicts use {basis}. Figures by review status: {counts or 'none'}."]
    for _, r in data.review.iterrows():
        lines.append(f"{str(r['state']).capitalize()}: {r['decision']} by {r['reviewer']} on {r['record_id']} "
                     f"{r['outcome_kind']} {text(r.get('arm_label')) or '(no arm)'} ({text(r.get('evidence'))}): "
                     f"{text(r.get('detail'))}")
    if data.review.empty:
        lines.append("No open conflicts and no orphaned decisions.")
    return lines


def verdict_counts(claims: pd.DataFrame) -> list[tuple[str, int]]:
    if claims.empty:
        return []
    counts = Counter(verdict_of(row) for _, row in claims.iterrows())
    known = [(v, counts[v]) for v in VERDICT_ORDER if counts[v]]
    return known + sorted((v, n) for v, n in counts.items() if v not in VERDICT_ORDER)


def claims_table(claims: pd.DataFrame) -> Table:
    rows = [
        [str(r["claim_id"]), text(r.get("text")), claimed_figure(r), claim_scope(r), verdict_of(r),
         rationale_of(r), "; ".join(x for x in (pooled_evidence(r), trial_evidence(r)) if x),
         text(r.get("trial_locator")), text(r.get("trial_span_text"))]
        for _, r in claims.iterrows()
    ]
    return Table(["id", "claim", "claimed", "scope", "verdict", "rationale", "evidence", "source location",
                  "source text"], rows)


def summary_table(summary: pd.DataFrame) -> Table:
    rows = []
    for _, r in summary.iterrows():
        prop = f"{pct(r['prop_estimate'])} ({pct(r['prop_ci_lower'])}–{pct(r['prop_ci_upper'])})"
        pi = "–" if blank(r.get("prop_pi_lower")) else f"{pct(r['prop_pi_lower'])}–{pct(r['prop_pi_upper'])}"
        rr = "–" if blank(r.get("rr_dl")) else (
            f"{num(r['rr_dl'], 2)} ({num(r['rr_dl_ci_lower'], 2)}–{num(r['rr_dl_ci_upper'], 2)})")
        rows.append([text(r["drug"]), text(r["route"]) or "–", text(r["population"]), text(r["outcome_kind"]),
                     text(r["time_window"]) or "–", text(r["comparator_type"]), text(r["k_trials"]),
                     text(r["n_participants"]), prop, pi, num(r.get("prop_i2"), 0), rr, text(r.get("rr_k")),
                     text(r.get("status")), f"{text(r.get('n_rows_checked'))}/{text(r.get('n_rows'))}"])
    return Table(["drug", "route", "population", "outcome", "window", "comparator", "k", "n",
                  "pooled proportion (95% CI)", "prediction interval", "I² %", "RR DL (95% CI)", "RR k",
                  "status", "rows checked"], rows)


def prisma_table(prisma: pd.DataFrame) -> Table:
    rows = [[PRISMA_STEPS.get(r["step"], str(r["step"])), SOURCE_NAMES.get(r["source"], text(r["source"])),
             text(r.get("reason")).replace("_", " "), text(r["n"])] for _, r in prisma.iterrows()]
    return Table(["step", "source", "reason", "n"], rows)


def prisma_count(prisma: pd.DataFrame, step: str) -> list[tuple[str, str, int]]:
    """(source, reason, n) of one PRISMA step."""
    if prisma.empty:
        return []
    part = prisma[prisma["step"] == step]
    return [(SOURCE_NAMES.get(r["source"], text(r["source"])), text(r.get("reason")).replace("_", " "), int(r["n"]))
            for _, r in part.iterrows()]


STUDY_HEADERS = ["trial", "title", "drug (route)", "comparators", "population", "phase", "design", "enrolled",
                 "status", "main PMID", "results posted"]


def _lower(value: object) -> str:
    return text(value).lower().replace("_", " ")


def _enrolled(row: pd.Series) -> str:
    value = row.get("enrollment")
    if blank(value):
        return "–"
    return f"{int(value)}" + (" (estimated)" if row.get("enrollment_type") == "ESTIMATED" else "")


def study_row(row: pd.Series) -> list[str]:
    routes = text(row.get("routes"))
    drug = text(row.get("drugs")) + (f" ({routes})" if routes else "")
    trial = text(row.get("nct_id")) + (f" {row['acronym']}" if not blank(row.get("acronym")) else "")
    comparators = text(row.get("comparators")).replace("_", " ")
    return [trial, text(row.get("title")), drug, comparators, text(row.get("population")),
            text(row.get("phase")).replace("PHASE", "").replace("NA", "n/a") or "–", _lower(row.get("design")),
            _enrolled(row), _lower(row.get("status")), text(row.get("main_pmid")) or "–",
            "yes" if row.get("has_results") is True else "no"]


def studies_table(studies: pd.DataFrame) -> Table:
    return Table(STUDY_HEADERS, [study_row(r) for _, r in studies.iterrows()])


def change_lines(changes: Changes) -> list[str]:
    if changes.latest_run is None:
        return ["No successful refresh is recorded in this warehouse."]
    if changes.first_run:
        return [f"First run ({changes.latest_run}): there is no previous refresh to compare with."]
    lines = [f"Compared run {changes.latest_run} with the previous successful run {changes.previous_run}."]
    lines.append("New trials: " + (", ".join(changes.new_trials) or "none") + ".")
    posted = [f"{p.nct_id} (first posted {p.latest_date or 'date not given'}"
              + (f", was {p.previous_date})" if p.previous_date else ")") for p in changes.new_results]
    lines.append("Newly posted results: " + (", ".join(posted) or "none") + ".")
    if not changes.history_compared:
        lines.append("Pooled estimates and verdicts: not compared (a run has no recorded marts history).")
        return lines
    moved = [f"{c.label}: {c.measure} {num(c.old, 4)} → {num(c.new, 4)}" for c in changes.estimate_changes]
    lines.append("Changed pooled estimates: " + ("; ".join(moved) or "none") + ".")
    verdicts = [f"{c.claim_id} {c.old or '(absent)'} → {c.new or '(absent)'}" for c in changes.verdict_changes]
    lines.append("Changed verdicts: " + ("; ".join(verdicts) or "none") + ".")
    return lines


def data_as_of(data: ReportData) -> str:
    run = data.run
    if run is None:
        return "no successful refresh is recorded in this warehouse"
    finished = f", finished {run.finished_at:%Y-%m-%d %H:%M} UTC" if run.finished_at else ""
    return f"run {run.run_id} ({run.mode} mode{finished})"


def empty_note(data: ReportData, section: str) -> str:
    return data.missing.get(section) or EMPTY[section]
