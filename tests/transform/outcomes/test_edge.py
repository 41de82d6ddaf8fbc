"""Bad registry input keeps its row with a flag and a reason, and never raises; compare_sources flags."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ketamine_evidence.transform.outcomes import compare_sources
from ketamine_evidence.transform.outcomes.build import flag_counts
from ketamine_evidence.transform.outcomes.rows import split_flags, with_review
from tests.support.registry import registry_rows


def study(
    value: str = "40.0",
    denom: str | None = "50",
    unit: str = "Percentage of participants",
    param: str = "NUMBER",
    time_frame: str = "Day 28",
    title: str = "Percentage of Participants With Response",
    gid: str = "OG000",
) -> dict[str, Any]:
    counts = [{"groupId": "OG000", "value": denom}] if denom is not None else []
    return {
        "protocolSection": {"identificationModule": {"nctId": "NCT09999999"}},
        "hasResults": True,
        "resultsSection": {"outcomeMeasuresModule": {"outcomeMeasures": [{
            "title": title, "paramType": param, "unitOfMeasure": unit, "timeFrame": time_frame,
            "groups": [{"id": "OG000", "title": "Ketamine 0.5 mg/kg IV"}, {"id": "OG001", "title": "Saline"}],
            "denoms": [{"units": "Participants", "counts": [*counts, {"groupId": "OG001", "value": "50"}]}],
            "classes": [{"categories": [{"measurements": [
                {"groupId": gid, "value": value}, {"groupId": "OG001", "value": "20.0"}]}]}],
        }]}},
    }  # fmt: skip


@pytest.mark.parametrize(
    ("kwargs", "flag"),
    [
        ({"value": "140.0"}, "pct_over_100"),
        ({"denom": "0", "unit": "Participants", "param": "COUNT_OF_PARTICIPANTS", "value": "3"}, "zero_denominator"),
        ({"denom": None}, "missing_denom"),
        ({"gid": "OG007"}, "missing_denom"),
        ({"time_frame": "At the end of the study"}, "unparsed_timepoint"),
        ({"value": "NA"}, "na_value"),
        ({"unit": "relapses per 100 patient-years", "title": "Relapse Rate"}, "rate_not_proportion"),
        ({"value": "12", "denom": "10", "unit": "Participants", "param": "COUNT_OF_PARTICIPANTS"}, "events_over_total"),
    ],
)
def test_bad_input_is_flagged_and_kept(kwargs: dict[str, Any], flag: str) -> None:
    rows = registry_rows(study(**kwargs))
    first = rows[0]
    assert flag in split_flags(first["flag"]) and first["flag_reason"] and first["confidence"] == "low"
    assert flag_counts(rows)[flag] >= 1


def test_count_of_participants() -> None:
    row = registry_rows(study(value="12", unit="Participants", param="COUNT_OF_PARTICIPANTS"))[0]
    assert (row["events"], row["total"], row["proportion"], row["rounding_note"]) == (12, 50, 0.24, None)
    assert (row["drug"], row["route"], row["dose"], row["comparator"]) == ("ketamine", "IV", "0.5 mg/kg", "placebo")


def test_percent_is_never_divided_again() -> None:
    row = registry_rows(study(value="40.0"))[0]
    assert (row["events"], row["proportion"]) == (20, 0.4)


def test_category_rows_keep_the_positive_category() -> None:
    data = study(
        value="10", unit="Participants", param="COUNT_OF_PARTICIPANTS", title="Number of Participants With Relapse"
    )
    measure = data["resultsSection"]["outcomeMeasuresModule"]["outcomeMeasures"][0]
    yes = copy.deepcopy(measure["classes"][0])
    measure["classes"] = [{"title": "Relapse", **yes}, {"title": "No relapse", **copy.deepcopy(yes)}]
    rows = registry_rows(data)
    assert {r["json_path"][-40:].split(".")[0] for r in rows} == {"classes[0]"}
    assert rows[0]["outcome_kind"] == "relapse"


@settings(max_examples=100)
@given(
    st.dictionaries(
        st.sampled_from(["value", "denom", "unit", "param", "time_frame", "title", "gid"]), st.text(max_size=30)
    )
)
def test_never_raises(kwargs: dict[str, str]) -> None:
    registry_rows(study(**kwargs))


@given(
    st.recursive(
        st.none() | st.text(max_size=5) | st.integers(),
        lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c, max_size=3),
        max_leaves=20,
    )
)
def test_never_raises_on_any_json(value: Any) -> None:
    registry_rows({"resultsSection": {"outcomeMeasuresModule": {"outcomeMeasures": [value]}}})


def test_compare_sources_flags_disagreement_and_keeps_both() -> None:
    registry = registry_rows(study(value="40.0"))
    base = {**registry[0], "source": "abstract", "pmid": "1", "json_path": None}
    agree = {**base, "proportion": 0.40}
    disagree = {**base, "proportion": 0.46}
    rounded = {**base, "proportion": 0.404}
    out = compare_sources([*registry, agree, disagree])
    assert len(out) == len(registry) + 2
    assert "registry_abstract_disagree" not in split_flags(out[-2]["flag"])
    assert "registry_abstract_disagree" in split_flags(out[-1]["flag"])
    assert "registry_abstract_disagree" in split_flags(out[0]["flag"])
    assert "registry_abstract_disagree" not in split_flags(compare_sources([*registry, rounded])[-1]["flag"])


def test_only_a_registry_figure_lets_an_abstract_figure_through_unreviewed() -> None:
    registry = registry_rows(study(value="40.0"))
    base = {**registry[0], "source": "abstract", "pmid": "1", "json_path": None, "confidence": "medium"}
    unregistered = {**base, "nct_id": None, "study_key": "PMID:1", "proportion": 0.4}
    agree, disagree, other = with_review(compare_sources([
        *registry, {**base, "proportion": 0.40}, {**base, "proportion": 0.46}, unregistered,
    ]))[-3:]  # fmt: skip
    assert split_flags(agree["flag"]) == ["registry_agrees"]
    assert (agree["needs_review"], agree["confidence"]) == (False, "high")
    assert "abstract_unverified" in split_flags(disagree["flag"]) and disagree["needs_review"]
    assert split_flags(other["flag"]) == ["abstract_unverified"]
    assert (other["needs_review"], other["confidence"]) == (True, "medium")
    assert not any(r["needs_review"] for r in with_review(compare_sources(registry)))
