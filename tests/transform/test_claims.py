"""The claims file: content, traceability to the article, and one-line validation errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ketamine_evidence.errors import ConfigError
from ketamine_evidence.transform.claims import CLAIM_COLUMNS, DEFAULT_PATH, Scope, claims_frame, load_claims
from tests.conftest import SHARED

ARTICLE = SHARED / "article" / "ketamine-article.txt"


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).lower()


def test_bundled_claims_cover_the_article_figures() -> None:
    claims = load_claims(DEFAULT_PATH)
    by_figure = {(c.lo, c.hi, c.unit) for c in claims}
    for needed in [
        (60, 70, "percent"),
        (64, 64, "percent"),
        (35, 35, "percent"),
        (4, 4, "hours"),
        (24, 24, "hours"),
        (52, 52, "percent"),
        (46.4, 46.4, "percent"),
        (2, 4, "weeks"),
        (50, 50, "percent"),
        (88, 88, "weeks"),
        (4, 6, "weeks"),
        (4, 8, "weeks"),
        (33, 33, "percent"),
        (30, 30, "percent"),
        (0, 2, "percent"),
        (51.5, 51.5, "usd_billion"),
        (13.7, 13.7, "hours_per_month"),
        (12, 12, "hours"),
        (29, 29, "days"),
    ]:
        assert needed in by_figure, needed
    assert len({c.id for c in claims}) == len(claims)
    assert all(c.reason for c in claims if not c.checkable)
    assert {c.metric for c in claims if not c.checkable} >= {"cost", "mechanism", "prevalence"}
    reduction = next(c for c in claims if c.metric == "relapse_reduction")
    assert (reduction.lo, reduction.scope.window, reduction.scope.comparator) == (50, "maintenance", "placebo")


def test_every_quote_hint_is_in_the_article() -> None:
    if not ARTICLE.exists():
        pytest.skip(f"article {ARTICLE} is missing (expected ../shared beside the checkout)")
    article = _norm(ARTICLE.read_text(encoding="utf-8"))
    for claim in load_claims(DEFAULT_PATH):
        assert 3 <= len(claim.quote_hint.split()) <= 8, claim.id
        assert _norm(claim.quote_hint) in article, claim.id


def test_claims_frame_has_one_row_per_claim() -> None:
    claims = load_claims(DEFAULT_PATH)
    frame = claims_frame(claims)
    assert list(frame.columns) == list(CLAIM_COLUMNS) and len(frame) == len(claims)
    row = frame.set_index("claim_id").loc["C10"]
    assert (row["figure_lo"], row["scope_subset"], row["scope_timepoint_days"]) == (46.4, "responders", 270)


GOOD = """claims:
  - id: X01
    text: a claim
    quote_hint: some words here
    {figure}
    unit: percent
    metric: {metric}
    scope: {scope}
    checkable: true
"""


def _write(
    tmp_path: Path, figure: str = "figure: 10", metric: str = "response", scope: str = "{drug: ketamine}"
) -> Path:
    path = tmp_path / "claims.yaml"
    path.write_text(GOOD.format(figure=figure, metric=metric, scope=scope), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"metric": "speed"}, "metric 'speed'"),
        ({"figure": "range: [70, 60]"}, "range lo 70 is above hi 60"),
        ({"figure": "range: [sixty, 70]"}, "range must be a number"),
        ({"figure": "range: [60]"}, "range must be [lo, hi]"),
        ({"figure": "figure: lots"}, "figure must be a number"),
        ({"scope": "{drug: ketamine, dose: high}"}, "unknown scope key 'dose'"),
        ({"scope": "{drug: psilocybin}"}, "scope drug 'psilocybin'"),
        ({"figure": "figure: 10\n    presented_as: anecdote"},
         "presented_as 'anecdote' is not one of general, one_trial"),
    ],
)
def test_bad_claims_give_one_line_config_errors(tmp_path: Path, kwargs: dict[str, str], field: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_claims(_write(tmp_path, **kwargs))
    message = str(info.value)
    assert "claim X01" in message and field in message and "\n" not in message


def test_unreadable_or_shapeless_files_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_claims(tmp_path / "absent.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("claims: [unclosed", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_claims(bad)
    bad.write_text("- just a list", encoding="utf-8")
    with pytest.raises(ConfigError, match="claims:"):
        load_claims(bad)


def test_a_figure_the_article_states_twice_has_one_scope() -> None:
    """A body claim and its restatement in the conclusion are judged on the same evidence."""
    scopes: dict[tuple[object, ...], list[Scope]] = {}
    for c in load_claims():
        scopes.setdefault((c.metric, c.lo, c.hi, c.unit), []).append(c.scope)
    repeated = {figure: found for figure, found in scopes.items() if len(found) > 1}
    assert len(repeated) >= 4
    assert all(len(set(found)) == 1 for found in repeated.values()), repeated
