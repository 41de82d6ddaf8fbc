"""One reading per trial, by rule (transform.meta._reading_rank), with the passed-over readings visible;
the analysis population and method come from the measure's own words (data/analysis_readings.csv)."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from ketamine_evidence.transform.meta import evidence_summary
from ketamine_evidence.transform.outcomes.registry import analysis_reading
from tests.transform.test_meta import arm


def _measure(index: int, **kw: object) -> dict[str, object]:
    return {"json_path": f"resultsSection.outcomeMeasuresModule.outcomeMeasures[{index}].classes[0].x", **kw}


def test_locf_beats_observed_cases_even_when_observed_has_more_participants() -> None:
    locf = _measure(3, analysis_method="locf", measure_type="secondary", group_id="A")
    observed = _measure(2, analysis_method="observed", measure_type="secondary", group_id="A")
    rows = [
        arm("NCT1", "active", 50, 100, **locf), arm("NCT1", "control", 30, 100, **{**locf, "group_id": "C"}),
        arm("NCT1", "active", 55, 104, **observed), arm("NCT1", "control", 31, 106, **{**observed, "group_id": "C"}),
    ]
    for row, oid in zip(rows, ("l-a", "l-c", "o-a", "o-c"), strict=True):
        row["outcome_id"] = oid
    got = evidence_summary(pd.DataFrame(rows)).iloc[0]
    assert (got["events_active"], got["n_active"]) == (50, 100)
    assert got["outcome_ids"] == ["l-a", "l-c"]
    assert got["passed_over_ids"] == ["o-a"]
    assert got["reading_choices"] == [
        "NCT1: registry, secondary, locf, day 1 (n=100) over 1 other reading(s):"
        " registry, secondary, observed, day 1 (n=104)"
    ]


def test_a_primary_measure_beats_a_secondary_one_and_itt_beats_completers() -> None:
    rows = [
        arm("NCT1", "active", 40, 90, **_measure(1, measure_type="secondary", analysis_population="itt")),
        arm("NCT1", "active", 30, 80, **_measure(0, measure_type="primary", analysis_population="completers")),
        arm("NCT2", "active", 20, 60, **_measure(0, measure_type="primary", analysis_population="completers")),
        arm("NCT2", "active", 21, 50, **_measure(1, measure_type="primary", analysis_population="itt")),
    ]
    got = evidence_summary(pd.DataFrame(rows)).iloc[0]
    assert (got["events_active"], got["n_active"]) == (30 + 21, 80 + 50)


@pytest.mark.parametrize(("measure", "expected"), [
    # TRANSFORM-1 (NCT02417064) measure titles and population description, as posted
    ({"title": "Percentage of Participants Who Achieved at Least 50% Reduction From Baseline in MADRS Total Score"
               " at the Endpoint (Double-blind Induction Phase [Day 28]) (LOCF Data)",
      "population_description": "Full analysis set: randomized participants with at least one dose of nasal study"
                                " drug", "outcome_type": "SECONDARY"},
     {"measure_type": "secondary", "analysis_population": "full_analysis_set", "analysis_method": "locf"}),
    ({"title": "Percentage of Participants in Remission (MADRS<=12) at Day 28 of Double-blind Induction Phase"
               " (Observed Data)", "outcome_type": "SECONDARY"},
     {"measure_type": "secondary", "analysis_population": None, "analysis_method": "observed"}),
    ({"title": "Time to Relapse", "population_description": "Participants who completed the induction phase",
      "outcome_type": "PRIMARY"},
     {"measure_type": "primary", "analysis_population": "completers", "analysis_method": None}),
    ({"title": "Response", "description": "Non-responder imputation was used for missing data."},
     {"measure_type": None, "analysis_population": None, "analysis_method": "nonresponder_imputation"}),
])
def test_analysis_reading_from_the_measure_words(measure, expected) -> None:
    assert analysis_reading(measure) == expected


def test_the_sample_pool_takes_transform1_locf_data_and_shows_the_observed_reading(
        sample: duckdb.DuckDBPyConnection) -> None:
    locf, observed = (
        sample.execute("select list(outcome_id) from core.outcome where study_key = 'NCT02417064' and source ="
                       " 'registry' and outcome_kind = 'response' and analysis_method = ? and arm_role = 'active'",
                       [method]).fetchall()[0][0]
        for method in ("locf", "observed")
    )
    assert len(locf) == 2 and len(observed) == 2
    row = sample.execute(
        "select outcome_ids, passed_over_ids, reading_choices from marts.evidence_summary where outcome_kind ="
        " 'response' and time_window = 'induction' and list_contains(study_keys, 'NCT02417064')").fetchall()
    assert len(row) == 1
    taken, passed, choices = row[0]
    assert set(locf) <= set(taken) and not set(observed) & set(taken)
    assert set(observed) <= set(passed)
    assert any(c.startswith("NCT02417064: registry, secondary, full_analysis_set, locf, day 28") for c in choices)
