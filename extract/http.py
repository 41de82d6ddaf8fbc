"""One place for rate limiting, retries and timeouts, shared by both sources.

`fetch_*` functions build URLs; this module only opens them. urllib is used (not a third-party
client) because Bio.Entrez builds `urllib.request.Request` objects we reuse for PubMed.
"""

from __future__ import annotations

import email.utils
import http.client
import logging
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.error import HTTPError, URLError
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit
from urllib.request import Request, urlopen

from ketamine_evidence.extract.errors import SourceUnavailable

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
SECRET_PARAMS = frozenset({"api_key", "email"})
CHUNK = 1 << 16
_log = logging.getLogger(__name__)


def redact_url(url: str) -> str:
    """Drop secret query parameters (api_key, email) so a URL can be logged or recorded."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if k not in SECRET_PARAMS]
    return urlunsplit(parts._replace(query=urlencode(query)))


def redact_params(params: Mapping[str, object]) -> dict[str, object]:
    """Drop secret keys at any depth, and secret query parameters inside URL strings."""
    return {k: _redact_value(v) for k, v in params.items() if k not in SECRET_PARAMS}


def _redact_value(value: object) -> object:
    if isinstance(value, Mapping):
        return redact_params(value)
    if isinstance(value, list | tuple):
        return [_redact_value(v) for v in value]
    if isinstance(value, str) and "://" in value and "?" in value:
        return redact_url(value)
    return value


def _retry_after_seconds(value: str | None) -> float | None:
    """Retry-After is either delta-seconds or an HTTP date (RFC 9110 10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


@dataclass(frozen=True)
class RateLimit:
    """At most `requests` requests started in any `seconds`-long window."""

    requests: int
    seconds: float


class SlidingWindow:
    """A rate limit shared by every transport of one host, across threads."""

    def __init__(self, rate: RateLimit) -> None:
        self.rate = rate
        self._starts: deque[float] = deque(maxlen=max(1, rate.requests))
        self._lock = threading.Lock()

    def wait(self, clock: Callable[[], float], sleep: Callable[[float], None]) -> None:
        if self.rate.seconds <= 0:
            return
        with self._lock:  # held while sleeping: the next caller's turn comes after this one's
            now = clock()
            if len(self._starts) == self._starts.maxlen:
                pause = self._starts[0] + self.rate.seconds - now
                if pause > 0:
                    sleep(pause)
                    now += pause
            self._starts.append(now)


_WINDOWS: dict[tuple[str, RateLimit, Callable[[], float]], SlidingWindow] = {}
_WINDOWS_LOCK = threading.Lock()


def host_window(url: str, rate: RateLimit, clock: Callable[[], float] = time.monotonic) -> SlidingWindow:
    """The one limiter of a host (and rate) in this process: the server counts per client, not per
    transport, so a search and the cited-PMID fetch that follows it must share it. A window keeps
    times of one clock, so a test's fake clock gets its own."""
    key = (urlsplit(url).netloc, rate, clock)
    with _WINDOWS_LOCK:
        return _WINDOWS.setdefault(key, SlidingWindow(rate))


class _Unreachable(Exception):
    """The host does not resolve or refuses connections: waiting will not help a run now."""


class _Deadline(Exception):
    pass


def _reason(exc: BaseException) -> object:
    return getattr(exc, "reason", exc)


def _unreachable(exc: URLError | OSError) -> str | None:
    why = _reason(exc)
    if isinstance(why, socket.gaierror):
        return "the host name does not resolve (no network or DNS?)"
    if isinstance(why, ConnectionRefusedError):
        return "the host refuses connections"
    return None


@dataclass
class Transport:
    """Opens requests within a per-host rate limit, retrying transient failures.

    Retried: HTTP 429 and 5xx (plus `extra_retry_statuses`), timeouts, a reply not complete within
    `deadline` seconds, and dropped connections, with exponential backoff (`backoff * 2**attempt`,
    capped at `max_backoff`); each wait is logged. A Retry-After header is honoured up to
    `max_retry_after` seconds; a longer demand fails at once with that wait in the message rather
    than hammering the server early. Other 4xx fail at once: repeating a bad request cannot help.
    So does a host name that does not resolve or a refused connection: no network now.
    """

    source: str
    rate: RateLimit = RateLimit(1, 1.0)
    max_tries: int = 5
    timeout: float = 30.0  # per socket operation (connect, each read)
    deadline: float = 60.0  # the whole reply; checked after each chunk read
    backoff: float = 1.0
    max_backoff: float = 60.0
    max_retry_after: float = 600.0
    extra_retry_statuses: frozenset[int] = frozenset()
    user_agent: str = "ketamine-evidence/0.1 (+https://github.com/ketamine-evidence)"
    sleep: Callable[[float], None] = field(default=lambda seconds: time.sleep(seconds))  # patchable
    clock: Callable[[], float] = time.monotonic
    log: Callable[[str], None] = _log.warning

    def get(self, url: str, params: Mapping[str, object] | None = None) -> bytes:
        full = f"{url}?{urlencode(params, doseq=True)}" if params else url
        return self.open(Request(full, method="GET"))

    def open(self, request: Request) -> bytes:
        request.add_header("User-Agent", self.user_agent)
        shown = redact_url(request.full_url)
        window = host_window(request.full_url, self.rate, self.clock)
        for attempt in range(self.max_tries):
            window.wait(self.clock, self.sleep)
            try:
                return self._read(request)
            except HTTPError as exc:
                reason, wait = self._http_failure(exc, shown, attempt)
            except _Unreachable as exc:
                host = urlsplit(request.full_url).netloc
                raise SourceUnavailable(self.source, shown, f"cannot reach {host}: {exc}", retryable=False) from None
            except (TimeoutError, _Deadline) as exc:
                reason, wait = f"{exc} ({attempt + 1} tries)", None
            except (URLError, OSError, http.client.HTTPException) as exc:
                reason, wait = f"connection failed ({_reason(exc)}) after {attempt + 1} tries", None
            if attempt + 1 < self.max_tries:
                self._pause(wait if wait is not None else min(self.max_backoff, self.backoff * 2**attempt),
                            reason, shown)
        raise SourceUnavailable(self.source, shown, reason)

    def _read(self, request: Request) -> bytes:
        started = self.clock()
        try:
            response = urlopen(request, timeout=self.timeout)
        except TimeoutError:
            raise TimeoutError(f"timed out after {self.timeout:g}s") from None
        except URLError as exc:
            problem = _unreachable(exc)
            if problem:
                raise _Unreachable(problem) from None
            if isinstance(_reason(exc), TimeoutError):
                raise TimeoutError(f"timed out after {self.timeout:g}s") from None
            raise
        with response:
            return self._body(response, started)

    def _body(self, response: http.client.HTTPResponse, started: float) -> bytes:
        chunks: list[bytes] = []
        while True:
            try:
                chunk = response.read1(CHUNK)
            except TimeoutError:
                raise TimeoutError(f"timed out after {self.timeout:g}s") from None
            if not chunk:
                if response.length:  # announced bytes never came: a truncated body
                    raise http.client.IncompleteRead(b"".join(chunks), response.length)
                return b"".join(chunks)
            chunks.append(chunk)
            if self.clock() - started > self.deadline:
                raise _Deadline(f"reply not complete within the {self.deadline:g}s deadline")

    def _http_failure(self, exc: HTTPError, shown: str, attempt: int) -> tuple[str, float | None]:
        if exc.code not in RETRY_STATUSES | self.extra_retry_statuses:
            raise SourceUnavailable(self.source, shown, f"HTTP {exc.code} {exc.reason}") from None
        wait = _retry_after_seconds(exc.headers.get("Retry-After") if exc.headers else None)
        if wait is not None and wait > self.max_retry_after:
            raise SourceUnavailable(self.source, shown, f"HTTP {exc.code}; the server asks to wait "
                                    f"{wait:.0f}s (Retry-After), try again later", retryable=False) from None
        return f"HTTP {exc.code} after {attempt + 1} tries", wait

    def _pause(self, seconds: float, reason: str, shown: str) -> None:
        self.log(f"{self.source}: retrying in {seconds:g} s: {reason} from {shown}")
        self.sleep(seconds)
