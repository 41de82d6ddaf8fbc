"""The forest plots' data: forest-<name>.csv beside each PNG, one line per drawn row, with the counts, source
ids and random-effects weights behind the marts' pooled estimates."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from ketamine_evidence.warehouse.report.plots import TABLE_COLUMNS, forest_plots
from ketamine_evidence.warehouse.report.queries import forest_trials, summary
from ketamine_evidence.warehouse.report.writer import write_report


@pytest.fixture(scope="module")
def written(sample, tmp_path_factory):
    return write_report(sample, tmp_path_factory.mktemp("forest"))


def _read(path) -> pd.DataFrame:
    return pd.read_csv(path, dtype={"pmid": str})


def test_one_csv_beside_each_png_with_its_drawn_rows(sample, written) -> None:
    assert written.tables and len(written.tables) == len(written.plots)
    plots = {p.filename: p for p in forest_plots(summary(sample, {}), forest_trials(sample, {}))}
    for png, table in zip(written.plots, written.tables, strict=True):
        assert table.parent == png.parent and table.name == png.name.removesuffix(".png") + ".csv"
        frame = _read(table)
        assert tuple(frame.columns) == TABLE_COLUMNS
        assert list(frame["label"]) == [r.label for r in plots[png.name].rows]
        assert frame["row_kind"].iloc[0] == "header" and frame["row_kind"].iloc[-1] in ("pooled", "note")


def test_trial_rows_carry_the_warehouse_counts_and_ids(sample, written) -> None:
    trials = forest_trials(sample, {})
    for table in written.tables:
        frame = _read(table)
        for _, row in frame[frame["row_kind"] == "trial"].iterrows():
            match = trials[(trials["study_key"] == row["study_key"]) & (trials["events"] == row["events"])
                           & (trials["total"] == row["total"])]
            assert len(match) >= 1, (table.name, row["label"])
            assert row["nct_id"] == match.iloc[0]["nct_id"]
            if table.name.endswith("-rr.csv"):
                assert (row["control_events"], row["control_total"]) == (
                    match.iloc[0]["control_events"], match.iloc[0]["control_total"])


def test_pooled_rows_are_the_mart_and_weights_reproduce_them(sample, written) -> None:
    mart = summary(sample, {})
    checked = 0
    for table in written.tables:
        frame = _read(table)
        is_rr = table.name.endswith("-rr.csv")
        for _, rows in frame.groupby("group", sort=False):
            pooled = rows[rows["row_kind"] == "pooled"].iloc[0]
            column = "rr_dl" if is_rr else "prop_estimate"
            assert pooled["estimate"] in set(mart[column].dropna())
            trials = rows[(rows["row_kind"] == "trial") & rows["weight_pct"].notna()]
            assert trials["weight_pct"].sum() == pytest.approx(100.0)
            scale = (lambda x: math.log(x)) if is_rr else (lambda p: math.log(p / (1 - p)))
            mean = sum(w * scale(e) for w, e in zip(trials["weight_pct"], trials["estimate"], strict=True)) / 100
            assert mean == pytest.approx(scale(pooled["estimate"]), abs=1e-9), (table.name, pooled["group"])
            checked += 1
    assert checked >= 4


def test_stale_csvs_go_with_stale_pngs(sample, tmp_path) -> None:
    (tmp_path / "forest-old-rr.csv").write_text("row_kind\n", encoding="utf-8")
    (tmp_path / "forest-old-rr.png").write_bytes(b"")
    files = write_report(sample, tmp_path)
    assert not (tmp_path / "forest-old-rr.csv").exists() and not (tmp_path / "forest-old-rr.png").exists()
    assert sorted(tmp_path.glob("forest-*.csv")) == sorted(files.tables)


def test_a_zero_event_trial_keeps_the_weight_the_pool_gave_it() -> None:
    """0/10 beside 5/10 and 6/12: the pool keeps it with 0.5 added to its cells, so its weight is not None."""
    from ketamine_evidence.transform.meta import pool_proportions
    from ketamine_evidence.warehouse.report.plots import proportion_weights

    events, totals = [0, 5, 6], [10, 10, 12]
    tau2 = pool_proportions(events, totals).tau2
    assert tau2 is not None and tau2 > 0
    variances = [1 / 0.5 + 1 / 10.5, 1 / 5 + 1 / 5, 1 / 6 + 1 / 6]  # logit variances, the first corrected
    raw = [1 / (v + tau2) for v in variances]
    assert proportion_weights(events, totals, tau2) == pytest.approx([100 * w / sum(raw) for w in raw])
    assert proportion_weights([0, 0], [10, 12], None) == [None, None]
