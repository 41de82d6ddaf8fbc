"""Posted CT.gov API v2 outcome measures to core.outcome rows (registry source)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from ketamine_evidence.transform.drugs import KETAMINE_CLASS
from ketamine_evidence.transform.outcomes.arms import Arm, arm_from_group, comparator_for, find_mentions
from ketamine_evidence.transform.outcomes.classify import (
    Classification,
    category_kind,
    classify_measure,
    measure_shape,
    normalize_param,
    subset_of,
)
from ketamine_evidence.transform.outcomes.definitions import Definition, clean, parse_definition
from ketamine_evidence.transform.outcomes.numbers import Numbers, registry_numbers
from ketamine_evidence.transform.outcomes.rows import Row, add_flag, append_flag, new_row, outcome_id, parse_number
from ketamine_evidence.transform.outcomes.screening import classify_population
from ketamine_evidence.transform.outcomes.timepoints import Timepoint, find_times, normalize_timepoint
from ketamine_evidence.transform.tables import Pattern, first_match

BASE = "resultsSection.outcomeMeasuresModule.outcomeMeasures"
_NEGATIVE_CATEGORY = re.compile(
    r"\b(?:no|non|not|without|never|partial|did not|failed)\b|\bnon-?(?:respon|remi|relaps)", re.IGNORECASE
)
Record = Mapping[str, Any]


@dataclass(frozen=True)
class RegistryMeasure:
    """One posted outcome measure as rows of the long core tables (column names of core.*)."""

    measure: Record  # core.outcome_measure
    groups: tuple[Record, ...] = ()  # core.result_group
    denoms: tuple[Record, ...] = ()  # core.outcome_denom, by class_idx (NULL first), denom_idx
    measurements: tuple[Record, ...] = ()  # core.outcome_measurement, by class_idx, category_idx, measurement_idx
    analyses: tuple[Record, ...] = ()  # core.outcome_analysis, by analysis_idx


@dataclass(frozen=True)
class RegistryStudy:
    """What the registry normalizer reads of one study: core.study text, conditions, intervention names,
    participant flow (core.flow_milestone rows, in order) and the posted measures (by outcome_idx)."""

    nct_id: str
    brief_title: str | None = None
    official_title: str | None = None
    brief_summary: str | None = None
    conditions: tuple[str, ...] = ()
    intervention_names: tuple[str | None, ...] = ()
    flow: tuple[Record, ...] = ()
    measures: tuple[RegistryMeasure, ...] = ()


def registry_outcomes(study: RegistryStudy) -> list[Row]:
    """Rows for every response/remission/relapse/time-to-relapse measure posted by one study."""
    context = _StudyContext(study)
    rows: list[Row] = []
    for measure in study.measures:
        rows.extend(measure_rows(study.nct_id, measure, context))
    return rows


class _StudyContext:
    def __init__(self, study: RegistryStudy) -> None:
        self.population = _population(study)
        self.ketamine_study = _mentions_ketamine(study)


def measure_rows(nct: str | None, measure: RegistryMeasure, context: _StudyContext) -> list[Row]:
    head = measure.measure
    title, description = str(head.get("title") or ""), str(head.get("description") or "")
    unit, param = str(head.get("unit_of_measure") or ""), str(head.get("param_type") or "")
    found = classify_measure(title, description, unit, param)
    arms = {
        str(g.get("group_id")): arm_from_group(str(g.get("title") or ""), str(g.get("description") or ""))
        for g in measure.groups
    }
    if found.kind is None or not _is_ketamine_measure(arms, context):
        return []
    base = _base_row(nct, found, head, context)
    rows = list(_measurement_rows(measure, arms, found, base, measure_shape(param, unit)))
    if measure_shape(param, unit) == "time":
        _add_median_days(rows, measure, unit)
    _attach_analyses(rows, measure, arms, measure_shape(param, unit))
    return rows


_DAYS_PER_UNIT = {"hour": 1 / 24, "day": 1.0, "week": 7.0, "month": 30.4375, "year": 365.25}


def _add_median_days(rows: list[Row], measure: RegistryMeasure, unit: str) -> None:
    """Posted medians of a time-to-relapse measure, in days ("NA" = not reached stays NULL)."""
    found = re.search(r"hour|day|week|month|year", unit.lower())
    if found is None or normalize_param(str(measure.measure.get("param_type") or "")) != "MEDIAN":
        return
    per_unit = _DAYS_PER_UNIT[found.group(0)]
    values = [m.get("value_raw") for m in measure.measurements]
    for row, value in zip(rows, values, strict=False):
        number = parse_number(value)
        row["median_days"] = None if number is None else round(number * per_unit, 4)


def _is_ketamine_measure(arms: Mapping[str, Arm], context: _StudyContext) -> bool:
    if any(a.drug in KETAMINE_CLASS for a in arms.values()):
        return True
    return context.ketamine_study and not any(a.drug for a in arms.values())


def _base_row(nct: str | None, found: Classification, measure: Mapping[str, Any], context: _StudyContext) -> Row:
    title, description = clean(str(measure.get("title") or "")), clean(str(measure.get("description") or ""))
    definition, text = _definition(found.kind or "", title, description)
    return new_row(
        nct_id=nct, study_key=nct, source="registry", outcome_kind=found.kind,
        instrument=definition.instrument, threshold=definition.threshold, operator=definition.operator,
        threshold_unit=definition.threshold_unit, consecutive_visits=definition.consecutive_visits,
        definition_text=text, population=context.population, analysis_subset=_subset(measure, title, found.kind),
        confidence="high", rule=f"registry.{found.rule}", **analysis_reading(measure),
    )  # fmt: skip


def _subset(measure: Mapping[str, Any], title: str, kind: str | None) -> str | None:
    """The analysed subset named by the title, else by the population description (ESCAPE-LTE's relapse
    measure analyses "participants in remission")."""
    return subset_of(title, kind) or subset_of(clean(str(measure.get("population_description") or "")), kind)


def analysis_reading(measure: Mapping[str, Any]) -> dict[str, str | None]:
    """The measure's type, and the analysis population and missing-data method it names. The method is
    read from the title first ("(LOCF Data)"), the population from the population description first."""
    title, description, population = (str(measure.get(k) or "") for k in
                                      ("title", "description", "population_description"))
    method = _first_reading("method", (title, description, population))
    analysed = _first_reading("population", (population, title, description))
    kind = str(measure.get("outcome_type") or "").lower() or None
    return {"measure_type": kind, "analysis_population": analysed, "analysis_method": method}


def _first_reading(field: str, texts: Iterable[str]) -> str | None:
    return next((hit["value"] for t in texts if (hit := first_match("analysis_readings", t, field=field))), None)


def _definition(kind: str, title: str, description: str) -> tuple[Definition, str]:
    """Relapse definitions sit in the description; other kinds are defined by their title first."""
    sentences = [s for s in re.split(r"(?<=[.;])\s+", description) if s]
    keyword = {"response": "respon", "remission": "remi"}.get(kind, "relaps")
    defining = [s for s in sentences if keyword in s.lower() and re.search(r"defin|consider|if\b", s, re.I)]
    order = (*defining, title) if kind in ("relapse", "time_to_relapse") else (title, *defining)
    for text in order:
        parsed = parse_definition(text)
        if parsed.threshold is not None:
            instrument = parsed.instrument or parse_definition(f"{title} {description}").instrument
            return replace(parsed, instrument=instrument), text
    return parse_definition(f"{title} {description}"), title


def _measurement_rows(
    measure: RegistryMeasure, arms: Mapping[str, Arm], found: Classification, base: Row, shape: str
) -> Iterator[Row]:
    head = measure.measure
    index = head.get("outcome_idx")
    denoms = _denoms(d for d in measure.denoms if d.get("class_idx") is None)
    class_denoms: dict[Any, dict[str, Any]] = {}
    comparator, comparator_type = comparator_for(arms.values())
    categories: dict[tuple[Any, Any], list[Record]] = {}
    for m in measure.measurements:
        categories.setdefault((m.get("class_idx"), m.get("category_idx")), []).append(m)
    for (ci, ki), values in categories.items():
        if ci not in class_denoms:
            class_denoms[ci] = _denoms(d for d in measure.denoms if d.get("class_idx") == ci) or denoms
        label = " ".join(str(x) for x in (values[0].get("class_title"), values[0].get("category_title")) if x)
        if label and _NEGATIVE_CATEGORY.search(label):
            continue
        point, phase = _phase_window(_timepoint(label, str(head.get("time_frame") or ""), found), head, found.kind)
        row_base, row_found = _category_base(base, found, label, head)
        for value in values:
            path = f"{BASE}[{index}].classes[{ci}].categories[{ki}].measurements[{value.get('measurement_idx')}]"
            row = _row(
                row_base, path, value, arms, class_denoms[ci], shape, point, row_found, label,
                (comparator, comparator_type),
            )  # fmt: skip
            if phase is not None and phase["window"] == "post_treatment":
                append_flag(row, "post_treatment_phase", f"{phase['reason']}; no arm is on the study drug.")
            yield row


def _category_base(base: Row, found: Classification, label: str, measure: Record) -> tuple[Row, Classification]:
    """Categories "Response" and "Remission" under one measure: each category row takes its own kind."""
    kind = category_kind(label, found.kind)
    if kind is None:
        return base, found
    title, description = clean(str(measure.get("title") or "")), clean(str(measure.get("description") or ""))
    definition, text = _definition(kind, clean(label), description)
    row = dict(
        base, outcome_kind=kind, instrument=definition.instrument or base["instrument"],
        threshold=definition.threshold, operator=definition.operator, threshold_unit=definition.threshold_unit,
        consecutive_visits=definition.consecutive_visits, definition_text=text if definition.threshold else title,
        rule=f"registry.category.{kind}",
    )  # fmt: skip
    return row, Classification(kind, f"category.{kind}")


def _row(
    base: Row,
    path: str,
    value: Record,
    arms: Mapping[str, Arm],
    denoms: Mapping[str, Any],
    shape: str,
    point: Timepoint,
    found: Classification,
    label: str,
    comparator: tuple[str | None, str],
) -> Row:
    gid = str(value.get("group_id"))
    arm = arms.get(gid) or Arm(gid, None, None, None, None, None, "group id not among the measure's groups")
    row = dict(base, outcome_id=outcome_id("registry", base["nct_id"], None, path), json_path=path)
    row.update(_arm_fields(arm, gid, comparator))
    row.update(
        timepoint_raw=point.raw or None,
        timepoint_days=point.days,
        timepoint_hours=point.hours,
        time_window=point.window,
    )
    if point.days is None:
        add_flag(row, "unparsed_timepoint", f"no day, week or hour in timepoint {point.raw!r}.")
    if found.note:
        add_note(row, found)
    posted = {key: value.get(column) for key, column in _POSTED.items() if value.get(column) is not None}
    numbers = registry_numbers(shape, posted, denoms.get(gid), found.rule in _COMPLEMENTED)
    _apply_numbers(row, numbers)
    row["rule"] = f"{row['rule']}.{shape}" + (f".class[{label}]" if label else "")
    return row


# Posted "relapse-free" figures whose complement is an event: plain relapse, or relapse or another event.
_COMPLEMENTED = ("title.relapse_free", "title.relapse_free_composite")
_POSTED = {
    "value": "value_raw",
    "spread": "spread_raw",
    "lowerLimit": "lower_limit_raw",
    "upperLimit": "upper_limit_raw",
}


def add_note(row: Row, found: Classification) -> None:
    tags = {"title.relapse_free": "complement", "title.onset_response": "onset_sustained",
            "title.relapse_free_composite": "composite_outcome"}  # fmt: skip
    tag = tags.get(found.rule, "definition_note")
    append_flag(row, tag, f"{found.note}.")


def _apply_numbers(row: Row, numbers: Numbers) -> None:
    row.update(
        events=numbers.events,
        total=numbers.total,
        proportion=numbers.proportion,
        rounding_note=numbers.rounding_note,
        span_text=numbers.raw,
    )
    if numbers.rounding_note and row["confidence"] == "high":
        row["confidence"] = "medium"
    for flag, reason in numbers.flags:
        add_flag(row, flag, reason)


def _arm_fields(arm: Arm, gid: str, comparator: tuple[str | None, str]) -> dict[str, Any]:
    fields: dict[str, Any] = dict(
        arm_label=arm.label, group_id=gid, drug=arm.drug, route=arm.route, dose=arm.dose, arm_role=arm.role
    )
    if arm.role == "active":
        fields.update(comparator=comparator[0], comparator_type=comparator[1])
    elif arm.role == "control":
        fields.update(comparator=None, comparator_type=arm.comparator_type)
    return fields


# A primary response/remission endpoint up to 12 weeks marks the end of the acute phase (ESCAPE-TRD's week 8).
ACUTE_PRIMARY_MAX_DAYS = 84


def _phase_window(point: Timepoint, measure: Record, kind: str | None) -> tuple[Timepoint, Pattern | None]:
    """The window the trial's own phase names (data/phase_windows.csv) outranks the one from days alone: a
    week-8 endpoint of an acute phase is `induction`, not `maintenance`. Without a phase name, the design
    decides: the primary response or remission endpoint of the first 12 weeks is the acute phase's end."""
    phase = first_match("phase_windows", f"{measure.get('title') or ''} ; {measure.get('time_frame') or ''}")
    if point.days is None or (phase is not None and phase["window"] == "post_treatment"):
        return point, phase
    if phase is not None:
        return Timepoint(point.raw, point.days, point.hours, phase["window"]), phase
    primary = str(measure.get("outcome_type") or "").upper() == "PRIMARY" and kind in ("response", "remission")
    if primary and point.window == "maintenance" and point.days <= ACUTE_PRIMARY_MAX_DAYS:
        return Timepoint(point.raw, point.days, point.hours, "induction"), None
    return point, phase


def _timepoint(label: str, time_frame: str, found: Classification) -> Timepoint:
    if label and find_times(label):
        if found.rule == "title.onset_response":
            point = normalize_timepoint(f"{label}; {time_frame}")
            return Timepoint(f"{label} ({time_frame})", point.days, point.hours, point.window)
        return normalize_timepoint(label)
    return normalize_timepoint(time_frame)


def _attach_analyses(rows: list[Row], measure: RegistryMeasure, arms: Mapping[str, Arm], shape: str) -> None:
    by_group: dict[str, list[Row]] = {}
    for row in rows:
        by_group.setdefault(row["group_id"], []).append(row)
    for analysis in measure.analyses:
        group_ids = analysis.get("group_ids") or []
        active = [g for g in group_ids if arms.get(str(g)) and arms[str(g)].role == "active"]
        targets = by_group.get(str(active[0]), []) if len(active) == 1 else []
        if len(targets) == 1 and targets[0]["effect_type"] is None:
            _set_effect(targets[0], analysis, shape)
            measure_path = str(targets[0]["json_path"]).split(".classes[", 1)[0]
            targets[0]["effect_json_path"] = f"{measure_path}.analyses[{analysis.get('analysis_idx')}]"


def _set_effect(row: Row, analysis: Record, shape: str) -> None:
    hit = first_match("effect_types", str(analysis.get("param_type") or ""))
    estimate = parse_number(analysis.get("param_value_raw"))
    row["p_value_raw"] = analysis.get("p_value_raw")
    row["p_value"] = parse_number(analysis.get("p_value_raw"))
    if hit is None or estimate is None:
        return
    lower, upper = parse_number(analysis.get("ci_lower_raw")), parse_number(analysis.get("ci_upper_raw"))
    scale = 100.0 if hit["scale"] == "difference" and _percentage_points(shape, estimate, lower, upper) else 1.0
    row.update(
        effect_type=hit["effect_type"],
        effect=estimate / scale,
        ci_lower=None if lower is None else lower / scale,
        ci_upper=None if upper is None else upper / scale,
    )
    if scale != 1.0:
        row["rule"] = f"{row['rule']}.rd_from_percentage_points"


def _percentage_points(shape: str, *values: float | None) -> bool:
    """A posted difference is in percentage points on a percent measure, or wherever it exceeds 1 in size
    (count measures post "Risk Difference (RD)" -1.6 [-8.4, 5.2]: a 0-1 difference cannot be that large)."""
    return shape == "percent" or any(v is not None and abs(v) > 1 for v in values)


def _denoms(rows: Iterable[Record]) -> dict[str, Any]:
    """Counts of the first denominator counting participants (units missing = participants), by group id."""
    by_denom: dict[Any, list[Record]] = {}
    for row in rows:
        by_denom.setdefault(row.get("denom_idx"), []).append(row)
    for counts in by_denom.values():
        if re.search(r"participant|patient|subject", str(counts[0].get("units") or "participants"), re.I):
            return {str(c.get("group_id")): c.get("count_raw") for c in counts}
    return {}


def _population(study: RegistryStudy) -> str | None:
    title = " ".join(str(t or "") for t in (study.brief_title, study.official_title)).strip()
    summary = str(study.brief_summary or "")
    if not (study.conditions or title or summary):
        return None
    return classify_population(list(study.conditions), title, summary)


def _flow_sizes(study: RegistryStudy) -> dict[str, int]:
    """STARTED counts of the first flow period's first STARTED milestone, by normalized group title."""
    first = [r for r in study.flow if r.get("period_idx") == 0]
    started = [r for r in first if str(r.get("milestone_type") or "").upper() == "STARTED"]
    milestone = started[0].get("milestone_idx") if started else None
    sizes = {}
    for item in started:
        number = parse_number(item.get("num_subjects_raw"))
        if item.get("milestone_idx") == milestone and number is not None and item.get("group_title") is not None:
            sizes[_norm(str(item.get("group_title")))] = int(number)
    return sizes


def _norm(text: str) -> str:
    return re.sub(r"\W+", " ", text.lower()).strip()


def _mentions_ketamine(study: RegistryStudy) -> bool:
    names = " ".join(str(name or "") for name in study.intervention_names)
    text = f"{names} {study.brief_title or ''} {study.official_title or ''}"
    return any(m.drug in KETAMINE_CLASS for m in find_mentions(text))


def with_n_randomized(rows: list[Row], study: RegistryStudy) -> list[Row]:
    """Fill n_randomized from the participant flow's STARTED milestone, matched on group title."""
    sizes = _flow_sizes(study)
    for row in rows:
        row["n_randomized"] = sizes.get(_norm(row.get("arm_label") or ""))
    return rows
