"""The refresh as plain functions: each step, and `run_refresh`, the sequence that runs them.

    (live: fetch both sources into a snapshot ->) land raw -> build -> history -> run record

No Prefect here. Tests and `tests.flow_support.build_sample` call these directly; the `refresh` flow
runs the same `run_refresh` with each step wrapped in a Prefect task (`Steps` says which is which).
Every step opens the DuckDB file itself, so a task never holds a connection across steps and readers
(`status`, `report`) can open the file between steps; a step waits for such a reader to close it.
The whole run holds `<db>.lock` (warehouse/lock.py), so two refreshes never share a file.
"""

from __future__ import annotations

import logging
import secrets
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from ketamine_evidence.errors import EvidenceError
from ketamine_evidence.extract.errors import IncompleteFetch, SnapshotError
from ketamine_evidence.extract.snapshot import read_snapshot, utcnow
from ketamine_evidence.flows import fetch
from ketamine_evidence.flows.fetch import Fetched
from ketamine_evidence.flows.settings import RefreshOptions, parse_since, tool_version
from ketamine_evidence.warehouse import build as warehouse_build
from ketamine_evidence.warehouse import history
from ketamine_evidence.warehouse.db import opened
from ketamine_evidence.warehouse.ingest import ingest_snapshot, missing_cited_pmids
from ketamine_evidence.warehouse.load import finish_run, last_live_run_date, start_run
from ketamine_evidence.warehouse.lock import Child, abandon_orphaned_runs, opened_for_writing, run_lock

Clock = Callable[[], datetime]
Warn = Callable[[str], None]
_log = logging.getLogger(__name__)


def new_run_id() -> str:
    return f"{utcnow():%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"


def resolve_since(db: str, since: str | None) -> date | None:
    """`--since last` means: from the start of the last successful live run."""
    if since != "last":
        return parse_since(since)
    with opened(db) as con:
        return last_live_run_date(con)


def open_run(options: RefreshOptions, run_id: str, snapshot_dir: str, started_at: datetime) -> None:
    """Mark runs a killed process left `running` as abandoned, then record this one as `running`.

    Called under the run lock, so no other refresh of this file is alive: any `running` run is dead.
    """
    with opened_for_writing(options.db) as con:
        for orphan in abandon_orphaned_runs(con, started_at):
            _log.warning(f"run {orphan} was left `running` by a process that ended; marked `abandoned`")
        start_run(con, run_id, mode=options.mode, snapshot_dir=snapshot_dir, since=options.since,
                  parameters=options.as_parameters(), tool_version=tool_version(), started_at=started_at)


def stored_pmids(options: RefreshOptions) -> set[str]:
    with opened_for_writing(options.db) as con:
        return {pmid for (pmid,) in con.execute("select pmid from raw.pubmed_article_current").fetchall()}


def land_raw(options: RefreshOptions, snapshot_dir: str, run_id: str) -> dict[str, int]:
    with opened_for_writing(options.db) as con:
        return ingest_snapshot(con, read_snapshot(snapshot_dir), run_id).as_run_counts()


def build_warehouse(options: RefreshOptions) -> dict[str, int]:
    with opened_for_writing(options.db) as con:
        return vars(warehouse_build.build(con))


def record_history(options: RefreshOptions, run_id: str) -> None:
    with opened_for_writing(options.db) as con:
        history.record_history(con, run_id)


def close_run(options: RefreshOptions, run_id: str, counts: dict[str, int], error: str | None,
              finished_at: datetime, status: str | None = None) -> None:
    """Record how the run ended: `status` (`partial`), else failed with an error, else success."""
    with opened_for_writing(options.db) as con:
        finish_run(con, run_id, status=status or ("failed" if error else "success"), finished_at=finished_at,
                   counts=counts, error=error)


@dataclass(frozen=True)
class Steps:
    """The steps `run_refresh` runs. The defaults are the plain functions; the flow passes its tasks."""

    open_run: Callable[[RefreshOptions, str, str, datetime], None] = open_run
    fetch_sources: Callable[[RefreshOptions, str], list[Fetched | Exception]] = fetch.fetch_sources
    stored_pmids: Callable[[RefreshOptions], set[str]] = stored_pmids
    fetch_cited_articles: Callable[[str, list[str]], Fetched] = fetch.fetch_cited_articles
    land_raw: Callable[[RefreshOptions, str, str], dict[str, int]] = land_raw
    build_warehouse: Callable[[RefreshOptions], dict[str, int]] = build_warehouse
    record_history: Callable[[RefreshOptions, str], None] = record_history
    close_run: Callable[[RefreshOptions, str, dict[str, int], str | None, datetime, str | None], None] = close_run


PLAIN = Steps()


@dataclass(frozen=True)
class LiveFetch:
    failure: Exception | None
    missing: list[str]


def record_live(options: RefreshOptions, root: Path, steps: Steps = PLAIN) -> LiveFetch:
    """Fetch both sources concurrently into `root` as a snapshot: the first failure, and what did not arrive.

    Whatever was fetched before a failure is still written to the snapshot (and then landed), so
    a PubMed outage does not throw away a finished ClinicalTrials.gov fetch.
    """
    answers = steps.fetch_sources(options, str(root))
    fetched = [a for a in answers if isinstance(a, Fetched)]
    failures = [a for a in answers if isinstance(a, Exception)]
    if not failures:
        # A recorded snapshot must stand alone, so it gets every cited article, stored or not.
        known = set() if options.record else steps.stored_pmids(options)
        cited = missing_cited_pmids(read_snapshot(root), known=known)
        try:
            fetched.extend([steps.fetch_cited_articles(str(root), cited)] if cited else [])
        except Exception as exc:
            failures.append(exc)
    fetch.finish_recording(options, root, fetched)
    return LiveFetch(failures[0] if failures else None, [m for part in fetched for m in part.missing])


def failure_message(exc: Exception) -> str:
    return str(exc) if isinstance(exc, EvidenceError) else f"{type(exc).__name__}: {exc}"


def run_refresh(options: RefreshOptions, run_id: str, *, steps: Steps = PLAIN, clock: Clock = utcnow,
                warn: Warn = _log.warning, children: Sequence[Child] = ()) -> dict[str, int]:
    """One whole refresh, holding the file's run lock; returns the run's counts. A failure is recorded in
    meta.refresh_run, then raised; another refresh holding the lock gives `RunLocked` at once.

    After a failed fetch, what did arrive still lands in raw; core is not rebuilt. When records did
    not arrive even when asked again, what did arrive is landed and built, the run is recorded as
    `partial` with the missing records in its error, and `IncompleteFetch` is raised. `clock` is read
    once when the run opens and once when it closes. `children` (the flow's temporary Prefect server)
    are noted in the lock, so that if this process is killed the next run stops them.
    """
    with run_lock(options.db, run_id, utcnow().isoformat(), children) as lock:
        live_dir = None
        if options.mode == "live":
            live_dir = Path(options.record) if options.record else Path(tempfile.mkdtemp(prefix="ke-live-"))
            if not options.record:
                lock.note_live_dir(str(live_dir))  # so the next run removes it if this process is killed
        try:
            return _run(options, run_id, live_dir, steps, clock, warn)
        finally:
            if live_dir is not None and not options.record:
                shutil.rmtree(live_dir, ignore_errors=True)


def _run(options: RefreshOptions, run_id: str, live_dir: Path | None, steps: Steps, clock: Clock,
         warn: Warn) -> dict[str, int]:
    source_dir = str(options.replay_dir or live_dir)
    steps.open_run(options, run_id, source_dir, clock())
    counts: dict[str, int] = {}
    try:
        fetched = record_live(options, live_dir, steps) if live_dir is not None else LiveFetch(None, [])
        if fetched.failure:
            counts.update(_land_partial(options, source_dir, run_id, steps))
            raise fetched.failure
        counts.update(steps.land_raw(options, source_dir, run_id))
        counts.update(steps.build_warehouse(options))
        steps.record_history(options, run_id)
    except Exception as exc:
        _close_failed_run(options, run_id, counts, exc, steps, clock(), warn)
        raise
    if fetched.missing:
        steps.close_run(options, run_id, counts, "; ".join(fetched.missing), clock(), "partial")
        incomplete = IncompleteFetch(fetched.missing)
        incomplete.counts = counts
        raise incomplete
    steps.close_run(options, run_id, counts, None, clock(), None)
    return counts


def _land_partial(options: RefreshOptions, snapshot_dir: str, run_id: str, steps: Steps) -> dict[str, int]:
    """After a failed fetch, land what did arrive (if anything) so it is not lost."""
    try:
        return steps.land_raw(options, snapshot_dir, run_id)
    except SnapshotError:
        return {}


def _close_failed_run(options: RefreshOptions, run_id: str, counts: dict[str, int], exc: Exception,
                      steps: Steps, finished_at: datetime, warn: Warn) -> None:
    """Best effort: the run's own error matters more than failing to record it (e.g. a locked file).

    A run left `running` is marked `abandoned` by the next run.
    """
    try:
        steps.close_run(options, run_id, counts, failure_message(exc), finished_at, None)
    except Exception as failed:
        warn(f"could not record the failure of run {run_id}: {failed}")
