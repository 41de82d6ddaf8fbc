"""The `refresh` flow: fetch (or replay) both sources, land raw, rebuild the warehouse.

Tasks are verbs and thin; the logic lives in extract/, warehouse/ and transform/ and is tested
there as plain functions. Only the two fetch tasks retry: everything else is deterministic.
"""

from __future__ import annotations

import json
import secrets
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from ketamine_evidence.errors import EvidenceError
from ketamine_evidence.extract.ctgov import client as ctgov_client
from ketamine_evidence.extract.ctgov.parse import page_info
from ketamine_evidence.extract.ctgov.settings import DEFAULT_COND, DEFAULT_INTR, CtgovSettings
from ketamine_evidence.extract.errors import SnapshotError, SourceUnavailable
from ketamine_evidence.extract.pubmed import client as pubmed_client
from ketamine_evidence.extract.pubmed.settings import DEFAULT_QUERY, PubMedSettings
from ketamine_evidence.extract.snapshot import SnapshotWriter, read_snapshot, utcnow
from ketamine_evidence.flows.settings import RefreshOptions, check_since, parse_since, tool_version
from ketamine_evidence.warehouse import build as warehouse_build
from ketamine_evidence.warehouse import history
from ketamine_evidence.warehouse.db import default_db, opened
from ketamine_evidence.warehouse.ingest import ingest_snapshot, missing_cited_pmids
from ketamine_evidence.warehouse.load import abandon_stale_runs, finish_run, last_live_run_date, start_run
from ketamine_evidence.warehouse.report import report_artifacts


def _transient(task: object, task_run: object, state: object) -> bool:
    """Retry a fetch task only when the API kept failing; a malformed answer or a bad option won't heal."""
    try:
        state.result()  # type: ignore[attr-defined]
    except SourceUnavailable as exc:
        return exc.retryable
    except Exception:
        return False
    return False


# The transport already retries each request (429/5xx/timeouts, with backoff); these task retries
# are a second, slower layer for an API outage of a few minutes.
FETCH_RETRIES = {"retries": 2, "retry_delay_seconds": [30, 120], "retry_condition_fn": _transient}


def new_run_id() -> str:
    return f"{utcnow():%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"


@task(cache_policy=None)
def open_run(options: RefreshOptions, run_id: str, snapshot_dir: str | None) -> None:
    with opened(options.db) as con:
        abandon_stale_runs(con, utcnow())
        start_run(con, run_id, mode=options.mode, snapshot_dir=snapshot_dir, since=options.since,
                  parameters=options.as_parameters(), tool_version=tool_version(), started_at=utcnow())


@dataclass
class Fetched:
    """What a fetch task wrote into the snapshot, and the searches it ran (for meta.search_log)."""

    files: list[dict] = field(default_factory=list)
    searches: list[dict] = field(default_factory=list)


@task(cache_policy=None, **FETCH_RETRIES)
def fetch_ctgov(options: RefreshOptions, root: str) -> Fetched:
    settings = CtgovSettings.from_env()
    writer = SnapshotWriter(Path(root), tool_version())
    query = ctgov_query(options)
    pages = ctgov_client.fetch_study_pages(
        settings, ctgov_client.make_transport(settings), cond=query["query.cond"],
        intr=query["query.intr"], since=options.since, progress=get_run_logger().info)
    hits = None
    for page in pages:
        writer.add("ctgov", f"page-{page.page_number:04d}.json", page.body, page.request)
        if page.page_number == 1:
            hits = page_info(page.body, name=page.name)[1]
    window = options.since.isoformat() if options.since else None
    search = {"source": "ctgov", "query": json.dumps(query), "window_start": window, "hits": hits}
    return Fetched(writer.files, [search])


@task(cache_policy=None, **FETCH_RETRIES)
def fetch_pubmed(options: RefreshOptions, root: str) -> Fetched:
    settings = PubMedSettings.from_env()
    writer = SnapshotWriter(Path(root), tool_version())
    term = options.pubmed_query or DEFAULT_QUERY
    pages = pubmed_client.fetch_search_pages(settings, pubmed_client.make_transport(settings), term,
                                             since=options.since, progress=get_run_logger().info)
    searches = []
    for page in pages:
        writer.add("pubmed", f"{page.name}.xml", page.body, page.request)
        if page.kind == "esearch" and page.hits <= settings.max_hits_per_window:  # leaf windows only
            searches.append({"source": "pubmed", "query": term, "window_start": page.window[0],
                             "window_end": page.window[1], "hits": page.hits})
    return Fetched(writer.files, searches)


@task(cache_policy=None, **FETCH_RETRIES)
def fetch_cited_articles(root: str, pmids: list[str]) -> Fetched:
    settings = PubMedSettings.from_env()
    writer = SnapshotWriter(Path(root), tool_version())
    pages = pubmed_client.fetch_pmids(settings, pubmed_client.make_transport(settings), pmids,
                                      progress=get_run_logger().info)
    for page in pages:
        writer.add("pubmed", f"cited-{page.name}.xml", page.body, page.request)
    search = {"source": "citation", "query": "PubMed records cited by registry records, missed by the search",
              "hits": len(pmids)}
    return Fetched(writer.files, [search])


@task(cache_policy=None)
def land_raw(options: RefreshOptions, snapshot_dir: str, run_id: str) -> dict[str, int]:
    with opened(options.db) as con:
        return ingest_snapshot(con, read_snapshot(snapshot_dir), run_id).as_run_counts()


@task(cache_policy=None)
def stored_pmids(options: RefreshOptions) -> set[str]:
    with opened(options.db) as con:
        return {pmid for (pmid,) in con.execute("select pmid from raw.pubmed_article_current").fetchall()}


@task(cache_policy=None)
def build_warehouse(options: RefreshOptions) -> dict[str, int]:
    with opened(options.db) as con:
        return vars(warehouse_build.build(con))


@task(cache_policy=None)
def record_history(options: RefreshOptions, run_id: str) -> None:
    with opened(options.db) as con:
        history.record_history(con, run_id)


@task(cache_policy=None)
def close_run(options: RefreshOptions, run_id: str, counts: dict[str, int], error: str | None) -> None:
    with opened(options.db) as con:
        finish_run(con, run_id, status="failed" if error else "success", finished_at=utcnow(),
                   counts=counts, error=error)


def close_failed_run(options: RefreshOptions, run_id: str, counts: dict[str, int], exc: Exception) -> None:
    """Best effort: the run's own error matters more than failing to record it (e.g. a locked file).

    A run left `running` is marked `abandoned` by the next run.
    """
    message = str(exc) if isinstance(exc, EvidenceError) else f"{type(exc).__name__}: {exc}"
    try:
        close_run(options, run_id, counts, message)
    except Exception as failed:
        get_run_logger().warning("could not record the failure of run %s: %s", run_id, failed)


def ctgov_query(options: RefreshOptions) -> dict[str, str]:
    return {"query.cond": options.ctgov_cond or DEFAULT_COND, "query.intr": options.ctgov_intr or DEFAULT_INTR}


def _record_live(options: RefreshOptions, root: Path) -> Exception | None:
    """Fetch both sources concurrently into `root` as a snapshot; the first failure is returned.

    Whatever was fetched before a failure is still written to the snapshot (and then landed), so
    a PubMed outage does not throw away a finished ClinicalTrials.gov fetch.
    """
    futures = [fetch_ctgov.submit(options, str(root)), fetch_pubmed.submit(options, str(root))]
    fetched, failures = [], []
    for future in futures:
        try:
            fetched.append(future.result())
        except Exception as exc:
            failures.append(exc)
    if not failures:
        # A recorded snapshot must stand alone, so it gets every cited article, stored or not.
        known = set() if options.record else stored_pmids(options)
        cited = missing_cited_pmids(read_snapshot(root), known=known)
        try:
            fetched.extend([fetch_cited_articles(str(root), cited)] if cited else [])
        except Exception as exc:
            failures.append(exc)
    writer = SnapshotWriter(root, tool_version(), files=[f for part in fetched for f in part.files])
    writer.discard_unlisted()  # pages of a failed (or retried) fetch that never completed
    writer.finish(queries=_queries(options), parameters=options.as_parameters(),
                  searches=[s for part in fetched for s in part.searches])
    return failures[0] if failures else None


def _land_partial(options: RefreshOptions, snapshot_dir: str, run_id: str) -> dict[str, int]:
    """After a failed fetch, land what did arrive (if anything) so it is not lost; core is not rebuilt."""
    try:
        return land_raw(options, snapshot_dir, run_id)
    except SnapshotError:
        return {}


def _queries(options: RefreshOptions) -> dict[str, object]:
    return {
        "ctgov": ctgov_query(options),
        "pubmed": options.pubmed_query or DEFAULT_QUERY,
    }


def publish_summary(options: RefreshOptions, run_id: str, counts: dict[str, int]) -> None:
    """Prefect artifacts: the run's counts, the claim verdicts and the evidence summary."""
    rows = [{"measure": k, "value": v} for k, v in {"run_id": run_id, **counts}.items()]
    create_table_artifact(rows, key="refresh-counts", description=f"Counts of run {run_id}")
    with opened(options.db) as con:
        verdicts, markdown = report_artifacts(con, current_run=run_id)
    create_table_artifact(verdicts, key="claim-verdicts", description=f"Claim verdicts, run {run_id}")
    create_markdown_artifact(markdown, key="evidence-summary", description=f"Evidence summary, run {run_id}")


@task(cache_policy=None)
def resolve_since(db: str, since: str | None) -> date | None:
    """`--since last` means: from the start of the last successful live run."""
    if since != "last":
        return parse_since(since)
    with opened(db) as con:
        return last_live_run_date(con)


@flow(name="refresh", log_prints=False)
def refresh(
    db: str | None = None,
    mode: str = "live",
    snapshot: str | None = None,
    record: str | None = None,
    since: str | None = None,
    ctgov_cond: str | None = None,
    ctgov_intr: str | None = None,
    pubmed_query: str | None = None,
) -> dict[str, object]:
    """Refresh the warehouse: live (optionally recorded), a snapshot replay, or the bundled sample.

    `since` is an ISO date, or `last` for the start of the last successful live run; `db` defaults
    to $KETAMINE_EVIDENCE_DB, else data/ketamine_evidence.duckdb.
    """
    db = db or default_db()
    check_since(mode, since)
    options = RefreshOptions(db=db, mode=mode, snapshot=snapshot, record=record,
                             since=resolve_since(db, since), ctgov_cond=ctgov_cond,
                             ctgov_intr=ctgov_intr, pubmed_query=pubmed_query)
    run_id = new_run_id()
    live_dir = None
    if options.mode == "live":
        live_dir = Path(options.record) if options.record else Path(tempfile.mkdtemp(prefix="ke-live-"))
    source_dir = str(options.replay_dir or live_dir)
    open_run(options, run_id, source_dir)
    counts: dict[str, int] = {}
    try:
        fetch_failure = _record_live(options, live_dir) if live_dir is not None else None
        if fetch_failure:
            counts.update(_land_partial(options, source_dir, run_id))
            raise fetch_failure
        counts.update(land_raw(options, source_dir, run_id))
        counts.update(build_warehouse(options))
        record_history(options, run_id)
    except Exception as exc:
        close_failed_run(options, run_id, counts, exc)
        raise
    finally:
        if live_dir is not None and not options.record:
            shutil.rmtree(live_dir, ignore_errors=True)
    close_run(options, run_id, counts, None)
    publish_summary(options, run_id, counts)
    return {"run_id": run_id, **counts}
