"""Timepoint normalization over real registry time frames and abstract phrases."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketamine_evidence.transform.outcomes.timepoints import (
    canonical_timepoint,
    first_timepoint,
    normalize_timepoint,
    time_window,
)


@pytest.mark.parametrize(
    ("text", "days", "hours", "window"),
    [
        ("Day 2 (24 hours post first dose)", 1.0, 24.0, "acute"),
        ("Baseline (Day 1: predose) to 24 hours post first dose (Day 2)", 1.0, 24.0, "acute"),
        ("Baseline, Day 28", 28.0, None, "induction"),
        ("Up to Week 92", 644.0, None, "maintenance"),
        (
            "Time from randomization to the first relapse during the maintenance phase (up to 92 Weeks)",
            644.0,
            None,
            "maintenance",
        ),
        ("Days 2, 8, 15, 22 and 28 (DB induction phase)", 28.0, None, "induction"),
        ("At Endpoint (Double-blind Induction Phase [Day 28])", 28.0, None, "induction"),
        ("At Endpoint-Double-blind Induction Phase [Day 28]", 28.0, None, "induction"),
        ("Week 8", 56.0, None, "maintenance"),
        ("Week 32", 224.0, None, "maintenance"),
        ("Day 2", 2.0, None, "first_week"),
        ("Day 2 up to Day 28 and Day 8 up to Day 28", 28.0, None, "induction"),
        (
            "Baseline, LOCF at Weeks 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32",
            224.0,
            None,
            "maintenance",
        ),
        (
            "From EndPoint (last post baseline assessment value during the DB induction phase [up to Day 28]) up to "
            "24 weeks (posttreatment phase)",
            168.0,
            None,
            "maintenance",
        ),
        (
            "From Day 1 of study 54135419TRD4010 up to 30 days after last dose of study drug at Week 104 "
            "(up to Week 108)",
            756.0,
            None,
            "maintenance",
        ),
        ("Baseline to Day 42", 42.0, None, "induction"),
        ("at 24 hours", 1.0, 24.0, "acute"),
        ("4 hours post-infusion", 0.1667, 4.0, "acute"),
        ("240 minutes", 0.1667, 4.0, "acute"),
        ("at the end of the 3-week treatment phase", 21.0, None, "induction"),
        ("three weeks", 21.0, None, "induction"),
        ("6 months", 182.625, None, "maintenance"),
    ],
)
def test_real_time_frames(text: str, days: float, hours: float | None, window: str) -> None:
    point = normalize_timepoint(text)
    assert point.raw == text
    assert point.days == pytest.approx(days, abs=1e-3)
    assert point.hours == (None if hours is None else pytest.approx(hours, abs=1e-3))
    assert point.window == window


@pytest.mark.parametrize(
    "text", ["At Endpoint", "after three infusions", "End of Double-blind Treatment Phase", "", "NA", "Baseline"]
)
def test_phrases_without_a_time_are_kept_raw(text: str) -> None:
    point = normalize_timepoint(text)
    assert (point.raw, point.days, point.hours, point.window) == (text, None, None, None)


def test_onset_uses_the_first_time_named() -> None:
    assert first_timepoint("Onset of Clinical response by Day 8 up to Day 28").days == 8.0


@pytest.mark.parametrize(
    ("days", "window"),
    [
        (0.1667, "acute"),
        (1.0, "acute"),
        (2.0, "first_week"),
        (7.0, "first_week"),
        (8.0, "induction"),
        (42.0, "induction"),
        (43.0, "maintenance"),
        (None, None),
    ],
)
def test_windows(days: float | None, window: str | None) -> None:
    assert time_window(days) == window


@given(st.text())
def test_never_raises(text: str) -> None:
    point = normalize_timepoint(text)
    assert point.days is None or point.days >= 0


@given(st.text())
def test_canonical_form_is_a_fixed_point(text: str) -> None:
    point = normalize_timepoint(text)
    again = normalize_timepoint(canonical_timepoint(point))
    assert (again.days, again.hours, again.window) == (point.days, point.hours, point.window)
    assert canonical_timepoint(again) == canonical_timepoint(point)


@given(st.integers(min_value=1, max_value=500), st.sampled_from(["Day", "Week", "day", "week"]))
def test_unit_first_phrases(number: int, unit: str) -> None:
    factor = 7 if unit.lower() == "week" else 1
    assert normalize_timepoint(f"At {unit} {number}").days == number * factor
