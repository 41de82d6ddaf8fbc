"""Measure classification, arm mapping and populations over real titles, units and group labels."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketamine_evidence.transform.outcomes.arms import arm_from_group, find_mentions, normalize_dose
from ketamine_evidence.transform.outcomes.classify import classify_measure, measure_shape
from ketamine_evidence.transform.outcomes.screening import classify_population

PCT = ("Percentage of participants", "NUMBER")


@pytest.mark.parametrize(
    ("title", "unit", "param", "kind"),
    [
        ("Percentage of Participants With Remission (MADRS Total Score <=12)", *PCT, "remission"),
        ("Number of Participants With Response", "Participants", "COUNT_OF_PARTICIPANTS", "response"),
        (
            "Percentage of Participants Who Achieved at Least 50% Reduction From Baseline in MADRS Total Score "
            "at Day 28 of Double-blind Induction Phase (Observed Data)",
            "Percentage of Participants",
            "NUMBER",
            "response",
        ),
        (
            "Percentage of Responders at the End of Double-blind Treatment Phase (Day 28)",
            "Percentage of Responders",
            "NUMBER",
            "response",
        ),
        ("Percentage of Participants With Onset of Clinical Response by Day 2 and Day 8", *PCT, "response"),
        ("Percentage of Participants With Sustained Remission", *PCT, "remission"),
        (
            "Time to Relapse in Participants With Stable Remission (Maintenance Phase)",
            "Days",
            "MEDIAN",
            "time_to_relapse",
        ),
        ("Percentage of Participants With Both Remission at Week 8 and Relapse-free Until Week 32", *PCT, "remission"),
        (
            "Percentage of Participants With No Relapse and Without Discontinuation Until the End of the Prospective "
            "Observation Period at Week 104",
            *PCT,
            "relapse",
        ),
        ("Number of Participants With Relapse", "Participants", "COUNT_OF_PARTICIPANTS", "relapse"),
        ("Percentage of Participants With CGI-I Score of 1 or 2", *PCT, "response"),
    ],
)
def test_relevant_measures(title: str, unit: str, param: str, kind: str) -> None:
    assert classify_measure(title, "", unit, param).kind == kind


@pytest.mark.parametrize(
    ("title", "unit", "param"),
    [
        ("Objective Response Rate (ORR) per RECIST 1.1", *PCT),
        ("Percentage of Participants With Complete Remission of Acute Myeloid Leukemia", *PCT),
        ("Dose-Response Relationship of Ketamine on MADRS Total Score", "Units on a scale", "MEAN"),
        ("Percentage of Participants With Remission of Pain at Week 12", *PCT),
        ("Number of Participants With Alcohol Relapse", "Participants", "COUNT_OF_PARTICIPANTS"),
        ("Time to Relapse to Heavy Drinking", "Days", "MEDIAN"),
        ("Percentage of Participants With Remission of Crohn's Disease", *PCT),
        (
            "Change From Baseline in MADRS Total Score at Endpoint in Participants With Stable Remission "
            "(Maintenance Phase)",
            "Units on a scale",
            "MEAN",
        ),
        ("Time to Onset of Clinical Response", "Days", "MEDIAN"),
        ("Percentage of Participants With Treatment-emergent Adverse Events (TEAEs)", *PCT),
        ("Incidence Rate of Treatment-emergent Adverse Events (TEAEs)", "AEs per 100 patient-months", "NUMBER"),
        (
            "Change in Montgomery Åsberg Depression Rating Scale (MADRS) Total Score From Baseline to Day 42, in "
            "DGM4-positive Patients",
            "Units on a Scale",
            "MEAN",
        ),
    ],
)
def test_negative_measures(title: str, unit: str, param: str) -> None:
    assert classify_measure(title, "", unit, param).kind is None


@pytest.mark.parametrize(
    ("unit", "param", "shape"),
    [
        ("percentage of participants", "NUMBER", "percent"),
        ("Percentage of Responders", "NUMBER", "percent"),
        ("Participants", "COUNT_OF_PARTICIPANTS", "count"),
        ("Days", "MEDIAN", "time"),
        ("AEs per 100 patient-months", "NUMBER", "rate"),
        ("proportion of participants", "NUMBER", "proportion"),
        ("Units on a scale", "MEAN", "other"),
    ],
)
def test_units(unit: str, param: str, shape: str) -> None:
    assert measure_shape(param, unit) == shape


@pytest.mark.parametrize(
    ("title", "description", "drug", "route", "dose", "role"),
    [
        ("Esketamine 56 mg + Oral AD", "", "esketamine", None, "56 mg", "active"),
        ("Intranasal Esketamine 56 mg Plus Oral Antidepressant", "", "esketamine", "intranasal", "56 mg", "active"),
        ("Oral AD + Intranasal Placebo", "", "oral_ad_placebo", "intranasal", None, "control"),
        ("Oral AD+ Intranasal Placebo", "", "oral_ad_placebo", "intranasal", None, "control"),
        ("Intranasal Placebo Plus Oral AD", "", "oral_ad_placebo", "intranasal", None, "control"),
        (
            "Esketamine 28 Milligrams (mg)",
            "DB induction phase: Participants received intranasal esketamine (Esk) 28 mg",
            "esketamine",
            "intranasal",
            "28 mg",
            "active",
        ),
        ("Esketamine: Flexible Dose", "", "esketamine", None, "flexible", "active"),
        ("Placebo", "Participants received intranasal Esk placebo twice a week", "placebo", None, None, "control"),
        ("Quetiapine Extended Release (XR) + Oral AD", "", "quetiapine", "oral", None, "control"),
        ("Esketamine Nasal Spray + Oral Antidepressant (AD)", "", "esketamine", "intranasal", None, "active"),
        ("Ketamine", "0.5 mg/kg intravenous infusion over 40 minutes", "ketamine", "IV", "0.5 mg/kg", "active"),
        ("Midazolam", "0.045 mg/kg IV", "midazolam", None, None, "control"),
        ("Saline", "", "placebo", None, None, "control"),
        ("ECT", "", "ect", None, None, "control"),
        ("R-ketamine 60 mg", "", "arketamine", None, "60 mg", "active"),
        (
            "Esketamine Nasal Spray + Oral Antidepressant (AD)",
            "Participants received flexible dose of esketamine nasal spray 28 milligrams (mg) (one spray), 56 mg (two"
            " sprays) or 84 mg (three sprays) once weekly",
            "esketamine",
            "intranasal",
            "28-84 mg",
            "active",
        ),
        ("Esketamine", "Flexibly dosed esketamine 56 mg or 84 mg twice weekly", "esketamine", None, "56-84 mg",
         "active"),
        ("Esketamine 56 mg", "A fixed dose of 56 mg; the placebo arm was flexibly dosed", "esketamine", None, "56 mg",
         "active"),
    ],
)
def test_group_titles(title: str, description: str, drug: str, route: str | None, dose: str | None, role: str) -> None:
    arm = arm_from_group(title, description)
    assert (arm.drug, arm.role) == (drug, role)
    if route:
        assert arm.route == route
    assert arm.dose == dose


def test_liafensine_is_not_a_ketamine_arm() -> None:
    assert arm_from_group("Liafensine 1mg or 2mg", "Liafensine tablets once daily").drug is None


@pytest.mark.parametrize(
    ("text", "dose"),
    [
        ("56 Milligrams (mg)", "56 mg"),
        ("0.5 mg per kilogram", "0.5 mg/kg"),
        ("0.5 mg/kg", "0.5 mg/kg"),
        ("56 or 84 mg", "56 or 84 mg"),
        ("", None),
    ],
)
def test_doses(text: str, dose: str | None) -> None:
    assert normalize_dose(text) == dose


@pytest.mark.parametrize(
    ("conditions", "title", "summary", "population"),
    [
        (["Depressive Disorder, Treatment-Resistant"], "", "", "trd"),
        (["Major Depressive Disorder"], "Ketamine for depression", "", "mdd"),
        (["Bipolar Depression"], "", "", "bipolar"),
        (
            ["Major Depressive Disorder"],
            "Esketamine in MDD With Active Suicidal Ideation With Intent",
            "",
            "suicidal_ideation",
        ),
        (["Postpartum Depression"], "", "", "perinatal"),
        (["Postoperative Pain"], "", "", "other"),
        ([], "", "Adults with treatment-resistant depression", "trd"),
        (["Major Depressive Disorder"], "", "patients with suicidal ideation were excluded", "mdd"),
    ],
)
def test_populations(conditions: list[str], title: str, summary: str, population: str) -> None:
    assert classify_population(conditions, title, summary) == population


@given(st.text(), st.text(), st.text(), st.text())
def test_classifiers_never_raise(title: str, description: str, unit: str, param: str) -> None:
    classify_measure(title, description, unit, param)
    arm_from_group(title, description)
    find_mentions(title)
    assert classify_population([unit], title, description) in {
        "trd",
        "mdd",
        "bipolar",
        "suicidal_ideation",
        "perinatal",
        "other",
    }


@given(st.text())
def test_dose_normalization_is_idempotent(text: str) -> None:
    once = normalize_dose(text)
    if once not in (None, "flexible"):
        assert normalize_dose(once) == once
