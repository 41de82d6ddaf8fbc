"""Run history of the marts, and what changed between the last two successful refreshes.

`record_history(con, run_id)` appends the key columns of marts.evidence_summary and marts.claim_check
to meta.summary_history and meta.verdict_history (re-recording a run replaces its rows).
`changes_since_previous(con)` compares the latest two successful runs: what the searches were
(tool version, mode, query per source: PRISMA-LSR item L2, changes to the methods), trials whose
first raw version arrived in the latest run, studies whose results were newly posted, pooled
estimates that moved by more than 1e-9, and verdicts that changed (item L3, changes to the results).
Versions of the living review are the successful runs, numbered 1, 2, ... by start time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime

import duckdb

from ketamine_evidence.warehouse.sql_files import objects

TOLERANCE = 1e-9
SUMMARY_KEYS = ("drug", "route", "population", "outcome_kind", "time_window", "comparator_type")
SUMMARY_VALUES = (
    "status", "k_trials", "n_participants", "prop_estimate", "prop_ci_lower", "prop_ci_upper",
    "rr_status", "rr_k", "rr_dl", "rr_dl_ci_lower", "rr_dl_ci_upper", "or_dl", "study_keys",
)
VERDICT_VALUES = (
    "verdict", "rationale", "pooled_estimate", "pooled_ci_lower", "pooled_ci_upper", "pooled_k",
    "trial_figure", "trial_study_key",
)
COMPARED_ESTIMATES = ("prop_estimate", "rr_dl", "or_dl")
HISTORY_TABLES = ("meta.summary_history", "meta.verdict_history")


@dataclass(frozen=True)
class ResultPosting:
    nct_id: str
    previous_date: str | None
    latest_date: str | None


@dataclass(frozen=True)
class EstimateChange:
    group: dict[str, str | None]
    measure: str
    old: float | None
    new: float | None

    @property
    def label(self) -> str:
        return " / ".join(str(self.group[k]) for k in SUMMARY_KEYS if self.group.get(k) is not None)


@dataclass(frozen=True)
class VerdictChange:
    claim_id: str
    old: str | None
    new: str | None


@dataclass(frozen=True)
class MethodChange:
    """One search or build setting that differs between two versions."""

    item: str
    old: str | None
    new: str | None


@dataclass
class Changes:
    latest_run: str | None
    previous_run: str | None
    new_trials: list[str] = field(default_factory=list)
    new_results: list[ResultPosting] = field(default_factory=list)
    estimate_changes: list[EstimateChange] = field(default_factory=list)
    verdict_changes: list[VerdictChange] = field(default_factory=list)
    history_compared: bool = True
    """False when either run has no recorded marts (built before history was kept)."""
    method_changes: list[MethodChange] = field(default_factory=list)
    versions: dict[str, int] = field(default_factory=dict)
    """Version number of every successful run (1 = the first)."""

    @property
    def latest_version(self) -> int | None:
        return self.versions.get(self.latest_run) if self.latest_run else None

    @property
    def previous_version(self) -> int | None:
        return self.versions.get(self.previous_run) if self.previous_run else None

    @property
    def first_run(self) -> bool:
        return self.previous_run is None

    @property
    def empty(self) -> bool:
        return not (self.new_trials or self.new_results or self.estimate_changes or self.verdict_changes)


def ensure_history_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists meta")
    for obj in objects("meta"):
        if obj.qualified in HISTORY_TABLES:
            con.execute(obj.sql)


def relation_exists(con: duckdb.DuckDBPyConnection, qualified: str) -> bool:
    schema, name = qualified.split(".", 1)
    sql = "select count(*) from information_schema.tables where table_schema = ? and table_name = ?"
    return con.execute(sql, [schema, name]).fetchall()[0][0] > 0


def record_history(con: duckdb.DuckDBPyConnection, run_id: str, recorded_at: datetime | None = None) -> None:
    """Append the current marts to the history tables under `run_id` (replacing that run's rows)."""
    ensure_history_tables(con)
    when = (recorded_at or datetime.now(UTC)).replace(tzinfo=None)
    copies = (
        ("meta.summary_history", "marts.evidence_summary", SUMMARY_KEYS + SUMMARY_VALUES),
        ("meta.verdict_history", "marts.claim_check", ("claim_id", *VERDICT_VALUES)),
    )
    for target, source, columns in copies:
        con.execute(f"delete from {target} where run_id = ?", [run_id])
        if relation_exists(con, source):
            cols = ", ".join(columns)
            con.execute(f"insert into {target} (run_id, recorded_at, {cols}) "
                        f"select ?, ?, {cols} from {source}", [run_id, when])


def _recorded_runs(con: duckdb.DuckDBPyConnection) -> dict[str, datetime]:
    recorded: dict[str, datetime] = {}
    for table in HISTORY_TABLES:
        if relation_exists(con, table):
            for run_id, when in con.execute(f"select run_id, min(recorded_at) from {table} group by run_id").fetchall():
                recorded[run_id] = min(when, recorded.get(run_id, when))
    return recorded


def _refresh_runs(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, datetime]]:
    if not relation_exists(con, "meta.refresh_run"):
        return {}
    rows = con.execute("select run_id, status, started_at from meta.refresh_run").fetchall()
    return {run_id: (status, started) for run_id, status, started in rows}


def successful_runs(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every successful run, oldest first: the versions of the living review. A run whose build was
    recorded in the history counts unless it failed, so a report made at the end of a refresh (still
    `running`) sees itself."""
    recorded, runs = _recorded_runs(con), _refresh_runs(con)
    ok = {r for r, (status, _) in runs.items() if status == "success"}
    ok |= {r for r in recorded if runs.get(r, ("success",))[0] != "failed"}
    when = {r: runs[r][1] if r in runs else recorded[r] for r in ok}
    return sorted(ok, key=lambda r: (when[r], r))


def latest_runs(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The latest two successful runs, newest first."""
    return successful_runs(con)[::-1][:2]


NEW_TRIALS = """
select nct_id from raw.ctgov_study
group by nct_id
having bool_and(run_id = ?)
order by nct_id
"""

RESULT_POSTINGS = """
with versions as (
    select nct_id, run_id, fetched_at, version_date,
           coalesce(try_cast(payload->>'$.hasResults' as boolean), false) as has_results,
           payload->>'$.protocolSection.statusModule.resultsFirstPostDateStruct.date' as results_date
    from raw.ctgov_study
),
latest as (
    select * from versions where run_id = $latest
    qualify row_number() over (partition by nct_id order by fetched_at desc, version_date desc nulls last) = 1
),
previous as (
    select * from versions where run_id <> $latest
    qualify row_number() over (partition by nct_id order by fetched_at desc, version_date desc nulls last) = 1
)
select l.nct_id, p.results_date, l.results_date
from latest as l join previous as p on p.nct_id = l.nct_id
where l.has_results
  and (not p.has_results or l.results_date is distinct from p.results_date)
order by l.nct_id
"""


def _new_trials(con: duckdb.DuckDBPyConnection, latest: str) -> list[str]:
    if not relation_exists(con, "raw.ctgov_study"):
        return []
    return [r[0] for r in con.execute(NEW_TRIALS, [latest]).fetchall()]


def _new_results(con: duckdb.DuckDBPyConnection, latest: str) -> list[ResultPosting]:
    if not relation_exists(con, "raw.ctgov_study"):
        return []
    rows = con.execute(RESULT_POSTINGS, {"latest": latest}).fetchall()
    return [ResultPosting(*row) for row in rows]


def _history(con: duckdb.DuckDBPyConnection, table: str, run_id: str, keys: tuple[str, ...],
             values: tuple[str, ...]) -> dict[tuple, dict]:
    if not relation_exists(con, table):
        return {}
    cols = ", ".join((*keys, *values))
    frame = con.execute(f"select {cols} from {table} where run_id = ?", [run_id]).fetchall()
    names = (*keys, *values)
    return {row[: len(keys)]: dict(zip(names, row, strict=True)) for row in frame}


def _differs(old: float | None, new: float | None) -> bool:
    if old is None or new is None:
        return (old is None) != (new is None)
    if math.isnan(old) or math.isnan(new):
        return math.isnan(old) != math.isnan(new)
    return abs(old - new) > TOLERANCE


def _estimate_changes(con: duckdb.DuckDBPyConnection, latest: str, previous: str) -> list[EstimateChange]:
    old = _history(con, "meta.summary_history", previous, SUMMARY_KEYS, COMPARED_ESTIMATES)
    new = _history(con, "meta.summary_history", latest, SUMMARY_KEYS, COMPARED_ESTIMATES)
    changes = []
    for key in sorted(set(old) | set(new), key=lambda k: tuple(str(v) for v in k)):
        before, after = old.get(key, {}), new.get(key, {})
        group = dict(zip(SUMMARY_KEYS, key, strict=True))
        for measure in COMPARED_ESTIMATES:
            if _differs(before.get(measure), after.get(measure)):
                changes.append(EstimateChange(group, measure, before.get(measure), after.get(measure)))
    return changes


def _verdict_changes(con: duckdb.DuckDBPyConnection, latest: str, previous: str) -> list[VerdictChange]:
    old = _history(con, "meta.verdict_history", previous, ("claim_id",), ("verdict",))
    new = _history(con, "meta.verdict_history", latest, ("claim_id",), ("verdict",))
    return [
        VerdictChange(key[0], old.get(key, {}).get("verdict"), new.get(key, {}).get("verdict"))
        for key in sorted(set(old) | set(new))
        if old.get(key, {}).get("verdict") != new.get(key, {}).get("verdict")
    ]


RUN_SETTINGS = """
select run_id, tool_version, mode from meta.refresh_run where run_id in (?, ?)
"""
SEARCHES = """
select source, string_agg(query, ' | ' order by query) from meta.search_log
where run_id = ? and query is not null group by source
"""
SETTING_NAMES = ("tool version", "mode")
SEARCH_QUERY = "search query: "  # then the source; a replay that did not record its query is not compared


def _settings(con: duckdb.DuckDBPyConnection, latest: str, previous: str) -> dict[str, dict[str, str | None]]:
    """{run: {setting: value}}: the run's tool version, mode and search query per source (where recorded)."""
    found: dict[str, dict[str, str | None]] = {latest: {}, previous: {}}
    if relation_exists(con, "meta.refresh_run"):
        for run_id, *values in con.execute(RUN_SETTINGS, [latest, previous]).fetchall():
            found[run_id].update(zip(SETTING_NAMES, values, strict=True))
    if relation_exists(con, "meta.search_log"):
        for run_id in (latest, previous):
            queries = con.execute(SEARCHES, [run_id]).fetchall()
            found[run_id].update({f"{SEARCH_QUERY}{source}": query for source, query in queries})
    return found


def _method_changes(con: duckdb.DuckDBPyConnection, latest: str, previous: str) -> list[MethodChange]:
    settings = _settings(con, latest, previous)
    old, new = settings[previous], settings[latest]
    return [MethodChange(item, old[item], new[item]) for item in sorted(set(old) & set(new)) if old[item] != new[item]]


def changes_since_previous(con: duckdb.DuckDBPyConnection) -> Changes:
    """What the latest successful run changed compared with the one before it."""
    ordered = successful_runs(con)
    versions = {run: i for i, run in enumerate(ordered, start=1)}
    runs = ordered[::-1][:2]
    if not runs:
        return Changes(None, None)
    if len(runs) == 1:
        return Changes(runs[0], None, versions=versions)
    latest, previous = runs
    changes = Changes(latest, previous, _new_trials(con, latest), _new_results(con, latest),
                      method_changes=_method_changes(con, latest, previous), versions=versions)
    recorded = _recorded_runs(con)
    changes.history_compared = latest in recorded and previous in recorded
    if changes.history_compared:
        changes.estimate_changes = _estimate_changes(con, latest, previous)
        changes.verdict_changes = _verdict_changes(con, latest, previous)
    return changes
