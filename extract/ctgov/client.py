"""HTTP only: fetch raw ClinicalTrials.gov API v2 pages (no parsing beyond the page cursor).

Request building is pure (`study_params`); rate limits, retries and timeouts live in
`extract.http.Transport`. Each page comes back as a `Page` holding the exact bytes, so the
caller can land it in raw storage before anything is transformed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import quote, urlencode

from ketamine_evidence.errors import ConfigError
from ketamine_evidence.extract.ctgov.parse import iter_studies, page_summary
from ketamine_evidence.extract.ctgov.settings import DEFAULT_COND, DEFAULT_INTR, CtgovSettings
from ketamine_evidence.extract.errors import MalformedResponse
from ketamine_evidence.extract.http import RateLimit, Transport, redact_url

SOURCE = "ctgov"
NCT_ID = re.compile(r"^NCT\d{8}$")
Progress = Callable[[str], None]


@dataclass(frozen=True)
class Page:
    """One raw response: `name` is the request URL, `request` its URL and parameters."""

    name: str
    request: dict[str, Any]
    body: bytes
    page_number: int


def make_transport(settings: CtgovSettings, *, sleep: Callable[[float], None] | None = None) -> Transport:
    options: dict = {"sleep": sleep} if sleep is not None else {}
    return Transport(
        SOURCE,
        rate=RateLimit(1, settings.min_interval * 1.1),  # a 10% margin for jitter, as the server counts
        max_tries=settings.max_tries,
        timeout=settings.timeout,
        deadline=settings.deadline,
        extra_retry_statuses=frozenset({403}),  # seen as a transient block from the API (API-NOTES #6)
        **options,
    )


def study_params(
    settings: CtgovSettings, *, cond: str | None, intr: str | None, since: date | None
) -> dict[str, str]:
    """The search parameters repeated on every page (paging parameters are added per page)."""
    params = {"format": "json", "pageSize": str(settings.page_size)}
    if cond:
        params["query.cond"] = cond
    if intr:
        params["query.intr"] = intr
    if since is not None:
        params["filter.advanced"] = f"AREA[LastUpdatePostDate]RANGE[{since.isoformat()},MAX]"
    return params


def _page_params(base: dict[str, str], number: int, token: str | None) -> dict[str, str]:
    if number == 1:
        return {**base, "countTotal": "true"}
    return {**base, "pageToken": token or ""}


def _progress_text(number: int, seen: int, total: int | None) -> str:
    of_total = f" of {total:,}" if total is not None else ""
    return f"ctgov: page {number}, {seen:,}{of_total} studies"


def fetch_study_pages(
    settings: CtgovSettings,
    transport: Transport,
    *,
    cond: str | None = DEFAULT_COND,
    intr: str | None = DEFAULT_INTR,
    since: date | None = None,
    progress: Progress | None = None,
) -> Iterator[Page]:
    """Yield every page of `GET {base}/studies`, following nextPageToken until it is absent.

    A token seen before, more studies than the first page's totalCount, or more than
    `settings.max_pages` pages stop the walk with `MalformedResponse`: the API is looping.
    """
    url = f"{settings.base_url}/studies"
    base = study_params(settings, cond=cond, intr=intr, since=since)
    cursor = _Cursor(settings.max_pages)
    while True:
        params = _page_params(base, cursor.number, cursor.token)
        name = redact_url(f"{url}?{urlencode(params)}")
        body = transport.get(url, params)
        cursor.advance(name, *page_summary(body, name=name))
        yield Page(name, {"url": url, "params": params}, body, cursor.number)
        if progress is not None:
            progress(_progress_text(cursor.number, cursor.seen, cursor.total))
        if cursor.token is None:
            return
        cursor.number += 1


@dataclass
class _Cursor:
    """Where the page walk is, and the checks that keep a misbehaving API from looping for ever."""

    max_pages: int
    number: int = 1
    seen: int = 0
    total: int | None = None
    token: str | None = None
    tokens: set[str] = field(default_factory=set)

    def advance(self, name: str, token: str | None, total: int | None, count: int) -> None:
        self.total = total if self.number == 1 else self.total
        self.seen += count
        if self.total is not None and self.seen > self.total:
            raise MalformedResponse(name, f"{self.seen} studies received, more than totalCount {self.total}; "
                                          "the API is repeating pages")
        if token is not None and token in self.tokens:
            raise MalformedResponse(name, f"nextPageToken {token!r} was already followed; the API is looping")
        if token is not None and self.number >= self.max_pages:
            raise MalformedResponse(name, f"still a nextPageToken after {self.max_pages} pages (the page limit)")
        self.token = token
        self.tokens.update([token] if token else [])


def fetch_study(settings: CtgovSettings, transport: Transport, nct_id: str) -> Page:
    """One study from `GET {base}/studies/{nctId}`, checked to be a v2 study object."""
    if not NCT_ID.match(nct_id):
        raise ConfigError(f"ctgov: {nct_id!r} is not an NCT id (NCT followed by 8 digits)")
    url = f"{settings.base_url}/studies/{quote(nct_id)}"
    params = {"format": "json"}
    name = f"{url}?{urlencode(params)}"
    body = transport.get(url, params)
    for _ in iter_studies(body, name=name):
        pass
    return Page(name, {"url": url, "params": params}, body, 1)
