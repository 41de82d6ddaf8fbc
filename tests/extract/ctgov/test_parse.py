"""Parsing and flattening of ClinicalTrials.gov API v2 JSON, on the shared real records.

Fixtures (see ../shared/data/raw/PROVENANCE.md): aact-spec/json_data (AACT loader test data,
API v2 single studies and legacy v1 responses, section 2), dgg32-clinical-trials-public
(website "Download -> JSON" arrays, section 3), meta-harness ctgov_results (API v2
outcomeMeasures arrays of esketamine trials, section 7).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ketamine_evidence.extract.ctgov.parse import TABLES, flatten_study, iter_studies, page_info, study_version
from ketamine_evidence.extract.errors import MalformedResponse
from tests.conftest import RAW, shared_path

AACT = RAW / "aact-spec" / "json_data"
LEGACY = ("NCT00023673.json", "NCT02028676.json", "NCT04780763.json", "results_2.json")
V2_FILES = sorted(p.name for p in AACT.glob("*.json") if p.name not in LEGACY) if AACT.exists() else []
EXPORTS = {"ctg-studies.json": 10, "ctg-studies(2).json": 1, "ctg-studies(5).json": 50}
META_TRIALS = (
    "NCT02417064",
    "NCT02418585",
    "NCT02422186",
    "NCT02493868",
    "NCT02918318",
    "NCT03434041",
    "NCT04338321",
    "NCT04829318",
    "NCT05113771",
)


def _aact(name: str) -> bytes:
    return shared_path("aact-spec", "json_data", name).read_bytes()


def _one(name: str) -> dict[str, Any]:
    (study,) = iter_studies(_aact(name), name=name)
    return study


def wrap_measures(path: Path) -> dict[str, Any]:
    """A minimal v2 study around a meta-harness outcomeMeasures array."""
    return {
        "protocolSection": {"identificationModule": {"nctId": path.stem}},
        "resultsSection": {"outcomeMeasuresModule": {"outcomeMeasures": json.loads(path.read_bytes())}},
        "hasResults": True,
    }


def count_measurements(measures: list[dict[str, Any]]) -> int:
    total = 0
    for measure in measures:
        for klass in measure.get("classes", []):
            for category in klass.get("categories", []):
                total += len(category.get("measurements", []))
    return total


@pytest.mark.parametrize("name", V2_FILES or ["(shared data missing)"])
def test_every_v2_record_parses_and_flattens(name: str) -> None:
    study = _one(name)
    tables = flatten_study(study)
    assert set(tables) == set(TABLES)
    nct_id = study["protocolSection"]["identificationModule"]["nctId"]
    assert tables["ctgov_study"][0]["nct_id"] == nct_id
    measures = study.get("resultsSection", {}).get("outcomeMeasuresModule", {}).get("outcomeMeasures", [])
    assert len(tables["ctgov_outcome_measure"]) == len(measures)
    assert len(tables["ctgov_outcome_measurement"]) == count_measurements(measures)


@pytest.mark.parametrize(("name", "count"), EXPORTS.items())
def test_website_export_arrays_parse(name: str, count: int) -> None:
    payload = shared_path("dgg32-clinical-trials-public", name).read_bytes()
    studies = list(iter_studies(payload, name=name))
    assert len(studies) == count
    nct_ids = [flatten_study(s)["ctgov_study"][0]["nct_id"] for s in studies]
    assert all(isinstance(n, str) and n.startswith("NCT") for n in nct_ids)


def test_export_first_study_is_nct05923281() -> None:
    payload = shared_path("dgg32-clinical-trials-public", "ctg-studies.json").read_bytes()
    first = next(iter_studies(payload, name="ctg-studies.json"))
    assert study_version(first)[0] == "NCT05923281"


@pytest.mark.parametrize("name", LEGACY)
def test_legacy_v1_is_refused(name: str) -> None:
    with pytest.raises(MalformedResponse, match="legacy API v1 format, not supported") as caught:
        list(iter_studies(_aact(name), name=name))
    assert caught.value.where == name


def test_trimmed_nct00465816_gives_nulls_and_references() -> None:
    tables = flatten_study(_one("NCT00465816.json"))
    study = tables["ctgov_study"][0]
    assert study["brief_title"] == "Primary Study to Demonstrate..."
    assert study["organization"] == "GlaxoSmithKline"
    assert study["has_results"] == "true"
    assert study["overall_status"] is None and study["phases"] is None and study["enrollment_count"] is None
    assert [(r["pmid"], r["type"]) for r in tables["ctgov_reference"]] == [
        ("22107850", "BACKGROUND"),
        (None, "BACKGROUND"),
    ]
    assert tables["ctgov_outcome_measure"] == [] and tables["ctgov_arm"] == []


def test_trimmed_nct03453554_has_only_a_study_row() -> None:
    tables = flatten_study(_one("NCT03453554.json"))
    assert tables["ctgov_study"][0]["has_results"] == "false"
    assert sum(len(rows) for rows in tables.values()) == 1


def test_nct02552212_study_fields_stay_text() -> None:
    study = flatten_study(_one("NCT02552212.json"))["ctgov_study"][0]
    assert study["enrollment_count"] == "317"
    assert study["enrollment_type"] == "ACTUAL"
    assert study["phases"] == '["PHASE3"]'
    assert study["start_date"] == "2015-09"
    assert study["study_first_post_date"] == "2015-09-17"
    assert study["lead_sponsor"] == "UCB BIOSCIENCES GmbH"
    assert study["masking"] == "QUADRUPLE"
    assert study["acronym"] == "C-AXSPAND"


@pytest.mark.parametrize(("name", "measures"), [("NCT02552212.json", 31), ("NCT02210780.json", 11)])
def test_outcome_measure_counts(name: str, measures: int) -> None:
    study = _one(name)
    tables = flatten_study(study)
    raw = study["resultsSection"]["outcomeMeasuresModule"]["outcomeMeasures"]
    assert len(tables["ctgov_outcome_measure"]) == measures == len(raw)
    assert len(tables["ctgov_outcome_measurement"]) == count_measurements(raw)
    assert len(tables["ctgov_result_group"]) == sum(len(m["groups"]) for m in raw)
    assert len(tables["ctgov_outcome_analysis"]) == sum(len(m.get("analyses", [])) for m in raw)


def test_nct02552212_first_outcome_values() -> None:
    tables = flatten_study(_one("NCT02552212.json"))
    measure = tables["ctgov_outcome_measure"][0]
    assert (measure["type"], measure["param_type"], measure["time_frame"]) == ("PRIMARY", "NUMBER", "Week 52")
    values = [(m["group_id"], m["value"]) for m in tables["ctgov_outcome_measurement"] if m["outcome_idx"] == 0]
    assert values == [("OG000", "7.0"), ("OG001", "47.2")]
    denoms = [
        (d["group_id"], d["value"], d["class_idx"]) for d in tables["ctgov_outcome_denom"] if d["outcome_idx"] == 0
    ]
    assert denoms == [("OG000", "158", None), ("OG001", "159", None)]
    analysis = tables["ctgov_outcome_analysis"][0]
    assert analysis["p_value"] == "<0.001"
    assert (analysis["param_value"], analysis["ci_lower_limit"], analysis["ci_upper_limit"]) == (
        "15.231",
        "7.336",
        "31.623",
    )
    assert json.loads(str(analysis["group_ids"])) == ["OG000", "OG001"]


def test_na_value_and_comment_are_kept_as_text() -> None:
    rows = flatten_study(_one("NCT02552212.json"))["ctgov_outcome_measurement"]
    na = [r for r in rows if r["value"] == "NA"]
    assert [(r["outcome_idx"], r["group_id"]) for r in na] == [(10, "OG001")]
    assert na[0]["comment"] == "Values were below the level of quantification."


def test_interventions_conditions_and_arms() -> None:
    tables = flatten_study(_one("NCT02210780.json"))
    dupilumab = tables["ctgov_intervention"][0]
    assert dupilumab["name"] == "Dupilumab"
    assert json.loads(str(dupilumab["other_names"])) == ["REGN668", "SAR231893", "Dupixent"]
    assert "drug" not in dupilumab, "parsing is pure: drugs and routes are mapped in the warehouse build"
    kinds = {r["kind"] for r in tables["ctgov_condition"]}
    assert "condition" in kinds and "mesh" in kinds
    assert all(r["mesh_id"] for r in tables["ctgov_condition"] if r["kind"] == "mesh")
    assert tables["ctgov_arm"], "NCT02210780 registers arm groups"


def test_class_level_denoms_are_kept() -> None:
    study = _one("NCT02210780.json")
    raw = study["resultsSection"]["outcomeMeasuresModule"]["outcomeMeasures"]
    expected = sum(len(d["counts"]) for m in raw for c in m.get("classes", []) for d in c.get("denoms", []))
    rows = flatten_study(study)["ctgov_outcome_denom"]
    assert expected > 0
    assert sum(1 for r in rows if r["class_idx"] is not None) == expected


def test_study_version() -> None:
    assert study_version(_one("NCT02552212.json")) == ("NCT02552212", "2022-08-18")
    assert study_version(_one("NCT00465816.json")) == ("NCT00465816", None)
    only_holder = {
        "protocolSection": {"identificationModule": {"nctId": "NCT00000001"}},
        "derivedSection": {"miscInfoModule": {"versionHolder": "2024-01-03"}},
    }
    assert study_version(only_holder) == ("NCT00000001", "2024-01-03")


def test_same_study_in_two_files_differs_by_version_holder() -> None:
    a, b = _one("NCT02552212.json"), _one("NCT02278341.json")
    assert study_version(a)[0] == study_version(b)[0] == "NCT02552212"
    holders = {s["derivedSection"]["miscInfoModule"]["versionHolder"] for s in (a, b)}
    assert holders == {"2023-12-12", "2024-01-03"}


def test_studies_page_envelope_and_page_info() -> None:
    studies = json.loads(shared_path("dgg32-clinical-trials-public", "ctg-studies.json").read_bytes())
    page = json.dumps({"studies": studies[:3], "nextPageToken": "NF0g5JGBlPMuwQY", "totalCount": 10}).encode()
    assert len(list(iter_studies(page, name="page-1"))) == 3
    assert page_info(page) == ("NF0g5JGBlPMuwQY", 10)
    assert page_info(b'{"studies": []}') == (None, None)
    assert list(iter_studies(b'{"studies": []}', name="last")) == []


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b'{"studies": [{"protocolSection": {"identificationModule"', r"truncated JSON at line 1, column \d+"),
        (b'{\n  "studies": [\n    {"a": 1,}\n  ]\n}', "at line 3, column"),
        (b"<!DOCTYPE html><html><body>Service Unavailable</body></html>", "HTML or XML page"),
        (b"", "empty response"),
        (b'{"message": "not found"}', r"unexpected JSON shape \(top-level keys: message\)"),
        (b"42", "unexpected JSON int"),
        (b'[{"protocolSection": {"identificationModule": {}}}]', "no protocolSection.identificationModule.nctId"),
        (b'{"FullStudiesResponse": {"APIVrs": "1.01.05"}}', "legacy API v1 format, not supported"),
    ],
)
def test_malformed_payloads(payload: bytes, reason: str) -> None:
    with pytest.raises(MalformedResponse, match=reason):
        list(iter_studies(payload, name="https://example.test/api/v2/studies"))


def test_truncated_real_record_names_line_and_column() -> None:
    payload = _aact("NCT02210780.json")[:5000]
    with pytest.raises(MalformedResponse) as caught:
        list(iter_studies(payload, name="NCT02210780.json"))
    assert caught.value.where == "NCT02210780.json"
    assert "line" in caught.value.reason and "column" in caught.value.reason


@pytest.mark.parametrize("stem", META_TRIALS)
def test_meta_harness_measures_flatten(stem: str) -> None:
    path = shared_path("meta-harness", "esketamine-trd-madrs", "ctgov_results", f"{stem}.json")
    study = wrap_measures(path)
    raw = study["resultsSection"]["outcomeMeasuresModule"]["outcomeMeasures"]
    tables = flatten_study(study, raw_sha256="abc")
    assert len(tables["ctgov_outcome_measure"]) == len(raw)
    assert len(tables["ctgov_outcome_measurement"]) == count_measurements(raw)
    assert {r["raw_sha256"] for rows in tables.values() for r in rows} == {"abc"}


def test_sustain1_hazard_ratio_raw_text() -> None:
    path = shared_path("meta-harness", "esketamine-trd-madrs", "ctgov_results", "NCT02493868.json")
    tables = flatten_study(wrap_measures(path))
    (hr,) = [a for a in tables["ctgov_outcome_analysis"] if a["outcome_idx"] == 0]
    assert (hr["param_type"], hr["param_value"]) == ("Hazard Ratio (HR)", "0.49")
    assert (hr["ci_lower_limit"], hr["ci_upper_limit"], hr["p_value"]) == ("0.29", "0.84", "= 0.003")
    assert tables["ctgov_outcome_measure"][0]["param_type"] == "MEDIAN"


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=12,
)
_module_names = st.sampled_from(
    [
        "statusModule",
        "designModule",
        "armsInterventionsModule",
        "conditionsModule",
        "referencesModule",
        "outcomeMeasuresModule",
        "identificationModule",
    ]
)


@settings(max_examples=200)
@given(st.dictionaries(_module_names, _json, max_size=4), st.dictionaries(_module_names, _json, max_size=3))
def test_flatten_never_raises_on_odd_shapes(protocol: dict[str, Any], results: dict[str, Any]) -> None:
    protocol["identificationModule"] = {"nctId": "NCT00000001"}
    tables = flatten_study({"protocolSection": protocol, "resultsSection": results})
    assert tables["ctgov_study"][0]["nct_id"] == "NCT00000001"
