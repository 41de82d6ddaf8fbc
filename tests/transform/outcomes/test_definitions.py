"""Definition parsing over real measure titles and description sentences."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketamine_evidence.transform.outcomes.definitions import Definition, format_definition, parse_definition


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Percentage of Participants With Remission (MADRS Total Score <=12)", ("MADRS", 12.0, "<=", "score", None)),
        (
            "Percentage of Participants in Remission (MADRS<=12) at Day 28 of Double-blind Induction Phase",
            ("MADRS", 12.0, "<=", "score", None),
        ),
        (
            "Percentage of Participants Who Achieved at Least 50% Reduction From Baseline in MADRS Total Score "
            "at Day 28",
            ("MADRS", 50.0, ">=", "pct_reduction", None),
        ),
        (
            "Percentage of Participants Who Achieved >=50% Reduction From Baseline in MADRS Total Score",
            ("MADRS", 50.0, ">=", "pct_reduction", None),
        ),
        (
            r"Montgomery-asberg depression rating scale (MADRS) total score greater than or equal to (\>=) 22 for 2 "
            "consecutive assessments separated by 5-15 days",
            ("MADRS", 22.0, ">=", "score", 2),
        ),
        (
            r"Remission was defined as participants who had a MADRS total score of less than or equal to (=\<) 12.",
            ("MADRS", 12.0, "<=", "score", None),
        ),
        (
            r"A participant was considered as a remitter if participant had a MADRS total score of less than or equal "
            r"to \[\<=\] 12 at a visit.",
            ("MADRS", 12.0, "<=", "score", None),
        ),
        (
            r"A participant is defined as responder (yes=1 and no=0) at a given time point if the percent improvement "
            r"from baseline in MADRS is greater than or equal to (\>=) 50 percent (%).",
            ("MADRS", 50.0, ">=", "pct_reduction", None),
        ),
        (
            "Percentage of Participants in Response (SDS Total Score <=12 and Individual Item Scores Each <=4)",
            ("SDS", 12.0, "<=", "score", None),
        ),
        (
            "The primary end point was remission (MADRS score of 10 or less) at week 8",
            ("MADRS", 10.0, "<=", "score", None),
        ),
        (
            "response, a decrease of at least 50% from baseline in the 16-item Quick Inventory of Depressive "
            "Symptomatology-Self-Report score",
            ("QIDS-SR", 50.0, ">=", "pct_reduction", None),
        ),
        ("remission (HAM-D17 score of 7 or less)", ("HAM-D17", 7.0, "<=", "score", None)),
        ("HDRS-24 score <= 10", ("HAM-D24", 10.0, "<=", "score", None)),
        ("CGI-I score of 1 or 2 (<=2)", ("CGI-I", 2.0, "<=", "score", None)),
        ("PHQ-9 total score <5", ("PHQ-9", 5.0, "<", "score", None)),
        ("response rates differed (P<0.001)", (None, None, None, None, None)),
    ],
)
def test_real_definitions(text: str, expected: tuple) -> None:
    assert parse_definition(text) == Definition(*expected)


@given(st.text())
def test_never_raises_and_round_trips(text: str) -> None:
    parsed = parse_definition(text)
    assert parse_definition(format_definition(parsed)) == parsed
