"""Every response/remission/relapse measure posted by the nine shared trials, wrapped as a minimal study and fed
to the normalizer as the long core-table rows it reads (warehouse.registry_input, no database)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from ketamine_evidence.transform.meta import usable_rows
from ketamine_evidence.transform.outcomes import COLUMNS
from ketamine_evidence.transform.outcomes.registry import RegistryMeasure, RegistryStudy, with_n_randomized
from ketamine_evidence.transform.outcomes.registry import registry_outcomes as _registry_outcomes
from ketamine_evidence.warehouse.registry_input import registry_study_from_json
from tests.conftest import shared_path
from tests.support.registry import registry_rows

RESULTS = ("meta-harness", "esketamine-trd-madrs", "ctgov_results")
# (file, measure index) of every response/remission/relapse/time-to-relapse measure, read from the files.
RELEVANT = {
    "NCT02417064": {2: "response", 7: "response", 8: "response", 9: "remission", 10: "remission"},
    "NCT02418585": {2: "response", 7: "response", 8: "remission", 9: "response", 10: "remission"},
    "NCT02422186": {2: "response", 3: "remission"},
    "NCT02493868": {0: "time_to_relapse", 1: "time_to_relapse"},
    "NCT02918318": {
        1: "response",
        2: "remission",
        3: "response",
        7: "time_to_relapse",
        8: "time_to_relapse",
        10: "remission",
    },
    "NCT03434041": {3: "response", 4: "response", 5: "remission", 6: "remission"},
    "NCT04338321": {0: "remission", 1: "remission"},
    "NCT04829318": {9: "relapse"},
    "NCT05113771": {},
}


def wrap(nct: str) -> dict[str, Any]:
    measures = json.loads(Path(shared_path(*RESULTS, f"{nct}.json")).read_text(encoding="utf-8"))
    return {
        "protocolSection": {"identificationModule": {"nctId": nct}},
        "resultsSection": {"outcomeMeasuresModule": {"outcomeMeasures": measures}},
        "hasResults": True,
    }


def measure_index(row: dict[str, Any]) -> int:
    return int(row["json_path"].split("outcomeMeasures[")[1].split("]")[0])


def pick(rows: list[dict[str, Any]], index: int, group: str, class_index: int = 0) -> dict[str, Any]:
    found = [
        r
        for r in rows
        if measure_index(r) == index and r["group_id"] == group and f".classes[{class_index}]." in r["json_path"]
    ]
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize("nct", sorted(RELEVANT))
def test_every_relevant_measure_yields_rows(nct: str) -> None:
    study = wrap(nct)
    rows = registry_rows(study)
    assert {measure_index(r): r["outcome_kind"] for r in rows} == RELEVANT[nct]
    measures = study["resultsSection"]["outcomeMeasuresModule"]["outcomeMeasures"]
    for row in rows:
        assert list(row) == list(COLUMNS)
        assert row["nct_id"] == row["study_key"] == nct and row["source"] == "registry" and row["pmid"] is None
        measure = measures[measure_index(row)]
        groups = {g["id"] for g in measure["groups"]}
        assert row["group_id"] in groups
        assert row["drug"] is not None and row["arm_role"] in ("active", "control")
    for index in RELEVANT[nct]:
        expected = sum(
            len(c["categories"][0]["measurements"])
            for c in measures[index]["classes"]
            if not any(w in (c.get("title") or "") for w in (": No",))
        )
        assert len([r for r in rows if measure_index(r) == index]) == expected


def test_liafensine_trial_yields_no_ketamine_rows() -> None:
    assert registry_rows(wrap("NCT05113771")) == []


def test_sustain1_hazard_ratio_on_the_esketamine_arm() -> None:
    rows = registry_rows(wrap("NCT02493868"))
    active, control = pick(rows, 0, "OG000"), pick(rows, 0, "OG001")
    assert (active["drug"], active["arm_role"], active["route"]) == ("esketamine", "active", "intranasal")
    assert (active["effect_type"], active["effect"], active["ci_lower"], active["ci_upper"]) == ("HR", 0.49, 0.29, 0.84)
    assert (active["p_value"], active["p_value_raw"]) == (0.003, "= 0.003")
    assert active["analysis_subset"] == "stable remitters" and active["total"] == 90
    assert "na_value" in active["flag"] and active["span_text"] == "median NA (NA, NA)"
    assert active["effect_json_path"] == "resultsSection.outcomeMeasuresModule.outcomeMeasures[0].analyses[0]"
    assert control["effect_json_path"] is None
    assert (control["drug"], control["effect"], control["total"]) == ("oral_ad_placebo", None, 86)
    assert control["span_text"] == "median 273.0 (97.0, NA)"
    assert active["comparator"] == "oral_ad_placebo" and active["comparator_type"] == "placebo"
    assert (active["instrument"], active["threshold"], active["operator"], active["consecutive_visits"]) == (
        "MADRS",
        22.0,
        ">=",
        2,
    )
    assert active["timepoint_days"] == 644.0 and active["time_window"] == "maintenance"
    responders = pick(rows, 1, "OG000")
    assert responders["analysis_subset"] == "stable responders" and responders["effect"] is None


@pytest.mark.parametrize(
    ("index", "group", "events", "total", "proportion", "drug"),
    [
        (7, "OG000", 71, 112, 0.634, "esketamine"),
        (7, "OG001", 54, 109, 0.495, "oral_ad_placebo"),
        (8, "OG000", 54, 112, 0.482, "esketamine"),
        (8, "OG001", 33, 109, 0.303, "oral_ad_placebo"),
    ],
)
def test_transform2_day28_response_and_remission(
    index: int, group: str, events: int, total: int, proportion: float, drug: str
) -> None:
    row = pick(registry_rows(wrap("NCT02418585")), index, group)
    assert (row["events"], row["total"], row["drug"]) == (events, total, drug)
    assert row["proportion"] == pytest.approx(proportion)
    assert row["timepoint_days"] == 28.0 and row["time_window"] == "induction"
    assert row["rounding_note"] == f"events derived from {row['span_text']}% of {total}, rounded"


def test_transform2_definitions() -> None:
    rows = registry_rows(wrap("NCT02418585"))
    response, remission = pick(rows, 7, "OG000"), pick(rows, 8, "OG000")
    assert (response["instrument"], response["threshold"], response["threshold_unit"]) == (
        "MADRS",
        50.0,
        "pct_reduction",
    )
    assert (remission["instrument"], remission["threshold"], remission["operator"]) == ("MADRS", 12.0, "<=")


def test_transform1_three_arms_and_onset_classes() -> None:
    rows = registry_rows(wrap("NCT02417064"))
    assert [pick(rows, 9, g)["span_text"] for g in ("OG000", "OG001", "OG002")] == ["36", "38.8", "30.6"]
    assert [pick(rows, 9, g)["dose"] for g in ("OG000", "OG001", "OG002")] == ["56 mg", "84 mg", None]
    assert pick(rows, 9, "OG002")["drug"] == "oral_ad_placebo"
    day8 = pick(rows, 2, "OG000", class_index=1)
    assert (day8["proportion"], day8["total"], day8["timepoint_days"]) == (pytest.approx(0.13), 115, 28.0)
    assert "onset_sustained" in day8["flag"]


def test_per_class_timepoints_and_class_denominators() -> None:
    rows = registry_rows(wrap("NCT02918318"))
    day2 = pick(rows, 1, "OG001", class_index=0)
    assert (day2["timepoint_days"], day2["total"], day2["proportion"]) == (2.0, 38, pytest.approx(0.132))
    day28 = pick(rows, 2, "OG003", class_index=4)
    assert (day28["timepoint_days"], day28["total"], day28["events"]) == (28.0, 72, 15)


def test_category_style_yes_no_keeps_yes_only() -> None:
    rows = [r for r in registry_rows(wrap("NCT02918318")) if measure_index(r) == 3]
    assert {r["json_path"].split(".classes[")[1][0] for r in rows} == {"0"}
    assert pick(rows, 3, "OG002")["proportion"] == pytest.approx(0.073)


def test_escape_trd_remission_with_risk_difference() -> None:
    rows = registry_rows(wrap("NCT04338321"))
    active = pick(rows, 0, "OG000")
    assert (active["events"], active["total"], active["drug"], active["timepoint_days"]) == (91, 336, "esketamine", 56)
    assert active["effect_type"] == "RD" and active["effect"] == pytest.approx(0.0944)
    assert (active["ci_lower"], active["ci_upper"]) == (pytest.approx(0.0319), pytest.approx(0.1568))
    assert (active["comparator"], active["comparator_type"]) == ("quetiapine", "active")
    assert (active["instrument"], active["threshold"]) == ("MADRS", 10.0)
    composite = pick(rows, 1, "OG001")
    assert (composite["outcome_kind"], composite["events"], composite["timepoint_days"]) == ("remission", 48, 224)
    # no phase is named: the primary endpoint at week 8 ends the acute phase; week 32 is maintenance
    assert (active["measure_type"], active["time_window"]) == ("primary", "induction")
    assert (composite["measure_type"], composite["time_window"]) == ("secondary", "maintenance")


def _relapse_free(title: str, time_frame: str = "Week 24") -> dict[str, Any]:
    measure = {
        "title": title, "paramType": "NUMBER", "unitOfMeasure": "percentage of participants", "timeFrame": time_frame,
        "groups": [{"id": "OG000", "title": "Esketamine"}],
        "denoms": [{"units": "Participants", "counts": [{"groupId": "OG000", "value": "100"}]}],
        "classes": [{"categories": [{"measurements": [{"groupId": "OG000", "value": "70.0"}]}]}],
    }  # fmt: skip
    rows = registry_rows({"protocolSection": {"identificationModule": {"nctId": "NCT09999998"}}, "hasResults": True,
                          "resultsSection": {"outcomeMeasuresModule": {"outcomeMeasures": [measure]}}})
    assert len(rows) == 1
    return rows[0]


def test_relapse_free_figure_becomes_its_complement() -> None:
    row = _relapse_free("Percentage of Participants Who Remained Relapse-free")
    assert (row["outcome_kind"], row["events"], row["total"], row["flag"]) == ("relapse", 30, 100, ["complement"])


def test_no_relapse_and_no_discontinuation_is_a_composite_kept_out_of_pools() -> None:
    """ESCAPE-LTE posts 79.2% with "No Relapse and Without Discontinuation": 31/149 relapsed or stopped."""
    row = pick(registry_rows(wrap("NCT04829318")), 9, "OG000")
    assert (row["outcome_kind"], row["total"], row["events"]) == ("relapse", 149, 31)
    assert row["flag"] == ["composite_outcome"] and "not relapse alone" in row["flag_reason"]
    assert usable_rows(pd.DataFrame([row])).empty
    # its population description names the analysed subset: "participants in remission (MADRS <=10)"
    assert (row["analysis_subset"], row["measure_type"]) == ("remitters", "secondary")
    assert _relapse_free("Percentage of Participants With No Relapse or Death")["flag"] == ["composite_outcome"]


def test_sustained_remission_is_remission_with_a_note() -> None:
    row = pick(registry_rows(wrap("NCT03434041")), 6, "OG000")
    assert row["outcome_kind"] == "remission" and "sustained remission" in row["flag_reason"]


def test_outcome_ids_are_unique_and_stable() -> None:
    rows = [r for nct in RELEVANT for r in registry_rows(wrap(nct))]
    ids = [r["outcome_id"] for r in rows]
    assert len(ids) == len(set(ids)) and all(len(i) == 16 for i in ids)
    assert ids[:5] == [r["outcome_id"] for r in registry_rows(wrap(next(iter(RELEVANT))))][:5]


def _flow_study(titles: tuple[str, str], started: tuple[str, str]) -> dict[str, Any]:
    group = "Esketamine 56 mg + Oral Antidepressant"
    measure = {
        "title": "Percentage of Participants With Response at Day 28",
        "description": "Response is defined as a >= 50% reduction from baseline in MADRS total score.",
        "unitOfMeasure": "percentage of participants", "paramType": "NUMBER", "timeFrame": "Day 28",
        "groups": [{"id": "OG000", "title": group}, {"id": "OG001", "title": "Placebo + Oral Antidepressant"}],
        "denoms": [{"units": "Participants", "counts": [{"groupId": "OG000", "value": "100"},
                                                         {"groupId": "OG001", "value": "90"}]}],
        "classes": [{"categories": [{"measurements": [{"groupId": "OG000", "value": "60"},
                                                      {"groupId": "OG001", "value": "40"}]}]}],
    }  # fmt: skip
    flow = {
        "groups": [{"id": "FG000", "title": titles[0]}, {"id": "FG001", "title": titles[1]}],
        "periods": [
            {"milestones": [
                {"type": "STARTED", "achievements": [{"groupId": "FG000", "numSubjects": started[0]},
                                                     {"groupId": "FG001", "numSubjects": started[1]}]},
                {"type": "COMPLETED", "achievements": [{"groupId": "FG000", "numSubjects": "1"}]},
            ]},
            {"milestones": [{"type": "STARTED", "achievements": [{"groupId": "FG001", "numSubjects": "7"}]}]},
        ],
    }  # fmt: skip
    return {
        "protocolSection": {"identificationModule": {"nctId": "NCT00000001"}},
        "resultsSection": {"participantFlowModule": flow, "outcomeMeasuresModule": {"outcomeMeasures": [measure]}},
    }


def test_n_randomized_from_the_first_period_started_milestone_by_group_title() -> None:
    study = registry_study_from_json(
        _flow_study(("Esketamine 56 mg + oral antidepressant", "Placebo + Oral Antidepressant"), ("101", "93"))
    )
    rows = with_n_randomized(_registry_outcomes(study), study)
    assert [(r["group_id"], r["n_randomized"]) for r in rows] == [("OG000", 101), ("OG001", 93)]
    other = registry_study_from_json(_flow_study(("Arm A", "Placebo + Oral Antidepressant"), ("101", "NA")))
    rows = with_n_randomized(_registry_outcomes(other), other)
    assert [r["n_randomized"] for r in rows] == [None, None]


def test_input_is_plain_core_rows() -> None:
    """The normalizer needs no JSON: rows named like core.outcome_measure, core.result_group, ... suffice."""
    key = {"nct_id": "NCT00000002", "outcome_idx": 3}
    measure = RegistryMeasure(
        measure={**key, "title": "Number of Participants With Remission", "time_frame": "Week 4",
                 "unit_of_measure": "Participants", "param_type": "COUNT_OF_PARTICIPANTS"},
        groups=({**key, "group_id": "OG000", "title": "Ketamine 0.5 mg/kg IV"},),
        denoms=({**key, "class_idx": None, "denom_idx": 0, "group_id": "OG000", "units": "Participants",
                 "count_raw": "20"},),
        measurements=({**key, "class_idx": 0, "category_idx": 0, "measurement_idx": 0, "group_id": "OG000",
                       "value_raw": "5"},),
    )  # fmt: skip
    (row,) = _registry_outcomes(RegistryStudy(nct_id="NCT00000002", measures=(measure,)))
    assert (row["drug"], row["events"], row["total"], row["timepoint_days"]) == ("ketamine", 5, 20, 28.0)
    assert (
        row["json_path"] == "resultsSection.outcomeMeasuresModule.outcomeMeasures[3].classes[0].categories[0]"
        ".measurements[0]"
    )


def test_the_trials_own_phase_names_the_window() -> None:
    induction = _relapse_free("Double-blind Induction Phase: Percentage of Participants With Response", "Week 8")
    assert (induction["outcome_kind"], induction["timepoint_days"], induction["time_window"]) == (
        "response", 56.0, "induction")
    plain = _relapse_free("Percentage of Participants With Response", "Week 8")
    assert plain["time_window"] == "maintenance"


def test_post_treatment_phase_rows_are_kept_out_of_pools() -> None:
    """TRANSFORM-3's posttreatment phase: every arm is off esketamine, so no active-drug maintenance row."""
    rows = [r for r in registry_rows(wrap("NCT02918318")) if "post_treatment_phase" in r["flag"]]
    assert len(rows) == 8 and {r["outcome_kind"] for r in rows} == {"time_to_relapse"}
    assert usable_rows(pd.DataFrame(rows)).empty
