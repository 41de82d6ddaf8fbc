"""Who owns a warehouse file while a refresh runs: a lock file next to it, held for the whole run.

`<db>.lock` is locked with `flock`, which the kernel releases when the owner dies, even by
`kill -9`, so a lock left by a dead process never blocks the next run. The file says who holds it
(PID, host, start time, run id, the run's temporary snapshot directory); a run that finds the
previous owner's note in a lock it could take knows that owner died without cleaning up. Readers
never take the lock: DuckDB itself keeps them from writing.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO

import duckdb

from ketamine_evidence.errors import EvidenceError
from ketamine_evidence.warehouse.db import connect, init_schemas
from ketamine_evidence.warehouse.errors import DatabaseLocked

_log = logging.getLogger(__name__)
WRITE_WAIT = 60.0  # seconds a step waits for readers (status, report) to close the file
WRITE_POLL = 0.5


class RunLocked(EvidenceError):
    """Another refresh holds this warehouse file."""


@dataclass(frozen=True)
class Owner:
    pid: int
    host: str
    started_at: str
    run_id: str
    live_dir: str | None = None

    def describe(self) -> str:
        return f"run {self.run_id} (PID {self.pid} on {self.host}, started {self.started_at})"


def lock_path(db: str | Path) -> Path:
    return Path(f"{db}.lock")


def _read_owner(handle: IO[str]) -> Owner | None:
    handle.seek(0)
    try:
        return Owner(**json.loads(handle.read()))
    except (ValueError, TypeError):  # empty (released cleanly) or not ours
        return None


def _write_owner(handle: IO[str], owner: Owner | None) -> None:
    handle.seek(0)
    handle.truncate()
    handle.write(json.dumps(asdict(owner)) if owner else "")
    handle.flush()


def _refused(db: str | Path, handle: IO[str]) -> RunLocked:
    owner = _read_owner(handle)
    who = owner.describe() if owner else "another process"
    return RunLocked(f"{db} is being refreshed by {who}; wait for it to finish, or stop it")


class RunLock:
    """The held lock of one run; `note_live_dir` records the temporary snapshot for cleanup."""

    def __init__(self, handle: IO[str], owner: Owner, previous: Owner | None) -> None:
        self._handle, self.owner, self.previous = handle, owner, previous

    def note_live_dir(self, live_dir: str) -> None:
        self.owner = Owner(**{**asdict(self.owner), "live_dir": live_dir})
        _write_owner(self._handle, self.owner)


@contextmanager
def run_lock(db: str | Path, run_id: str, started_at: str) -> Iterator[RunLock]:
    """Hold `<db>.lock` for the body; a live holder gives `RunLocked` at once, naming it."""
    path = lock_path(db)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise _refused(db, handle) from None
        try:
            previous = _read_owner(handle)
            owner = Owner(os.getpid(), socket.gethostname(), started_at, run_id)
            _write_owner(handle, owner)
            lock = RunLock(handle, owner, previous)
            _clean_up_after(previous)
            yield lock
        finally:
            _write_owner(handle, None)  # emptied, not deleted: a deleted lock file could be held twice
            fcntl.flock(handle, fcntl.LOCK_UN)


def check_free(db: str | Path) -> None:
    """Fail at once if a refresh holds `db`, before anything slow (a Prefect server) starts."""
    path = lock_path(db)
    if not path.exists():
        return
    with path.open("r", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise _refused(db, handle) from None
        fcntl.flock(handle, fcntl.LOCK_UN)


def _clean_up_after(previous: Owner | None) -> None:
    if previous is None:
        return
    _log.warning(f"the previous refresh, {previous.describe()}, ended without releasing its lock")
    if previous.live_dir and Path(previous.live_dir).is_dir():
        shutil.rmtree(previous.live_dir, ignore_errors=True)
        _log.warning(f"removed its temporary snapshot directory {previous.live_dir}")


def abandon_orphaned_runs(con: duckdb.DuckDBPyConnection, now: object) -> list[str]:
    """Runs still `running` while this process holds the run lock: their owner is gone."""
    rows = con.execute(
        "update meta.refresh_run set status = 'abandoned', finished_at = ?,"
        " error = coalesce(error, 'the process ended before the run was recorded')"
        " where status = 'running' returning run_id", [now]).fetchall()
    return [run_id for (run_id,) in rows]


@contextmanager
def opened_for_writing(db: str | Path, wait: float = WRITE_WAIT) -> Iterator[duckdb.DuckDBPyConnection]:
    """Like `db.opened`, but waits up to `wait` s for readers (status, report, export) to let go."""
    deadline = time.monotonic() + wait
    while True:
        try:
            con = connect(db)
            break
        except DatabaseLocked:
            if time.monotonic() >= deadline:
                raise
            _log.info(f"{db} is open in another process; waiting for it to close")
            time.sleep(WRITE_POLL)
    try:
        init_schemas(con)
        yield con
    finally:
        con.close()
