"""Runs and the database file: one refresh at a time, killed runs end `abandoned`, readers between steps.

Other processes are real processes (a second refresh, a `kill -9`, a reader), as a user meets them.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from ketamine_evidence.flows.cli import main
from ketamine_evidence.flows.settings import RefreshOptions
from ketamine_evidence.flows.steps import Steps, build_warehouse, run_refresh
from ketamine_evidence.warehouse.lock import RunLocked, lock_path
from tests.conftest import ROOT
from tests.flow_support import scalar
from tests.support.replay_server import ReplayServer, Reply


def holder(script: str) -> subprocess.Popen[str]:
    """A Python process that runs `script`, prints `ready`, then waits to be killed or told to end."""
    body = textwrap.dedent(script) + "\nprint('ready', flush=True)\nimport sys\nsys.stdin.read()\n"
    proc = subprocess.Popen([sys.executable, "-c", body], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True, cwd=ROOT)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return proc


def refreshing(db: Path, live_dir: Path | None = None) -> str:
    """A refresh caught mid-run: it holds the lock and its run is recorded `running`."""
    note = f"lock.note_live_dir({str(live_dir)!r})" if live_dir else ""
    return f"""
        from datetime import datetime
        from ketamine_evidence.flows.settings import RefreshOptions
        from ketamine_evidence.flows.steps import open_run
        from ketamine_evidence.warehouse.lock import run_lock
        held = run_lock({str(db)!r}, "run-killed", "2025-01-01T00:00:00")
        lock = held.__enter__()
        {note}
        open_run(RefreshOptions(db={str(db)!r}, mode="offline"), "run-killed", "x", datetime(2025, 1, 1))
    """


def test_a_second_refresh_fails_at_once_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "w.duckdb"
    first = holder(refreshing(db))
    try:
        started = time.monotonic()
        code = main(["refresh", "--offline", "--db", str(db)])
        took = time.monotonic() - started
    finally:
        first.communicate("", timeout=30)
    err = capsys.readouterr().err.strip()
    assert code == 2 and took < 5, took
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert f"is being refreshed by run run-killed (PID {first.pid} on " in err


def test_the_run_lock_refuses_a_second_holder_in_the_plain_sequence(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    first = holder(refreshing(db))
    try:
        with pytest.raises(RunLocked, match="run-killed"):
            run_refresh(RefreshOptions(db=str(db), mode="offline"), "run-second")
    finally:
        first.communicate("", timeout=30)
    assert scalar(db, "select list(status) from meta.refresh_run") == ["running"]  # the first one's, untouched


def test_a_killed_run_is_abandoned_and_its_leftovers_removed_by_the_next_run(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db, live_dir = tmp_path / "w.duckdb", tmp_path / "ke-live-killed"
    (live_dir / "ctgov").mkdir(parents=True)
    killed = holder(refreshing(db, live_dir))
    killed.send_signal(signal.SIGKILL)
    killed.wait(timeout=30)

    run_refresh(RefreshOptions(db=str(db), mode="offline"), "run-next")
    statuses = scalar(db, "select list(run_id || ' ' || status order by started_at) from meta.refresh_run")
    assert statuses == ["run-killed abandoned", "run-next success"]
    assert not live_dir.exists()
    assert lock_path(db).read_text() == ""  # released
    logged = caplog.text
    assert "run run-killed was left `running`" in logged
    assert f"removed its temporary snapshot directory {live_dir}" in logged


def test_a_reader_between_steps_does_not_break_the_run(tmp_path: Path, sample_db: Path) -> None:
    """`status` opening the file read-only just after the build: the next steps wait for it, the run ends `success`."""
    db = Path(shutil.copy(sample_db, tmp_path / "w.duckdb"))
    readers: list[subprocess.Popen[str]] = []

    def build_then_read(options: RefreshOptions) -> dict[str, int]:
        counts = build_warehouse(options)
        readers.append(holder(f"""
            import duckdb, threading, os
            con = duckdb.connect({str(db)!r}, read_only=True)
            threading.Timer(2.0, lambda: os._exit(0)).start()
        """))
        return counts

    run_refresh(RefreshOptions(db=str(db), mode="offline"), "run-read", steps=Steps(build_warehouse=build_then_read))
    readers[0].wait(timeout=30)
    assert scalar(db, "select status from meta.refresh_run where run_id = 'run-read'") == "success"
    assert scalar(db, "select count(*) from meta.verdict_history where run_id = 'run-read'") > 0


def _running(pid: int) -> bool:
    """The process exists and has not ended (a zombie waiting for its parent has ended)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def _owner_note(db: Path, run: subprocess.Popen[bytes], log: Path, timeout: float) -> dict[str, object]:
    """The lock file's owner note once it names the run's temporary snapshot directory."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = lock_path(db).read_text() if lock_path(db).exists() else ""
        note = json.loads(text) if text else {}
        if note.get("live_dir"):
            return note
        if run.poll() is not None:
            raise AssertionError(f"the refresh ended ({run.returncode}) before its fetch: {log.read_text()[-2000:]}")
        time.sleep(0.5)
    raise AssertionError(f"no live run noted in {lock_path(db)} within {timeout} s")


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finding leftover processes needs Linux /proc")
def test_kill_9_of_a_live_refresh_leaves_nothing_behind_after_the_next_run(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """As a user meets it: `ketamine-evidence refresh` (its own temporary Prefect server) killed mid-fetch
    leaves that server running and its snapshot directory; the next run stops the one and removes the other."""
    db, tmp = tmp_path / "w.duckdb", tmp_path / "tmp"
    tmp.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    with ReplayServer() as srv:
        srv.add("/api/v2/studies", Reply(200, b"{}", delay=600))
        srv.add("/eutils/esearch.fcgi", Reply(200, b"", delay=600))
        env.update(KETAMINE_EVIDENCE_CTGOV_URL=f"{srv.base_url}/api/v2",
                   KETAMINE_EVIDENCE_PUBMED_URL=f"{srv.base_url}/eutils", TMPDIR=str(tmp),
                   PREFECT_HOME=str(tmp_path / "prefect"), PREFECT_SERVER_ANALYTICS_ENABLED="false")
        log = tmp_path / "refresh.log"
        with log.open("wb") as out:
            run = subprocess.Popen([sys.executable, "-m", "ketamine_evidence.flows.cli", "refresh", "--db", str(db)],
                                   env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
        servers: list[int] = []
        try:
            note = _owner_note(db, run, log, timeout=240)
            servers = [int(child["pid"]) for child in note["children"]]  # type: ignore[attr-defined]
            live_dir = Path(str(note["live_dir"]))
            assert len(servers) == 1 and live_dir.is_dir() and live_dir.parent == tmp
            run.send_signal(signal.SIGKILL)
            run.wait(timeout=30)
            time.sleep(1)
            assert _running(servers[0]) and live_dir.is_dir()  # what a kill -9 leaves

            run_refresh(RefreshOptions(db=str(db), mode="offline"), "run-next")
        finally:
            run.kill()
            for pid in servers:
                if _running(pid):
                    os.kill(pid, signal.SIGKILL)
    assert not _running(servers[0]) and not live_dir.exists()
    assert f"stopped its temporary Prefect server (PID {servers[0]})" in caplog.text
    assert f"removed its temporary snapshot directory {live_dir}" in caplog.text
    statuses = scalar(db, "select list(status order by started_at) from meta.refresh_run")
    assert statuses[-1] == "success" and "running" not in statuses  # killed before or after it was recorded


def mid_step(db: Path, release_after: float | None = None) -> str:
    """A refresh inside a step: it holds the run lock and a write connection (closed after `release_after` s)."""
    release = f"threading.Timer({release_after}, con.close).start()" if release_after else ""
    return f"""
        import threading
        from ketamine_evidence.warehouse.db import connect
        from ketamine_evidence.warehouse.lock import run_lock
        held = run_lock({str(db)!r}, "run-busy", "2025-01-01T00:00:00")
        lock = held.__enter__()
        con = connect({str(db)!r})
        {release}
    """


@pytest.mark.parametrize("argv", [["status"], ["report", "--output", "{tmp}/r"], ["claims"], ["export", "{tmp}/e"],
                                  ["sql", "select 1"], ["review", "status"]])
def test_readers_during_a_refresh_step_say_which_refresh_holds_the_file(
    argv: list[str], sample_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("ketamine_evidence.warehouse.lock.READ_WAIT", 1.0)
    db = Path(shutil.copy(sample_db, tmp_path / "w.duckdb"))
    busy = holder(mid_step(db))
    try:
        code = main([*(a.format(tmp=tmp_path) for a in argv), "--db", str(db)])
    finally:
        busy.communicate("", timeout=30)
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1, err
    assert err.endswith(f"a refresh is running on {db} (pid {busy.pid}, since 2025-01-01T00:00:00); try again "
                        "when it ends"), err


def test_a_reader_waits_for_the_step_to_end_and_says_a_refresh_is_running(
    sample_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = Path(shutil.copy(sample_db, tmp_path / "w.duckdb"))
    busy = holder(mid_step(db, release_after=1.5))
    try:
        code = main(["status", "--db", str(db)])
    finally:
        busy.communicate("", timeout=30)
    out = capsys.readouterr().out
    assert code == 0 and "core.outcome" in out
    assert f"A refresh is running: run run-busy (PID {busy.pid} on " in out
