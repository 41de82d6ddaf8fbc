"""PubMed E-utilities over HTTP: esearch with the history server, efetch in batches. Raw bytes only.

Requests are built by Biopython's `Entrez._build_request` so its conventions apply (tool, email and
api_key added to every request, POST once the parameters or id list get long), and opened by
`extract.http.Transport` (rate limit, retries, Retry-After, timeout). Parsing efetch XML is
`extract.pubmed.parse`'s job.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import parse_qsl, urlsplit
from urllib.request import Request

from Bio import Entrez

from ketamine_evidence.extract.errors import MalformedResponse, SourceUnavailable
from ketamine_evidence.extract.http import Transport, redact_params, redact_url
from ketamine_evidence.extract.pubmed.settings import PubMedSettings

SOURCE = "pubmed"
EARLIEST = date(1800, 1, 1)  # lower bound for splitting an open date window; PubMed has nothing older
OPEN_END = "3000/12/31"  # NCBI ignores mindate without maxdate, so an open upper bound needs a far date

Window = tuple[str | None, str | None]
Progress = Callable[[str], None]


@dataclass(frozen=True)
class SearchResult:
    count: int
    webenv: str | None
    query_key: str | None
    ids: tuple[str, ...]
    raw: bytes


@dataclass(frozen=True)
class Page:
    kind: str  # "esearch" | "efetch"
    name: str
    request: dict  # the parameters sent, without api_key and email
    body: bytes
    window: Window
    hits: int
    url: str = ""  # the request URL without api_key and email (a POST's ids are in `request`)
    ids: tuple[str, ...] = ()  # the PMIDs asked for, when known (esearch IdList or an id batch)


def make_transport(settings: PubMedSettings, **overrides: object) -> Transport:
    """A Transport at NCBI's rate (see `PubMedSettings.rate`); tests override sleep/clock."""
    options: dict = {"rate": settings.rate, "max_tries": settings.max_tries,
                     "timeout": settings.timeout, "deadline": settings.deadline, **overrides}
    return Transport(SOURCE, **options)


def configure_entrez(settings: PubMedSettings) -> None:
    """The one place that sets Bio.Entrez's module globals (identity sent with every request)."""
    # Bio.Entrez ships inline types, and its `email = None`/`api_key = None` globals are inferred as None.
    Entrez.email = settings.email  # type: ignore[assignment]  # Bio.Entrez: str | None in practice
    Entrez.tool = settings.tool
    Entrez.api_key = settings.api_key  # type: ignore[assignment]  # Bio.Entrez: str | None in practice


def build_request(settings: PubMedSettings, utility: str, params: dict) -> Request:
    configure_entrez(settings)
    # Entrez.esearch()/efetch() hard-code the NCBI host; _build_request takes the CGI URL, so the
    # same Biopython conventions apply while tests point base_url at a local ReplayServer.
    return Entrez._build_request(f"{settings.base_url}/{utility}.fcgi", dict(params))


def sent_params(request: Request) -> dict[str, object]:
    """What the request carries (query string or POST body), without api_key and email."""
    data = request.data
    query = data.decode() if isinstance(data, bytes) else urlsplit(request.full_url).query
    return redact_params(dict(parse_qsl(query, keep_blank_values=True)))


def esearch(settings: PubMedSettings, transport: Transport, term: str, *, mindate: str | None = None,
            maxdate: str | None = None, datetype: str = "edat") -> SearchResult:
    """One esearch with usehistory=y; dates are 'YYYY/MM/DD' and filter on `datetype`."""
    request = _esearch_request(settings, term, (mindate, maxdate), datetype)
    body = transport.open(request)
    return parse_esearch(body, f"{SOURCE} esearch {_label((mindate, maxdate))}")


def _esearch_request(settings: PubMedSettings, term: str, window: Window, datetype: str) -> Request:
    dated = window != (None, None)
    params = {
        "db": "pubmed", "term": term, "usehistory": "y", "retmax": settings.max_hits_per_window,
        "datetype": datetype if dated else None,
        "mindate": window[0] if dated else None,
        "maxdate": (window[1] or OPEN_END) if dated else None,
    }
    return build_request(settings, "esearch", params)


def parse_esearch(body: bytes, name: str) -> SearchResult:
    """Count, WebEnv, QueryKey and ids of an `eSearchResult`; an ERROR or HTML page is malformed."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise MalformedResponse(name, f"not an esearch XML answer ({exc})") from None
    if root.tag != "eSearchResult":
        raise MalformedResponse(name, f"root element is <{root.tag}>, expected <eSearchResult>")
    error = root.findtext("ERROR")
    count = (root.findtext("Count") or "").strip()
    if error is not None or not count.isdigit():
        raise MalformedResponse(name, f"esearch error: {(error or 'no Count').strip()}")
    ids = tuple(filter(None, ((e.text or "").strip() for e in root.iterfind("IdList/Id"))))
    return SearchResult(int(count), root.findtext("WebEnv"), root.findtext("QueryKey"), ids, body)


def fetch_search_pages(settings: PubMedSettings, transport: Transport, term: str, *,
                       since: date | None = None, until: date | None = None,
                       progress: Progress | None = None) -> Iterator[Page]:
    """Every esearch and efetch response for `term`, in order.

    `since` limits to records modified since that day (datetype mdat, for incremental runs);
    otherwise the Entrez date (edat) is used. Windows with more than `max_hits_per_window` hits
    are halved by date until each fits; the esearch answer of a split window is yielded too, so
    the raw record shows how the search was cut.
    """
    datetype = "mdat" if since else "edat"
    window = (_ymd(since or EARLIEST), _ymd(until)) if since or until else (None, None)
    first = _search_page(settings, transport, term, window, datetype)
    yield first.page
    counter = _Counter(first.result.count, progress)
    yield from _pages_for(settings, transport, term, first, datetype, until, counter)


@dataclass(frozen=True)
class _Searched:
    page: Page
    result: SearchResult


@dataclass
class _Counter:
    total: int
    progress: Progress | None
    done: int = 0

    def add(self, n: int) -> None:
        self.done += n
        if self.progress:
            self.progress(f"{SOURCE}: fetched {self.done} of {self.total} articles")


def _pages_for(settings: PubMedSettings, transport: Transport, term: str, searched: _Searched,
               datetype: str, until: date | None, counter: _Counter) -> Iterator[Page]:
    if searched.result.count <= settings.max_hits_per_window:
        yield from _efetch_history(settings, transport, searched, counter)
        return
    for half in _halves(searched.page.window, until, searched.page.request):
        child = _search_page(settings, transport, term, half, datetype)
        yield child.page
        yield from _pages_for(settings, transport, term, child, datetype, until, counter)


def _search_page(settings: PubMedSettings, transport: Transport, term: str, window: Window,
                 datetype: str) -> _Searched:
    request = _esearch_request(settings, term, window, datetype)
    name = f"esearch_{_label(window)}"
    result = parse_esearch(transport.open(request), f"{SOURCE} {name}")
    page = Page("esearch", name, sent_params(request), result.raw, window, result.count,
                redact_url(request.full_url), result.ids)
    return _Searched(page, result)


def _efetch_history(settings: PubMedSettings, transport: Transport, searched: _Searched,
                    counter: _Counter) -> Iterator[Page]:
    result, window = searched.result, searched.page.window
    for start in range(0, result.count, settings.batch_size):
        params = {"db": "pubmed", "WebEnv": result.webenv, "query_key": result.query_key,
                  "retstart": start, "retmax": settings.batch_size, "retmode": "xml"}
        request = build_request(settings, "efetch", params)
        body = transport.open(request)
        hits = min(settings.batch_size, result.count - start)
        yield Page("efetch", f"efetch_{_label(window)}_{start:06d}", sent_params(request), body, window, hits,
                   redact_url(request.full_url), result.ids[start: start + settings.batch_size])
        counter.add(hits)


def _halves(window: Window, until: date | None, request: dict) -> tuple[Window, Window]:
    low = _parse_ymd(window[0]) or EARLIEST
    high = _parse_ymd(window[1]) or until or date.today()
    if low >= high:
        raise SourceUnavailable(SOURCE, f"esearch {request}",
                                "more hits on a single day than esearch can page; narrow the query", retryable=False)
    middle = low + (high - low) // 2
    return (_ymd(low), _ymd(middle)), (_ymd(middle + timedelta(days=1)), _ymd(high))


def fetch_pmids(settings: PubMedSettings, transport: Transport, pmids: Iterable[str], *,
                progress: Progress | None = None) -> Iterator[Page]:
    """efetch XML for the given PMIDs in batches; Biopython POSTs batches of 200 ids or more."""
    wanted = list(dict.fromkeys(str(p).strip() for p in pmids if str(p).strip()))
    counter = _Counter(len(wanted), progress)
    for start in range(0, len(wanted), settings.batch_size):
        batch = wanted[start: start + settings.batch_size]
        request = build_request(settings, "efetch", {"db": "pubmed", "id": batch, "retmode": "xml"})
        body = transport.open(request)
        yield Page("efetch", f"efetch_ids_{start:06d}", sent_params(request), body, (None, None), len(batch),
                   redact_url(request.full_url), tuple(batch))
        counter.add(len(batch))


def _ymd(day: date | None) -> str | None:
    return day.strftime("%Y/%m/%d") if day else None


def _parse_ymd(text: str | None) -> date | None:
    if not text:
        return None
    year, month, day = (int(p) for p in text.split("/"))
    return date(year, month, day)


def _label(window: Window) -> str:
    if window == (None, None):
        return "all"
    return "_".join((w or "open").replace("/", "-") for w in window)
