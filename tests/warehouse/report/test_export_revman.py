"""`export --format revman` on the bundled sample: one row per trial per comparison x outcome with the counts
the pools used, so pooling the file again gives the mart's risk ratios."""

from __future__ import annotations

import pandas as pd
import pytest

from ketamine_evidence.transform.meta import pool_ratio
from ketamine_evidence.warehouse.report.export import REVMAN_COLUMNS, export
from ketamine_evidence.warehouse.report.queries import forest_trials

REVMAN_DATA = ("Study ID", "Experimental events", "Experimental total", "Control events", "Control total")


@pytest.fixture(scope="module")
def revman(sample, tmp_path_factory) -> pd.DataFrame:
    [item] = export(sample, tmp_path_factory.mktemp("revman"), "revman")
    assert item.path.name == "revman.csv"
    frame = pd.read_csv(item.path, dtype={"PMID": str})
    assert item.rows == len(frame) and tuple(frame.columns) == REVMAN_COLUMNS
    return frame


def test_dichotomous_columns_in_order(revman) -> None:
    positions = [revman.columns.get_loc(c) for c in REVMAN_DATA]
    assert positions == list(range(positions[0], positions[0] + len(REVMAN_DATA)))
    assert not revman.duplicated(["Comparison number", "Outcome number", "Study ID"]).any()
    assert (revman.groupby("Comparison")["Comparison number"].nunique() == 1).all()
    assert sorted(revman["Comparison number"].unique()) == list(range(1, revman["Comparison number"].max() + 1))


def test_counts_are_the_forest_trials(sample, revman) -> None:
    trials = forest_trials(sample, {})
    controlled = trials[trials["control_total"].notna()]
    assert len(revman) == len(controlled)
    for _, row in revman.iterrows():
        match = controlled[controlled["nct_id"] == row["NCT ID"]]
        counts = {(t["events"], t["total"], t["control_events"], t["control_total"]) for _, t in match.iterrows()}
        assert tuple(row[list(REVMAN_DATA[1:])]) in counts


def test_pooling_the_file_gives_the_mart_risk_ratios(sample, revman) -> None:
    mart = sample.execute(
        "select drug, outcome_kind, time_window, comparator_type, rr_dl, rr_k from marts.evidence_summary "
        "where rr_k >= 1").df()
    assert len(mart) >= 2
    for (comparison, outcome), rows in revman.groupby(["Comparison", "Outcome"]):
        kind, window = outcome.split(", ")
        drug, comparator = comparison.split(" ")[0], comparison.rsplit(" vs ", 1)[1]
        [expected] = mart[(mart["drug"] == drug) & (mart["outcome_kind"] == kind) & (mart["time_window"] == window)
                          & (mart["comparator_type"] == comparator)].itertuples()
        assert len(rows) == expected.rr_k
        pooled = pool_ratio(rows["Experimental events"], rows["Experimental total"], rows["Control events"],
                            rows["Control total"], "RR", "dl")
        assert pooled.estimate == pytest.approx(expected.rr_dl, rel=1e-12)


def test_held_rows_only_when_asked_for(sample, revman, tmp_path) -> None:
    assert set(revman["Needs review"]) == {"no"}
    [item] = export(sample, tmp_path, "revman", include_held=True)
    held = pd.read_csv(item.path, dtype={"PMID": str})
    marked = held[held["Needs review"] == "yes"]
    assert len(marked) >= 1 and len(held) == len(revman) + len(marked)
    held_ids = {i for (i,) in sample.execute(
        "select outcome_id from core.outcome_curated where needs_review and not checked").fetchall()}
    for _, row in held.iterrows():
        assert (row["Needs review"] == "yes") == bool(set(row["Outcome IDs"].split()) & held_ids)
