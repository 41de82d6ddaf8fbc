"""Abstract extraction: the real SUSTAIN-1 abstract and hand-made sentences in the shapes abstracts use."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ketamine_evidence.transform.outcomes import abstract_outcomes
from ketamine_evidence.transform.outcomes.rows import with_review
from tests.conftest import shared_path


def read_abstracts(path: Path) -> dict[str, dict]:
    """PMID -> title, abstract (labels kept as "LABEL: text" lines, as the PubMed parser stores it), NCT ids."""
    out = {}
    for article in ET.parse(path).getroot():
        sections = []
        for node in article.iter("AbstractText"):
            text = " ".join("".join(node.itertext()).split())
            sections.append(f"{node.get('Label')}: {text}" if node.get("Label") else text)
        pmid = article.findtext(".//PMID") or ""
        out[pmid] = {
            "title": article.findtext(".//ArticleTitle") or "",
            "abstract": "\n".join(sections),
            "nct_ids": [n.text or "" for n in article.iter("AccessionNumber")],
        }
    return out


@pytest.fixture(scope="module")
def sustain1() -> tuple[str, list[dict]]:
    record = read_abstracts(shared_path("meta-harness", "esketamine-trd-madrs", "comparator_named_pubmed.xml"))
    art = record["31166571"]
    return art["abstract"], abstract_outcomes("31166571", art["abstract"], title=art["title"], nct_ids=art["nct_ids"])


def test_sustain1_relapse_figures(sustain1: tuple[str, list[dict]]) -> None:
    _, rows = sustain1
    relapse = [
        (r["span_text"], r["drug"], r["arm_role"], r["events"], r["total"], r["analysis_subset"])
        for r in rows
        if r["outcome_kind"] == "relapse"
    ]
    assert relapse == [
        ("24 (26.7%)", "esketamine", "active", 24, 90, "stable remitters"),
        ("39 (45.3%)", "oral_ad_placebo", "control", 39, 86, "stable remitters"),
        ("16 (25.8%)", "esketamine", "active", 16, 62, "stable responders"),
        ("34 (57.6%)", "oral_ad_placebo", "control", 34, 59, "stable responders"),
    ]
    assert [r["proportion"] for r in rows if r["outcome_kind"] == "relapse"] == pytest.approx(
        [0.267, 0.453, 0.258, 0.576]
    )
    assert all("total derived from" in r["rounding_note"] for r in rows if r["outcome_kind"] == "relapse")


def test_sustain1_hazard_ratios(sustain1: tuple[str, list[dict]]) -> None:
    _, rows = sustain1
    hrs = [
        (r["effect_type"], r["effect"], r["ci_lower"], r["ci_upper"], r["analysis_subset"], r["drug"])
        for r in rows
        if r["outcome_kind"] == "time_to_relapse"
    ]
    assert hrs == [
        ("HR", 0.49, 0.29, 0.84, "stable remitters", "esketamine"),
        ("HR", 0.30, 0.16, 0.55, "stable responders", "esketamine"),
    ]


def test_sustain1_spans_are_exact_and_nothing_else_is_kept(sustain1: tuple[str, list[dict]]) -> None:
    abstract, rows = sustain1
    assert len(rows) == 6
    for row in rows:
        assert abstract[row["span_start"] : row["span_end"]] == row["span_text"]
        assert row["nct_id"] == "NCT02493868" and row["pmid"] == "31166571" and row["source"] == "abstract"
        assert row["population"] == "trd"
    assert "197 [66.3%]" not in {r["span_text"] for r in rows}


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        (
            "At 24 hours, response rates were 64% and 28% in the ketamine and midazolam groups, respectively.",
            [("response", "ketamine", 0.64, 1.0), ("response", "midazolam", 0.28, 1.0)],
        ),
        (
            "Response rates at day 28 were 54% with ketamine versus 25% with saline.",
            [("response", "ketamine", 0.54, 28.0), ("response", "placebo", 0.25, 28.0)],
        ),
        (
            "Remission (MADRS <=10) at week 8 occurred in 30/60 patients given esketamine and 15/60 given quetiapine.",
            [("remission", "esketamine", 0.5, 56.0), ("remission", "quetiapine", 0.25, 56.0)],
        ),
        (
            "After three infusions, 12 of 20 patients (60%) in the ketamine group responded.",
            [("response", "ketamine", 0.6, None)],
        ),
        (
            "Relapse occurred in 10 (20.0%) patients on esketamine and 20 (40.0%) on placebo by week 16.",
            [("relapse", "esketamine", 0.2, 112.0), ("relapse", "placebo", 0.4, 112.0)],
        ),
        (
            "Response at day 28 was 61.0% [70/115] with esketamine vs 40.2% [45/112] with placebo.",
            [("response", "esketamine", 0.609, 28.0), ("response", "placebo", 0.402, 28.0)],
        ),
        (
            "In the ketamine group, response and remission rates were 48% and 31%, respectively.",
            [("response", "ketamine", 0.48, None), ("remission", "ketamine", 0.31, None)],
        ),
        (
            "Response and remission rates were higher with esketamine (51.2% / 33.0%) than with sham (42.1% / 20.3%).",
            [("response", "esketamine", 0.512, None), ("remission", "esketamine", 0.33, None),
             ("response", "placebo", 0.421, None), ("remission", "placebo", 0.203, None)],
        ),
        (
            "In the ketamine group, 22 of 36 (61%) were responders and 9 of 36 (25%) remitters.",
            [("response", "ketamine", 0.611, None), ("remission", "ketamine", 0.25, None)],
        ),
        (
            "Remission was reached by 58% with ECT and by 39% with ketamine.",
            [("remission", "ect", 0.58, None), ("remission", "ketamine", 0.39, None)],
        ),
        (
            "Among patients who had previously received ECT, 10 out of 16 patients responded to esketamine.",
            [("response", "esketamine", 0.625, None)],
        ),
    ],
)
def test_sentence_shapes(sentence: str, expected: list[tuple]) -> None:
    rows = abstract_outcomes("1", sentence, nct_ids=["NCT00000001"])
    got = [
        (r["outcome_kind"], r["drug"], round(r["proportion"], 3), r["timepoint_days"])
        for r in rows
        if r["effect"] is None
    ]
    assert got == expected
    for row in rows:
        assert sentence[row["span_start"] : row["span_end"]] == row["span_text"]


@pytest.mark.parametrize(
    "sentence",
    [
        "Of 297 adults (197 [66.3%] female), 176 achieved stable remission.",
        "Dizziness (32.9%) and dissociation (27.6%) were the most common adverse events after response.",
        "Ketamine reduced the risk of relapse by 51% compared with placebo.",
        "The objective response rate was 45% with ketamine plus chemotherapy.",
        "580 of 779 (74.5%) completed induction and response was assessed weekly.",
        "In 35% of participants the response lasted at least 1 week.",
        "Ketamine (0.5 mg/kg) was infused over 40 minutes; 95% CI overlapped for response.",
        "More esketamine patients achieved remission (RD [95% CI]: 7.1% [1.5%, 12.8%]; p = 0.013).",
        "With ketamine, remission was higher than with placebo (95% CI 12%-40%).",
        "With esketamine, a partial response rate of 26.1% was observed.",
        "Cumulative functional remission rates with esketamine were 5.0% and 15.0%.",
        "Over 5 years, esketamine was projected to increase time in remission from 25.3% to 31.1%.",
        "10 out of 16 patients responded to esketamine (> 50% change in baseline MADRS scores).",
    ],
)
def test_figures_that_are_not_rates(sentence: str) -> None:
    got = [r["span_text"] for r in abstract_outcomes("1", sentence) if r["effect"] is None]
    assert not [t for t in got if t not in ("10 out of 16 patients",)]


@pytest.mark.parametrize(
    "sentence",
    [
        "Esketamine shortened time to first remission (hazard ratio: 1.71 [95% confidence interval 1.40, 2.09]).",
        "Over 5 years, esketamine was projected to reduce relapse (HR 0.70) at a cost of 20,000 per QALY.",
    ],
)
def test_estimates_that_are_no_outcome_rows(sentence: str) -> None:
    assert abstract_outcomes("1", sentence) == []


@pytest.mark.parametrize(
    ("sentence", "reason"),
    [
        ("With esketamine, higher baseline SDS (OR = 0.73, 95% CI: 0.59-0.89) was associated with lower odds of "
         "remission.", "predictor"),
        ("Kaplan-Meier estimates of remission at week 12 were 40% with ketamine and 20% with placebo.", "cumulative"),
        ("Response and remission rates with ketamine were 48%.", "several outcome kinds"),
    ],
)
def test_doubtful_readings_are_held_for_a_person(sentence: str, reason: str) -> None:
    rows = with_review(abstract_outcomes("1", sentence))
    assert rows and all(r["needs_review"] and r["confidence"] == "low" for r in rows)
    assert all(reason in r["flag_reason"] for r in rows)


def test_unregistered_publication_keys_on_pmid() -> None:
    rows = abstract_outcomes("30922101", "59% of participants met response criteria after ketamine infusions.")
    assert rows[0]["nct_id"] is None and rows[0]["study_key"] == "PMID:30922101"
    assert rows[0]["timepoint_raw"] == "after ketamine infusions" and rows[0]["timepoint_days"] is None


def test_percentage_above_100_is_flagged_not_dropped() -> None:
    rows = abstract_outcomes("1", "Response rates were 120% with ketamine vs 20% with placebo.")
    assert rows[0]["flag"] == ["pct_over_100"] and rows[0]["proportion"] is None
    assert rows[1]["proportion"] == pytest.approx(0.2)


def test_zero_denominator_is_flagged() -> None:
    rows = abstract_outcomes("1", "Remission occurred in 0/0 patients given ketamine.")
    assert rows[0]["flag"] == ["zero_denominator"] and rows[0]["proportion"] is None


@settings(max_examples=200)
@given(st.text(alphabet=st.sampled_from(list("0123456789 .,;:()[]%/-vsandofrespoinmlkt\nHRCI=<")), max_size=200))
def test_never_raises_and_spans_hold(text: str) -> None:
    for row in abstract_outcomes("1", text, title="t", nct_ids=["NCT1"]):
        assert text[row["span_start"] : row["span_end"]] == row["span_text"]


@given(st.text())
def test_never_raises_on_any_text(text: str) -> None:
    abstract_outcomes("1", text)


@pytest.mark.parametrize(
    ("sentence", "events", "total"),
    [
        ("Of the 17 participants who received ketamine, 71% met response criteria at 24 hours.", 12, 17),
        ("Among 40 patients randomized to esketamine, 45% were in remission at day 28.", 18, 40),
    ],
)
def test_arm_size_written_before_the_drug(sentence: str, events: int, total: int) -> None:
    """Zarate 2006 / trial-report phrasing (our words): the arm size precedes the drug name."""
    (row,) = abstract_outcomes("1", sentence)
    assert (row["events"], row["total"]) == (events, total)
    assert "rounded" in row["rounding_note"]


@pytest.mark.parametrize(
    "sentence",
    [
        "Of the 40 patients randomized to esketamine or placebo, 45% were in remission at day 28.",
        "Among 60 patients randomized to ketamine and midazolam, 64% responded with ketamine at 24 hours.",
    ],
)
def test_a_whole_trial_size_is_not_an_arm_size(sentence: str) -> None:
    rows = abstract_outcomes("1", sentence)
    assert rows and all(r["total"] is None for r in rows)
