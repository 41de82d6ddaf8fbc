"""Real-world shapes beyond the bundled sample: hand-made registry fixtures (API v2 structure) and abstract
sentences in our own words, each imitating a real record whose numbers and structure are kept."""

from __future__ import annotations

from typing import Any

import pytest

from ketamine_evidence.transform.outcomes import abstract_outcomes
from tests.support.registry import registry_rows

KET = [("Ketamine 0.5 mg/kg", ""), ("Midazolam 0.045 mg/kg", "")]


def _cat(title: str | None, *values: object) -> dict[str, Any]:
    out: dict[str, Any] = {"measurements": [{"groupId": f"OG00{i}", "value": str(v)} for i, v in enumerate(values)]}
    return {"title": title, **out} if title else out


def _denoms(*counts: int) -> list[dict[str, Any]]:
    return [
        {"units": "Participants", "counts": [{"groupId": f"OG00{i}", "value": str(c)} for i, c in enumerate(counts)]}
    ]


def _study(title: str, param: str, unit: str, time_frame: str, groups: list, classes: list, denoms: list,
           analyses: list | None = None, description: str = "") -> dict[str, Any]:  # fmt: skip
    measure = {
        "title": title, "description": description, "paramType": param, "unitOfMeasure": unit,
        "timeFrame": time_frame, "classes": classes, "denoms": _denoms(*denoms), "analyses": analyses or [],
        "groups": [{"id": f"OG00{i}", "title": t, "description": d} for i, (t, d) in enumerate(groups)],
    }  # fmt: skip
    return {
        "protocolSection": {
            "identificationModule": {"nctId": "NCT09000001", "briefTitle": "Ketamine in depression"},
            "armsInterventionsModule": {"interventions": [{"name": "Ketamine"}]},
            "conditionsModule": {"conditions": ["Treatment Resistant Depression"]},
        },
        "resultsSection": {"outcomeMeasuresModule": {"outcomeMeasures": [measure]}},
    }


def _one_class(*categories: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"categories": list(categories)}]


def _subset(row: dict[str, Any], expected: dict[str, Any]) -> None:
    for key, value in expected.items():
        got = row[key]
        if isinstance(value, float):
            assert got == pytest.approx(value, abs=1e-3), (key, row)
        else:
            assert got == value, (key, row)


# Hand-made fixtures; each imitates the posted shape of the record named in its id.
REGISTRY: dict[str, tuple[dict[str, Any], list[dict[str, Any]]]] = {
    # NCT00768430 (ketamine vs midazolam, "24 hours post-infusion"); categories Responder / Non-responder.
    "responder_categories": (
        _study("Number of Participants Who Achieved Clinical Response", "COUNT_OF_PARTICIPANTS", "Participants",
               "24 hours post-infusion", KET, _one_class(_cat("Responder", 30, 7), _cat("Non-responder", 17, 18)),
               [47, 25]),
        [dict(outcome_kind="response", drug="ketamine", dose="0.5 mg/kg", arm_role="active", comparator="midazolam",
              events=30, total=47, timepoint_days=1.0, timepoint_hours=24.0, time_window="acute"),
         dict(outcome_kind="response", drug="midazolam", arm_role="control", events=7, total=25)],
    ),
    # Yes / No categories (NCT02918318 class titles "Onset of clinical response: Yes/No").
    "yes_no_categories": (
        _study("Number of Participants With Remission", "COUNT_OF_PARTICIPANTS", "Participants", "Day 1", KET,
               _one_class(_cat("Yes", 10, 3), _cat("No", 37, 22)), [47, 25]),
        [dict(outcome_kind="remission", events=10, total=47, timepoint_days=1.0),
         dict(outcome_kind="remission", events=3, total=25)],
    ),
    # Relapse / No Relapse categories; "Baseline up to Week 16".
    "relapse_categories": (
        _study("Number of Participants With Relapse", "COUNT_OF_PARTICIPANTS", "Participants",
               "Baseline up to Week 16", KET, _one_class(_cat("Relapse", 5, 9), _cat("No Relapse", 20, 16)), [25, 25]),
        [dict(outcome_kind="relapse", events=5, total=25, proportion=0.2, timepoint_days=112.0,
              time_window="maintenance"),
         dict(outcome_kind="relapse", events=9, total=25)],
    ),
    # Classes as timepoints with class-level denoms (NCT02918318, NCT04338321 "Week 1", "Week 2" classes).
    "class_timepoints": (
        _study("Percentage of Participants With Response", "NUMBER", "Percentage of participants",
               "Day 1 (4 hours post-dose), Day 2 (24 hours)", KET,
               [{"title": "Day 1 (4 hours post-dose)", "categories": [_cat(None, 40.0, 20.0)],
                 "denoms": _denoms(45, 25)},
                {"title": "Day 2 (24 hours)", "categories": [_cat(None, 60.0, 28.0)]}], [47, 25]),
        [dict(timepoint_hours=4.0, timepoint_days=0.1667, events=18, total=45, proportion=0.4),
         dict(timepoint_hours=4.0, events=5, total=25),
         dict(timepoint_hours=24.0, timepoint_days=1.0, events=28, total=47),
         dict(timepoint_hours=24.0, events=7, total=25)],
    ),
    # ASPIRE I NCT03039192: groups "Esketamine 84 mg Plus SOC Antidepressant Treatment" / "Placebo Plus SOC ...".
    "aspire_remission_day25": (
        _study("Percentage of Participants With Remission (MADRS <=12) at Day 25", "NUMBER",
               "Percentage of participants", "Day 25",
               [("Esketamine 84 mg Plus SOC Antidepressant Treatment", ""),
                ("Placebo Plus SOC Antidepressant Treatment", "")], _one_class(_cat(None, 40.3, 32.7)), [113, 112]),
        [dict(outcome_kind="remission", drug="esketamine", dose="84 mg", arm_role="active",
              comparator="oral_ad_placebo", instrument="MADRS", threshold=12.0, operator="<=", events=46, total=113,
              timepoint_days=25.0),
         dict(drug="oral_ad_placebo", arm_role="control", events=37, total=112)],
    ),
    # Classic-API spellings (aact-spec NCT02028676: paramType "Number", unit "participants";
    # NCT00023673 "Count of Participants") and a count measure's "Risk Difference (RD)" -1.6 [-8.4, 5.2].
    "classic_param_and_rd_points": (
        _study("Number of Participants With Response", "Count of Participants", "participants", "48 weeks", KET,
               _one_class(_cat(None, 20, 10)), [40, 40],
               [{"groupIds": ["OG000", "OG001"], "paramType": "Risk Difference (RD)", "paramValue": "-1.6",
                 "ciLowerLimit": "-8.4", "ciUpperLimit": "5.2", "pValue": "0.65"}]),
        [dict(events=20, total=40, effect_type="RD", effect=-0.016, ci_lower=-0.084, ci_upper=0.052, p_value=0.65),
         dict(events=10, effect_type=None)],
    ),
    # NCT02210780: NUMBER "Percentage of participants" with analysis paramType "Percentage Difference" 34.0.
    "percentage_difference": (
        _study("Percentage of Participants With Response", "NUMBER", "Percentage of participants", "Week 16", KET,
               _one_class(_cat(None, 44.3, 10.3)), [97, 97],
               [{"groupIds": ["OG000", "OG001"], "paramType": "Percentage Difference", "paramValue": "34.0",
                 "ciLowerLimit": "24.29", "ciUpperLimit": "43.75", "pValue": "<0.0001"}]),
        [dict(events=43, total=97, effect_type="RD", effect=0.34, ci_lower=0.2429, ci_upper=0.4375, p_value=0.0001),
         dict(events=10)],
    ),
    # NCT02552212: "percentage of subjects" with "Odds Ratio (OR)" 15.231 [7.336, 31.623]; active group listed second.
    "odds_ratio": (
        _study("Percentage of Participants With Response", "NUMBER", "percentage of subjects", "Week 12",
               [("Placebo", ""), ("Ketamine 0.5 mg/kg", "")], _one_class(_cat(None, 7.0, 47.2)), [158, 159],
               [{"groupIds": ["OG000", "OG001"], "paramType": "Odds Ratio (OR)", "paramValue": "15.231",
                 "ciLowerLimit": "7.336", "ciUpperLimit": "31.623", "pValue": "<0.001"}]),
        [dict(drug="placebo", arm_role="control", effect_type=None, events=11),
         dict(drug="ketamine", arm_role="active", effect_type="OR", effect=15.231, ci_lower=7.336, events=75)],
    ),
    # NCT01920555: titles "Ketamine 0.1mg" ... with "0.1 mg/kg" in the description; "Midazolam (Active Placebo)".
    "per_dose_groups": (
        _study("Number of Participants With Response", "COUNT_OF_PARTICIPANTS", "Participants", "Day 3",
               [("Ketamine 0.1mg", "Patients in this arm will receive 0.1 mg/kg of Ketamine - one single infusion"),
                ("Ketamine 0.5mg", "Patients in this arm will receive 0.5 mg/kg of Ketamine - one single infusion"),
                ("Midazolam (Active Placebo)", "")], _one_class(_cat(None, 5, 9, 4)), [18, 20, 19]),
        [dict(drug="ketamine", dose="0.1 mg/kg", route="IV", arm_role="active", comparator="midazolam", events=5),
         dict(drug="ketamine", dose="0.5 mg/kg", route="IV", events=9, total=20),
         dict(drug="midazolam", arm_role="control", comparator_type="midazolam", events=4, total=19)],
    ),
    # NCT01558063: "Ketamine Dose 1" described as "0.1 mg/kg, IV (in the vein) of Ketamine"; "Day 1 (post ketamine)".
    "dose_before_drug_in_description": (
        _study("Number of Responders", "COUNT_OF_PARTICIPANTS", "Participants", "Day 1 (post ketamine)",
               [("Ketamine Dose 1", "0.1 mg/kg, IV (in the vein) of Ketamine and MRI scan")],
               _one_class(_cat(None, 4)), [8]),
        [dict(drug="ketamine", dose="0.1 mg/kg", route="IV", events=4, total=8, timepoint_days=1.0)],
    ),
    # One measure, categories "Response" and "Remission": each category keeps its own kind.
    "response_and_remission_categories": (
        _study("Number of Participants With Response and Remission", "COUNT_OF_PARTICIPANTS", "Participants",
               "Day 28", KET, _one_class(_cat("Response", 20, 6), _cat("Remission", 12, 3)), [40, 40]),
        [dict(outcome_kind="response", events=20), dict(outcome_kind="response", events=6),
         dict(outcome_kind="remission", events=12), dict(outcome_kind="remission", events=3)],
    ),
    # SUSTAIN-1 NCT02493868 shape, statisticalMethod "Cox Proportional Hazard"; "Esketamine + Oral AD" is not oral.
    "time_to_relapse_hr": (
        _study("Time to Relapse", "MEDIAN", "Days", "Up to Week 92",
               [("Esketamine + Oral AD", ""), ("Placebo + Oral AD", "")], _one_class(_cat(None, "NA", 273)), [90, 86],
               [{"groupIds": ["OG000", "OG001"], "paramType": "Hazard Ratio (HR)",
                 "statisticalMethod": "Cox Proportional Hazard", "paramValue": "0.49", "ciLowerLimit": "0.29",
                 "ciUpperLimit": "0.84", "pValue": "0.003"}]),
        [dict(outcome_kind="time_to_relapse", drug="esketamine", route=None, effect_type="HR", effect=0.49,
              median_days=None),
         dict(drug="oral_ad_placebo", median_days=273.0, effect_type=None)],
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_registry_shape(name: str) -> None:
    study, expected = REGISTRY[name]
    rows = registry_rows(study)
    assert len(rows) == len(expected), rows
    for row, exp in zip(rows, expected, strict=True):
        _subset(row, exp)


@pytest.mark.parametrize(
    ("title", "param", "unit"),
    [
        ("Change From Baseline in MADRS Total Score", "MEAN", "Units on a scale"),
        ("Number of Participants With Treatment-emergent Adverse Events", "COUNT_OF_PARTICIPANTS", "Participants"),
        ("Number of Participants With Remission of Pain", "COUNT_OF_PARTICIPANTS", "Participants"),
        ("Percentage of Participants With Relapse to Alcohol Use", "NUMBER", "Percentage of participants"),
        ("Objective Response Rate", "NUMBER", "Percentage of participants"),
        ("Dose-Response of Ketamine on MADRS", "NUMBER", "Percentage of participants"),
        ("Ketamine Plasma Concentration in Responders", "GEOMETRIC_MEAN", "ng/mL"),
        ("Number of Pharmacokinetic Responders", "COUNT_OF_PARTICIPANTS", "Participants"),
        ("Number of Participants With Hemodynamic Response", "COUNT_OF_PARTICIPANTS", "Participants"),
        # NCT02210780's immunogenicity measure, under a ketamine group for the test.
        ("Percentage of Participants With a Positive Response (>=4-Fold Increase) to Tetanus Toxoid", "NUMBER",
         "Percentage of participants"),
    ],
)  # fmt: skip
def test_registry_negatives_stay_out(title: str, param: str, unit: str) -> None:
    study = _study(title, param, unit, "Day 1", KET, _one_class(_cat(None, 5, 3)), [10, 10])
    assert registry_rows(study) == []


def _rows(text: str) -> list[dict[str, Any]]:
    return abstract_outcomes("1", text, title="Ketamine for treatment-resistant depression")


# Sentences in our own words; the figures and structure are those of the abstract named beside each.
ABSTRACTS: dict[str, tuple[str, list[dict[str, Any]]]] = {
    # Zarate 2006: "the day following infusion" response and remission.
    "day_following_infusion": (
        "On the day following ketamine infusion, 71% of subjects met response criteria and 29% met remission "
        "criteria.",
        [dict(outcome_kind="response", drug="ketamine", proportion=0.71, timepoint_days=1.0, time_window="acute"),
         dict(outcome_kind="remission", drug="ketamine", proportion=0.29, timepoint_days=1.0)],
    ),
    # Murrough 2013: paired rates at 24 hours and the odds ratio, which lands on the ketamine row.
    "paired_rates_with_or": (
        "The response rate at 24 hours was 64% in the ketamine group versus 28% in the midazolam group "
        "(odds ratio 2.18; 95% CI, 1.21-4.14).",
        [dict(drug="ketamine", arm_role="active", proportion=0.64, timepoint_hours=24.0, effect_type="OR",
              effect=2.18, ci_lower=1.21, ci_upper=4.14, comparator="midazolam"),
         dict(drug="midazolam", arm_role="control", proportion=0.28, effect_type=None)],
    ),
    # Murrough 2013, other order: arms named before "..., respectively".
    "respectively_arms_before": (
        "Ketamine was more likely than midazolam to produce a response at 24 hours (odds ratio 2.18; 95% CI, "
        "1.21-4.14), with response rates of 64% and 28%, respectively.",
        [dict(drug="ketamine", proportion=0.64, effect_type="OR", effect=2.18),
         dict(drug="midazolam", proportion=0.28)],
    ),
    "respectively_remission": (
        "In the esketamine and placebo groups, remission rates at day 28 were 52.5% and 31.0%, respectively.",
        [dict(outcome_kind="remission", drug="esketamine", proportion=0.525, timepoint_days=28.0),
         dict(outcome_kind="remission", drug="placebo", arm_role="control", proportion=0.31)],
    ),
    # "Of the N participants..., X (Y%)": the denominator comes first.
    "of_n_participants": (
        "Of the 17 participants who completed the study, 12 (71%) responded to ketamine.",
        [dict(outcome_kind="response", drug="ketamine", events=12, total=17, proportion=12 / 17)],
    ),
    "or_without_rates": (
        "A significantly greater proportion of esketamine-treated patients achieved remission at day 28 (OR, 2.4; "
        "95% CI, 1.1-5.3).",
        [dict(outcome_kind="remission", drug="esketamine", effect_type="OR", effect=2.4, ci_lower=1.1, ci_upper=5.3,
              timepoint_days=28.0)],
    ),
    # SUSTAIN-1 style with a bracketed CI.
    "hr_bracket_ci": (
        "Esketamine delayed relapse among stable responders (HR, 0.51 [95% CI, 0.29-0.89]).",
        [dict(outcome_kind="time_to_relapse", drug="esketamine", effect_type="HR", effect=0.51, ci_lower=0.29,
              ci_upper=0.89)],
    ),
    "relapse_compared_with": (
        "Among patients in stable remission, relapse occurred in 26.7% of those receiving esketamine compared "
        "with 45.3% of those receiving placebo nasal spray.",
        [dict(outcome_kind="relapse", drug="esketamine", proportion=0.267),
         dict(outcome_kind="relapse", drug="placebo", proportion=0.453)],
    ),
    # Daly 2018 / Japanese phase 2b: per-dose esketamine arms.
    "per_dose_esketamine": (
        "At day 8, response rates were 38%, 50% and 56% for esketamine 28 mg, 56 mg and 84 mg, respectively, "
        "and 12% for placebo.",
        [dict(drug="esketamine", dose="28 mg", proportion=0.38, timepoint_days=8.0),
         dict(drug="esketamine", dose="56 mg", proportion=0.5),
         dict(drug="esketamine", dose="84 mg", proportion=0.56),
         dict(drug="placebo", arm_role="control", proportion=0.12)],
    ),
    # Fava 2020 (NCT01920555): four ketamine doses vs active placebo (midazolam), day 3.
    "per_dose_ketamine_mg_kg": (
        "Response rates at day 3 were 20%, 25%, 45% and 50% with ketamine 0.1, 0.2, 0.5 and 1.0 mg/kg, compared "
        "with 21% with active placebo (midazolam).",
        [dict(dose="0.1 mg/kg", proportion=0.2, time_window="first_week"), dict(dose="0.2 mg/kg"),
         dict(dose="0.5 mg/kg"), dict(dose="1.0 mg/kg", proportion=0.5),
         dict(drug="midazolam", arm_role="control", comparator_type="midazolam", proportion=0.21)],
    ),
    # Anand 2023 (ELEKT-D): risk difference in percentage points, on a 0-1 scale on the ketamine row.
    "risk_difference_points": (
        "A total of 55.4% of patients in the ketamine group and 41.2% of those in the ECT group had a response "
        "(difference, 14.2 percentage points; 95% CI, 3.9 to 24.2).",
        [dict(drug="ketamine", proportion=0.554, effect_type="RD", effect=0.142, ci_lower=0.039, ci_upper=0.242),
         dict(drug="ect", arm_role="control", proportion=0.412, effect_type=None)],
    ),
    "end_of_3_week_phase": (
        "At the end of the 3-week phase, remission was reached by 32% of the ketamine group and 20% of the ECT "
        "group.",
        [dict(outcome_kind="remission", drug="ketamine", proportion=0.32, timepoint_days=21.0, time_window="induction"),
         dict(drug="ect", proportion=0.2, timepoint_days=21.0)],
    ),
    "after_six_infusions": (
        "After 6 infusions, 48% of patients receiving ketamine had responded.",
        [dict(drug="ketamine", proportion=0.48, timepoint_raw="After 6 infusions", timepoint_days=None)],
    ),
    # Reif 2023 (ESCAPE-TRD) shape: esketamine vs quetiapine.
    "week_4_quetiapine": (
        "At week 4, 36.8% of patients treated with esketamine and 22.9% treated with quetiapine were in remission.",
        [dict(drug="esketamine", proportion=0.368, timepoint_days=28.0, comparator="quetiapine"),
         dict(drug="quetiapine", arm_role="control", proportion=0.229)],
    ),
    "day_1_saline": (
        "Response at day 1 was 60% with ketamine and 50% with saline.",
        [dict(drug="ketamine", proportion=0.6, timepoint_days=1.0), dict(drug="placebo", proportion=0.5)],
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(ABSTRACTS))
def test_abstract_shape(name: str) -> None:
    text, expected = ABSTRACTS[name]
    rows = _rows(text)
    assert len(rows) == len(expected), rows
    for row, exp in zip(rows, expected, strict=True):
        _subset(row, exp)
        assert text[row["span_start"] : row["span_end"]] == row["span_text"]


@pytest.mark.parametrize(
    "text",
    [
        "MADRS total scores fell by 50% in the ketamine group and by 20% in the placebo group.",
        "An adverse response such as nausea occurred in 12% of ketamine patients.",
        "A dose-response relationship was seen, with 40% at the highest dose of ketamine.",
        "Pain remission occurred in 40% of ketamine-treated patients versus 20% with placebo.",
        "Relapse to heavy drinking occurred in 30% of the ketamine group and 60% of the placebo group.",
        "The objective response rate was 25% in patients with cancer receiving ketamine.",
        "In the pharmacokinetic substudy, 40% of participants given ketamine were high-exposure responders based on "
        "plasma norketamine levels.",
        "The number needed to treat for response was 6 (NNT = 6; P < .001).",
        "Greater improvement with ketamine than placebo at 24 hours (LS mean difference, -3.8; 95% CI, -6.56 to "
        "-1.09) and more responders overall.",
    ],
)
def test_abstract_negatives_stay_out(text: str) -> None:
    assert [r for r in _rows(text) if r["proportion"] is not None or r["effect_type"] is not None] == []
