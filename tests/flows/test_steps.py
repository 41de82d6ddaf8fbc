"""The refresh sequence as plain functions (no Prefect): replays, repeats, and how the flow wraps them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ketamine_evidence.flows.settings import RefreshOptions
from ketamine_evidence.flows.steps import PLAIN, Steps, new_run_id, run_refresh
from tests.flow_support import CORE_TABLES, copy_sample, scalar, table_digest


def test_second_identical_run_adds_nothing(sample_db: Path, tmp_path: Path) -> None:
    db = Path(shutil.copy(sample_db, tmp_path / "w.duckdb"))
    before = {t: table_digest(db, t) for t in (*CORE_TABLES, "raw.ctgov_study", "raw.pubmed_article")}
    result = run_refresh(RefreshOptions(db=str(db), mode="offline"), new_run_id())
    assert result["ctgov_new"] == 0 and result["ctgov_changed"] == 0
    assert result["pubmed_new"] == 0 and result["pubmed_changed"] == 0
    assert result["ctgov_unchanged"] == scalar(db, "select count(*) from core.study")
    after = {t: table_digest(db, t) for t in before}
    assert after == before
    assert scalar(db, "select count(*) from meta.refresh_run where status = 'success'") == 2


def test_directory_without_manifest_replays(tmp_path: Path) -> None:
    snap = copy_sample(tmp_path / "snap", manifest=False)
    db = tmp_path / "w.duckdb"
    run_refresh(RefreshOptions(db=str(db), mode="snapshot", snapshot=str(snap)), new_run_id())
    assert scalar(db, "select count(*) from core.study") == len(list((snap / "ctgov").glob("*.json")))
    assert scalar(db, "select hits from meta.search_log where source = 'ctgov'") > 0


def test_a_failure_that_cannot_be_recorded_is_still_raised(tmp_path: Path) -> None:
    """Recording the failure is best effort: the run's own error is what the user sees."""
    warnings: list[str] = []

    def broken_build(options: RefreshOptions) -> dict[str, int]:
        raise RuntimeError("disk full")

    def locked_close(*args: object) -> None:
        raise OSError("database is locked")

    steps = Steps(build_warehouse=broken_build, close_run=locked_close)
    with pytest.raises(RuntimeError, match="disk full"):
        run_refresh(
            RefreshOptions(db=str(tmp_path / "w.duckdb"), mode="offline"), "run-x", steps=steps, warn=warnings.append
        )
    assert warnings == ["could not record the failure of run run-x: database is locked"]
    assert scalar(tmp_path / "w.duckdb", "select status from meta.refresh_run") == "running"


def test_the_flow_runs_each_plain_step_as_a_task() -> None:
    """Thin flow: every step the flow runs is a Prefect task around the plain function of the same name."""
    from prefect.tasks import Task

    from ketamine_evidence.flows import fetch, review_cli
    from ketamine_evidence.flows.refresh import fetch_sources, task_steps

    tasks = task_steps()
    for name in ("open_run", "stored_pmids", "land_raw", "build_warehouse", "record_history", "close_run"):
        step = getattr(tasks, name)
        assert isinstance(step, Task) and step.fn is getattr(PLAIN, name) and step.name == name, name
    assert isinstance(tasks.fetch_cited_articles, Task) and tasks.fetch_cited_articles.retries == 2
    assert tasks.fetch_sources is fetch_sources and PLAIN.fetch_sources is fetch.fetch_sources
    verified = task_steps(verified_only=True).build_warehouse
    assert isinstance(verified, Task) and verified.fn is review_cli.build_verified
