"""The ClinicalTrials.gov client against a local ReplayServer (no network).

Page bodies are built from real studies of dgg32-clinical-trials-public/ctg-studies.json (website
export, PROVENANCE.md section 3) wrapped in the `/studies` envelope; the single study is
aact-spec/json_data/NCT02552212.json (section 2).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from ketamine_evidence.errors import ConfigError
from ketamine_evidence.extract.ctgov.client import fetch_study, fetch_study_pages, make_transport, study_params
from ketamine_evidence.extract.ctgov.settings import DEFAULT_COND, DEFAULT_INTR, ENV_URL, CtgovSettings
from ketamine_evidence.extract.errors import MalformedResponse, SourceUnavailable
from tests.conftest import shared_path
from tests.support.replay_server import ReplayServer, Reply

PATH = "/api/v2/studies"


@pytest.fixture
def server() -> Iterator[ReplayServer]:
    with ReplayServer() as srv:
        yield srv


@pytest.fixture
def studies() -> list[dict[str, Any]]:
    return json.loads(shared_path("dgg32-clinical-trials-public", "ctg-studies.json").read_bytes())


def settings_for(srv: ReplayServer, **changes: Any) -> CtgovSettings:
    values = {"base_url": f"{srv.base_url}/api/v2", "min_interval": 0.0, "timeout": 2.0, "max_tries": 3}
    return CtgovSettings(**{**values, **changes})


def page(studies: list[dict[str, Any]], token: str | None = None, total: int | None = None) -> Reply:
    body: dict[str, Any] = {"studies": studies}
    if token:
        body["nextPageToken"] = token
    if total is not None:
        body["totalCount"] = total
    return Reply.json(json.dumps(body))


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def run(srv: ReplayServer, sleeps: Sleeps | None = None, **kwargs: Any) -> list[Any]:
    settings = kwargs.pop("settings", None) or settings_for(srv)
    transport = make_transport(settings, sleep=sleeps if sleeps is not None else Sleeps())
    return list(fetch_study_pages(settings, transport, **kwargs))


def test_three_pages_follow_the_token_and_repeat_the_search(server: ReplayServer, studies: list) -> None:
    server.add(PATH, page(studies[:6], "tok-2", 10), page(studies[6:], "tok-3"), page([]))
    messages: list[str] = []
    pages = run(server, progress=messages.append)
    assert [p.page_number for p in pages] == [1, 2, 3]
    assert messages == [
        "ctgov: page 1, 6 of 10 studies",
        "ctgov: page 2, 10 of 10 studies",
        "ctgov: page 3, 10 of 10 studies",
    ]
    queries = [seen.query for seen in server.requests]
    assert [q.get("pageToken") for q in queries] == [None, ["tok-2"], ["tok-3"]]
    assert [q.get("countTotal") for q in queries] == [["true"], None, None]
    for q in queries:
        assert q["query.cond"] == [DEFAULT_COND] and q["query.intr"] == [DEFAULT_INTR]
        assert q["format"] == ["json"] and q["pageSize"] == ["1000"]
    assert json.loads(pages[0].body)["totalCount"] == 10
    assert pages[1].request["params"]["pageToken"] == "tok-2"
    assert pages[0].name.startswith(f"{server.base_url}{PATH}?")


def test_since_adds_the_last_update_filter_on_every_page(server: ReplayServer, studies: list) -> None:
    server.add(PATH, page(studies[:1], "tok-2", 2), page(studies[1:2]))
    run(server, since=date(2024, 1, 31))
    wanted = ["AREA[LastUpdatePostDate]RANGE[2024-01-31,MAX]"]
    assert [seen.query.get("filter.advanced") for seen in server.requests] == [wanted, wanted]


def test_429_waits_for_retry_after_then_succeeds(server: ReplayServer, studies: list) -> None:
    server.add(PATH, Reply(429, b"slow down", {"Retry-After": "7"}), page(studies[:2], total=2))
    sleeps = Sleeps()
    pages = run(server, sleeps)
    assert sleeps == [7.0]
    assert len(pages) == 1 and len(server.requests) == 2


def test_503_is_retried_then_reported_in_one_line(server: ReplayServer) -> None:
    server.add(PATH, Reply(503, b"<html>maintenance</html>"))
    sleeps = Sleeps()
    with pytest.raises(SourceUnavailable) as caught:
        run(server, sleeps)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("ctgov: HTTP 503 after 3 tries for ")
    assert f"{server.base_url}{PATH}?" in message
    assert sleeps == [1.0, 2.0] and len(server.requests) == 3


def test_truncated_body_is_retried(server: ReplayServer, studies: list) -> None:
    full = page(studies[:3], total=3)
    server.add(PATH, Reply(200, full.body, full.headers, truncate_to=200), full)
    pages = run(server)
    assert len(server.requests) == 2
    assert len(json.loads(pages[0].body)["studies"]) == 3


def test_slow_reply_times_out_and_is_retried(server: ReplayServer, studies: list) -> None:
    slow = page(studies[:1], total=1)
    slow.delay = 0.6
    server.add(PATH, slow, page(studies[:1], total=1))
    pages = run(server, settings=settings_for(server, timeout=0.2))
    assert len(pages) == 1 and len(server.requests) == 2


def test_always_slow_gives_source_unavailable(server: ReplayServer) -> None:
    server.add(PATH, Reply(200, b"{}", delay=0.5))
    with pytest.raises(SourceUnavailable, match=r"timed out after 0.1s \(2 tries\)"):
        run(server, settings=settings_for(server, timeout=0.1, max_tries=2))


def test_html_page_with_status_200_is_malformed(server: ReplayServer) -> None:
    server.add(
        PATH,
        Reply(200, b"<!DOCTYPE html><html><body>Down for maintenance</body></html>", {"Content-Type": "text/html"}),
    )
    with pytest.raises(MalformedResponse, match="HTML or XML page") as caught:
        run(server)
    assert caught.value.where.startswith(f"{server.base_url}{PATH}?")


def test_fetch_study(server: ReplayServer) -> None:
    body = shared_path("aact-spec", "json_data", "NCT02552212.json").read_bytes()
    server.add(f"{PATH}/NCT02552212", Reply.json(body))
    settings = settings_for(server)
    got = fetch_study(settings, make_transport(settings), "NCT02552212")
    assert got.body == body and got.page_number == 1
    assert got.name == f"{server.base_url}{PATH}/NCT02552212?format=json"
    assert server.requests[0].query == {"format": ["json"]}


def test_fetch_study_unknown_id_fails_at_once(server: ReplayServer) -> None:
    settings = settings_for(server)
    with pytest.raises(SourceUnavailable, match="HTTP 404"):
        fetch_study(settings, make_transport(settings), "NCT99999999")
    assert len(server.requests) == 1


def test_fetch_study_rejects_a_bad_id() -> None:
    settings = CtgovSettings()
    with pytest.raises(ConfigError, match="not an NCT id"):
        fetch_study(settings, make_transport(settings), "NCT123; drop")


def test_study_params_are_pure() -> None:
    params = study_params(CtgovSettings(page_size=50), cond="depression", intr=None, since=date(2023, 5, 1))
    assert params == {
        "format": "json",
        "pageSize": "50",
        "query.cond": "depression",
        "filter.advanced": "AREA[LastUpdatePostDate]RANGE[2023-05-01,MAX]",
    }


def test_settings_from_env() -> None:
    assert CtgovSettings.from_env({}) == CtgovSettings()
    custom = CtgovSettings.from_env({ENV_URL: "http://127.0.0.1:9/api/v2/"})
    assert custom.base_url == "http://127.0.0.1:9/api/v2"
    assert custom.page_size == 1000 and custom.min_interval == 1.0


def test_default_query_covers_drugs_and_conditions() -> None:
    for term in ("ketamine", "esketamine", "arketamine", "Spravato", "Ketalar"):
        assert term in DEFAULT_INTR.split(" OR ")
    for term in ('"treatment-resistant depression"', '"bipolar depression"', '"suicidal ideation"'):
        assert term in DEFAULT_COND.split(" OR ")


def test_a_repeating_page_token_stops_with_one_line(server: ReplayServer, studies: list) -> None:
    """The API answering every page with the same token (the server repeats its last reply)."""
    server.add(PATH, page(studies[:2], "tok-2"), page(studies[2:4], "tok-3"))
    with pytest.raises(MalformedResponse, match="nextPageToken 'tok-3' was already followed") as caught:
        run(server)
    assert "\n" not in str(caught.value) and len(server.requests) == 3


def test_more_studies_than_total_count_stops(server: ReplayServer, studies: list) -> None:
    server.add(PATH, page(studies[:3], "tok-2", total=4), page(studies[3:6], "tok-3"))
    with pytest.raises(MalformedResponse, match="6 studies received, more than totalCount 4"):
        run(server)
    assert len(server.requests) == 2


def test_the_page_limit_stops_an_endless_walk(server: ReplayServer, studies: list) -> None:
    server.add(PATH, *(page(studies[:1], f"tok-{n}") for n in range(2, 10)))
    with pytest.raises(MalformedResponse, match="still a nextPageToken after 5 pages"):
        run(server, settings=settings_for(server, max_pages=5))
    assert len(server.requests) == 5
