"""ketamine_evidence.extract.http.Transport against a local server: throttling, retries, Retry-After, timeouts."""

from __future__ import annotations

import socket
from typing import TypedDict, Unpack

import pytest

from ketamine_evidence.extract.errors import SourceUnavailable
from ketamine_evidence.extract.http import RateLimit, SlidingWindow, Transport, redact_params, redact_url
from tests.support.replay_server import ReplayServer, Reply


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 3))
        self.now += seconds

    def clock(self) -> float:
        return self.now


class Options(TypedDict, total=False):
    """The Transport settings a test may override."""

    rate: RateLimit
    deadline: float
    max_tries: int
    timeout: float
    max_retry_after: float
    extra_retry_statuses: frozenset[int]


def transport(fake: FakeTime, **kwargs: Unpack[Options]) -> Transport:
    options: Options = {"rate": RateLimit(1, 0.0), "max_tries": 3, "timeout": 2.0, **kwargs}
    return Transport("test", backoff=1.0, sleep=fake.sleep, clock=fake.clock, **options)


def test_retry_after_is_honoured_then_success() -> None:
    fake = FakeTime()
    with ReplayServer() as srv:
        srv.add("/x", Reply(429, b"slow down", {"Retry-After": "7"}), Reply.json('{"ok": true}'))
        body = transport(fake).get(f"{srv.base_url}/x", {"a": "1"})
    assert body == b'{"ok": true}'
    assert fake.sleeps == [7.0]
    assert [r.query for r in srv.requests] == [{"a": ["1"]}, {"a": ["1"]}]


def test_5xx_backs_off_exponentially_then_fails_with_one_line() -> None:
    fake = FakeTime()
    with ReplayServer() as srv:
        srv.add("/x", Reply(503, b"busy"))
        with pytest.raises(SourceUnavailable) as err:
            transport(fake).get(f"{srv.base_url}/x", {"api_key": "SECRET", "term": "ketamine"})
    assert fake.sleeps == [1.0, 2.0]
    assert len(srv.requests) == 3
    message = str(err.value)
    assert "\n" not in message and "HTTP 503 after 3 tries" in message
    assert "SECRET" not in message and "term=ketamine" in message


def test_client_error_is_not_retried() -> None:
    fake = FakeTime()
    with ReplayServer() as srv:
        srv.add("/x", Reply(400, b"bad field"))
        with pytest.raises(SourceUnavailable, match="HTTP 400"):
            transport(fake).get(f"{srv.base_url}/x")
    assert len(srv.requests) == 1 and fake.sleeps == []


def test_truncated_body_is_retried() -> None:
    fake = FakeTime()
    with ReplayServer() as srv:
        srv.add("/x", Reply(200, b'{"studies": [1, 2, 3]}', truncate_to=5), Reply.json(b'{"studies": []}'))
        assert transport(fake).get(f"{srv.base_url}/x") == b'{"studies": []}'
    assert len(srv.requests) == 2


def test_slow_reply_times_out_and_is_reported() -> None:
    fake = FakeTime()
    with ReplayServer() as srv:
        srv.add("/x", Reply(200, b"late", delay=1.0))
        with pytest.raises(SourceUnavailable, match="timed out"):
            transport(fake, timeout=0.2, max_tries=2).get(f"{srv.base_url}/x")


def test_requests_are_spaced_by_the_rate_limit() -> None:
    fake = FakeTime()
    with ReplayServer() as srv:
        srv.add("/x", Reply.json(b"{}"))
        t = transport(fake, rate=RateLimit(1, 1.0))
        for _ in range(3):
            t.get(f"{srv.base_url}/x")
    assert fake.sleeps == [1.0, 1.0]


def test_secrets_are_redacted() -> None:
    url = "https://eutils.example/esearch.fcgi?db=pubmed&api_key=abc&email=me%40x.org&term=k"
    assert redact_url(url) == "https://eutils.example/esearch.fcgi?db=pubmed&term=k"
    assert redact_params({"api_key": "a", "email": "b", "tool": "t"}) == {"tool": "t"}


def test_a_long_retry_after_fails_at_once_with_the_wait() -> None:
    fake = FakeTime()
    with ReplayServer() as srv:
        srv.add("/x", Reply(429, b"later", {"Retry-After": "3600"}))
        with pytest.raises(SourceUnavailable, match="asks to wait 3600s"):
            transport(fake, max_retry_after=600).get(f"{srv.base_url}/x")
    assert len(srv.requests) == 1 and fake.sleeps == []


def test_extra_statuses_are_retried_for_one_source_only() -> None:
    fake = FakeTime()
    with ReplayServer() as srv:
        srv.add("/x", Reply(403, b"blocked"), Reply.json(b"{}"))
        assert transport(fake, extra_retry_statuses=frozenset({403})).get(f"{srv.base_url}/x") == b"{}"
        srv.add("/y", Reply(403, b"blocked"))
        with pytest.raises(SourceUnavailable, match="HTTP 403"):
            transport(fake).get(f"{srv.base_url}/y")


def test_nested_requests_are_redacted() -> None:
    request = {"url": "https://x.example/e.fcgi?term=k&api_key=abc", "params": {"email": "me@x", "db": "pubmed"}}
    assert redact_params(request) == {"url": "https://x.example/e.fcgi?term=k", "params": {"db": "pubmed"}}


def test_a_trickled_reply_hits_the_deadline_and_is_retried() -> None:
    """Each chunk comes well within the socket timeout; the whole reply does not come within the deadline."""
    fake = FakeTime()
    with ReplayServer() as srv:
        srv.add("/x", Reply(200, b"x" * 400, trickle=0.05, trickle_bytes=10), Reply.json(b"{}"))
        t = Transport("test", rate=RateLimit(1, 0.0), timeout=1.0, deadline=0.5, sleep=fake.sleep)
        assert t.get(f"{srv.base_url}/x") == b"{}"
    assert len(srv.requests) == 2 and fake.sleeps == [1.0]


def test_a_trickled_reply_that_never_ends_in_time_is_one_line() -> None:
    fake = FakeTime()
    with ReplayServer() as srv:
        srv.add("/x", Reply(200, b"x" * 400, trickle=0.05, trickle_bytes=10))
        t = Transport("test", rate=RateLimit(1, 0.0), timeout=1.0, deadline=0.3, max_tries=2, sleep=fake.sleep)
        with pytest.raises(SourceUnavailable, match=r"reply not complete within the 0.3s deadline \(2 tries\)"):
            t.get(f"{srv.base_url}/x")


def test_every_retry_wait_is_logged() -> None:
    fake, lines = FakeTime(), list[str]()
    with ReplayServer() as srv:
        srv.add("/x", Reply(503, b"busy"), Reply(429, b"later", {"Retry-After": "7"}), Reply.json(b"{}"))
        t = Transport("test", rate=RateLimit(1, 0.0), sleep=fake.sleep, clock=fake.clock, log=lines.append)
        t.get(f"{srv.base_url}/x", {"api_key": "SECRET", "term": "k"})
    assert lines == [
        f"test: retrying in 1 s: HTTP 503 after 1 tries from {srv.base_url}/x?term=k",
        f"test: retrying in 7 s: HTTP 429 after 2 tries from {srv.base_url}/x?term=k",
    ]


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://no-such-host.invalid/x", "cannot reach no-such-host.invalid: the host name does not resolve"),
        (None, "the host refuses connections"),
    ],
)
def test_an_unreachable_host_fails_at_once_naming_it(url: str | None, why: str) -> None:
    """No network: no retries, no waits, and not retried by the flow's task either (retryable=False)."""
    url = url or f"http://127.0.0.1:{_closed_port()}/x"
    fake = FakeTime()
    with pytest.raises(SourceUnavailable, match=why) as caught:
        Transport("test", max_tries=5, sleep=fake.sleep, clock=fake.clock).get(url, {"api_key": "SECRET"})
    assert fake.sleeps == [] and not caught.value.retryable
    assert "SECRET" not in str(caught.value) and "\n" not in str(caught.value)


def test_the_sliding_window_allows_n_requests_per_window() -> None:
    fake = FakeTime()
    window = SlidingWindow(RateLimit(3, 1.1))
    for _ in range(7):
        window.wait(fake.clock, fake.sleep)
    assert fake.sleeps == [1.1, 1.1]  # requests at 0, 0, 0, 1.1, 1.1, 1.1, 2.2


def test_transports_of_one_host_share_its_window() -> None:
    fake = FakeTime()
    with ReplayServer() as srv:
        srv.add("/x", Reply.json(b"{}"))
        first, second = (Transport("test", rate=RateLimit(1, 1.0), sleep=fake.sleep, clock=fake.clock)
                         for _ in range(2))
        first.get(f"{srv.base_url}/x")
        second.get(f"{srv.base_url}/x")
    assert fake.sleeps == [1.0]
