"""Abstract readings added for issue 8, each in our own words after a shape seen in the dev split of the
labelled abstracts (tests/data/abstract_labels/): masked kinds, spelled-out figures, paired arms split around
the figures, arms named by the abstract's own abbreviations, counts that fit several totals, background before
an unlabelled abstract's own study, and the sentence splitter."""

from __future__ import annotations

from typing import Any

import pytest

from ketamine_evidence.transform.outcomes import abstract_outcomes
from ketamine_evidence.transform.outcomes.rows import with_review
from ketamine_evidence.transform.outcomes.spans import has_number, sentences, word_number

TITLE = "Esketamine for treatment-resistant depression"


def _rows(text: str, title: str = TITLE) -> list[dict[str, Any]]:
    return with_review(abstract_outcomes("1", text, title=title))


def _plain(rows: list[dict[str, Any]]) -> list[tuple[str, str | None, float | None]]:
    """(kind, drug, proportion) of the rows written without a doubt."""
    return [(r["outcome_kind"], r["drug"], r["proportion"]) for r in rows if not r["needs_review"]]


def test_a_masked_kind_governs_its_own_figure() -> None:
    rows = _rows(
        "METHODS: Thirty patients received esketamine.\n"
        "RESULTS: At the end of treatment a partial response rate of 20.0%, a response rate of 45.0% and a remission "
        "rate of 30.0% were seen. Overall, 40% achieved response, 55% at least partial response, and 25% remission."
    )
    assert _plain(rows) == [
        ("response", "esketamine", pytest.approx(0.45)), ("remission", "esketamine", pytest.approx(0.30)),
        ("response", "esketamine", pytest.approx(0.40)), ("remission", "esketamine", pytest.approx(0.25)),
    ]  # fmt: skip


def test_a_qualifier_carries_over_a_coordinated_kind() -> None:
    rows = _rows(
        "RESULTS: With esketamine, symptomatic response and remission rates were 60.0% and 40.0%, while functional "
        "response and remission rates were 55.0% and 25.0%, respectively."
    )
    assert 0.25 not in [r["proportion"] for r in rows] and 0.55 not in [r["proportion"] for r in rows]


def test_one_count_of_either_kind_is_held() -> None:
    rows = _rows("RESULTS: Of 50 patients who stayed on esketamine, 30 were responders or remitters (60.0%).")
    assert rows and all(r["needs_review"] and "together" in r["flag_reason"] for r in rows)


def test_a_pair_splits_between_the_arm_before_and_the_arm_compared_after() -> None:
    rows = _rows(
        "RESULTS: More esketamine-treated patients reached remission at week 8 (30.0% versus 20.0%; P = 0.01) and at "
        "week 32 (50.0% versus 35.0%; P < 0.001), compared with quetiapine-treated patients."
    )
    assert _plain(rows) == [
        ("remission", "esketamine", pytest.approx(0.30)), ("remission", "quetiapine", pytest.approx(0.20)),
        ("remission", "esketamine", pytest.approx(0.50)), ("remission", "quetiapine", pytest.approx(0.35)),
    ]  # fmt: skip


def test_arms_named_by_the_abstracts_own_abbreviations_and_brackets() -> None:
    rows = _rows(
        "Patients were randomized to ketamine 0.5 mg/kg (KET) or midazolam 0.045 mg/kg (MID). On day 7, response "
        "was more frequent with KET (n = 12; response rate = 50%) than with MID (n = 12; response rate = 25%)."
    )
    assert _plain(rows) == [("response", "ketamine", 0.5), ("response", "midazolam", 0.25)]
    assert [(r["events"], r["total"]) for r in rows] == [(6, 12), (3, 12)]


def test_spelled_out_figures() -> None:
    rows = _rows(
        "RESULTS: Forty patients received esketamine. Thirty-five percent of patients achieved remission. "
        "Two-thirds of the patients responded. Twelve of 40 patients relapsed. Only five patients achieved remission "
        "at month 6."
    )
    got = [(r["outcome_kind"], r["events"], r["total"], r["proportion"], r["rule"]) for r in rows]
    assert got == [
        ("remission", None, None, pytest.approx(0.35), "abstract.words_pct"),
        ("response", None, None, pytest.approx(0.667), "abstract.fraction"),
        ("relapse", 12, 40, pytest.approx(0.3), "abstract.words_n_of_N"),
        ("remission", 5, None, None, "abstract.n_verb"),
    ]
    assert word_number("Thirty-five") == 35 and word_number("twenty four") == 24 and word_number("tenth") is None


def test_a_count_is_not_read_from_a_week_number() -> None:
    rows = _rows("RESULTS: Patients on esketamine who had not responded by week 4 achieved remission later.")
    assert rows == []


def test_a_total_that_several_denominators_fit_is_left_open() -> None:
    (row,) = _rows("RESULTS: Among veterans treated with esketamine, 5 (14%) showed a response at week 4.")
    assert (row["events"], row["total"], row["proportion"]) == (5, None, pytest.approx(0.14))
    (row,) = _rows("RESULTS: Among veterans treated with esketamine, 24 (26.7%) showed a response at week 4.")
    assert row["total"] == 90


def test_events_are_derived_from_an_arm_size_only_when_they_give_the_printed_percentage() -> None:
    rows = _rows("RESULTS: In the esketamine group (n = 11), the response rate was 70%; in the placebo group (n = 10) "
                 "it was 30%.")  # fmt: skip
    assert [(r["drug"], r["events"], r["total"]) for r in rows] == [("esketamine", None, None), ("placebo", 3, 10)]


def test_an_unlabelled_abstract_reads_from_its_own_study_on() -> None:
    rows = _rows(
        "About thirty percent of people with depression do not respond to two antidepressants. Half of them never "
        "achieve remission. We conducted an open-label study of esketamine nasal spray. Response was seen in 12 of "
        "20 patients."
    )
    assert [(r["outcome_kind"], r["events"], r["total"]) for r in rows] == [("response", 12, 20)]


def test_economic_models_and_diagnostic_accuracy_give_no_rows() -> None:
    text = "RESULTS: The remission rate at week 32 was 50% with esketamine and 33% with quetiapine."
    assert _rows(text, title="Cost per remitter of esketamine versus quetiapine") == []
    assert _rows("RESULTS: The MADRS at day 2 predicted response to esketamine with an accuracy of 80%.") == []


def test_other_symptom_scales_and_subgroup_comparisons_are_not_figures() -> None:
    assert _rows("RESULTS: With esketamine, sixteen veterans (46%) showed a meaningful response (PCL-5 fall "
                 "of > 30%) in PTSD.") == []  # fmt: skip
    rows = _rows("RESULTS: Patients with obesity were more likely to respond to esketamine (RR = 1.63; p = 0.03).")
    assert rows and all(r["needs_review"] for r in rows)


def test_a_treatment_named_between_figure_and_arm_takes_the_figure() -> None:
    rows = _rows("RESULTS: At 12 h, 5 (31%) participants receiving NV-5138 and none receiving placebo met response "
                 "criteria.")  # fmt: skip
    assert [r["drug"] for r in rows if not r["needs_review"]] == []


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("Adverse events were mild in 96.7% and 8.2%, respectively. 98.3% of them resolved the same day.", 2),
        ("Response was 61.0% vs. 40.2% (approx. 2 vs. 1) at day 28. Remission followed.", 2),
        ("The rate was 0.5. 10 patients relapsed.", 1),
    ],
)
def test_sentences_start_at_a_figure_but_not_after_an_abbreviation(text: str, count: int) -> None:
    assert len(sentences(text)) == count


def test_the_number_prefilter() -> None:
    assert has_number("two-thirds responded") and has_number("at 24 h") and not has_number("no figures here")
