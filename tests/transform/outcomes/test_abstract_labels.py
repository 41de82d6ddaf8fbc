"""The abstract extractor scored against hand labels of 101 real PubMed abstracts (tests/data/abstract_labels/).

The floors are today's measured level, just below it, not the target (precision >= 0.95, recall >= 0.80): they
stop a change from making the extractor worse without being seen. The held-out `test` split (48 abstracts) is
scored only; the `dev` split (53) is what the rules were written against, so its level is no accuracy claim.
Because the held-out level is far below the target, the build holds every abstract figure no registry figure
confirms (flag `abstract_unverified`).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import shared_path
from tests.support.abstract_labels import KINDS, extract, label_rows, records, score

DRUGS = {"esketamine", "ketamine", "arketamine", "placebo", "midazolam", "ECT", "oral_ad", "oral_ad_placebo",
         "other", ""}  # fmt: skip
CATEGORIES = {"adverse_event", "dropout", "baseline", "background", "pooled_review", "ci_bound", "p_value",
              "heterogeneity", "diagnostic", "other_outcome", "dose_or_schedule", "other"}  # fmt: skip


@pytest.fixture(scope="module")
def search() -> Path:
    return shared_path("meta-harness", "esketamine-trd-madrs")


def test_labels_cover_at_least_40_abstracts_in_two_splits() -> None:
    abstracts = label_rows("abstracts")
    assert len(abstracts) >= 40 and len({a["pmid"] for a in abstracts}) == len(abstracts)
    assert {a["split"] for a in abstracts} == {"dev", "test"}
    figures = label_rows("figures")
    assert {f["pmid"] for f in figures} <= {a["pmid"] for a in abstracts}
    assert sum(f["is_outcome"] == "true" for f in figures) >= 100


def test_every_label_uses_the_guide_vocabulary() -> None:
    for f in label_rows("figures"):
        where = f"{f['pmid']}:{f['span_start']}"
        assert f["is_outcome"] in ("true", "false"), where
        if f["is_outcome"] == "true":
            assert f["outcome_kind"] in KINDS and f["drug"] in DRUGS, where
            assert f["arm_role"] in ("active", "control", ""), where
        else:
            assert f["category"] in CATEGORIES, where


def test_every_span_is_the_text_at_its_offsets(search: Path) -> None:
    figures = label_rows("figures")
    fields = records(search, {a["pmid"] for a in label_rows("abstracts")})
    assert len(fields) == len(label_rows("abstracts"))
    for f in figures:
        text = fields[f["pmid"]]["abstract"] or ""
        assert text[int(f["span_start"]) : int(f["span_end"])] == f["span_text"], f"{f['pmid']}:{f['span_start']}"


def test_held_out_accuracy_does_not_fall_below_todays(search: Path) -> None:
    result = score("test", search)
    assert result.targets == 81
    assert result.precision >= 0.56 and result.recall >= 0.45, (result.precision, result.recall)
    assert result.found_any / result.targets >= 0.62
    assert result.non_outcome_rate <= 0.078


def test_dev_accuracy_does_not_fall_below_todays(search: Path) -> None:
    result = score("dev", search)
    assert result.targets == 111
    assert result.precision >= 0.97 and result.recall >= 0.42, (result.precision, result.recall, result.wrong[:5])
    assert result.found_any / result.targets >= 0.50
    assert result.non_outcome_rate <= 0.003


def test_held_rows_are_less_often_right_than_written_ones(search: Path) -> None:
    """Confidence means something: a row written without a doubt is right more often than one held for a doubt."""
    result = score(None, search)
    held = [sum(c[i] for (_, h), c in result.by_level.items() if h) for i in (0, 1)]
    unheld = [sum(c[i] for (_, h), c in result.by_level.items() if not h) for i in (0, 1)]
    assert held[0] and unheld[0] and held[1] / held[0] < unheld[1] / unheld[0]


def test_reviews_and_meta_analyses_give_no_rows(search: Path) -> None:
    reviews = {a["pmid"] for a in label_rows("abstracts") if a["design"] in ("review", "meta_analysis")}
    assert len(reviews) >= 8
    fields = records(search, reviews)
    review_types = {"Review", "Meta-Analysis", "Systematic Review"}
    typed = [p for p in reviews if review_types & set(fields[p]["publication_types"])]
    assert typed and all(extract(fields[p]) == [] for p in typed)
