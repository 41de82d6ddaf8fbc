"""A live run's fetches, as plain functions: each writes its responses verbatim into a snapshot
directory and says what it wrote; `finish_recording` then writes the manifest.

No Prefect here: the flow wraps these in tasks (with retries), tests call them directly.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TypeVar

from ketamine_evidence.extract.ctgov import client as ctgov_client
from ketamine_evidence.extract.ctgov.parse import page_info
from ketamine_evidence.extract.ctgov.settings import DEFAULT_COND, DEFAULT_INTR, CtgovSettings
from ketamine_evidence.extract.pubmed import client as pubmed_client
from ketamine_evidence.extract.pubmed.settings import DEFAULT_QUERY, PubMedSettings
from ketamine_evidence.extract.snapshot import SnapshotWriter
from ketamine_evidence.flows.settings import RefreshOptions, tool_version

Progress = Callable[[str], None]
T_co = TypeVar("T_co", covariant=True)
_log = logging.getLogger(__name__)


@dataclass
class Fetched:
    """What a fetch wrote into the snapshot, and the searches it ran (for meta.search_log)."""

    files: list[dict[str, object]] = field(default_factory=list)
    searches: list[dict[str, object]] = field(default_factory=list)


class Pending(Protocol[T_co]):
    """A started fetch: a `concurrent.futures.Future` or a Prefect future."""

    def result(self) -> T_co: ...


def ctgov_query(options: RefreshOptions) -> dict[str, str]:
    return {"query.cond": options.ctgov_cond or DEFAULT_COND, "query.intr": options.ctgov_intr or DEFAULT_INTR}


def queries(options: RefreshOptions) -> dict[str, object]:
    return {"ctgov": ctgov_query(options), "pubmed": options.pubmed_query or DEFAULT_QUERY}


def fetch_ctgov(options: RefreshOptions, root: str, progress: Progress = _log.info) -> Fetched:
    settings = CtgovSettings.from_env()
    writer = SnapshotWriter(Path(root), tool_version())
    query = ctgov_query(options)
    pages = ctgov_client.fetch_study_pages(
        settings, ctgov_client.make_transport(settings), cond=query["query.cond"],
        intr=query["query.intr"], since=options.since, progress=progress)
    hits = None
    for page in pages:
        writer.add("ctgov", f"page-{page.page_number:04d}.json", page.body, page.request)
        if page.page_number == 1:
            hits = page_info(page.body, name=page.name)[1]
    window = options.since.isoformat() if options.since else None
    search: dict[str, object] = {"source": "ctgov", "query": json.dumps(query), "window_start": window,
                                 "hits": hits}
    return Fetched(writer.files, [search])


def fetch_pubmed(options: RefreshOptions, root: str, progress: Progress = _log.info) -> Fetched:
    settings = PubMedSettings.from_env()
    writer = SnapshotWriter(Path(root), tool_version())
    term = options.pubmed_query or DEFAULT_QUERY
    pages = pubmed_client.fetch_search_pages(settings, pubmed_client.make_transport(settings), term,
                                             since=options.since, progress=progress)
    searches: list[dict[str, object]] = []
    for page in pages:
        writer.add("pubmed", f"{page.name}.xml", page.body, page.request)
        if page.kind == "esearch" and page.hits <= settings.max_hits_per_window:  # leaf windows only
            searches.append({"source": "pubmed", "query": term, "window_start": page.window[0],
                             "window_end": page.window[1], "hits": page.hits})
    return Fetched(writer.files, searches)


def fetch_cited_articles(root: str, pmids: list[str], progress: Progress = _log.info) -> Fetched:
    settings = PubMedSettings.from_env()
    writer = SnapshotWriter(Path(root), tool_version())
    pages = pubmed_client.fetch_pmids(settings, pubmed_client.make_transport(settings), pmids, progress=progress)
    for page in pages:
        writer.add("pubmed", f"cited-{page.name}.xml", page.body, page.request)
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
