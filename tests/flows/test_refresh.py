"""The refresh flow end to end under the session's temporary Prefect backend: a run builds every
layer and publishes its artifacts; a failing run is recorded and raises. The rest of the sequence is
tested on the plain functions (test_steps.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from prefect import Flow

from ketamine_evidence.extract.errors import MalformedResponse
from ketamine_evidence.flows.settings import RefreshOptions
from ketamine_evidence.flows.steps import run_refresh
from tests.conftest import SAMPLE
from tests.flow_support import CORE_TABLES, copy_sample, scalar, table_digest

RefreshFlow = Flow[..., dict[str, object]]


def test_offline_run_builds_every_layer(refresh_flow: RefreshFlow, tmp_path: Path) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    db = tmp_path / "w.duckdb"
    result = refresh_flow(db=str(db), mode="offline")
    sample_studies = len(list((SAMPLE / "ctgov").glob("*.json")))
    assert scalar(db, "select count(*) from raw.ctgov_study") == sample_studies
    assert scalar(db, "select count(*) from core.study") == sample_studies
    assert scalar(db, "select count(*) from core.publication") >= 12
    assert scalar(db, "select count(*) from core.outcome") > 0
    assert scalar(db, "select status from meta.refresh_run") == "success"
    assert scalar(db, "select parameters->>'$.trigger' from meta.refresh_run") == "manual"
    assert scalar(db, "select ctgov_new from meta.refresh_run") == sample_studies
    assert scalar(db, "select count(distinct source) from meta.search_log") == 2
    sustain1 = scalar(db, "select list(pmid) from core.study_publication where nct_id = 'NCT02493868'")
    assert "31166571" in sustain1

    # The flow's own part: the run's counts, verdicts and summary as Prefect artifacts.
    assert result["run_id"] == scalar(db, "select run_id from meta.refresh_run")
    published = {"refresh-counts", "claim-verdicts", "evidence-summary"}
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=list(published))))
    assert {a.key for a in artifacts if f"run {result['run_id']}" in (a.description or "")} == published


def test_malformed_file_fails_the_run_but_keeps_landed_raw_and_core(refresh_flow: RefreshFlow, tmp_path: Path) -> None:
    snap = copy_sample(tmp_path / "snap", manifest=False)
    db = tmp_path / "w.duckdb"
    run_refresh(RefreshOptions(db=str(db), mode="snapshot", snapshot=str(snap)), "run-before")
    core_before = {t: table_digest(db, t) for t in CORE_TABLES}

    study_file = sorted((snap / "ctgov").glob("*.json"))[0]
    study = json.loads(study_file.read_text())
    study["protocolSection"]["identificationModule"]["briefTitle"] = "Amended title"
    study_file.write_text(json.dumps(study))
    broken = snap / "pubmed" / "zz-broken.xml"
    broken.write_text('<?xml version="1.0"?><PubmedArticleSet><PubmedArticle><MedlineCitation>')

    with pytest.raises(MalformedResponse, match=r"zz-broken\.xml"):
        refresh_flow(db=str(db), mode="snapshot", snapshot=str(snap))
    assert scalar(db, "select status from meta.refresh_run order by started_at desc limit 1") == "failed"
    assert "zz-broken.xml" in scalar(db, "select error from meta.refresh_run order by started_at desc limit 1")
    assert (
        scalar(
            db,
            "select count(*) from raw.ctgov_study where payload->>'$.protocolSection"
            ".identificationModule.briefTitle' = 'Amended title'",
        )
        == 1
    )
    assert {t: table_digest(db, t) for t in CORE_TABLES} == core_before


def test_decisions_and_verified_only_reach_the_build(refresh_flow: RefreshFlow, tmp_path: Path) -> None:
    """`refresh --decisions FILE` stores the file's decisions before the build; `--verified-only` pools checked rows."""
    from ketamine_evidence.warehouse.build import build
    from ketamine_evidence.warehouse.review import apply_sheet, export_decisions
    from tests.flow_support import build_sample
    from tests.warehouse.test_review import C01_POOLED, _filled, _sheet, _write

    reviewed, decisions = tmp_path / "reviewed.duckdb", tmp_path / "decisions.csv"
    con = build_sample(reviewed)
    sheet = tmp_path / "sheet.csv"
    _write(sheet, _filled(_sheet(con, sheet)))
    apply_sheet(con, sheet, reviewer="ana")
    build(con)
    assert export_decisions(con, decisions) == 3
    con.close()

    fresh = tmp_path / "fresh.duckdb"
    refresh_flow(db=str(fresh), mode="offline", decisions=str(decisions))
    assert scalar(fresh, "select count(*) from core.review_decision where state = 'applied'") == 3
    assert scalar(fresh, C01_POOLED) == pytest.approx(scalar(reviewed, C01_POOLED))

    unchecked = tmp_path / "unchecked.duckdb"
    refresh_flow(db=str(unchecked), mode="offline", verified_only=True)
    assert scalar(unchecked, "select count(*) from core.outcome") > 0
    assert scalar(unchecked, "select count(*) from marts.evidence_summary") == 0  # no row has been checked


def test_the_run_records_what_triggered_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """manual outside a deployment; a deployment's run is `scheduled` when its schedule made it."""
    from types import SimpleNamespace

    from ketamine_evidence.flows import refresh as module

    assert module.run_trigger() == "manual"
    for deployment, auto, expected in ((None, False, "manual"), ("d1", True, "scheduled"), ("d1", False, "deployment")):
        run = SimpleNamespace(deployment_id=deployment, auto_scheduled=auto)
        monkeypatch.setattr(module.FlowRunContext, "get", staticmethod(lambda run=run: SimpleNamespace(flow_run=run)))
        assert module.run_trigger() == expected
