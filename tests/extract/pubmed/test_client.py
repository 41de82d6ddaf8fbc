"""extract.pubmed.client against a local ReplayServer (no network).

efetch bodies are real files from ../shared/data/raw. esearch answers with WebEnv and chosen counts
are built here (synthetic) in the shape of biopython-tests/Entrez/esearch2.xml.
"""

from __future__ import annotations

from datetime import date

import pytest

from ketamine_evidence.extract.errors import MalformedResponse, SourceUnavailable
from ketamine_evidence.extract.http import RateLimit
from ketamine_evidence.extract.pubmed.client import esearch, fetch_pmids, fetch_search_pages, make_transport
from ketamine_evidence.extract.pubmed.settings import DEFAULT_QUERY, PubMedSettings
from tests.conftest import shared_path
from tests.support.replay_server import ReplayServer, Reply

PREFIX = "/entrez/eutils"
ESEARCH, EFETCH = f"{PREFIX}/esearch.fcgi", f"{PREFIX}/efetch.fcgi"
KEY, EMAIL = "SECRET-KEY-123", "someone@example.org"


def _esearch_xml(count: int, webenv: str = "MCID_test") -> Reply:
    return Reply.xml(
        f'<?xml version="1.0" encoding="UTF-8" ?>\n<eSearchResult><Count>{count}</Count><RetMax>0</RetMax>'
        f"<RetStart>0</RetStart><QueryKey>1</QueryKey><WebEnv>{webenv}</WebEnv><IdList/>"
        "</eSearchResult>"
    )


def _efetch() -> Reply:
    return Reply.xml(shared_path("meta-harness", "esketamine-trd-madrs", "comparator_named_pubmed.xml").read_bytes())


def _settings(server: ReplayServer, **changes: object) -> PubMedSettings:
    options: dict = {"base_url": server.base_url + PREFIX, "email": EMAIL, "api_key": KEY, **changes}
    return PubMedSettings(**options)


def _transport(settings: PubMedSettings, sleeps: list[float], **changes: object):
    return make_transport(settings, sleep=sleeps.append, rate=RateLimit(1, 0.0), **changes)


def _no_secrets(text: str) -> None:
    assert KEY not in text and EMAIL not in text and "api_key" not in text and "email" not in text


def test_esearch_then_efetch_pages_through_the_history_server() -> None:
    with ReplayServer() as server:
        server.add(ESEARCH, _esearch_xml(5, "MCID_abc"))
        server.add(EFETCH, _efetch())
        settings = _settings(server, batch_size=2)
        messages: list[str] = []
        pages = list(fetch_search_pages(settings, _transport(settings, []), DEFAULT_QUERY, progress=messages.append))
    assert [p.kind for p in pages] == ["esearch", "efetch", "efetch", "efetch"]
    assert [p.hits for p in pages] == [5, 2, 2, 1]
    fetches = [r for r in server.requests if r.path == EFETCH]
    assert [r.query["retstart"] for r in fetches] == [["0"], ["2"], ["4"]]
    assert {r.query["WebEnv"][0] for r in fetches} == {"MCID_abc"}
    assert {r.query["query_key"][0] for r in fetches} == {"1"}
    search = server.requests[0].query
    assert search["usehistory"] == ["y"] and search["term"] == [DEFAULT_QUERY]
    assert (search["api_key"], search["email"], search["tool"]) == ([KEY], [EMAIL], ["ketamine-evidence"])
    assert messages[-1] == "pubmed: fetched 5 of 5 articles"
    assert pages[1].body.startswith(b'<?xml version="1.0" ?>')
    for page in pages:
        _no_secrets(repr(page.request))
    assert pages[2].request["retstart"] == "2"


def test_429_with_retry_after_then_success() -> None:
    with ReplayServer() as server:
        server.add(ESEARCH, Reply(429, b"slow down", {"Retry-After": "7"}), _esearch_xml(3))
        settings = _settings(server)
        sleeps: list[float] = []
        result = esearch(settings, _transport(settings, sleeps), "ketamine")
    assert (result.count, result.webenv, result.query_key) == (3, "MCID_test", "1")
    assert sleeps == [7.0]
    assert len(server.requests) == 2


def test_5xx_retried_then_source_unavailable() -> None:
    with ReplayServer() as server:
        server.add(ESEARCH, Reply(503, b"busy"))
        settings = _settings(server, max_tries=3)
        sleeps: list[float] = []
        with pytest.raises(SourceUnavailable) as caught:
            esearch(settings, _transport(settings, sleeps), "ketamine")
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("pubmed: HTTP 503 after 3 tries for http://127.0.0.1:")
    assert "esearch.fcgi" in message and "term=ketamine" in message
    _no_secrets(message)
    assert sleeps == [1.0, 2.0]
    assert len(server.requests) == 3


def test_truncated_body_is_retried() -> None:
    with ReplayServer() as server:
        full = _efetch()
        server.add(ESEARCH, _esearch_xml(3))
        server.add(EFETCH, Reply(200, full.body, full.headers, truncate_to=500), full)
        settings = _settings(server)
        sleeps: list[float] = []
        pages = list(fetch_search_pages(settings, _transport(settings, sleeps), "x"))
    assert pages[-1].body == full.body
    assert len([r for r in server.requests if r.path == EFETCH]) == 2
    assert sleeps == [1.0]


def test_slow_reply_hits_the_timeout() -> None:
    with ReplayServer() as server:
        server.add(ESEARCH, Reply(200, b"<eSearchResult/>", delay=1.0))
        settings = _settings(server, timeout=0.2, max_tries=1)
        with pytest.raises(SourceUnavailable, match=r"^pubmed: timed out after 0\.2s \(1 tries\)"):
            esearch(settings, _transport(settings, []), "ketamine")


def test_counts_over_9999_split_the_date_window() -> None:
    with ReplayServer() as server:
        server.add(
            ESEARCH,
            _esearch_xml(25000, "whole"),
            _esearch_xml(6000, "h1"),
            _esearch_xml(19000, "h2"),
            _esearch_xml(9500, "h2a"),
            _esearch_xml(9500, "h2b"),
        )
        server.add(EFETCH, _efetch())
        settings = _settings(server, batch_size=5000)
        messages: list[str] = []
        pages = list(
            fetch_search_pages(
                settings,
                _transport(settings, []),
                "ketamine",
                since=date(2020, 1, 1),
                until=date(2020, 12, 31),
                progress=messages.append,
            )
        )
    searches = [r.query for r in server.requests if r.path == ESEARCH]
    assert [(q["mindate"][0], q["maxdate"][0]) for q in searches] == [
        ("2020/01/01", "2020/12/31"),
        ("2020/01/01", "2020/07/01"),
        ("2020/07/02", "2020/12/31"),
        ("2020/07/02", "2020/10/01"),
        ("2020/10/02", "2020/12/31"),
    ]
    assert {q["datetype"][0] for q in searches} == {"mdat"}
    fetched = [(r.query["WebEnv"][0], r.query["retstart"][0]) for r in server.requests if r.path == EFETCH]
    assert fetched == [("h1", "0"), ("h1", "5000"), ("h2a", "0"), ("h2a", "5000"), ("h2b", "0"), ("h2b", "5000")]
    assert sum(p.hits for p in pages if p.kind == "efetch") == 25000
    assert [p.window for p in pages if p.kind == "efetch"][2] == ("2020/07/02", "2020/10/01")
    assert [p.hits for p in pages if p.kind == "esearch"] == [25000, 6000, 19000, 9500, 9500]
    assert messages[-1] == "pubmed: fetched 25000 of 25000 articles"


def test_until_alone_searches_by_entrez_date_from_the_earliest_day() -> None:
    with ReplayServer() as server:
        server.add(ESEARCH, _esearch_xml(0))
        settings = _settings(server)
        pages = list(fetch_search_pages(settings, _transport(settings, []), "x", until=date(2024, 5, 31)))
    query = server.requests[0].query
    assert (query["datetype"], query["mindate"], query["maxdate"]) == (["edat"], ["1800/01/01"], ["2024/05/31"])
    assert [p.kind for p in pages] == ["esearch"]


def test_esearch_error_and_html_are_malformed() -> None:
    with ReplayServer() as server:
        server.add(
            ESEARCH,
            Reply.xml("<eSearchResult><ERROR>Invalid query</ERROR></eSearchResult>"),
            Reply(200, b"<!DOCTYPE html><html><body>Service unavailable&nbsp;</body></html>"),
        )
        settings = _settings(server)
        transport = _transport(settings, [])
        with pytest.raises(MalformedResponse, match="pubmed esearch all: esearch error: Invalid query"):
            esearch(settings, transport, "ketamine")
        with pytest.raises(MalformedResponse, match="not an esearch XML answer"):
            esearch(settings, transport, "ketamine")


def test_fetch_pmids_posts_long_id_lists() -> None:
    pmids = [str(30000000 + i) for i in range(250)]
    with ReplayServer() as server:
        server.add(EFETCH, _efetch())
        settings = _settings(server)
        pages = list(fetch_pmids(settings, _transport(settings, []), [*pmids, pmids[0]]))
    first, second = server.requests
    assert first.method == "POST" and first.query["id"][0].split(",") == pmids[:200]
    assert first.query["api_key"] == [KEY]
    assert second.method == "GET" and second.query["id"][0].split(",") == pmids[200:]
    assert [p.hits for p in pages] == [200, 50]
    assert pages[0].request["id"].split(",") == pmids[:200]
    for page in pages:
        _no_secrets(repr(page.request))


def test_settings_hide_secrets_and_read_the_environment() -> None:
    env = {"NCBI_EMAIL": EMAIL, "NCBI_API_KEY": KEY, "KETAMINE_EVIDENCE_PUBMED_URL": "http://localhost:1/e/"}
    settings = PubMedSettings.from_env(env)
    assert (settings.email, settings.api_key, settings.base_url) == (EMAIL, KEY, "http://localhost:1/e")
    assert settings.rate == RateLimit(9, 1.1)  # NCBI's 10 requests/s with a key, less a margin
    _no_secrets(repr(settings))
    anonymous = PubMedSettings.from_env({})
    assert (anonymous.rate, anonymous.tool, anonymous.batch_size) == (RateLimit(3, 1.1), "ketamine-evidence", 200)


def _busiest_second(times: list[float]) -> int:
    """The most requests the server saw in any sliding one-second window."""
    times = sorted(times)
    return max(sum(1 for t in times[i:] if t - start < 1.0) for i, start in enumerate(times))


@pytest.mark.parametrize(("api_key", "limit"), [(None, 3), (KEY, 9)])
def test_search_and_cited_fetch_share_one_throttle_per_host(api_key: str | None, limit: int) -> None:
    """Two transports at once (a search and the cited-PMID fetch), real clock: NCBI's limit holds
    in every sliding second as the server counts arrivals, with a key and without."""
    import threading

    with ReplayServer() as server:
        server.add(ESEARCH, _esearch_xml(1))
        settings = _settings(server, api_key=api_key)
        calls = 2 * limit

        def search() -> None:
            transport = make_transport(settings)
            for _ in range(calls):
                esearch(settings, transport, "ketamine")

        threads = [threading.Thread(target=search) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert len(server.requests) == 2 * calls
    assert _busiest_second([r.at for r in server.requests]) <= limit


def test_efetch_pages_name_their_url_and_the_ids_asked_for() -> None:
    with ReplayServer() as server:
        server.add(ESEARCH, Reply.xml(
            "<eSearchResult><Count>3</Count><RetMax>3</RetMax><RetStart>0</RetStart><QueryKey>1</QueryKey>"
            "<WebEnv>W</WebEnv><IdList><Id>1</Id><Id>2</Id><Id>3</Id></IdList></eSearchResult>"))
        server.add(EFETCH, _efetch())
        settings = _settings(server, batch_size=2)
        pages = list(fetch_search_pages(settings, _transport(settings, []), "x"))
        cited = list(fetch_pmids(settings, _transport(settings, []), ["7", "8"]))
    assert [p.ids for p in pages] == [("1", "2", "3"), ("1", "2"), ("3",)]
    assert cited[0].ids == ("7", "8")
    assert pages[1].url.startswith(f"{server.base_url}{EFETCH}?") and "retstart=0" in pages[1].url
    for page in (*pages, *cited):
        _no_secrets(page.url)
