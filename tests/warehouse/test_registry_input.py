"""The registry normalizer fed from the long core tables gives the rows posted by real records."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest

from ketamine_evidence.extract.ctgov.parse import iter_studies
from ketamine_evidence.extract.snapshot import read_snapshot
from ketamine_evidence.transform.outcomes.registry import registry_outcomes, with_n_randomized
from ketamine_evidence.warehouse.build import build
from ketamine_evidence.warehouse.db import init_schemas
from ketamine_evidence.warehouse.ingest import ingest_snapshot
from ketamine_evidence.warehouse.registry_input import registry_studies, registry_study_from_json
from tests.conftest import SAMPLE, shared_path
from tests.extract.ctgov.test_parse import wrap_measures

BASE = "resultsSection.outcomeMeasuresModule.outcomeMeasures"
# Registry rows per study, as the raw-JSON walker gave them before the normalizer read the core tables.
RESULT_ROWS = {
    "NCT02417064": 18,
    "NCT02418585": 12,
    "NCT02422186": 4,
    "NCT02493868": 4,
    "NCT02918318": 56,
    "NCT03434041": 8,
    "NCT04338321": 4,
    "NCT04829318": 1,
    "NCT05113771": 0,
}
SAMPLE_ROWS = {
    "NCT00088699": 0,
    "NCT00768430": 0,
    "NCT01690988": 0,
    "NCT02417064": 18,
    "NCT02418585": 12,
    "NCT02422186": 4,
    "NCT02493868": 4,
    "NCT02497287": 0,
    "NCT03113968": 0,
    "NCT04338321": 4,
    "NCT05113771": 0,
}


def _warehouse(snap: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    init_schemas(con)
    ingest_snapshot(con, read_snapshot(snap), "run-registry-input")
    build(con)
    return con


def _rows(con: duckdb.DuckDBPyConnection) -> dict[str, list[dict[str, Any]]]:
    return {s.nct_id: with_n_randomized(registry_outcomes(s), s) for s in registry_studies(con)}


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, Any]]]:
    """The meta-harness outcomeMeasures arrays, wrapped as minimal studies, through the whole build."""
    files = sorted(shared_path("meta-harness", "esketamine-trd-madrs", "ctgov_results").glob("*.json"))
    snap = tmp_path_factory.mktemp("results")
    (snap / "ctgov").mkdir()
    for path in files:
        (snap / "ctgov" / path.name).write_text(json.dumps(wrap_measures(path)), encoding="utf-8")
    return _rows(_warehouse(snap))


@pytest.fixture(scope="module")
def sample_rows(sample: duckdb.DuckDBPyConnection) -> dict[str, list[dict[str, Any]]]:
    return _rows(sample)


def _pick(rows: list[dict[str, Any]], index: int, group: str) -> dict[str, Any]:
    found = [r for r in rows if r["json_path"].startswith(f"{BASE}[{index}].") and r["group_id"] == group]
    assert len(found) == 1, found
    return found[0]


def test_row_counts_per_study(
    results: dict[str, list[dict[str, Any]]], sample_rows: dict[str, list[dict[str, Any]]]
) -> None:
    assert {nct: len(rows) for nct, rows in results.items()} == RESULT_ROWS
    assert {nct: len(rows) for nct, rows in sample_rows.items()} == SAMPLE_ROWS


def test_sustain1_hazard_ratio_and_its_paths(results: dict[str, list[dict[str, Any]]]) -> None:
    active = _pick(results["NCT02493868"], 0, "OG000")
    estimate = (active["outcome_kind"], active["effect_type"], active["effect"], active["ci_lower"], active["ci_upper"])
    assert estimate == ("time_to_relapse", "HR", 0.49, 0.29, 0.84)
    assert (active["p_value_raw"], active["total"]) == ("= 0.003", 90)
    assert active["json_path"] == f"{BASE}[0].classes[0].categories[0].measurements[0]"
    assert active["effect_json_path"] == f"{BASE}[0].analyses[0]"
    assert _pick(results["NCT02493868"], 0, "OG001")["effect_json_path"] is None


@pytest.mark.parametrize(
    ("index", "group", "kind", "events", "total", "position", "outcome_id"),
    [
        (7, "OG000", "response", 71, 112, 0, "65d95b14dcb3b64c"),
        (7, "OG001", "response", 54, 109, 1, "5b17a1bd0c7456b0"),
        (8, "OG000", "remission", 54, 112, 0, "0433c7dea0be9f6a"),
        (8, "OG001", "remission", 33, 109, 1, "6ac5c2db48f6d43d"),
    ],
)
def test_transform2_day28_response_and_remission(
    results: dict[str, list[dict[str, Any]]],
    index: int,
    group: str,
    kind: str,
    events: int,
    total: int,
    position: int,
    outcome_id: str,
) -> None:
    row = _pick(results["NCT02418585"], index, group)
    assert (row["outcome_kind"], row["events"], row["total"], row["timepoint_days"]) == (kind, events, total, 28.0)
    assert row["json_path"] == f"{BASE}[{index}].classes[0].categories[0].measurements[{position}]"
    assert row["outcome_id"] == outcome_id


def test_sample_tables_and_json_give_the_same_rows(sample_rows: dict[str, list[dict[str, Any]]]) -> None:
    """The database path and the pure path (flatten_study, grouped) agree on every sample study."""
    for path in sorted((SAMPLE / "ctgov").glob("*.json")):
        for study in iter_studies(path.read_bytes(), name=path.name):
            built = registry_study_from_json(study)
            assert with_n_randomized(registry_outcomes(built), built) == sample_rows[built.nct_id], built.nct_id
