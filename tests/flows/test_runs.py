"""Runs and the database file: one refresh at a time, killed runs end `abandoned`, readers between steps.

Other processes are real processes (a second refresh, a `kill -9`, a reader), as a user meets them.
"""

from __future__ import annotations

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
