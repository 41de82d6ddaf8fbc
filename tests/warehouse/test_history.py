"""Run history of the marts and `changes_since_previous` on hand-made warehouses and on the sample."""

from __future__ import annotations

import json
import shutil
from datetime import datetime

import duckdb
import pytest

from ketamine_evidence.warehouse.build import contract
from ketamine_evidence.warehouse.db import init_schemas
from ketamine_evidence.warehouse.history import changes_since_previous, latest_runs, record_history
from ketamine_evidence.warehouse.load import finish_run, start_run
from tests.conftest import SAMPLE
from tests.flow_support import build_sample

GROUP = ("esketamine", "intranasal", "trd", "response", "induction", "placebo")


def _run(con, run_id: str, day: int, status: str = "success") -> None:
    start_run(
        con,
        run_id,
        mode="snapshot",
        snapshot_dir=None,
        since=None,
        parameters={},
        tool_version="t",
        started_at=datetime(2025, 1, day),
    )
    if status != "running":
        finish_run(
            con,
            run_id,
            status=status,
            finished_at=datetime(2025, 1, day, 1),
            counts={},
            error="boom" if status == "failed" else None,
        )


def _study(con, nct_id: str, run_id: str, day: int, results_date: str | None) -> None:
    payload: dict = {"protocolSection": {"identificationModule": {"nctId": nct_id}}, "hasResults": bool(results_date)}
    if results_date:
        payload["protocolSection"]["statusModule"] = {"resultsFirstPostDateStruct": {"date": results_date}}
    con.execute(
        "insert into raw.ctgov_study values (?, ?, ?, ?, ?, ?, ?)",
        [
            nct_id,
            f"2025-01-{day:02d}",
            f"{nct_id}-{day}",
            json.dumps(payload),
            run_id,
            datetime(2025, 1, day),
            "ctgov/x.json",
        ],
    )


def _marts(con, prop: float, rr: float, verdict: str) -> None:
    con.execute("create schema if not exists marts")
    for name in ("evidence_summary", "claim_check"):
        con.execute(contract(f"marts.{name}").ddl())
    con.execute(
        "insert into marts.evidence_summary (drug, route, population, outcome_kind, time_window, "
        "comparator_type, status, k_trials, prop_estimate, rr_dl, study_keys) "
        "values (?, ?, ?, ?, ?, ?, 'pooled', 3, ?, ?, ['NCT1'])",
        [*GROUP, prop, rr],
    )
    con.execute(
        "insert into marts.evidence_summary (drug, route, population, outcome_kind, time_window, "
        "comparator_type, status, k_trials, prop_estimate) "
        "values ('ketamine', null, 'trd', 'response', null, 'midazolam', 'single_study', 1, 0.6)"
    )
    con.execute(
        "insert into marts.claim_check (claim_id, verdict) values ('C01', ?), ('C02', 'not_checkable')", [verdict]
    )


@pytest.fixture
def two_runs(con):
    init_schemas(con)
    _run(con, "r1", 1)
    _study(con, "NCT1", "r1", 1, None)
    _study(con, "NCT2", "r1", 1, "2024-05-01")
    _marts(con, 0.45, 1.30, "consistent")
    record_history(con, "r1")
    _run(con, "r2", 2)
    _study(con, "NCT1", "r2", 2, "2025-01-02")
    _study(con, "NCT2", "r2", 2, "2024-05-01")
    _study(con, "NCT3", "r2", 2, None)
    _marts(con, 0.45 + 1e-12, 1.40, "overstated")
    record_history(con, "r2")
    return con


def test_two_runs_give_the_expected_changes(two_runs) -> None:
    changes = changes_since_previous(two_runs)
    assert (changes.latest_run, changes.previous_run) == ("r2", "r1")
    assert changes.new_trials == ["NCT3"]
    assert [(p.nct_id, p.previous_date, p.latest_date) for p in changes.new_results] == [("NCT1", None, "2025-01-02")]
    moved = [(c.group["drug"], c.measure, c.old, c.new) for c in changes.estimate_changes]
    assert moved == [("esketamine", "rr_dl", 1.30, 1.40)]
    assert [(v.claim_id, v.old, v.new) for v in changes.verdict_changes] == [("C01", "consistent", "overstated")]
    assert not changes.first_run and not changes.empty


def test_a_changed_results_date_counts_as_newly_posted(con) -> None:
    init_schemas(con)
    _run(con, "r1", 1)
    _study(con, "NCT9", "r1", 1, "2024-01-01")
    _run(con, "r2", 2)
    _study(con, "NCT9", "r2", 2, "2024-02-01")
    changes = changes_since_previous(con)
    assert [(p.nct_id, p.previous_date, p.latest_date) for p in changes.new_results] == [
        ("NCT9", "2024-01-01", "2024-02-01")
    ]
    assert changes.new_trials == []
    assert not changes.history_compared


def test_failed_runs_are_skipped_and_a_recorded_running_run_counts(two_runs) -> None:
    _run(two_runs, "r3", 3, status="failed")
    assert latest_runs(two_runs) == ["r2", "r1"]
    _run(two_runs, "r4", 4, status="running")
    assert latest_runs(two_runs) == ["r2", "r1"]
    record_history(two_runs, "r4")
    assert latest_runs(two_runs) == ["r4", "r2"]
    assert changes_since_previous(two_runs).empty


def test_recording_a_run_twice_replaces_its_rows(two_runs) -> None:
    record_history(two_runs, "r2")
    assert two_runs.execute("select count(*) from meta.summary_history where run_id = 'r2'").fetchall() == [(2,)]
    assert two_runs.execute("select count(*) from meta.verdict_history where run_id = 'r2'").fetchall() == [(2,)]


def test_null_group_keys_are_compared(two_runs) -> None:
    two_runs.execute("update marts.evidence_summary set prop_estimate = 0.7 where drug = 'ketamine'")
    _run(two_runs, "r5", 5)
    record_history(two_runs, "r5")
    moved = [(c.label, c.old, c.new) for c in changes_since_previous(two_runs).estimate_changes]
    assert moved == [("ketamine / trd / response / midazolam", 0.6, 0.7)]


def test_first_run_and_empty_warehouse(con) -> None:
    assert changes_since_previous(con).latest_run is None
    init_schemas(con)
    _run(con, "only", 1)
    changes = changes_since_previous(con)
    assert changes.first_run and changes.latest_run == "only"


def _changed_snapshot(tmp_path):
    """The sample with NCT00088699 given posted results and a copy of it as a new trial NCT99999999."""
    snap = tmp_path / "snap"
    shutil.copytree(SAMPLE, snap, ignore=shutil.ignore_patterns("expected", "provenance", "manifest.json"))
    path = snap / "ctgov" / "NCT00088699.json"
    study = json.loads(path.read_text(encoding="utf-8"))
    status = study["protocolSection"]["statusModule"]
    status["resultsFirstPostDateStruct"] = {"date": "2025-02-01", "type": "ACTUAL"}
    status["lastUpdatePostDateStruct"] = {"date": "2025-02-01", "type": "ACTUAL"}
    study["hasResults"] = True
    path.write_text(json.dumps(study), encoding="utf-8")
    copy = json.loads(json.dumps(study).replace("NCT00088699", "NCT99999999"))
    (snap / "ctgov" / "NCT99999999.json").write_text(json.dumps(copy), encoding="utf-8")
    return snap


def test_sample_refreshed_with_a_changed_record(tmp_path) -> None:
    from ketamine_evidence.extract.snapshot import read_snapshot
    from ketamine_evidence.warehouse.build import build
    from ketamine_evidence.warehouse.ingest import ingest_snapshot

    db = tmp_path / "w.duckdb"
    build_sample(db, "run-a").close()
    con = duckdb.connect(str(db))
    start_run(
        con,
        "run-b",
        mode="snapshot",
        snapshot_dir=None,
        since=None,
        parameters={},
        tool_version="t",
        started_at=datetime(2025, 2, 1),
    )
    ingest_snapshot(con, read_snapshot(_changed_snapshot(tmp_path)), "run-b")
    build(con)
    record_history(con, "run-b")
    finish_run(con, "run-b", status="success", finished_at=datetime(2025, 2, 1, 1), counts={})
    changes = changes_since_previous(con)
    assert (changes.latest_run, changes.previous_run) == ("run-b", "run-a")
    assert changes.new_trials == ["NCT99999999"]
    assert [(p.nct_id, p.previous_date, p.latest_date) for p in changes.new_results] == [
        ("NCT00088699", None, "2025-02-01")
    ]
    con.close()


def _search(con, run_id: str, source: str, query: str | None) -> None:
    con.execute("insert into meta.search_log (run_id, source, query, hits, fetched) values (?, ?, ?, 1, 1)",
                [run_id, source, query])


def test_versions_are_numbered_and_method_changes_compared(two_runs) -> None:
    _search(two_runs, "r1", "pubmed", "ketamine")
    _search(two_runs, "r2", "pubmed", "ketamine OR esketamine")
    _search(two_runs, "r1", "ctgov", "intr=ketamine")
    _search(two_runs, "r2", "ctgov", None)  # a replay that did not record its query: not compared
    changes = changes_since_previous(two_runs)
    assert changes.versions == {"r1": 1, "r2": 2}
    assert (changes.latest_version, changes.previous_version) == (2, 1)
    assert [(m.item, m.old, m.new) for m in changes.method_changes] == [
        ("search query: pubmed", "ketamine", "ketamine OR esketamine")
    ]


def test_same_settings_are_no_method_change(two_runs) -> None:
    _search(two_runs, "r1", "pubmed", "ketamine")
    _search(two_runs, "r2", "pubmed", "ketamine")
    assert changes_since_previous(two_runs).method_changes == []
