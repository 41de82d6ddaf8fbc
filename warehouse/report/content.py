"""Report content as plain strings and tables, shared by the HTML and Markdown renderers.

Numbers are formatted here, never computed: each comes from a warehouse column.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import pandas as pd

from ketamine_evidence.warehouse.history import SEARCH_QUERY, Changes
from ketamine_evidence.warehouse.report.queries import ReportData, RunInfo, SearchDate
from ketamine_evidence.warehouse.report.sensitivity import RULE, Contrast, Part, Sensitivity

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
    "sensitivity": "No group has two or more poolable definitions or timepoints.",
}
# PRISMA-LSR (Akl et al., BMJ 2024;387:e079183): items added to PRISMA 2020 for living reviews.
LSR_ITEMS = {
    "L1": "living mode parameters",
    "L2": "changes to the methods since the preceding version",
    "L3": "changes to the results since the preceding version",
}
# The refresh's planned schedule: the weekly-refresh deployment of prefect.yaml (a test keeps them equal).
PLANNED_SCHEDULE = "weekly, Mondays 06:00 Europe/London (deployment weekly-refresh in prefect.yaml)"
MODE_TRIGGERS = {
    "live": "a live search of the sources",
    "snapshot": "a replay of a recorded snapshot",
    "offline": "a rebuild from the bundled offline sample",
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
    key = row.get("nct_id") if not blank(row.get("nct_id")) else row.get("study_key")
    trial = text(key) + (f" {row['acronym']}" if not blank(row.get("acronym")) else "")
    comparators = text(row.get("comparators")).replace("_", " ")
    return [trial, text(row.get("title")), drug, comparators, text(row.get("population")),
            text(row.get("phase")).replace("PHASE", "").replace("NA", "n/a") or "–", _lower(row.get("design")),
            _enrolled(row), _lower(row.get("status")), text(row.get("main_pmid")) or "–",
            "yes" if row.get("has_results") is True else "no"]


def studies_table(studies: pd.DataFrame) -> Table:
    return Table(STUDY_HEADERS, [study_row(r) for _, r in studies.iterrows()])


def _version_name(number: int | None, run_id: str | None) -> str:
    return f"version {number} (run {run_id})" if number else f"run {run_id}"


def change_lines(changes: Changes) -> list[str]:
    """PRISMA-LSR item L3, changes to the results: new studies, newly posted results, changed pooled
    estimates and changed verdicts since the preceding version."""
    if changes.latest_run is None:
        return ["No successful refresh is recorded in this warehouse."]
    if changes.first_run:
        return [f"First run ({changes.latest_run}): there is no previous refresh to compare with."]
    lines = [f"Compared {_version_name(changes.latest_version, changes.latest_run)} with the preceding "
             f"{_version_name(changes.previous_version, changes.previous_run)}."]
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


def method_lines(changes: Changes) -> list[str]:
    """PRISMA-LSR item L2, changes to the methods: settings and searches that differ from the preceding
    version (tool version, mode, query per source)."""
    if changes.latest_run is None or changes.first_run:
        return ["No preceding version to compare the methods with."]
    if not changes.method_changes:
        return ["Methods unchanged: the same tool version, mode and search queries as the preceding version."]
    return [f"{_setting_name(c.item)}: {c.old or '(not recorded)'} → {c.new or '(not recorded)'}."
            for c in changes.method_changes]


def _setting_name(item: str) -> str:
    if item.startswith(SEARCH_QUERY):
        source = item.removeprefix(SEARCH_QUERY)
        return f"Search query of {SOURCE_NAMES.get(source, source)}"
    return item.capitalize()


def _when(run: RunInfo) -> str:
    moment = run.finished_at or run.started_at
    return f"{moment:%Y-%m-%d %H:%M} UTC" if moment else "date not recorded"


def trigger_text(data: ReportData) -> str:
    version = data.version
    if version is None:
        return "not recorded"
    how = MODE_TRIGGERS.get(version.run.mode, f"a {version.run.mode} run")
    who = f"{version.trigger} run" if version.trigger else "scheduled or manual not recorded"
    return f"{how} ({version.run.mode} mode; {who})"


def search_line(search: SearchDate) -> str:
    when = f"{search.searched_at:%Y-%m-%d}" if search.searched_at else "date not recorded"
    window = ""
    if search.window_start or search.window_end:
        window = f", records updated {search.window_start or '…'} to {search.window_end or 'now'}"
    hits = "" if search.hits is None else f", {search.hits} hits"
    return (f"{SOURCE_NAMES.get(search.source, search.source)}: searched {when} (run {search.run_id}{hits}"
            f"{window}): {search.query or 'query not recorded'}")


def version_lines(data: ReportData) -> list[str]:
    """The report as a version of the living review: its number and run, the version it updates, what
    triggered it, and the date each source was last searched (PRISMA 2020 item 6)."""
    version = data.version
    if version is None:
        return ["No successful refresh is recorded: this report is no version of the review."]
    lines = [f"This version: {_version_name(version.number, version.run.run_id)}, {_when(version.run)}."]
    if version.previous is None:
        lines.append("Updates: nothing (the first version of the review).")
    else:
        lines.append(f"Updates: {_version_name(version.previous_number, version.previous.run_id)}, "
                     f"{_when(version.previous)}.")
    lines.append(f"Triggered by: {trigger_text(data)}.")
    lines += [f"Search: {search_line(s)}." for s in data.searches] or ["Search dates: no search is logged."]
    return lines


def living_mode_lines() -> list[str]:
    """PRISMA-LSR item L1, living mode parameters."""
    return [
        f"Planned search schedule, every source: {PLANNED_SCHEDULE}; live runs search records updated since the "
        "last successful live run.",
        "Remaining steps (screening, data extraction, pooling, verdicts, this report) run in the same refresh, "
        "on the same schedule.",
        "Retirement from the living mode: no plan is recorded.",
    ]


def _part_cells(part: Part) -> list[str]:
    return [part.label, str(part.k), str(part.n),
            f"{pct(part.estimate)} ({pct(part.ci_lower)}–{pct(part.ci_upper)})", ", ".join(part.study_keys)]


def _contrast_text(contrast: Contrast, part: Part) -> str:
    other = contrast.second if contrast.first == part else contrast.first
    mark = ", outside CI" if contrast.outside_ci else ""
    return f"{other.label} ({100 * contrast.gap:.1f} points{mark})"


def sensitivity_table(groups: list[Sensitivity]) -> Table:
    """Only the splits whose parts differ: each part, and the parts it differs from."""
    rows = []
    for group in groups:
        if not group.differs:
            continue
        for part in group.parts:
            against = [_contrast_text(c, part) for c in group.contrasts if part in (c.first, c.second)]
            rows.append([group.label, group.dimension, *_part_cells(part), "; ".join(against) or "–"])
        rows.append([group.label, group.dimension, *_part_cells(group.overall), "(the pooled estimate)"])
    return Table(["group", "by", "definition or timepoint", "k", "n (active)", "pooled proportion (95% CI)",
                  "trials", "differs from"], rows)


def sensitivity_lines(data: ReportData) -> list[str]:
    splits = data.sensitivity
    differing = [s for s in splits if s.differs]
    lines = [f"Each pooled group split by definition and by timepoint, each part pooled as the group is; {RULE}."]
    if not splits:
        return [*lines, data.missing.get("sensitivity") or EMPTY["sensitivity"]]
    if not differing:
        return [*lines, f"Nothing differs: in the {len(splits)} splits compared, no two parts differ by this rule."]
    rest = "" if len(differing) == len(splits) else "; the others do not"
    return [*lines, f"{len(differing)} of {len(splits)} splits differ (below){rest}."]


def changes_title(data: ReportData) -> str:
    previous = data.changes.previous_version
    since = f"version {previous}" if previous else "the preceding version"
    return f"Living review: parameters and changes since {since} (PRISMA-LSR items L1–L3)"


def living_sections(data: ReportData) -> list[tuple[str, list[str]]]:
    """(PRISMA-LSR item heading, lines) for items L1, L2 and L3."""
    bodies = (living_mode_lines(), method_lines(data.changes), change_lines(data.changes))
    return [(f"{item} {name.capitalize()}", body) for (item, name), body in zip(LSR_ITEMS.items(), bodies, strict=True)]


def prisma_caption(data: ReportData) -> str:
    from ketamine_evidence.warehouse.report.prisma_diagram import caption, flow_counts

    counts = flow_counts(data)
    return caption(counts) if counts else ""


def claims_source(data: ReportData) -> str | None:
    if not data.claims_path:
        return None
    return f"Claims from {data.claims_path}, judged now against this warehouse's evidence (as `claims --claims`)."


def data_as_of(data: ReportData) -> str:
    run = data.run
    if run is None:
        return "no successful refresh is recorded in this warehouse"
    finished = f", finished {run.finished_at:%Y-%m-%d %H:%M} UTC" if run.finished_at else ""
    return f"run {run.run_id} ({run.mode} mode{finished})"


def empty_note(data: ReportData, section: str) -> str:
    return data.missing.get(section) or EMPTY[section]
