"""Sensitivity by definition and timepoint: on hand-made rows, on the bundled sample and on real records."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from ketamine_evidence.transform.meta import pool_proportions
from ketamine_evidence.transform.outcomes.rows import POOL_EXCLUDED_FLAGS
from ketamine_evidence.warehouse.models import SYNTHESIS_ROWS
from ketamine_evidence.warehouse.report import content, queries
from ketamine_evidence.warehouse.report.sensitivity import DIFFERENCE, definition_label, sensitivity
from tests.conftest import SAMPLE, shared_path

GROUP = {"drug": "esketamine", "route": "intranasal", "population": "trd", "outcome_kind": "response",
         "time_window": "induction", "comparator_type": "placebo"}


def _row(study: str, role: str, events: int, total: int, instrument: str, threshold: float, unit: str = "pct_reduction",
         operator: str = ">=", days: float = 28.0, flag: list[str] | None = None) -> dict:
    return {**GROUP, "outcome_id": f"{study}-{role}-{instrument}-{threshold}-{days}", "study_key": study,
            "nct_id": study, "source": "registry", "arm_role": role, "arm_label": role, "events": events,
            "total": total, "instrument": instrument, "threshold": threshold, "operator": operator,
            "threshold_unit": unit, "timepoint_days": days, "flag": flag or [], "definition_text": "response",
            "json_path": f"m.{instrument}.{threshold}.{days}.{role}"}


def _madrs_vs_hamd(hamd_events: tuple[int, int]) -> pd.DataFrame:
    rows = []
    for study, madrs, hamd in (("NCT1", 50, hamd_events[0]), ("NCT2", 30, hamd_events[1])):
        rows += [_row(study, "active", madrs, 100, "MADRS", 50), _row(study, "control", 20, 100, "MADRS", 50),
                 _row(study, "active", hamd, 100, "HAM-D17", 50), _row(study, "control", 20, 100, "HAM-D17", 50)]
    return pd.DataFrame(rows)


def test_definitions_are_pooled_apart_and_compared_by_the_rule() -> None:
    (split,) = [s for s in sensitivity(_madrs_vs_hamd((70, 50))) if s.dimension == "definition"]
    parts = {p.label: p for p in split.parts}
    assert set(parts) == {"MADRS ≥50% reduction", "HAM-D17 ≥50% reduction"}
    assert parts["MADRS ≥50% reduction"].estimate == pytest.approx(pool_proportions([50, 30], [100, 100]).estimate)
    assert parts["HAM-D17 ≥50% reduction"].estimate == pytest.approx(pool_proportions([70, 50], [100, 100]).estimate)
    assert parts["HAM-D17 ≥50% reduction"].k == 2 and parts["HAM-D17 ≥50% reduction"].n == 200
    (contrast,) = split.contrasts
    assert contrast.gap >= DIFFERENCE and split.differs


def test_close_definitions_do_not_differ_and_the_report_says_so() -> None:
    splits = sensitivity(_madrs_vs_hamd((52, 31)))
    (split,) = [s for s in splits if s.dimension == "definition"]
    first, second = split.parts
    assert abs((first.estimate or 0) - (second.estimate or 0)) < DIFFERENCE
    assert not split.differs
    data = queries.ReportData(pd.Timestamp.now(), None, pd.DataFrame(), pd.DataFrame(), pd.DataFrame(),
                              pd.DataFrame(), pd.DataFrame(), queries.changes_since_previous(duckdb.connect()),
                              sensitivity=splits)
    assert any(line.startswith("Nothing differs") for line in content.sensitivity_lines(data))
    assert content.sensitivity_table(splits).rows == []


def test_rows_held_out_of_pools_do_not_enter() -> None:
    excluded = sorted(POOL_EXCLUDED_FLAGS)[0]
    frame = pd.concat([_madrs_vs_hamd((52, 31)), pd.DataFrame([
        _row("NCT3", "active", 95, 100, "MADRS", 12, unit="score", operator="<=", flag=[excluded])])])
    labels = {p.label for s in sensitivity(frame) for p in s.parts}
    assert "MADRS ≤12" not in labels


def test_remission_thresholds_and_timepoints_are_labelled() -> None:
    assert definition_label(pd.Series({"instrument": "MADRS", "threshold": 10.0, "operator": "<=",
                                       "threshold_unit": "score", "flag": []})) == "MADRS ≤10"
    rows = [_row("NCT1", "active", 40, 100, "MADRS", 50, days=d) for d in (28.0, 56.0)]
    (split,) = sensitivity(pd.DataFrame(rows))
    assert split.dimension == "timepoint"
    assert [p.label for p in split.parts] == ["day 28", "day 56"]


def _check_against_the_marts(con: duckdb.DuckDBPyConnection) -> list:
    splits = sensitivity(con.execute(SYNTHESIS_ROWS).df())
    marts = {tuple(r[:6]): r[6:] for r in con.execute(
        "select drug, route, population, outcome_kind, time_window, comparator_type, prop_estimate, k_trials "
        "from marts.evidence_summary").fetchall()}
    assert splits
    for split in splits:
        estimate, k = marts[tuple(split.group.values())]
        assert split.overall.estimate == pytest.approx(estimate) and split.overall.k == k
        assert len(split.parts) >= 2
        for part in split.parts:
            assert set(part.study_keys) <= set(split.overall.study_keys)
            assert part.k == len(part.study_keys)
    return splits


def test_sample_splits_reproduce_the_pooled_groups(sample) -> None:
    splits = _check_against_the_marts(sample)
    remission = [s for s in splits if s.group["outcome_kind"] == "remission" and s.dimension == "definition"]
    labels = {p.label for s in remission for p in s.parts}
    # TRANSFORM-1/2/3 define remission as MADRS <=12; ESCAPE-TRD's MADRS <=10 (week 8, vs quetiapine) is
    # induction since windows follow the design, a group of its own comparator
    assert "MADRS ≤12" in labels and len(labels) >= 2


def test_sample_report_lists_the_splits_that_differ(sample, tmp_path) -> None:
    from ketamine_evidence.warehouse.report.writer import write_report

    files = write_report(sample, tmp_path)
    md, html = files.markdown.read_text(encoding="utf-8"), files.html.read_text(encoding="utf-8")
    assert "## Sensitivity by definition" in md and "Sensitivity by definition</h2>" in html
    assert "at least 5 percentage points apart" in md
    differing = [s for s in sensitivity(sample.execute(SYNTHESIS_ROWS).df()) if s.differs]
    assert differing
    for split in differing:
        for part in split.parts:
            assert f"| {split.label} | {split.dimension} | {part.label} | {part.k} |" in md


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    """The sample plus real records from ../shared (website exports, a real literature search)."""
    from ketamine_evidence.extract.snapshot import read_snapshot
    from ketamine_evidence.warehouse.build import build
    from ketamine_evidence.warehouse.db import init_schemas
    from ketamine_evidence.warehouse.ingest import ingest_snapshot

    snap = tmp_path_factory.mktemp("real")
    (snap / "ctgov").mkdir()
    (snap / "pubmed").mkdir()
    website = shared_path("dgg32-clinical-trials-public")
    ctgov = [*sorted((SAMPLE / "ctgov").glob("*.json")), *sorted(website.glob("*.json"))]
    for i, path in enumerate(ctgov):
        (snap / "ctgov" / f"{i:02d}-{path.name}").symlink_to(path)
    search = shared_path("meta-harness", "esketamine-trd-madrs")
    pubmed = [SAMPLE / "pubmed" / "efetch-sample.xml", search / "comparator_named_pubmed.xml",
              *sorted((search / "search-records").glob("efetch-*.xml"))]
    for i, path in enumerate(pubmed):
        (snap / "pubmed" / f"{i:02d}-{path.name}").symlink_to(path)
    con = duckdb.connect(":memory:")
    init_schemas(con)
    ingest_snapshot(con, read_snapshot(Path(snap)), "run-real")
    build(con)
    return con


def test_real_records_splits_reproduce_the_pooled_groups(real) -> None:
    _check_against_the_marts(real)
