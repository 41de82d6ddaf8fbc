"""A live run's fetches, as plain functions: each writes its responses verbatim into a snapshot
directory and says what it wrote; `finish_recording` then writes the manifest.

No Prefect here: the flow wraps these in tasks (with retries), tests call them directly.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TypeVar

from ketamine_evidence.extract.ctgov import client as ctgov_client
from ketamine_evidence.extract.ctgov.parse import iter_studies, page_info, study_version
from ketamine_evidence.extract.ctgov.settings import DEFAULT_COND, DEFAULT_INTR, CtgovSettings
from ketamine_evidence.extract.pubmed import client as pubmed_client
from ketamine_evidence.extract.pubmed.parse import Deletion, iter_pubmed_xml
from ketamine_evidence.extract.pubmed.settings import DEFAULT_QUERY, PubMedSettings
from ketamine_evidence.extract.snapshot import SnapshotWriter
from ketamine_evidence.flows.settings import RefreshOptions, tool_version

Progress = Callable[[str], None]
T_co = TypeVar("T_co", covariant=True)
_log = logging.getLogger(__name__)


@dataclass
class Fetched:
    """What a fetch wrote into the snapshot, the searches it ran (for meta.search_log), and the
    records that did not arrive even when asked for again (`missing`, one label each)."""

    files: list[dict[str, object]] = field(default_factory=list)
    searches: list[dict[str, object]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


class Pending(Protocol[T_co]):
    """A started fetch: a `concurrent.futures.Future` or a Prefect future."""

    def result(self) -> T_co: ...


def ctgov_query(options: RefreshOptions) -> dict[str, str]:
    return {"query.cond": options.ctgov_cond or DEFAULT_COND, "query.intr": options.ctgov_intr or DEFAULT_INTR}


def queries(options: RefreshOptions) -> dict[str, object]:
    return {"ctgov": ctgov_query(options), "pubmed": options.pubmed_query or DEFAULT_QUERY}


def _save_ctgov(writer: SnapshotWriter, pages: Iterable[ctgov_client.Page], prefix: str) -> tuple[int | None, set[str]]:
    """Write each page, parsed first (a malformed one fails naming its URL); (totalCount, NCT ids)."""
    total, ids = None, set[str]()
    for page in pages:
        ids.update(study_version(study)[0] for study in iter_studies(page.body, name=page.name))
        writer.add("ctgov", f"{prefix}-{page.page_number:04d}.json", page.body, page.request)
        if page.page_number == 1:
            total = page_info(page.body, name=page.name)[1]
    return total, ids


def fetch_ctgov(options: RefreshOptions, root: str, progress: Progress = _log.info) -> Fetched:
    """The search's pages; when fewer studies arrive than its totalCount, the search runs once more."""
    settings = CtgovSettings.from_env()
    writer = SnapshotWriter(Path(root), tool_version())
    query = ctgov_query(options)

    def walk() -> Iterator[ctgov_client.Page]:
        return ctgov_client.fetch_study_pages(
            settings, ctgov_client.make_transport(settings), cond=query["query.cond"],
            intr=query["query.intr"], since=options.since, progress=progress)

    hits, ids = _save_ctgov(writer, walk(), "page")
    if hits is not None and len(ids) < hits:
        _log.warning(f"ctgov: {len(ids)} of {hits} studies arrived; running the search once more")
        ids |= _save_ctgov(writer, walk(), "again-page")[1]
    short = hits - len(ids) if hits is not None and len(ids) < hits else 0
    missing = [f"ctgov: {short} of {hits} studies (totalCount) did not arrive"] if short else []
    window = options.since.isoformat() if options.since else None
    search: dict[str, object] = {"source": "ctgov", "query": json.dumps(query), "window_start": window,
                                 "hits": hits}
    return Fetched(writer.files, [search], missing)


def _pmids(page: pubmed_client.Page) -> set[str]:
    """The PMIDs an efetch answer holds (deleted ones too), parsed so a malformed answer fails naming its URL."""
    found: set[str] = set()
    for item in iter_pubmed_xml(io.BytesIO(page.body), name=page.url or page.name):
        found.update(item.pmids if isinstance(item, Deletion) else [item.pmid])
    return found


def _save_efetch(writer: SnapshotWriter, pages: Iterable[pubmed_client.Page], prefix: str) -> set[str]:
    arrived: set[str] = set()
    for page in pages:
        arrived |= _pmids(page)
        writer.add("pubmed", f"{prefix}{page.name}.xml", page.body, page.request)
    return arrived


def _refetch(settings: PubMedSettings, writer: SnapshotWriter, asked: set[str], arrived: set[str],
             prefix: str) -> list[str]:
    """Ask once more, by id, for what did not arrive; the PMIDs still missing after that."""
    missing = sorted(asked - arrived)
    if missing:
        _log.warning(f"pubmed: {len(missing)} of {len(asked)} articles did not arrive; fetching them by id")
        pages = pubmed_client.fetch_pmids(settings, pubmed_client.make_transport(settings), missing)
        arrived = arrived | _save_efetch(writer, pages, f"{prefix}again-")
    return sorted(asked - arrived)


def fetch_pubmed(options: RefreshOptions, root: str, progress: Progress = _log.info) -> Fetched:
    """esearch and efetch pages; PMIDs the search found that efetch did not return are asked for again."""
    settings = PubMedSettings.from_env()
    writer = SnapshotWriter(Path(root), tool_version())
    term = options.pubmed_query or DEFAULT_QUERY
    pages = pubmed_client.fetch_search_pages(settings, pubmed_client.make_transport(settings), term,
                                             since=options.since, progress=progress)
    searches: list[dict[str, object]] = []
    found: set[str] = set()
    arrived: set[str] = set()
    unlisted = 0  # hits of searches that gave no IdList: counted, not named
    for page in pages:
        if page.kind == "efetch":
            arrived |= _save_efetch(writer, [page], "")
            continue
        writer.add("pubmed", f"{page.name}.xml", page.body, page.request)
        if page.hits <= settings.max_hits_per_window:  # leaf windows only
            found.update(page.ids)
            unlisted += 0 if page.ids else page.hits
            searches.append({"source": "pubmed", "query": term, "window_start": page.window[0],
                             "window_end": page.window[1], "hits": page.hits})
    missing = [f"pubmed PMID {pmid}" for pmid in _refetch(settings, writer, found, arrived, "")]
    short = unlisted - len(arrived - found)
    missing += [f"pubmed: {short} of {unlisted} articles (esearch Count) did not arrive"] if short > 0 else []
    return Fetched(writer.files, searches, missing)


def fetch_cited_articles(root: str, pmids: list[str], progress: Progress = _log.info) -> Fetched:
    """Cited PMIDs that do not arrive are asked for once more, then only logged: a registry record may
    cite a PMID that does not exist, which no refetch will cure."""
    settings = PubMedSettings.from_env()
    writer = SnapshotWriter(Path(root), tool_version())
    pages = pubmed_client.fetch_pmids(settings, pubmed_client.make_transport(settings), pmids, progress=progress)
    arrived = _save_efetch(writer, pages, "cited-")
    still = _refetch(settings, writer, set(pmids), arrived, "cited-")
    if still:
        _log.warning(f"pubmed: cited PMIDs not in PubMed (skipped): {', '.join(still)}")
    search: dict[str, object] = {
        "source": "citation", "query": "PubMed records cited by registry records, missed by the search",
        "hits": len(pmids)}
    return Fetched(writer.files, [search])


def outcome(pending: Pending[Fetched]) -> Fetched | Exception:
    """A finished fetch's result, or the exception it ended with."""
    try:
        return pending.result()
    except Exception as exc:
        return exc


def fetch_sources(options: RefreshOptions, root: str) -> list[Fetched | Exception]:
    """Both sources at once, ClinicalTrials.gov first in the answer; a failed fetch gives its exception."""
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="fetch") as pool:
        started = [pool.submit(fetch_ctgov, options, root), pool.submit(fetch_pubmed, options, root)]
        return [outcome(pending) for pending in started]


def finish_recording(options: RefreshOptions, root: Path, fetched: list[Fetched]) -> None:
    """Write the manifest for the fetches that completed; pages of a failed (or retried) fetch go."""
    writer = SnapshotWriter(root, tool_version(), files=[f for part in fetched for f in part.files])
    writer.discard_unlisted()
    writer.finish(queries=queries(options), parameters=options.as_parameters(),
                  searches=[s for part in fetched for s in part.searches])
