"""Drug and route normalizers, over strings copied from the shared CT.gov records.

Sources of the strings: intervention names/descriptions in aact-spec/json_data and
dgg32-clinical-trials-public, and group titles/descriptions in meta-harness ctgov_results.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketamine_evidence.transform.drugs import (
    COMPARATORS,
    KETAMINE_CLASS,
    drug_vocabulary,
    normalize_drug,
    normalize_route,
)
from ketamine_evidence.transform.tables import patterns, rows


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Esketamine", "esketamine"),
        ("Intranasal Esketamine 56 mg Plus Oral Antidepressant", "esketamine"),
        ("Intranasal Esketamine + Oral AD", "esketamine"),
        ("Esketamine Nasal Spray + Oral Antidepressant (AD)", "esketamine"),
        ("Esketamine: Flexible Dose", "esketamine"),
        ("Spravato", "esketamine"),
        ("JNJ-54135419", "esketamine"),
        ("(S)-ketamine", "esketamine"),
        ("S-Ketamine hydrochloride", "esketamine"),
        ("Ketamine", "ketamine"),
        ("Ketamine hydrochloride 0.5 mg/kg IV", "ketamine"),
        ("IV Ketamine infusion", "ketamine"),
        ("Ketalar", "ketamine"),
        ("racemic ketamine", "ketamine"),
        ("Arketamine", "arketamine"),
        ("(R)-ketamine", "arketamine"),
        ("R-Ketamine", "arketamine"),
        ("PCN-101", "arketamine"),
        ("(2R,6R)-hydroxynorketamine", "hydroxynorketamine"),
        ("Oral AD Plus Intranasal Placebo", "placebo"),
        ("Oral AD+ Intranasal Placebo", "placebo"),
        ("Intranasal Placebo + Oral AD", "placebo"),
        ("Placebo matching Spesolimab Formulation 1", "placebo"),
        ("Placebo (blinded)", "placebo"),
        ("Placebo of KNP2002", "placebo"),
        ("Saline placebo", "placebo"),
        ("Normal saline", "saline"),
        ("0.9% Sodium Chloride", "saline"),
        ("Sham", "sham"),
        ("Midazolam", "midazolam"),
        ("Quetiapine Extended Release (XR) + Oral AD", "quetiapine"),
        ("Electroconvulsive Therapy (ECT)", "ECT"),
        ("ECT", "ECT"),
        ("Nitrous oxide 50%", "nitrous oxide"),
        ("Oral antidepressant", "antidepressant"),
        ("Certolizumab Pegol", None),
        ("Tests and questionnaires", None),
        ("", None),
    ],
)
def test_normalize_drug_by_name(name: str, expected: str | None) -> None:
    assert normalize_drug(name) == expected


def test_other_names_fill_in_when_the_name_is_a_code() -> None:
    assert normalize_drug("Study drug A", ["Spravato"]) == "esketamine"


def test_description_supplies_only_an_active_drug() -> None:
    finerenone = "Study participants will be instructed to take either finerenone or placebo orally once daily"
    assert normalize_drug("Finerenone", (), finerenone) is None
    assert normalize_drug("Study drug", (), "Ketamine 0.5 mg/kg diluted in 0.9% saline") == "ketamine"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Intranasal Esketamine 56 mg Plus Oral Antidepressant", "intranasal"),
        ("Esketamine Nasal Spray + Oral Antidepressant (AD)", "intranasal"),
        ("esketamine 56 milligram (mg) or 84 mg intranasally twice weekly", "intranasal"),
        ("Ketamine 0.5 mg/kg IV over 40 minutes", "IV"),
        ("Atezolizumab as a IV infusion", "IV"),
        ("0.04 mmol Gd/kg body weight, solution for intravenous injection, single dose", "IV"),
        ("Concentrate for solution for infusion", "IV"),
        ("The therapeutic agent is administered continuously intravenously", "IV"),
        ("Intravitreally (IVT) injection.", None),
        ("Major depressive disorder (DSM-IV criteria)", None),
        ("The investigational vaccine will be administered intramuscularly as 1 dose", "IM"),
        ("Ketamine 0.5 mg/kg IM", "IM"),
        ("Administered SC", "SC"),
        ("sub cutaneous daily injection", "SC"),
        ("Participants will receive 2.4 mg cagrilintide s.c. OW", "SC"),
        ("Administered via subcutaneous injection.", "SC"),
        ("Sublingual ketamine wafer", "sublingual"),
        ("Ketamine troche 50 mg", "sublingual"),
        ("Oral Tablet", "oral"),
        ("Administered orally.", "oral"),
        ("GET73 300 mg oral capsules...", "oral"),
        ("Lenvatinib will be administered at a dose of 8 mg orally QD", "oral"),
        ("Nitrous oxide 50% inhaled for 1 hour", "inhaled"),
        ("Sham procedure will be given on visits when an active injection is not planned.", None),
        ("", None),
    ],
)
def test_normalize_route(text: str, expected: str | None) -> None:
    assert normalize_route(text) == expected


@pytest.mark.parametrize(("table", "column"), [("drug_patterns", "drug"), ("routes", "route")])
def test_every_value_maps_to_itself(table: str, column: str) -> None:
    normalize = normalize_drug if table == "drug_patterns" else normalize_route
    for value in {p[column] for p in patterns(table, use="intervention")}:
        assert normalize(value) == value


def test_drug_vocabulary_has_one_row_per_drug_value() -> None:
    vocabulary = drug_vocabulary()
    drugs = [row["drug"] for row in vocabulary]
    assert len(drugs) == len(set(drugs))
    assert set(drugs) == {r["drug"] for r in rows("drug_patterns")}
    assert all(set(row) == {"drug", "ketamine_class", "comparator"} for row in vocabulary)
    assert all(isinstance(row["ketamine_class"], bool) and isinstance(row["comparator"], bool) for row in vocabulary)


def test_ketamine_class_and_comparators_come_from_the_vocabulary() -> None:
    assert {"ketamine", "esketamine", "arketamine"} == KETAMINE_CLASS
    assert {"placebo", "sham", "saline"} == COMPARATORS
    assert {row["drug"] for row in drug_vocabulary() if row["ketamine_class"]} == KETAMINE_CLASS


@pytest.mark.parametrize("table", ["drug_patterns", "routes"])
def test_pattern_tables_serve_two_uses(table: str) -> None:
    assert {r["use"] for r in rows(table)} == {"intervention", "mention"}
    assert all(p.fields["priority"].isdigit() for p in patterns(table))


@given(st.text())
def test_normalizers_never_crash_and_are_idempotent(text: str) -> None:
    drug = normalize_drug(text, [text], text)
    route = normalize_route(text)
    if drug is not None:
        assert normalize_drug(drug) == drug
    if route is not None:
        assert normalize_route(route) == route
