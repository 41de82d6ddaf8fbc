"""A live refresh against a local server (no internet): --record writes a snapshot that replays to
the same warehouse, and credentials reach the server but never the recording or the database.
That one runs the flow (its concurrent fetch tasks); the failure cases run the same sequence as
plain functions (`run_refresh`, whose fetches run in threads), without Prefect or its task retries.

The server replays the bundled sample's records: CT.gov studies split over two /studies pages, and
a synthetic esearch answer (made here, labelled as such) in front of the sample's efetch file.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pytest
from prefect import Flow

from ketamine_evidence.extract.errors import MalformedResponse, SourceUnavailable
from ketamine_evidence.flows.settings import RefreshOptions
from ketamine_evidence.flows.steps import run_refresh
from tests.conftest import SAMPLE
from tests.flow_support import scalar, table_digest
from tests.support.replay_server import ReplayServer, Reply

# The transports' clock without waiting (patched into extract.http only: patching time.sleep itself
# would also stop Prefect's own background threads from pausing).
NO_WAIT = SimpleNamespace(sleep=lambda seconds: None, time=time.time, monotonic=time.monotonic)
SECRET_KEY = "SECRET-KEY-0123456789"
SECRET_EMAIL = "secret.person@example.org"
EMPTY_SET = b'<?xml version="1.0" ?>\n<PubmedArticleSet></PubmedArticleSet>\n'


def esearch(count: int) -> bytes:
    """Synthetic esearch answer in the E-utilities shape (not a recorded response)."""
    return (
        f'<?xml version="1.0" ?>\n<eSearchResult><Count>{count}</Count><RetMax>{count}</RetMax>'
        f"<RetStart>0</RetStart><QueryKey>1</QueryKey><WebEnv>MCID_test</WebEnv><IdList/>"
        f"</eSearchResult>"
    ).encode()


def ctgov_pages() -> list[bytes]:
    studies = [json.loads(p.read_text()) for p in sorted((SAMPLE / "ctgov").glob("*.json"))]
    first, second = studies[:6], studies[6:]
    return [
        json.dumps({"studies": first, "nextPageToken": "tok2", "totalCount": len(studies)}).encode(),
        json.dumps({"studies": second}).encode(),
    ]


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[ReplayServer]:
    efetch = (SAMPLE / "pubmed" / "efetch-sample.xml").read_bytes()
    with ReplayServer() as srv:
        page1, page2 = ctgov_pages()
        srv.add("/api/v2/studies", Reply.json(page1), Reply.json(page2))
        srv.add("/eutils/esearch.fcgi", Reply.xml(esearch(12)))
        srv.add("/eutils/efetch.fcgi", Reply.xml(efetch), Reply.xml(EMPTY_SET))
        monkeypatch.setenv("KETAMINE_EVIDENCE_CTGOV_URL", f"{srv.base_url}/api/v2")
        monkeypatch.setenv("KETAMINE_EVIDENCE_PUBMED_URL", f"{srv.base_url}/eutils")
        monkeypatch.setenv("NCBI_API_KEY", SECRET_KEY)
        monkeypatch.setenv("NCBI_EMAIL", SECRET_EMAIL)
        yield srv


def all_text(db: Path) -> str:
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables where table_type = 'BASE TABLE'"
        ).fetchall()
        return "\n".join(str(con.execute(f"select * from {s}.{t}").fetchall()) for s, t in tables)
    finally:
        con.close()


def test_live_run_records_a_replayable_snapshot_without_secrets(
    refresh_flow: Flow[..., dict[str, object]], server: ReplayServer, tmp_path: Path
) -> None:
    record, live_db = tmp_path / "recorded", tmp_path / "live.duckdb"
    result = refresh_flow(db=str(live_db), mode="live", record=str(record))
    assert result["ctgov_new"] == 11 and result["pubmed_new"] == 12

    studies = [r for r in server.requests if r.path == "/api/v2/studies"]
    assert [r.query.get("pageToken") for r in studies] == [None, ["tok2"]]
    assert studies[0].query["countTotal"] == ["true"] and "countTotal" not in studies[1].query
    assert all(r.query["query.intr"] == studies[0].query["query.intr"] for r in studies)
    sent = [r for r in server.requests if r.path.startswith("/eutils/")]
    assert all(r.query.get("api_key") == [SECRET_KEY] for r in sent)
    cited = sent[-1]
    assert cited.path == "/eutils/efetch.fcgi" and cited.query["id"] == ["28576285"]

    manifest = json.loads((record / "manifest.json").read_text())
    searches = sorted((s["source"], s["hits"]) for s in manifest["searches"])
    assert searches == [("citation", 1), ("ctgov", 11), ("pubmed", 12)]  # the cited PMID is citation searching
    for path in record.rglob("*"):
        if path.is_file():
            text = path.read_text(errors="replace")
            assert SECRET_KEY not in text and SECRET_EMAIL not in text, path
    assert SECRET_KEY not in all_text(live_db) and SECRET_EMAIL not in all_text(live_db)
    assert scalar(live_db, "select hits from meta.search_log where source = 'ctgov'") == 11

    replay_db = tmp_path / "replay.duckdb"
    run_refresh(RefreshOptions(db=str(replay_db), mode="snapshot", snapshot=str(record)), "run-replay")
    for table in ("core.study", "core.publication", "core.outcome", "core.screening", "marts.claim_check"):
        assert table_digest(replay_db, table) == table_digest(live_db, table), table


def test_api_failure_is_recorded_and_nothing_half_built(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with ReplayServer() as srv:
        srv.add("/api/v2/studies", Reply(503, b"down"))
        srv.add("/eutils/esearch.fcgi", Reply.xml(esearch(0)))
        monkeypatch.setenv("KETAMINE_EVIDENCE_CTGOV_URL", f"{srv.base_url}/api/v2")
        monkeypatch.setenv("KETAMINE_EVIDENCE_PUBMED_URL", f"{srv.base_url}/eutils")
        monkeypatch.setattr("ketamine_evidence.extract.http.time", NO_WAIT)
        db = tmp_path / "w.duckdb"
        with pytest.raises(SourceUnavailable, match="ctgov: HTTP 503"):
            run_refresh(RefreshOptions(db=str(db), mode="live"), "run-live")
    assert scalar(db, "select status from meta.refresh_run") == "failed"
    assert "HTTP 503" in scalar(db, "select error from meta.refresh_run")
    assert scalar(db, "select count(*) from information_schema.tables where table_schema = 'core'") == 0


def test_pubmed_outage_keeps_the_finished_ctgov_fetch(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """ClinicalTrials.gov answered, PubMed did not: the studies land in raw, core is not built."""
    with ReplayServer() as srv:
        page1, page2 = ctgov_pages()
        srv.add("/api/v2/studies", Reply.json(page1), Reply.json(page2))
        srv.add("/eutils/esearch.fcgi", Reply(502, b"bad gateway"))
        monkeypatch.setenv("KETAMINE_EVIDENCE_CTGOV_URL", f"{srv.base_url}/api/v2")
        monkeypatch.setenv("KETAMINE_EVIDENCE_PUBMED_URL", f"{srv.base_url}/eutils")
        monkeypatch.setattr("ketamine_evidence.extract.http.time", NO_WAIT)
        db = tmp_path / "w.duckdb"
        with pytest.raises(SourceUnavailable, match="pubmed: HTTP 502"):
            run_refresh(RefreshOptions(db=str(db), mode="live"), "run-live")
    assert scalar(db, "select status || ' ' || ctgov_new from meta.refresh_run") == "failed 11"
    assert scalar(db, "select count(*) from raw.ctgov_study") == 11
    assert scalar(db, "select count(*) from information_schema.tables where table_schema = 'core'") == 0


def test_pubmed_failing_after_its_search_keeps_a_readable_recording(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """esearch answered, efetch failed: the orphaned esearch page is dropped, CT.gov still lands."""
    from ketamine_evidence.extract.snapshot import read_snapshot

    with ReplayServer() as srv:
        page1, page2 = ctgov_pages()
        srv.add("/api/v2/studies", Reply.json(page1), Reply.json(page2))
        srv.add("/eutils/esearch.fcgi", Reply.xml(esearch(12)))
        srv.add("/eutils/efetch.fcgi", Reply(502, b"bad gateway"))
        monkeypatch.setenv("KETAMINE_EVIDENCE_CTGOV_URL", f"{srv.base_url}/api/v2")
        monkeypatch.setenv("KETAMINE_EVIDENCE_PUBMED_URL", f"{srv.base_url}/eutils")
        monkeypatch.setattr("ketamine_evidence.extract.http.time", NO_WAIT)
        db, record = tmp_path / "w.duckdb", tmp_path / "rec"
        with pytest.raises(SourceUnavailable, match="pubmed: HTTP 502"):
            run_refresh(RefreshOptions(db=str(db), mode="live", record=str(record)), "run-live")
    assert [f.name for f in read_snapshot(record).files] == ["ctgov/page-0001.json", "ctgov/page-0002.json"]
    assert not (record / "pubmed").exists() or not any((record / "pubmed").iterdir())
    assert scalar(db, "select count(*) from raw.ctgov_study") == 11


def test_only_persistent_api_failures_are_retried_by_the_task() -> None:
    from prefect.states import Failed

    from ketamine_evidence.flows.refresh import _transient

    assert _transient(None, None, Failed(data=SourceUnavailable("ctgov", "u", "HTTP 503")))
    assert not _transient(None, None, Failed(data=SourceUnavailable("ctgov", "u", "wait 3600s", retryable=False)))
    assert not _transient(None, None, Failed(data=MalformedResponse("u", "truncated JSON")))


def sample_pmids() -> list[str]:
    from ketamine_evidence.extract.pubmed.parse import ArticleRecord, iter_pubmed_xml

    items = iter_pubmed_xml(SAMPLE / "pubmed" / "efetch-sample.xml", name="sample")
    return [item.pmid for item in items if isinstance(item, ArticleRecord)]


def esearch_listing(pmids: list[str]) -> bytes:
    """Synthetic esearch answer that lists its ids, as NCBI does up to retmax (not a recorded response)."""
    ids = "".join(f"<Id>{p}</Id>" for p in pmids)
    return (
        f'<?xml version="1.0" ?>\n<eSearchResult><Count>{len(pmids)}</Count><RetMax>{len(pmids)}</RetMax>'
        f"<RetStart>0</RetStart><QueryKey>1</QueryKey><WebEnv>MCID_test</WebEnv><IdList>{ids}</IdList>"
        f"</eSearchResult>"
    ).encode()


@pytest.fixture
def stand_in(monkeypatch: pytest.MonkeyPatch) -> Iterator[ReplayServer]:
    """Both APIs on one local server, no waits between retries; each test queues its own replies."""
    with ReplayServer() as srv:
        monkeypatch.setenv("KETAMINE_EVIDENCE_CTGOV_URL", f"{srv.base_url}/api/v2")
        monkeypatch.setenv("KETAMINE_EVIDENCE_PUBMED_URL", f"{srv.base_url}/eutils")
        monkeypatch.setenv("NCBI_API_KEY", SECRET_KEY)
        monkeypatch.setattr("ketamine_evidence.extract.http.time", NO_WAIT)
        yield srv


def test_a_short_efetch_is_asked_again_by_id_and_then_complete(stand_in: ReplayServer, tmp_path: Path) -> None:
    """efetch first answers with no articles at all (NCBI under load); asked by id, all 12 arrive."""
    efetch = (SAMPLE / "pubmed" / "efetch-sample.xml").read_bytes()
    page1, page2 = ctgov_pages()
    stand_in.add("/api/v2/studies", Reply.json(page1), Reply.json(page2))
    stand_in.add("/eutils/esearch.fcgi", Reply.xml(esearch_listing(sample_pmids())))
    stand_in.add("/eutils/efetch.fcgi", Reply.xml(EMPTY_SET), Reply.xml(efetch), Reply.xml(EMPTY_SET))
    db = tmp_path / "w.duckdb"
    run_refresh(RefreshOptions(db=str(db), mode="live"), "run-live")
    refetch = [r for r in stand_in.requests if r.path == "/eutils/efetch.fcgi"][1]
    assert sorted(refetch.query["id"][0].split(",")) == sorted(sample_pmids())
    assert scalar(db, "select status from meta.refresh_run") == "success"
    assert scalar(db, "select count(*) from raw.pubmed_article") == 12


def test_articles_that_never_arrive_end_the_run_partial(stand_in: ReplayServer, tmp_path: Path) -> None:
    """The search found 13, efetch gives 12 twice: the 12 land and build, the run is `partial`."""
    from ketamine_evidence.extract.errors import IncompleteFetch

    efetch = (SAMPLE / "pubmed" / "efetch-sample.xml").read_bytes()
    page1, page2 = ctgov_pages()
    stand_in.add("/api/v2/studies", Reply.json(page1), Reply.json(page2))
    stand_in.add("/eutils/esearch.fcgi", Reply.xml(esearch_listing([*sample_pmids(), "39999999"])))
    stand_in.add("/eutils/efetch.fcgi", Reply.xml(efetch), Reply.xml(EMPTY_SET))
    db = tmp_path / "w.duckdb"
    with pytest.raises(IncompleteFetch, match=r"^partial: 1 records did not arrive.*: pubmed PMID 39999999;"):
        run_refresh(RefreshOptions(db=str(db), mode="live"), "run-live")
    assert scalar(db, "select status || ': ' || error from meta.refresh_run") == "partial: pubmed PMID 39999999"
    assert scalar(db, "select count(*) from raw.pubmed_article") == 12
    assert scalar(db, "select count(*) from core.study") == 11  # built from what arrived


def test_studies_short_of_total_count_run_the_search_again_then_partial(
    stand_in: ReplayServer, tmp_path: Path
) -> None:
    from ketamine_evidence.extract.errors import IncompleteFetch

    studies = [json.loads(p.read_text()) for p in sorted((SAMPLE / "ctgov").glob("*.json"))]
    short = json.dumps({"studies": studies, "totalCount": len(studies) + 1}).encode()
    stand_in.add("/api/v2/studies", Reply.json(short))
    stand_in.add("/eutils/esearch.fcgi", Reply.xml(esearch(0)))
    stand_in.add("/eutils/efetch.fcgi", Reply.xml(EMPTY_SET))  # cited PMIDs: absent ones are only logged
    db = tmp_path / "w.duckdb"
    with pytest.raises(IncompleteFetch, match="ctgov: 1 of 12 studies"):
        run_refresh(RefreshOptions(db=str(db), mode="live"), "run-live")
    assert len([r for r in stand_in.requests if r.path == "/api/v2/studies"]) == 2
    assert scalar(db, "select status from meta.refresh_run") == "partial"
    assert scalar(db, "select count(*) from core.study") == 11


def test_an_html_efetch_page_fails_naming_its_url_and_ctgov_still_lands(
    stand_in: ReplayServer, tmp_path: Path
) -> None:
    page1, page2 = ctgov_pages()
    stand_in.add("/api/v2/studies", Reply.json(page1), Reply.json(page2))
    stand_in.add("/eutils/esearch.fcgi", Reply.xml(esearch(12)))
    stand_in.add("/eutils/efetch.fcgi", Reply(200, b"<!DOCTYPE html><html><body>Server busy</body></html>"))
    db = tmp_path / "w.duckdb"
    with pytest.raises(MalformedResponse) as caught:
        run_refresh(RefreshOptions(db=str(db), mode="live"), "run-live")
    assert caught.value.where.startswith(f"{stand_in.base_url}/eutils/efetch.fcgi?")
    assert SECRET_KEY not in str(caught.value) and "ke-live-" not in str(caught.value)
    assert scalar(db, "select status from meta.refresh_run") == "failed"
    assert "efetch.fcgi" in scalar(db, "select error from meta.refresh_run")
    assert scalar(db, "select count(*) from raw.ctgov_study") == 11


def test_no_network_fails_within_seconds_naming_the_host(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Hosts that do not resolve: one line naming the host, no retries, well within 30 s."""
    monkeypatch.setenv("KETAMINE_EVIDENCE_CTGOV_URL", "http://clinicaltrials.invalid/api/v2")
    monkeypatch.setenv("KETAMINE_EVIDENCE_PUBMED_URL", "http://eutils.invalid/eutils")
    db = tmp_path / "w.duckdb"
    started = time.monotonic()
    with pytest.raises(SourceUnavailable, match=r"cannot reach clinicaltrials\.invalid: the host name does not"):
        run_refresh(RefreshOptions(db=str(db), mode="live"), "run-live")
    assert time.monotonic() - started < 30
    assert scalar(db, "select status from meta.refresh_run") == "failed"
