"""The refresh flow end to end, under a temporary Prefect backend: offline, replay, faults."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ketamine_evidence.extract.errors import MalformedResponse
from tests.conftest import SAMPLE
from tests.flow_support import copy_sample, scalar, table_digest

CORE_TABLES = ("core.study", "core.publication", "core.outcome_measurement", "core.outcome",
               "core.study_publication", "core.screening", "marts.evidence_summary", "marts.claim_check",
               "marts.prisma_flow", "marts.study_characteristics")


@pytest.fixture(scope="module")
def refresh():
    from prefect.testing.utilities import prefect_test_harness

    from ketamine_evidence.flows.refresh import refresh as flow

    with prefect_test_harness():
        yield flow


@pytest.fixture(scope="module")
def offline_db(refresh, tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("offline") / "w.duckdb"
    refresh(db=str(db), mode="offline")
    return db


def test_offline_run_builds_every_layer(offline_db: Path) -> None:
    sample_studies = len(list((SAMPLE / "ctgov").glob("*.json")))
    assert scalar(offline_db, "select count(*) from raw.ctgov_study") == sample_studies
    assert scalar(offline_db, "select count(*) from core.study") == sample_studies
    assert scalar(offline_db, "select count(*) from core.publication") >= 12
    assert scalar(offline_db, "select count(*) from core.outcome") > 0
    assert scalar(offline_db, "select status from meta.refresh_run") == "success"
    assert scalar(offline_db, "select ctgov_new from meta.refresh_run") == sample_studies
    assert scalar(offline_db, "select count(distinct source) from meta.search_log") == 2
    sustain1 = scalar(offline_db, "select list(pmid) from core.study_publication where nct_id = 'NCT02493868'")
    assert "31166571" in sustain1


def test_second_identical_run_adds_nothing(refresh, offline_db: Path) -> None:
    before = {t: table_digest(offline_db, t) for t in (*CORE_TABLES, "raw.ctgov_study", "raw.pubmed_article")}
    result = refresh(db=str(offline_db), mode="offline")
    assert result["ctgov_new"] == 0 and result["ctgov_changed"] == 0
    assert result["pubmed_new"] == 0 and result["pubmed_changed"] == 0
    assert result["ctgov_unchanged"] == scalar(offline_db, "select count(*) from core.study")
    after = {t: table_digest(offline_db, t) for t in before}
    assert after == before
    assert scalar(offline_db, "select count(*) from meta.refresh_run where status = 'success'") == 2


def test_directory_without_manifest_replays(refresh, tmp_path: Path) -> None:
    snap = copy_sample(tmp_path / "snap", manifest=False)
    db = tmp_path / "w.duckdb"
    refresh(db=str(db), mode="snapshot", snapshot=str(snap))
    assert scalar(db, "select count(*) from core.study") == len(list((snap / "ctgov").glob("*.json")))
    assert scalar(db, "select hits from meta.search_log where source = 'ctgov'") > 0


def test_malformed_file_fails_the_run_but_keeps_landed_raw_and_core(refresh, tmp_path: Path) -> None:
    snap = copy_sample(tmp_path / "snap", manifest=False)
    db = tmp_path / "w.duckdb"
    refresh(db=str(db), mode="snapshot", snapshot=str(snap))
    core_before = {t: table_digest(db, t) for t in CORE_TABLES}

    study_file = sorted((snap / "ctgov").glob("*.json"))[0]
    study = json.loads(study_file.read_text())
    study["protocolSection"]["identificationModule"]["briefTitle"] = "Amended title"
    study_file.write_text(json.dumps(study))
    broken = snap / "pubmed" / "zz-broken.xml"
    broken.write_text('<?xml version="1.0"?><PubmedArticleSet><PubmedArticle><MedlineCitation>')

    with pytest.raises(MalformedResponse, match=r"zz-broken\.xml"):
        refresh(db=str(db), mode="snapshot", snapshot=str(snap))
    assert scalar(db, "select status from meta.refresh_run order by started_at desc limit 1") == "failed"
    assert "zz-broken.xml" in scalar(db, "select error from meta.refresh_run order by started_at desc limit 1")
    assert scalar(db, "select count(*) from raw.ctgov_study where payload->>'$.protocolSection"
                      ".identificationModule.briefTitle' = 'Amended title'") == 1
    assert {t: table_digest(db, t) for t in CORE_TABLES} == core_before
