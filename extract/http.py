"""One place for rate limiting, retries and timeouts, shared by both sources.

`fetch_*` functions build URLs; this module only opens them. urllib is used (not a third-party
client) because Bio.Entrez builds `urllib.request.Request` objects we reuse for PubMed.
"""

from __future__ import annotations

import email.utils
import http.client
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

from ketamine_evidence.extract.errors import SourceUnavailable

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
SECRET_PARAMS = frozenset({"api_key", "email"})


def redact_url(url: str) -> str:
    """Drop secret query parameters (api_key, email) so a URL can be logged or recorded."""
    from urllib.parse import parse_qsl, urlsplit, urlunsplit

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


@dataclass
class Transport:
    """Opens requests at most once per `min_interval` seconds, retrying transient failures.

    Retried: HTTP 429 and 5xx (plus `extra_retry_statuses`), timeouts and connection errors, with
    exponential backoff (`backoff * 2**attempt`, capped at `max_backoff`). A Retry-After header is
    honoured up to `max_retry_after` seconds; a longer demand fails at once with that wait in the
    message rather than hammering the server early. Other 4xx fail at once: repeating a bad request
    cannot help.
    """

    source: str
    min_interval: float = 1.0
    max_tries: int = 5
    timeout: float = 30.0
    backoff: float = 1.0
    max_backoff: float = 60.0
    max_retry_after: float = 600.0
    extra_retry_statuses: frozenset[int] = frozenset()
    user_agent: str = "ketamine-evidence/0.1 (+https://github.com/ketamine-evidence)"
    sleep: Callable[[float], None] = field(default=lambda seconds: time.sleep(seconds))  # patchable
    clock: Callable[[], float] = time.monotonic
    _last: float = field(default=float("-inf"), init=False, repr=False)

    def get(self, url: str, params: Mapping[str, object] | None = None) -> bytes:
        full = f"{url}?{urlencode(params, doseq=True)}" if params else url
        return self.open(Request(full, method="GET"))

    def open(self, request: Request) -> bytes:
        request.add_header("User-Agent", self.user_agent)
        shown = redact_url(request.full_url)
        reason = "no attempt made"
        for attempt in range(self.max_tries):
            self._throttle()
            wait: float | None = None
            try:
                with urlopen(request, timeout=self.timeout) as response:
                    return response.read()
            except HTTPError as exc:
                if exc.code not in RETRY_STATUSES | self.extra_retry_statuses:
                    raise SourceUnavailable(self.source, shown, f"HTTP {exc.code} {exc.reason}") from None
                reason = f"HTTP {exc.code} after {attempt + 1} tries"
                wait = _retry_after_seconds(exc.headers.get("Retry-After") if exc.headers else None)
                if wait is not None and wait > self.max_retry_after:
                    raise SourceUnavailable(self.source, shown, f"HTTP {exc.code}; the server asks to wait "
                                            f"{wait:.0f}s (Retry-After), try again later",
                                            retryable=False) from None
            except TimeoutError:
                reason = f"timed out after {self.timeout:g}s ({attempt + 1} tries)"
            except (URLError, OSError, http.client.HTTPException) as exc:
                why = getattr(exc, "reason", exc)
                reason = f"connection failed ({why}) after {attempt + 1} tries"
            if attempt + 1 < self.max_tries:
                self.sleep(wait if wait is not None else min(self.max_backoff, self.backoff * 2**attempt))
        raise SourceUnavailable(self.source, shown, reason)

    def _throttle(self) -> None:
        now = self.clock()
        pause = self._last + self.min_interval - now
        if pause > 0:
            self.sleep(pause)
            now += pause
        self._last = now
