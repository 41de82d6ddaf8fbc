"""The `refresh` flow: `steps.run_refresh` with each step run as a Prefect task.

Tasks are verbs and thin: each wraps a plain function of flows/steps.py or flows/fetch.py, where
the logic is, and tests call those directly. Only the three fetch tasks retry: everything else is
deterministic. The flow adds the Prefect parts: concurrent fetch tasks, run logs and artifacts.
"""

from __future__ import annotations

from collections.abc import Callable

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import TaskRun
from prefect.context import FlowRunContext
from prefect.states import State
from prefect.tasks import Task

from ketamine_evidence.extract.errors import IncompleteFetch, SourceUnavailable
from ketamine_evidence.flows import fetch, review_cli, steps
from ketamine_evidence.flows.fetch import Fetched
from ketamine_evidence.flows.settings import RefreshOptions, check_since
from ketamine_evidence.warehouse.db import opened
from ketamine_evidence.warehouse.dbfile import default_db
from ketamine_evidence.warehouse.lock import Child, child_processes
from ketamine_evidence.warehouse.report.writer import report_artifacts

# The command line of the temporary API server Prefect starts when PREFECT_API_URL is unset
# (`SubprocessASGIServer._run_uvicorn_command`: `python -m uvicorn ... prefect.server.api.server:create_app`).
PREFECT_SERVER_APP = "prefect.server.api.server:create_app"


def _transient(task: Task[..., object] | None, task_run: TaskRun | None, state: State[object]) -> bool:
    """Retry a fetch task only when the API kept failing; a malformed answer or a bad option won't heal."""
    try:
        state.result()
    except SourceUnavailable as exc:
        return exc.retryable
    except Exception:
        return False
    return False


# The transport already retries each request (429/5xx/timeouts, with backoff); these task retries
# are a second, slower layer for an API outage of a few minutes.
FETCH_RETRIES = task(cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[30, 120], retry_condition_fn=_transient)
# Every step writes to the warehouse or reads what the previous one wrote: nothing may be cached.
STEP = task(cache_policy=NO_CACHE)

resolve_since = STEP(steps.resolve_since)
open_run = STEP(steps.open_run)
stored_pmids = STEP(steps.stored_pmids)
land_raw = STEP(steps.land_raw)
build_warehouse = STEP(steps.build_warehouse)
build_verified_warehouse = STEP(review_cli.build_verified)
load_decisions = STEP(review_cli.load_decisions)
record_history = STEP(steps.record_history)
close_run = STEP(steps.close_run)


@FETCH_RETRIES
def fetch_ctgov(options: RefreshOptions, root: str) -> Fetched:
    return fetch.fetch_ctgov(options, root, progress=get_run_logger().info)


@FETCH_RETRIES
def fetch_pubmed(options: RefreshOptions, root: str) -> Fetched:
    return fetch.fetch_pubmed(options, root, progress=get_run_logger().info)


@FETCH_RETRIES
def fetch_cited_articles(root: str, pmids: list[str]) -> Fetched:
    return fetch.fetch_cited_articles(root, pmids, progress=get_run_logger().info)


def fetch_sources(options: RefreshOptions, root: str) -> list[Fetched | Exception]:
    """Both fetch tasks at once (Prefect's thread pool); a failed fetch gives its exception."""
    started = [fetch_ctgov.submit(options, root), fetch_pubmed.submit(options, root)]
    return [fetch.outcome(pending) for pending in started]


def task_steps(verified_only: bool = False, decisions: str | None = None) -> steps.Steps:
    """The refresh steps as this module's tasks, looked up when a run starts (a test may swap one).

    With `decisions`, the build step first stores that file's new review decisions (under the run lock).
    """
    build = build_verified_warehouse if verified_only else build_warehouse
    return steps.Steps(
        open_run=open_run, fetch_sources=fetch_sources, stored_pmids=stored_pmids,
        fetch_cited_articles=fetch_cited_articles, land_raw=land_raw,
        build_warehouse=_decide_then(build, decisions) if decisions else build,
        record_history=record_history, close_run=close_run)


def _decide_then(build: Callable[[RefreshOptions], dict[str, int]], decisions: str
                 ) -> Callable[[RefreshOptions], dict[str, int]]:
    def decide_then_build(options: RefreshOptions) -> dict[str, int]:
        load_decisions(options.db, decisions)
        return build(options)

    return decide_then_build


def temporary_servers() -> list[Child]:
    """Prefect's temporary API server, if this process started one: a `kill -9` of the run leaves it running."""
    return child_processes(PREFECT_SERVER_APP, label="temporary Prefect server")


def publish_summary(options: RefreshOptions, run_id: str, counts: dict[str, int]) -> None:
    """Prefect artifacts: the run's counts, the claim verdicts and the evidence summary."""
    rows = [{"measure": k, "value": v} for k, v in {"run_id": run_id, **counts}.items()]
    create_table_artifact(rows, key="refresh-counts", description=f"Counts of run {run_id}")
    with opened(options.db) as con:
        verdicts, markdown = report_artifacts(con, current_run=run_id)
    create_table_artifact(verdicts, key="claim-verdicts", description=f"Claim verdicts, run {run_id}")
    create_markdown_artifact(markdown, key="evidence-summary", description=f"Evidence summary, run {run_id}")


def run_trigger() -> str:
    """What started this flow run, for the report's PRISMA-LSR version line: `scheduled` (a deployment's
    schedule), `deployment` (a deployment run by hand) or `manual` (the command line, a direct call)."""
    context = FlowRunContext.get()
    run = context.flow_run if context else None
    if run is None or run.deployment_id is None:
        return "manual"
    return "scheduled" if run.auto_scheduled else "deployment"


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
    decisions: str | None = None,
    verified_only: bool = False,
) -> dict[str, object]:
    """Refresh the warehouse: live (optionally recorded), a snapshot replay, or the bundled sample.

    `since` is an ISO date, or `last` for the start of the last successful live run; `db` defaults
    to $KETAMINE_EVIDENCE_DB, else data/ketamine_evidence.duckdb. `decisions` is a review decisions
    file loaded before the build; `verified_only` pools checked rows only.
    """
    db = db or default_db()
    check_since(mode, since)
    options = RefreshOptions(db=db, mode=mode, snapshot=snapshot, record=record,
                             since=resolve_since(db, since), ctgov_cond=ctgov_cond,
                             ctgov_intr=ctgov_intr, pubmed_query=pubmed_query, trigger=run_trigger())
    run_id = steps.new_run_id()
    try:
        counts = steps.run_refresh(options, run_id, steps=task_steps(verified_only, decisions),
                                   warn=get_run_logger().warning,
                                   children=temporary_servers())
    except IncompleteFetch as partial:  # built, but not whole: summarise it, then fail the flow run
        publish_summary(options, run_id, partial.counts)
        raise
    publish_summary(options, run_id, counts)
    return {"run_id": run_id, **counts}
