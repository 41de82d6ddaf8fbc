"""HTTP only: fetch raw ClinicalTrials.gov API v2 pages (no parsing beyond the page cursor).

Request building is pure (`study_params`); rate limits, retries and timeouts live in
`extract.http.Transport`. Each page comes back as a `Page` holding the exact bytes, so the
caller can land it in raw storage before anything is transformed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import quote, urlencode

from ketamine_evidence.errors import ConfigError
from ketamine_evidence.extract.ctgov.parse import iter_studies, page_summary
from ketamine_evidence.extract.ctgov.settings import DEFAULT_COND, DEFAULT_INTR, CtgovSettings
from ketamine_evidence.extract.http import Transport, redact_url

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
        min_interval=settings.min_interval,
        max_tries=settings.max_tries,
        timeout=settings.timeout,
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
    """Yield every page of `GET {base}/studies`, following nextPageToken until it is absent."""
    url = f"{settings.base_url}/studies"
    base = study_params(settings, cond=cond, intr=intr, since=since)
    token: str | None = None
    number, seen, total = 1, 0, None
    while True:
        params = _page_params(base, number, token)
        name = redact_url(f"{url}?{urlencode(params)}")
        body = transport.get(url, params)
        token, page_total, count = page_summary(body, name=name)
        total = page_total if number == 1 else total
        seen += count
        yield Page(name, {"url": url, "params": params}, body, number)
        if progress is not None:
            progress(_progress_text(number, seen, total))
        if token is None:
            return
        number += 1


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
