"""The command line end to end: one-line errors, status, offline refresh, a locked database."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ketamine_evidence.flows.cli import main
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def harness():
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness():
        yield


def test_offline_refresh_then_status(harness, tmp_path: Path, capsys) -> None:
    db = tmp_path / "cli.duckdb"
    assert main(["refresh", "--offline", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert f"DuckDB file: {db.resolve()}" in out
    assert "core.study" in out and "core.outcome" in out

    assert main(["status", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "offline" in out and "success" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["refresh", "--since", "last week"], "--since expects a date like 2025-01-31"),
        (["refresh", "--offline", "--record", "x"], "--record only applies to live runs"),
        (["refresh", "--snapshot", "/nonexistent/snap"], "--snapshot /nonexistent/snap: directory does not exist"),
        (["status"], "does not exist yet"),
    ],
)
def test_bad_options_give_one_line(argv: list[str], message: str, tmp_path: Path, capsys) -> None:
    db = ["--db", str(tmp_path / "absent.duckdb")]
    assert main([*argv, *db]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_failing_flow_ends_with_one_line_and_no_traceback(tmp_path: Path) -> None:
    """As a user sees it: Prefect's own log lines, then our one-line error; never a traceback."""
    (tmp_path / "snap" / "ctgov").mkdir(parents=True)
    (tmp_path / "snap" / "ctgov" / "page-1.json").write_text('{"studies": [{"protocolSection": ')
    run = subprocess.run(
        [sys.executable, "-m", "ketamine_evidence.flows.cli", "refresh", "--snapshot", str(tmp_path / "snap"),
         "--db", str(tmp_path / "w.duckdb")],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
        env={**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"})
    assert run.returncode == 2
    ours = [line for line in run.stderr.splitlines() if line.startswith("ketamine-evidence refresh: error:")]
    assert len(ours) == 1 and "page-1.json" in ours[0] and "JSON" in ours[0], run.stderr
    assert "Traceback" not in run.stderr


def test_locked_database_gets_a_clear_message(tmp_path: Path) -> None:
    db = tmp_path / "locked.duckdb"
    holder = textwrap.dedent(f"""
        import duckdb, sys, time
        con = duckdb.connect({str(db)!r})
        con.execute("create schema meta")
        print("ready", flush=True)
        sys.stdin.read()
    """)
    proc = subprocess.Popen([sys.executable, "-c", holder], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        run = subprocess.run([sys.executable, "-m", "ketamine_evidence.flows.cli", "status", "--db", str(db)],
                             capture_output=True, text=True, cwd=ROOT, timeout=120)
    finally:
        proc.communicate("", timeout=30)
    assert run.returncode == 2
    assert "is open in another process" in run.stderr
    assert "Traceback" not in run.stderr and len(run.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("since", ["2025-01-01", "last"])
def test_since_is_refused_for_replays(since: str, tmp_path: Path, capsys) -> None:
    assert main(["refresh", "--offline", "--since", since, "--db", str(tmp_path / "w.duckdb")]) == 2
    assert "--since only applies to live runs" in capsys.readouterr().err


def test_db_defaults_to_the_environment(monkeypatch, tmp_path: Path) -> None:
    from ketamine_evidence.warehouse.db import default_db

    monkeypatch.setenv("KETAMINE_EVIDENCE_DB", str(tmp_path / "env.duckdb"))
    assert default_db() == str(tmp_path / "env.duckdb")
    monkeypatch.delenv("KETAMINE_EVIDENCE_DB")
    assert default_db() == "data/ketamine_evidence.duckdb"
