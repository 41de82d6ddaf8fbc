"""Who owns a warehouse file while a refresh runs: a lock file next to it, held for the whole run.

`<db>.lock` is locked with `flock`, which the kernel releases when the owner dies, even by
`kill -9`, so a lock left by a dead process never blocks the next run. The file says who holds it
(PID, host, start time, run id, the run's temporary snapshot directory, the processes it started
that would outlive it, such as Prefect's temporary server); a run that finds the previous owner's
note in a lock it could take knows that owner died without cleaning up, and cleans up after it.

Readers never take the lock: DuckDB itself keeps them from writing. While a step of a refresh has
the file open, DuckDB refuses readers too; `reading` waits a little for the step to end, then says
which refresh holds the file.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import signal
import socket
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, TypeVar

import duckdb

from ketamine_evidence.errors import EvidenceError
from ketamine_evidence.warehouse.db import connect, init_schemas
from ketamine_evidence.warehouse.errors import DatabaseLocked

_log = logging.getLogger(__name__)
WRITE_WAIT = 60.0  # seconds a step waits for readers (status, report) to close the file
WRITE_POLL = 0.5
READ_WAIT = 5.0  # seconds a reader waits for a refresh step to close the file (steps are short)
STOP_WAIT = 5.0  # seconds a leftover process gets to exit on SIGTERM before SIGKILL
PROC = Path("/proc")
T = TypeVar("T")


class RunLocked(EvidenceError):
    """Another refresh holds this warehouse file."""


class RefreshRunning(EvidenceError):
    """A reader could not open the file: a step of a running refresh has it open."""


@dataclass(frozen=True)
class Child:
    """A process a run started that does not end with it, identified beyond its PID (which the
    system reuses) by its start time (clock ticks since boot) and command line."""

    pid: int
    started: int
    cmdline: str
    label: str


@dataclass(frozen=True)
class Owner:
    pid: int
    host: str
    started_at: str
    run_id: str
    live_dir: str | None = None
    children: tuple[Child, ...] = field(default_factory=tuple)

    def describe(self) -> str:
        return f"run {self.run_id} (PID {self.pid} on {self.host}, started {self.started_at})"


def lock_path(db: str | Path) -> Path:
    return Path(f"{db}.lock")


def _parse_owner(text: str) -> Owner | None:
    try:
        data = json.loads(text)
        children = tuple(Child(**child) for child in data.pop("children", []))
        return Owner(**data, children=children)
    except (ValueError, TypeError, AttributeError):  # empty (released cleanly) or not ours
        return None


def _read_owner(handle: IO[str]) -> Owner | None:
    handle.seek(0)
    return _parse_owner(handle.read())


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
def run_lock(db: str | Path, run_id: str, started_at: str, children: Sequence[Child] = ()) -> Iterator[RunLock]:
    """Hold `<db>.lock` for the body; a live holder gives `RunLocked` at once, naming it.

    `children` are processes this one started that a `kill -9` would leave running: the next run stops them.
    """
    path = lock_path(db)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise _refused(db, handle) from None
        try:
            previous = _read_owner(handle)
            owner = Owner(os.getpid(), socket.gethostname(), started_at, run_id, children=tuple(children))
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
    for child in previous.children:
        if _same_process_alive(child):
            _stop(child.pid)
            _log.warning(f"stopped its {child.label} (PID {child.pid}), still running after it ended")


# --- processes a run leaves behind (Linux /proc; elsewhere none are found or stopped) -------------

def _stat(pid: int) -> tuple[int, str, int] | None:
    """(parent PID, state letter, start time in ticks) of a process, or None if there is none."""
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()  # after the command name, which may hold spaces
    return int(fields[1]), fields[0], int(fields[19])


def _cmdline(pid: int) -> str:
    try:
        return (PROC / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def child_processes(marker: str, label: str) -> list[Child]:
    """This process's children whose command line contains `marker`."""
    found = []
    for entry in PROC.glob("[0-9]*"):
        stat = _stat(int(entry.name))
        if stat and stat[0] == os.getpid() and stat[1] != "Z" and marker in _cmdline(int(entry.name)):
            found.append(Child(int(entry.name), stat[2], _cmdline(int(entry.name)), label))
    return found


def _same_process_alive(child: Child) -> bool:
    stat = _stat(child.pid)
    return (stat is not None and stat[1] != "Z" and stat[2] == child.started and stat[0] != os.getpid()
            and _cmdline(child.pid) == child.cmdline)


def _stop(pid: int) -> None:
    """SIGTERM, then SIGKILL if it has not ended within STOP_WAIT s (a zombie has ended)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + STOP_WAIT
        while time.monotonic() < deadline:
            stat = _stat(pid)
            if stat is None or stat[1] == "Z":
                return
            time.sleep(0.1)


# --- readers ---------------------------------------------------------------------------------------

def running_refresh(db: str | Path) -> Owner | None:
    """The refresh holding `db`'s run lock, if its owner (on this host) is alive; read without locking."""
    try:
        owner = _parse_owner(lock_path(db).read_text(encoding="utf-8"))
    except OSError:
        return None
    if owner is None or owner.host != socket.gethostname():
        return None
    return owner if _alive(owner.pid) else None


def _alive(pid: int) -> bool:
    stat = _stat(pid)
    if stat is not None or PROC.is_dir():
        return stat is not None and stat[1] != "Z"
    try:  # no /proc: ask the kernel
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def while_refreshing(db: str | Path, attempt: Callable[[], T], wait: float | None = None) -> T:
    """`attempt()` (which opens `db` read-only); while a refresh step holds the file, retried for up to
    `wait` s (default READ_WAIT; the file is free between steps), then `RefreshRunning` naming the refresh."""
    deadline = time.monotonic() + (READ_WAIT if wait is None else wait)
    while True:
        try:
            return attempt()
        except DatabaseLocked:
            owner = running_refresh(db)
            if owner is None or not Path(db).exists():
                raise
            if time.monotonic() >= deadline:
                raise RefreshRunning(f"a refresh is running on {db} (pid {owner.pid}, since {owner.started_at});"
                                     " try again when it ends") from None
            time.sleep(WRITE_POLL)


@contextmanager
def reading(db: str | Path, wait: float | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """The warehouse opened read-only, waiting for a running refresh's step as `while_refreshing` does."""
    con = while_refreshing(db, lambda: connect(db, read_only=True), wait)
    try:
        yield con
    finally:
        con.close()


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
