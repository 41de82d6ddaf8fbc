"""Pure parsers: ClinicalTrials.gov API v2 JSON bytes -> study dicts -> staging rows.

Accepted payloads: a `/studies` page (`{"studies": [...], "nextPageToken"?, "totalCount"?}`), a
single study from `/studies/{nctId}` (top-level `protocolSection`), and the website's
"Download -> JSON" export (a JSON array of studies). The retired API v1 (`FullStudiesResponse`)
is refused with a clear message.

`flatten_study` keeps every source value as the string the registry gave (numbers and booleans
are turned into their JSON text), keyed in the AACT-like long form: `nct_id`, `outcome_idx`
(0-based position in `outcomeMeasures`), `group_id`, `class_idx`, `category_idx`,
`analysis_idx`. Nothing is normalized here: the warehouse build maps intervention names to drugs
and routes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from ketamine_evidence.extract.errors import MalformedResponse

Row = dict[str, str | int | None]
Study = dict[str, Any]

TABLES = (
    "ctgov_study",
    "ctgov_arm",
    "ctgov_intervention",
    "ctgov_condition",
    "ctgov_reference",
    "ctgov_outcome_measure",
    "ctgov_result_group",
    "ctgov_outcome_denom",
    "ctgov_outcome_measurement",
    "ctgov_outcome_analysis",
    "ctgov_flow_milestone",
)
LEGACY_KEYS = frozenset({"FullStudiesResponse", "StudyFieldsResponse", "FullStudy", "Study"})


def _load(payload: bytes, name: str) -> Any:
    head = payload.lstrip()[:200]
    if not head:
        raise MalformedResponse(name, "empty response, expected JSON")
    if head.startswith(b"<"):
        snippet = head[:60].decode("utf-8", "replace").splitlines()[0]
        raise MalformedResponse(name, f"HTML or XML page instead of JSON (starts {snippet!r})")
    try:
        return json.loads(payload.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise MalformedResponse(name, f"not UTF-8 text at byte {exc.start}") from None
    except json.JSONDecodeError as exc:
        reason = f"invalid or truncated JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        raise MalformedResponse(name, reason) from None


def _study_list(data: Any, name: str) -> list[Any]:
    if isinstance(data, list):
        return data
    if not isinstance(data, dict):
        raise MalformedResponse(name, f"unexpected JSON {type(data).__name__}, expected an object or array")
    if LEGACY_KEYS & data.keys():
        raise MalformedResponse(name, "legacy API v1 format, not supported (use API v2 JSON)")
    if "protocolSection" in data:
        return [data]
    if isinstance(data.get("studies"), list):
        return data["studies"]
    keys = ", ".join(sorted(data)[:6]) or "none"
    raise MalformedResponse(name, f"unexpected JSON shape (top-level keys: {keys}), expected API v2 studies")


def _checked(study: Any, name: str, index: int) -> Study:
    if isinstance(study, dict) and LEGACY_KEYS & study.keys():
        raise MalformedResponse(name, "legacy API v1 format, not supported (use API v2 JSON)")
    nct_id = _get(study, "protocolSection", "identificationModule", "nctId")
    if not isinstance(nct_id, str) or not nct_id:
        raise MalformedResponse(f"{name} study #{index}", "no protocolSection.identificationModule.nctId")
    return study


def iter_studies(payload: bytes, *, name: str) -> Iterator[Study]:
    """The study objects of a page, a single-study response or a website export."""
    for index, study in enumerate(_study_list(_load(payload, name), name)):
        yield _checked(study, name, index)


def page_summary(payload: bytes, *, name: str = "ctgov page") -> tuple[str | None, int | None, int]:
    """(nextPageToken, totalCount, number of studies) of a `/studies` page."""
    data = _load(payload, name)
    studies = _study_list(data, name)
    if not isinstance(data, dict) or "studies" not in data:
        return None, None, len(studies)
    token = data.get("nextPageToken") or None
    total = data.get("totalCount")
    return token, int(total) if total is not None else None, len(studies)


def page_info(payload: bytes, *, name: str = "ctgov page") -> tuple[str | None, int | None]:
    """(nextPageToken or None, totalCount or None) of a `/studies` page."""
    token, total, _ = page_summary(payload, name=name)
    return token, total


def study_version(study: Study) -> tuple[str, str | None]:
    """(nct_id, last update posted date, else derivedSection versionHolder)."""
    nct_id = _get(study, "protocolSection", "identificationModule", "nctId")
    posted = _get(study, "protocolSection", "statusModule", "lastUpdatePostDateStruct", "date")
    holder = _get(study, "derivedSection", "miscInfoModule", "versionHolder")
    return str(nct_id), _text(posted or holder)


def _get(node: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(node, Mapping):
            return None
        node = node.get(key)
    return node


def _items(node: Any, *path: str) -> list[Any]:
    found = _get(node, *path) if path else node
    return [x for x in found if isinstance(x, Mapping)] if isinstance(found, list) else []


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def _json_list(value: Any) -> str | None:
    return json.dumps(value, ensure_ascii=False) if isinstance(value, list) else None


def flatten_study(study: Study, *, raw_sha256: str | None = None) -> dict[str, list[Row]]:
    """Rows for every `staging.ctgov_*` table (keys are the table names, without schema)."""
    nct_id = str(_get(study, "protocolSection", "identificationModule", "nctId"))
    key: Row = {"nct_id": nct_id, "raw_sha256": raw_sha256}
    protocol = _get(study, "protocolSection") or {}
    measures = _items(study, "resultsSection", "outcomeMeasuresModule", "outcomeMeasures")
    tables: dict[str, list[Row]] = {
        "ctgov_study": [{**key, **_study_row(study)}],
        "ctgov_arm": _arm_rows(protocol, key),
        "ctgov_intervention": _intervention_rows(protocol, key),
        "ctgov_condition": _condition_rows(study, key),
        "ctgov_reference": _reference_rows(protocol, key),
        "ctgov_outcome_measure": [],
        "ctgov_result_group": [],
        "ctgov_outcome_denom": [],
        "ctgov_outcome_measurement": [],
        "ctgov_outcome_analysis": [],
        "ctgov_flow_milestone": _flow_milestone_rows(study, key),
    }
    for outcome_idx, measure in enumerate(measures):
        _add_measure(tables, {**key, "outcome_idx": outcome_idx}, measure)
    return tables


def _dated(status: Any, field: str) -> str | None:
    return _text(_get(status, field, "date"))


def _study_row(study: Study) -> Row:
    ident = _get(study, "protocolSection", "identificationModule")
    status = _get(study, "protocolSection", "statusModule")
    design = _get(study, "protocolSection", "designModule")
    info = _get(design, "designInfo")
    return {
        "brief_title": _text(_get(ident, "briefTitle")),
        "official_title": _text(_get(ident, "officialTitle")),
        "acronym": _text(_get(ident, "acronym")),
        "org_study_id": _text(_get(ident, "orgStudyIdInfo", "id")),
        "organization": _text(_get(ident, "organization", "fullName")),
        "overall_status": _text(_get(status, "overallStatus")),
        "why_stopped": _text(_get(status, "whyStopped")),
        "study_type": _text(_get(design, "studyType")),
        "phases": _json_list(_get(design, "phases")),
        "allocation": _text(_get(info, "allocation")),
        "intervention_model": _text(_get(info, "interventionModel")),
        "primary_purpose": _text(_get(info, "primaryPurpose")),
        "masking": _text(_get(info, "maskingInfo", "masking")),
        "enrollment_count": _text(_get(design, "enrollmentInfo", "count")),
        "enrollment_type": _text(_get(design, "enrollmentInfo", "type")),
        "start_date": _dated(status, "startDateStruct"),
        "start_date_type": _text(_get(status, "startDateStruct", "type")),
        "primary_completion_date": _dated(status, "primaryCompletionDateStruct"),
        "primary_completion_date_type": _text(_get(status, "primaryCompletionDateStruct", "type")),
        "completion_date": _dated(status, "completionDateStruct"),
        "completion_date_type": _text(_get(status, "completionDateStruct", "type")),
        "study_first_post_date": _dated(status, "studyFirstPostDateStruct"),
        "results_first_post_date": _dated(status, "resultsFirstPostDateStruct"),
        "last_update_post_date": _dated(status, "lastUpdatePostDateStruct"),
        "version_holder": _text(_get(study, "derivedSection", "miscInfoModule", "versionHolder")),
        "lead_sponsor": _text(_get(study, "protocolSection", "sponsorCollaboratorsModule", "leadSponsor", "name")),
        "lead_sponsor_class": _text(
            _get(study, "protocolSection", "sponsorCollaboratorsModule", "leadSponsor", "class")
        ),
        "brief_summary": _text(_get(study, "protocolSection", "descriptionModule", "briefSummary")),
        "has_results": _text(study.get("hasResults")),
    }


def _arm_rows(protocol: Any, key: Row) -> list[Row]:
    return [
        {
            **key,
            "arm_idx": idx,
            "label": _text(arm.get("label")),
            "type": _text(arm.get("type")),
            "description": _text(arm.get("description")),
            "intervention_names": _json_list(arm.get("interventionNames")),
        }
        for idx, arm in enumerate(_items(protocol, "armsInterventionsModule", "armGroups"))
    ]


def _intervention_rows(protocol: Any, key: Row) -> list[Row]:
    return [
        _intervention_row(key, idx, item)
        for idx, item in enumerate(_items(protocol, "armsInterventionsModule", "interventions"))
    ]


def _intervention_row(key: Row, idx: int, item: Mapping[str, Any]) -> Row:
    other = item.get("otherNames")
    return {
        **key,
        "intervention_idx": idx,
        "type": _text(item.get("type")),
        "name": _text(item.get("name")),
        "description": _text(item.get("description")),
        "arm_group_labels": _json_list(item.get("armGroupLabels")),
        "other_names": _json_list(other),
    }


def _condition_rows(study: Study, key: Row) -> list[Row]:
    conditions = _get(study, "protocolSection", "conditionsModule")
    rows: list[Row] = []
    for kind, values in (("condition", _get(conditions, "conditions")), ("keyword", _get(conditions, "keywords"))):
        names = [v for v in values if isinstance(v, str)] if isinstance(values, list) else []
        rows += [{**key, "kind": kind, "idx": i, "name": v, "mesh_id": None} for i, v in enumerate(names)]
    meshes = _items(study, "derivedSection", "conditionBrowseModule", "meshes")
    rows += [
        {**key, "kind": "mesh", "idx": i, "name": _text(m.get("term")), "mesh_id": _text(m.get("id"))}
        for i, m in enumerate(meshes)
    ]
    return rows


def _reference_rows(protocol: Any, key: Row) -> list[Row]:
    return [
        {
            **key,
            "reference_idx": idx,
            "pmid": _text(ref.get("pmid")),
            "type": _text(ref.get("type")),
            "citation": _text(ref.get("citation")),
        }
        for idx, ref in enumerate(_items(protocol, "referencesModule", "references"))
    ]


def _add_measure(tables: dict[str, list[Row]], key: Row, measure: Mapping[str, Any]) -> None:
    tables["ctgov_outcome_measure"].append({**key, **_measure_row(measure)})
    tables["ctgov_result_group"] += [
        {
            **key,
            "group_id": _text(g.get("id")),
            "title": _text(g.get("title")),
            "description": _text(g.get("description")),
        }
        for g in _items(measure, "groups")
    ]
    tables["ctgov_outcome_denom"] += _denom_rows(key, None, measure)
    for class_idx, klass in enumerate(_items(measure, "classes")):
        tables["ctgov_outcome_denom"] += _denom_rows(key, class_idx, klass)
        tables["ctgov_outcome_measurement"] += _measurement_rows(key, class_idx, klass)
    tables["ctgov_outcome_analysis"] += [
        _analysis_row(key, idx, analysis) for idx, analysis in enumerate(_items(measure, "analyses"))
    ]


_MEASURE_FIELDS = {
    "type": "type",
    "title": "title",
    "description": "description",
    "time_frame": "timeFrame",
    "population_description": "populationDescription",
    "reporting_status": "reportingStatus",
    "anticipated_posting_date": "anticipatedPostingDate",
    "param_type": "paramType",
    "dispersion_type": "dispersionType",
    "unit_of_measure": "unitOfMeasure",
    "type_units_analyzed": "typeUnitsAnalyzed",
}


def _measure_row(measure: Mapping[str, Any]) -> Row:
    return {column: _text(measure.get(field)) for column, field in _MEASURE_FIELDS.items()}


def _denom_rows(key: Row, class_idx: int | None, node: Mapping[str, Any]) -> list[Row]:
    return [
        {
            **key,
            "class_idx": class_idx,
            "denom_idx": denom_idx,
            "units": _text(denom.get("units")),
            "group_id": _text(count.get("groupId")),
            "value": _text(count.get("value")),
        }
        for denom_idx, denom in enumerate(_items(node, "denoms"))
        for count in _items(denom, "counts")
    ]


def _measurement_rows(key: Row, class_idx: int, klass: Mapping[str, Any]) -> list[Row]:
    return [
        {
            **key,
            "class_idx": class_idx,
            "category_idx": category_idx,
            "measurement_idx": measurement_idx,
            "group_id": _text(m.get("groupId")),
            "class_title": _text(klass.get("title")),
            "category_title": _text(category.get("title")),
            "value": _text(m.get("value")),
            "spread": _text(m.get("spread")),
            "lower_limit": _text(m.get("lowerLimit")),
            "upper_limit": _text(m.get("upperLimit")),
            "comment": _text(m.get("comment")),
        }
        for category_idx, category in enumerate(_items(klass, "categories"))
        for measurement_idx, m in enumerate(_items(category, "measurements"))
    ]


_ANALYSIS_FIELDS = {
    "param_type": "paramType",
    "param_value": "paramValue",
    "dispersion_type": "dispersionType",
    "dispersion_value": "dispersionValue",
    "ci_pct_value": "ciPctValue",
    "ci_num_sides": "ciNumSides",
    "ci_lower_limit": "ciLowerLimit",
    "ci_upper_limit": "ciUpperLimit",
    "ci_upper_limit_comment": "ciUpperLimitComment",
    "p_value": "pValue",
    "p_value_comment": "pValueComment",
    "statistical_method": "statisticalMethod",
    "statistical_comment": "statisticalComment",
    "non_inferiority_type": "nonInferiorityType",
    "non_inferiority_comment": "nonInferiorityComment",
    "estimate_comment": "estimateComment",
    "group_description": "groupDescription",
    "other_analysis_description": "otherAnalysisDescription",
}


def _analysis_row(key: Row, idx: int, analysis: Mapping[str, Any]) -> Row:
    row: Row = {**key, "analysis_idx": idx, "group_ids": _json_list(analysis.get("groupIds"))}
    row.update({column: _text(analysis.get(field)) for column, field in _ANALYSIS_FIELDS.items()})
    return row


def _flow_milestone_rows(study: Study, key: Row) -> list[Row]:
    """Participant-flow milestones x achievements; the group title is the flow group's (NULL when not listed)."""
    flow = _get(study, "resultsSection", "participantFlowModule")
    titles = {_text(g.get("id")): _text(g.get("title")) for g in _items(flow, "groups")}
    return [
        {
            **key,
            "period_idx": period_idx,
            "milestone_idx": milestone_idx,
            "milestone_type": _text(milestone.get("type")),
            "achievement_idx": achievement_idx,
            "group_id": _text(item.get("groupId")),
            "group_title": titles.get(_text(item.get("groupId"))),
            "num_subjects": _text(item.get("numSubjects")),
        }
        for period_idx, period in enumerate(_items(flow, "periods"))
        for milestone_idx, milestone in enumerate(_items(period, "milestones"))
        for achievement_idx, item in enumerate(_items(milestone, "achievements"))
    ]
