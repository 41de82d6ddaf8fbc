"""Verdict rules on small hand-made core.outcome frames: every verdict is reached."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest

from ketamine_evidence.transform.claims import Claim, Scope, load_claims
from ketamine_evidence.transform.meta import evidence_summary
from ketamine_evidence.transform.verdicts import CHECK_COLUMNS, check_claims


def arm(study: str, role: str, events: int | None, total: int | None, **kw: object) -> dict[str, object]:
    row = {
        "outcome_id": f"{study}-{role}-{kw.get('drug', '')}-{kw.get('timepoint_days', 1.0)}-{kw.get('group_id')}",
        "study_key": study,
        "nct_id": study,
        "source": "registry",
        "outcome_kind": "response",
        "instrument": "MADRS",
        "threshold": 50.0,
        "population": "trd",
        "timepoint_days": 1.0,
        "time_window": "acute",
        "drug": "ketamine" if role == "active" else "placebo",
        "route": "IV",
        "arm_role": role,
        "comparator_type": "placebo",
        "events": events,
        "total": total,
        "json_path": f"resultsSection.outcomeMeasuresModule.outcomeMeasures[0].classes[0].{role}",
        "confidence": "high",
    }
    row.update(kw)
    return row


def claim(
    cid: str,
    lo: float,
    hi: float | None = None,
    decimals: int = 0,
    /,
    metric: str = "response",
    unit: str = "percent",
    **scope: str,
) -> Claim:
    return Claim(cid, "t", "q", lo, lo if hi is None else hi, unit, metric, scope_of(scope), decimals=decimals)


def scope_of(values: dict[str, str]) -> Scope:
    """A Scope from its text dimensions (drug, route, population, window, comparator), the rest "any"."""
    assert set(values) <= {"drug", "route", "population", "window", "comparator"}, values
    return Scope(
        drug=values.get("drug", "any"),
        route=values.get("route", "any"),
        population=values.get("population", "any"),
        window=values.get("window", "any"),
        comparator=values.get("comparator", "any"),
    )


def verdicts(claims: list[Claim], rows: list[dict[str, object]]) -> pd.DataFrame:
    outcomes = pd.DataFrame(rows)
    result = check_claims(claims, evidence_summary(outcomes), outcomes)
    assert list(result.columns) == list(CHECK_COLUMNS)
    return result.set_index("claim_id")


TRD_RESPONSE = [
    arm("NCT1", "active", 80, 200),
    arm("NCT1", "control", 30, 200),
    arm("NCT2", "active", 76, 200),
    arm("NCT2", "control", 28, 200),
    arm("NCT3", "active", 16, 25, comparator_type="midazolam", timepoint_days=1.0),
    arm("NCT3", "control", 7, 25, drug="midazolam", comparator_type="midazolam"),
    arm("NCT3", "active", 9, 25, comparator_type="midazolam", timepoint_days=7.0, time_window="first_week"),
    arm(
        "NCT3",
        "control",
        5,
        25,
        drug="midazolam",
        comparator_type="midazolam",
        timepoint_days=7.0,
        time_window="first_week",
    ),
]


def test_consistent_overstated_understated_from_pooled_ci() -> None:
    scope = {"drug": "ketamine_class", "population": "trd", "comparator": "placebo"}
    out = verdicts(
        [claim("A", 39, **scope), claim("B", 70, **scope), claim("C", 10, **scope), claim("D", 30, 45, **scope)],
        TRD_RESPONSE,
    )
    assert out.loc["A", "verdict"] == "consistent" and out.loc["A", "pooled_k"] == 2
    assert out.loc["A", "pooled_ci_lower"] < 39 < out.loc["A", "pooled_ci_upper"]
    assert out.loc["A", "pooled_study_keys"] == ["NCT1", "NCT2"]
    assert out.loc["B", "verdict"] == "overstated" and "above" in out.loc["B", "rationale"]
    assert out.loc["C", "verdict"] == "understated"
    assert out.loc["D", "verdict"] == "consistent"
    assert out.loc["A", "trial_study_key"] == "NCT1" and out.loc["A", "trial_figure"] == pytest.approx(40)
    assert out.loc["A", "trial_locator"].startswith("resultsSection.")


def test_misattributed_to_a_single_trial_at_24_hours() -> None:
    out = verdicts([claim("M", 64, drug="ketamine_class", population="trd")], TRD_RESPONSE)
    row = out.loc["M"]
    assert row["verdict"] == "misattributed"
    assert row["trial_study_key"] == "NCT3" and row["trial_figure"] == pytest.approx(64)
    assert row["trial_comparator_type"] == "midazolam" and row["trial_timepoint_days"] == 1.0
    assert "NCT3" in row["rationale"] and "64" in row["rationale"]
    # the rationale names the trial's arm, its comparator arm and its timepoint
    assert "ketamine vs midazolam, day 1: a single trial, not the pooled evidence" in row["rationale"]


def test_a_figure_the_article_presents_as_one_trials_result_is_judged_against_that_trial() -> None:
    general = claim("M", 64, drug="ketamine_class", population="trd")
    one_trial = replace(general, id="T", presented_as="one_trial")
    out = verdicts([general, one_trial], TRD_RESPONSE)
    assert out.loc["M", "verdict"] == "misattributed"
    assert out.loc["T", "verdict"] == "consistent" and out.loc["T", "trial_study_key"] == "NCT3"
    assert out.loc["T", "rationale"] == ("The article presents 64 percent as one trial's result: it equals 64% in "
                                         "NCT3 (ketamine vs midazolam, day 1).")


def test_misattributed_to_another_drug() -> None:
    rows = [arm("NCT5", "active", 32, 50, drug="esketamine", route="intranasal"), arm("NCT5", "control", 10, 50)]
    out = verdicts([claim("E", 64, drug="ketamine", route="IV")], rows)
    assert out.loc["E", "verdict"] == "misattributed"
    assert "drug esketamine (claim: ketamine)" in out.loc["E", "mismatch"]


def test_a_figure_of_another_outcome_kind_is_not_a_misattribution() -> None:
    """64% remission elsewhere does not explain a 64% response claim: the verdict stays overstated."""
    rows = [
        arm("NCT7", "active", 20, 50),
        arm("NCT7", "control", 10, 50),
        arm("NCT8", "active", 32, 50, outcome_kind="remission", drug="esketamine", route="intranasal"),
    ]
    out = verdicts([claim("K", 64, drug="ketamine")], rows)
    assert out.loc["K", "verdict"] == "overstated"


def test_single_trial_tolerance() -> None:
    rows = [arm("NCT6", "active", 26, 50), arm("NCT6", "control", 10, 50)]
    out = verdicts([claim("S1", 55, drug="ketamine"), claim("S2", 60, drug="ketamine")], rows)
    assert out.loc["S1", "verdict"] == "consistent" and out.loc["S1", "pooled_status"] == "single_study"
    assert out.loc["S2", "verdict"] == "overstated"


def test_contradicted_when_active_does_worse_than_control() -> None:
    rows = [
        arm("NCT7", "active", 10, 100),
        arm("NCT7", "control", 40, 100),
        arm("NCT8", "active", 12, 100),
        arm("NCT8", "control", 45, 100),
    ]
    out = verdicts([claim("X", 60, drug="ketamine")], rows)
    assert out.loc["X", "verdict"] == "contradicted" and "risk ratio" in out.loc["X", "rationale"]


def relapse(study: str, role: str, events: int, total: int, **kw: object) -> dict[str, object]:
    base = {"outcome_kind": "relapse", "time_window": "maintenance", "timepoint_days": 120.0, "population": "trd"}
    return arm(study, role, events, total, **{**base, **kw})


def hazard(study: str, hr: float | None, lo: float | None, hi: float | None, **kw: object) -> dict[str, object]:
    row: dict[str, object] = {
        "outcome_id": f"{study}-hr",
        "study_key": study,
        "nct_id": study,
        "source": "registry",
        "outcome_kind": "time_to_relapse",
        "time_window": "maintenance",  # as core.outcome dates relapse rows
        "effect_type": "HR",
        "effect": hr,
        "ci_lower": lo,
        "ci_upper": hi,
        "json_path": "resultsSection.outcomeMeasuresModule.outcomeMeasures[0].analyses[0]",
    }
    row.update(kw)
    return row


REDUCTION = {"metric": "relapse_reduction", "drug": "ketamine", "window": "maintenance"}


def test_relapse_reduction_contradicted_consistent_and_misattributed() -> None:
    worse = [
        relapse("NCT10", "active", 40, 100),
        relapse("NCT10", "control", 20, 100),
        relapse("NCT11", "active", 45, 100),
        relapse("NCT11", "control", 22, 100),
    ]
    out = verdicts([claim("R1", 50, **REDUCTION)], worse)
    assert out.loc["R1", "verdict"] == "contradicted" and "excludes any benefit" in out.loc["R1", "rationale"]

    halves = [
        relapse("NCT12", "active", 20, 100),
        relapse("NCT12", "control", 40, 100),
        relapse("NCT13", "active", 22, 100),
        relapse("NCT13", "control", 45, 100),
    ]
    out = verdicts([claim("R2", 50, **REDUCTION)], halves)
    assert out.loc["R2", "verdict"] == "consistent" and out.loc["R2", "pooled_k"] == 2

    esk = [
        relapse("NCT14", "active", 30, 90, drug="esketamine", route="intranasal"),
        relapse("NCT14", "control", 50, 86),
        hazard("NCT14", 0.49, 0.29, 0.84),
    ]
    out = verdicts([claim("R3", 50, **REDUCTION, route="IV")], esk)
    assert out.loc["R3", "verdict"] == "misattributed"
    assert out.loc["R3", "trial_drug"] == "esketamine" and "HR 0.49" in out.loc["R3", "rationale"]


def test_hazard_ratio_in_scope_without_arm_counts() -> None:
    rows = [arm("NCT15", "active", 5, 10), hazard("NCT15", 0.49, 0.29, 0.84)]
    out = verdicts([claim("R4", 50, **REDUCTION), claim("R5", 90, **REDUCTION)], rows)
    assert out.loc["R4", "verdict"] == "consistent" and out.loc["R4", "evidence_measure"] == "relapse_reduction"
    assert out.loc["R5", "verdict"] == "overstated"


def test_unsupported_and_not_checkable_with_reasons() -> None:
    not_checkable = Claim("N", "t", "q", 51.5, 51.5, "usd_billion", "cost", Scope(), False, "costs are not outcomes")
    claims = [
        claim("U1", 52, metric="remission", drug="ketamine"),
        claim("U2", 2, 4, metric="time_to_relapse", unit="weeks", drug="ketamine"),
        not_checkable,
    ]
    out = verdicts(claims, TRD_RESPONSE)
    assert out.loc["U1", "verdict"] == "unsupported" and "remission" in out.loc["U1", "rationale"]
    assert out.loc["U2", "verdict"] == "unsupported" and "median time to relapse" in out.loc["U2", "rationale"]
    assert out.loc["N", "verdict"] == "not_checkable" and "costs are not outcomes" in out.loc["N", "rationale"]


def test_time_to_relapse_medians() -> None:
    rows = [arm("NCT16", "active", 5, 10), hazard("NCT16", None, None, None, effect_type=None, median_days=18.0)]
    out = verdicts(
        [
            claim("T1", 2, 4, metric="time_to_relapse", unit="weeks", drug="ketamine"),
            claim("T2", 6, 8, metric="time_to_relapse", unit="weeks", drug="ketamine"),
        ],
        rows,
    )
    assert out.loc["T1", "verdict"] == "consistent" and out.loc["T1", "trial_figure"] == 18.0
    assert out.loc["T2", "verdict"] == "overstated"


def test_duration_of_benefit() -> None:
    rows = [
        relapse("NCT17", "active", 10, 50, timepoint_days=616.0, drug="esketamine", route="intranasal"),
        relapse("NCT18", "active", 10, 50, timepoint_days=180.0),
    ]
    duration = {"metric": "duration_of_benefit", "unit": "weeks", "window": "maintenance"}
    out = verdicts(
        [
            claim("D1", 88, drug="ketamine", **duration),
            claim("D2", 88, drug="ketamine_class", **duration),
            claim("D3", 200, drug="ketamine_class", **duration),
        ],
        rows,
    )
    assert out.loc["D1", "verdict"] == "misattributed" and out.loc["D1", "trial_study_key"] == "NCT17"
    assert out.loc["D2", "verdict"] == "consistent" and out.loc["D2", "trial_figure"] == pytest.approx(88)
    assert out.loc["D3", "verdict"] == "overstated"


def test_bundled_claims_on_an_empty_warehouse_never_crash() -> None:
    claims = load_claims()
    result = check_claims(claims, evidence_summary(pd.DataFrame()), pd.DataFrame())
    assert len(result) == len(claims)
    assert set(result["verdict"]) <= {"unsupported", "not_checkable"}
    assert result["rationale"].str.len().min() > 10


def test_claim_check_and_claims_load_into_their_marts(con) -> None:
    from ketamine_evidence.transform.claims import CLAIM_COLUMNS, claims_frame
    from ketamine_evidence.warehouse.build import contract
    from ketamine_evidence.warehouse.frames import insert_frame

    con.execute("create schema marts")
    for name in ("claim_check", "claims"):
        con.execute(contract(f"marts.{name}").ddl())
    claims = load_claims()
    outcomes = pd.DataFrame(TRD_RESPONSE)
    checked = check_claims(claims, evidence_summary(outcomes), outcomes)
    assert insert_frame(con, "marts.claim_check", checked) == len(claims)
    assert insert_frame(con, "marts.claims", claims_frame(claims)) == len(claims)
    assert [r[0] for r in con.execute("describe marts.claims").fetchall()] == list(CLAIM_COLUMNS)
    verdict, k = con.execute("select verdict, pooled_k from marts.claim_check where claim_id = 'C03'").fetchone()
    assert verdict == "misattributed" and k == 3


def test_a_range_that_only_overlaps_the_ci_is_over_or_understated() -> None:
    """60-70% against 53.3% (42.6-63.8) is overstated: the range overlaps the CI, but not the estimate."""
    scope = {"drug": "ketamine_class", "population": "trd", "comparator": "placebo"}
    ranges = [claim("E", 42, 60, **scope), claim("F", 25, 35, **scope), claim("G", 36, 42, **scope),
              claim("H", 38, 39, **scope)]  # fmt: skip
    out = verdicts(ranges, TRD_RESPONSE)
    lo, est, hi = (out.loc["E", c] for c in ("pooled_ci_lower", "pooled_estimate", "pooled_ci_upper"))
    assert lo < 35 < est < 42 < hi < 60, (lo, est, hi)
    assert out.loc["E", "verdict"] == "overstated" and "overlaps" in out.loc["E", "rationale"]
    assert out.loc["F", "verdict"] == "understated" and "overlaps" in out.loc["F", "rationale"]
    assert out.loc["G", "verdict"] == "consistent"
    assert out.loc["G", "rationale"].startswith("The pooled response") and "lies within the claimed" in out.loc[
        "G", "rationale"]
    assert out.loc["H", "verdict"] == "consistent" and "lies within the pooled" in out.loc["H", "rationale"]


def _at_hours(hours: float, *rows: dict[str, object]) -> list[dict[str, object]]:
    return [{**r, "timepoint_days": hours / 24, "timepoint_hours": hours, "outcome_id": f"{r['outcome_id']}-{hours}h"}
            for r in rows]


def test_onset_claims_are_judged_from_responders_at_or_before_the_hour() -> None:
    onset = claim("C06", 4, metric="onset", unit="hours", drug="ketamine", route="IV", window="acute")
    early = _at_hours(4, arm("NCT1", "active", 20, 50), arm("NCT1", "control", 4, 50))
    later = _at_hours(24, arm("NCT1", "active", 30, 50), arm("NCT1", "control", 8, 50))
    got = verdicts([onset], early + later).loc["C06"]
    assert got["verdict"] == "consistent" and got["evidence_measure"] == "response_by_hour"
    assert got["rationale"] == ("By 4 hours response with the drug is higher than with placebo: "
                                "RR 5 (95% CI 1.84-13.58; k=1, NCT1).")
    assert got["pooled_estimate"] is None  # a risk ratio is not in the claim's unit (hours)
    flat = _at_hours(4, arm("NCT1", "active", 6, 50), arm("NCT1", "control", 5, 50))
    assert verdicts([onset], flat).loc["C06", "verdict"] == "unsupported"
    none = verdicts([onset], later).loc["C06"]
    assert none["verdict"] == "not_checkable"
    assert "no usable responder rows at or before 4 hours" in none["rationale"]
    assert "earliest usable responder rows are at 24 hours" in none["rationale"]


def test_onset_looks_at_every_hour_up_to_the_claim_and_only_at_controlled_trials() -> None:
    onset = claim("C07", 4, metric="onset", unit="hours", drug="ketamine", route="IV", window="acute")
    flat_at_40_min = _at_hours(2 / 3, arm("NCT1", "active", 3, 20), arm("NCT1", "control", 3, 20))
    clear_at_4_h = _at_hours(4, arm("NCT2", "active", 40, 100), arm("NCT2", "control", 8, 100))
    got = verdicts([onset], flat_at_40_min + clear_at_4_h).loc["C07"]
    assert got["verdict"] == "consistent" and got["rationale"].startswith("By 4 hours") and "NCT2" in got["rationale"]
    single_arm_at_2_h = _at_hours(2, arm("NCT3", "active", 9, 20))
    assert verdicts([onset], single_arm_at_2_h + clear_at_4_h).loc["C07", "verdict"] == "consistent"
    only_single_arm = verdicts([onset], single_arm_at_2_h).loc["C07"]
    assert only_single_arm["verdict"] == "not_checkable" and "without a control" in only_single_arm["rationale"]
    flat = verdicts([onset], flat_at_40_min).loc["C07"]
    assert flat["verdict"] == "unsupported" and "1 hour/comparator pool(s) checked" in flat["rationale"]


def test_onset_rationale_counts_rows_waiting_for_review() -> None:
    onset = claim("C06", 4, metric="onset", unit="hours", drug="ketamine", route="IV", window="acute")
    later = _at_hours(24, arm("NCT1", "active", 30, 50), arm("NCT1", "control", 8, 50))
    held = pd.DataFrame(_at_hours(2, arm("NCT2", "active", 9, 20, source="abstract")))
    outcomes = pd.DataFrame(later)
    got = check_claims([onset], evidence_summary(outcomes), outcomes, held).set_index("claim_id").loc["C06"]
    assert got["verdict"] == "not_checkable" and "1 responder rows at those hours wait for review" in got["rationale"]


def test_a_one_trial_claim_finds_its_in_scope_trial_whatever_the_ids_sort_to() -> None:
    one_trial = replace(claim("T", 64, drug="ketamine", population="trd"), presented_as="one_trial")
    pooled_elsewhere = [arm("NCT7", "active", 20, 200), arm("NCT8", "active", 22, 200)]
    for other in ("NCT1", "NCTZ"):
        rows = [*pooled_elsewhere, arm("NCT9", "active", 16, 25), arm(other, "active", 16, 25, population="mdd")]
        got = verdicts([one_trial], rows).loc["T"]
        assert (got["verdict"], got["trial_study_key"]) == ("consistent", "NCT9"), other
