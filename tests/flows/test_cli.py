"""The command line: one-line errors, status, offline refresh, a locked database, Prefect failures.

In-process (`main([...])`) except where the real process is the subject: what a user sees on
stderr, and the exit code, when a flow fails.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import httpx
import pytest

from ketamine_evidence.flows.cli import main
from tests.conftest import ROOT


def cli(*args: str, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ketamine_evidence.flows.cli", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=timeout,
        env={**env, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"},
    )


def test_offline_refresh_then_status(prefect_api: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
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
def test_bad_options_give_one_line(
    argv: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = ["--db", str(tmp_path / "absent.duckdb")]
    assert main([*argv, *db]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_failing_flow_ends_with_one_line_and_no_traceback(prefect_api: str, tmp_path: Path) -> None:
    """As a user sees it: Prefect's own log lines, then our one-line error; never a traceback.

    The process runs the flow on the session's Prefect server rather than starting its own.
    """
    (tmp_path / "snap" / "ctgov").mkdir(parents=True)
    (tmp_path / "snap" / "ctgov" / "page-1.json").write_text('{"studies": [{"protocolSection": ')
    run = cli(
        "refresh",
        "--snapshot",
        str(tmp_path / "snap"),
        "--db",
        str(tmp_path / "w.duckdb"),
        env={**os.environ, "PREFECT_API_URL": prefect_api},
    )
    assert run.returncode == 2
    ours = [line for line in run.stderr.splitlines() if line.startswith("ketamine-evidence refresh: error:")]
    assert len(ours) == 1 and "page-1.json" in ours[0] and "JSON" in ours[0], run.stderr
    assert "Traceback" not in run.stderr


def _connect_error() -> httpx.ConnectError:
    return httpx.ConnectError(
        "[Errno 111] Connection refused", request=httpx.Request("GET", "http://127.0.0.1:4200/api/health")
    )


@pytest.fixture(scope="module")
def startup_timeout() -> RuntimeError:
    """What Prefect's own `SubprocessASGIServer.start` raises when its server never answers in time
    (here a stand-in process that only sleeps, and a 1 s timeout)."""
    from prefect.server.api.server import SubprocessASGIServer

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = SubprocessASGIServer(port=port)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            server,
            "_run_uvicorn_command",
            lambda: subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"]),
        )
        try:
            with pytest.raises(RuntimeError) as caught:
                server.start(timeout=1)
        finally:
            server.stop()
    return caught.value


def refresh_failing_with(
    error: Exception, monkeypatch: pytest.MonkeyPatch, db: Path, capsys: pytest.CaptureFixture[str]
) -> str:
    """Run `ketamine-evidence refresh` with a flow call that raises `error`; return its stderr."""
    import ketamine_evidence.flows.refresh as flows_refresh

    def failing_flow(**parameters: object) -> dict[str, object]:
        raise error

    monkeypatch.setattr(flows_refresh, "refresh", failing_flow)
    assert main(["refresh", "--offline", "--db", str(db)]) == 2
    return capsys.readouterr().err.strip()


def test_prefect_server_that_does_not_start_is_one_line(
    startup_timeout: RuntimeError, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    err = refresh_failing_with(startup_timeout, monkeypatch, tmp_path / "w.duckdb", capsys)
    assert re.fullmatch(
        r"ketamine-evidence refresh: error: Prefect's temporary server did not start within \d+ s; raise "
        r"PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS, or set PREFECT_API_URL to a running Prefect server "
        r"\(`prefect server start`\)",
        err,
    ), err


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (
            ValueError("No Prefect API URL provided. Please set PREFECT_API_URL to the address of a running server."),
            r"no Prefect API to run the flow on: set PREFECT_API_URL",
        ),
        (
            _connect_error(),
            r"the Prefect API at http://127\.0\.0\.1:4200/api/health failed \(ConnectError: \[Errno 111\]",
        ),
    ],
)
def test_other_prefect_failures_are_one_line(
    raised: Exception,
    expected: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    err = refresh_failing_with(raised, monkeypatch, tmp_path / "w.duckdb", capsys)
    assert re.match(f"ketamine-evidence refresh: error: {expected}", err), err
    assert len(err.splitlines()) == 1


def test_other_errors_are_not_taken_for_prefect_failures() -> None:
    from ketamine_evidence.extract.errors import SourceUnavailable
    from ketamine_evidence.flows.errors import prefect_failure

    assert prefect_failure(RuntimeError("something else")) is None
    assert prefect_failure(SourceUnavailable("ctgov", "u", "HTTP 503")) is None
    wrapped = RuntimeError("task crashed")
    wrapped.__cause__ = _connect_error()
    assert prefect_failure(wrapped) is not None


def test_locked_database_gets_a_clear_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "locked.duckdb"
    holder = textwrap.dedent(f"""
        import duckdb, sys, time
        con = duckdb.connect({str(db)!r})
        con.execute("create schema meta")
        print("ready", flush=True)
        sys.stdin.read()
    """)
    proc = subprocess.Popen([sys.executable, "-c", holder], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        code = main(["status", "--db", str(db)])
    finally:
        proc.communicate("", timeout=30)
    err = capsys.readouterr().err
    assert code == 2
    assert "is open in another process" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("since", ["2025-01-01", "last"])
def test_since_is_refused_for_replays(since: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["refresh", "--offline", "--since", since, "--db", str(tmp_path / "w.duckdb")]) == 2
    assert "--since only applies to live runs" in capsys.readouterr().err


def test_db_defaults_to_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from ketamine_evidence.warehouse.dbfile import default_db

    monkeypatch.setenv("KETAMINE_EVIDENCE_DB", str(tmp_path / "env.duckdb"))
    assert default_db() == str(tmp_path / "env.duckdb")
    monkeypatch.delenv("KETAMINE_EVIDENCE_DB")
    assert default_db() == "data/ketamine_evidence.duckdb"


@pytest.fixture
def not_a_database(tmp_path: Path) -> Path:
    path = tmp_path / "notes.duckdb"
    path.write_text("these are my notes, not a warehouse\n")
    return path


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["refresh", "--offline", "--db", "{tmp}/a-file/w.duckdb"], "cannot create it, {tmp}/a-file is not a writable"),
        (["refresh", "--offline", "--db", "{notes}"], "not a DuckDB database file"),
        (["status", "--db", "{notes}"], "not a DuckDB database file"),
        (["status", "--runs", "-1", "--db", "{tmp}/w.duckdb"], "--runs must be 0 or more, not -1"),
        (["dictionary", "--output", "{tmp}/missing/dict.md"], "folder {tmp}/missing does not exist"),
        (["report", "--output", "{tmp}/a-file", "--db", "{tmp}/w.duckdb"], "--output {tmp}/a-file: is a file"),
        (["export", "{tmp}/a-file", "--db", "{tmp}/w.duckdb"], "{tmp}/a-file: is a file; give a folder"),
        (["refresh", "--offline", "--ctgov-cond", "x", "--db", "{tmp}/w.duckdb"], "--ctgov-cond only applies to live"),
        (["refresh", "--offline", "--pubmed-query", "x", "--db", "{tmp}/w.duckdb"], "--pubmed-query only applies"),
        (["refresh", "--snapshot", "{tmp}", "--ctgov-intr", "x", "--db", "{tmp}/w.duckdb"], "--ctgov-intr only"),
    ],
)
def test_user_mistakes_are_one_line_and_change_nothing(
    argv: list[str], message: str, tmp_path: Path, not_a_database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a-file").write_text("a file where a folder is expected\n")
    before = sorted((p.name, p.read_bytes()) for p in tmp_path.rglob("*") if p.is_file())
    fill = {"tmp": str(tmp_path), "notes": str(not_a_database)}
    assert main([a.format(**fill) for a in argv]) == 2
    err = capsys.readouterr().err.strip()
    assert message.format(**fill) in err and len(err.splitlines()) == 1, err
    assert sorted((p.name, p.read_bytes()) for p in tmp_path.rglob("*") if p.is_file()) == before


def test_claims_without_a_warehouse_says_why_verdicts_are_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["claims", "--db", str(tmp_path / "absent.duckdb")]) == 2
    captured = capsys.readouterr()
    assert captured.out and "no warehouse at" in captured.err and len(captured.err.strip().splitlines()) == 1


def test_a_partial_live_run_ends_with_the_missing_ids_and_exit_2(
    prefect_api: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """As a user runs it: the search found one PMID more than efetch gives, twice."""
    from tests.flows.test_live_mode import EMPTY_SET, NO_WAIT, ctgov_pages, esearch_listing, sample_pmids
    from tests.support.replay_server import ReplayServer, Reply

    with ReplayServer() as srv:
        page1, page2 = ctgov_pages()
        srv.add("/api/v2/studies", Reply.json(page1), Reply.json(page2))
        srv.add("/eutils/esearch.fcgi", Reply.xml(esearch_listing([*sample_pmids(), "39999999"])))
        srv.add("/eutils/efetch.fcgi", Reply.xml((ROOT / "examples/snapshot/pubmed/efetch-sample.xml").read_bytes()),
                Reply.xml(EMPTY_SET))
        monkeypatch.setenv("KETAMINE_EVIDENCE_CTGOV_URL", f"{srv.base_url}/api/v2")
        monkeypatch.setenv("KETAMINE_EVIDENCE_PUBMED_URL", f"{srv.base_url}/eutils")
        monkeypatch.setattr("ketamine_evidence.extract.http.time", NO_WAIT)
        assert main(["refresh", "--db", str(tmp_path / "w.duckdb")]) == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last.startswith("ketamine-evidence refresh: error: partial: 1 records did not arrive") and "39999999" in last


def _claim_block(out: str, claim_id: str) -> str:
    return next(block for block in out.split("\n\n") if block.startswith(f"{claim_id}  "))


def test_claims_details_show_each_verdicts_rationale_and_evidence(
    sample_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.flow_support import scalar

    assert main(["claims", "--details", "--db", str(sample_db)]) == 0
    out = capsys.readouterr().out
    stored = scalar(sample_db, "select {'v': verdict, 'r': rationale, 'k': pooled_k, 'nct': trial_nct_id}"
                               " from marts.claim_check where claim_id = 'C01'")
    c01 = _claim_block(out, "C01")
    assert c01.splitlines()[0].endswith(f"->  {stored['v']}")
    assert f"Why:      {stored['r']}" in c01 and f"k={stored['k']}," in c01 and f"in {stored['nct']}" in c01

    # another claims file: the claim judged now against the same evidence, with the same rationale
    import yaml

    from ketamine_evidence.transform.claims import DEFAULT_PATH

    first = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))["claims"][0]
    mine = tmp_path / "mine.yaml"
    mine.write_text(yaml.safe_dump({"claims": [{**first, "id": "M1"}]}), encoding="utf-8")
    assert main(["claims", "--claims", str(mine), "--details", "--db", str(sample_db)]) == 0
    out = capsys.readouterr().out
    assert out.count("\n\n") == 0 and _claim_block(out, "M1").rstrip().replace("M1  ", "C01  ", 1) == c01


def test_claims_details_without_a_warehouse_still_print_each_claim(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from ketamine_evidence.transform.claims import load_claims

    assert main(["claims", "--details", "--db", str(tmp_path / "absent.duckdb")]) == 2
    captured = capsys.readouterr()
    claims = load_claims()
    assert captured.out.count("->  no verdict (no warehouse)") == len(claims)
    assert f"Claim:    {claims[0].text}" in captured.out
    assert captured.err.strip() == (f"ketamine-evidence claims: no warehouse at {tmp_path / 'absent.duckdb'}, so no "
                                    "verdicts (run `ketamine-evidence refresh` first)")


def test_building_the_parser_imports_nothing_heavy() -> None:
    """`--help` and option errors answer at once: the CLI module and its parser leave Prefect, DuckDB,
    pandas and matplotlib unimported (each command imports them when it runs)."""
    assert _imported_by("from ketamine_evidence.flows import cli; cli.build_parser()",
                        ("prefect", "pandas", "duckdb", "matplotlib", "numpy")) == []


def _imported_by(statement: str, modules: tuple[str, ...]) -> list[str]:
    """Which of `modules` a fresh interpreter has imported after running `statement`."""
    probe = f"import sys; {statement}; print(sorted(m for m in {modules!r} if m in sys.modules))"
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout.replace("'", "\""))  # the printed list of names


def test_version_and_export_formats_in_help(capsys: pytest.CaptureFixture[str]) -> None:
    from ketamine_evidence.flows.cli import EXPORT_FORMATS_HELP
    from ketamine_evidence.flows.settings import tool_version
    from ketamine_evidence.warehouse.report.export import FORMATS

    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0 and capsys.readouterr().out.strip() == f"ketamine-evidence {tool_version()}"
    assert all(fmt in EXPORT_FORMATS_HELP.replace(",", " ").split() for fmt in FORMATS)


def test_refresh_with_a_missing_decisions_file_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "decisions.csv"
    assert main(["refresh", "--offline", "--decisions", str(missing), "--db", str(tmp_path / "w.duckdb")]) == 2
    assert capsys.readouterr().err.strip() == f"ketamine-evidence refresh: option error: --decisions {missing}: file " \
        "does not exist"
    assert not (tmp_path / "w.duckdb").exists()


def test_status_is_readable_with_failed_runs_and_flags(
    sample_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A run that never built has no counts (not `None`), its error shows the first line, flags are a table."""
    import duckdb

    db = Path(shutil.copy(sample_db, tmp_path / "w.duckdb"))
    con = duckdb.connect(str(db))
    con.execute("insert into meta.refresh_run (run_id, started_at, mode, status, error) values "
                "('run-failed', timestamp '2025-02-01 00:00:00', 'live', 'failed', ?)",
                ["ctgov: HTTP 503 from https://clinicaltrials.gov/api/v2/studies\nTraceback (most recent call last):"])
    flags = json.loads(con.execute("select flag_counts from meta.refresh_run where run_id = 'run-sample'")
                       .fetchall()[0][0])
    con.close()
    assert main(["status", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "None" not in out and "Traceback" not in out
    failed = out.splitlines()[out.splitlines().index(next(ln for ln in out.splitlines() if "run-failed" in ln)) + 1]
    assert failed.strip() == "error: ctgov: HTTP 503 from https://clinicaltrials.gov/api/v2/studies"
    for flag, count in flags.items():
        assert re.search(rf"^  {flag} +{count}$", out, re.MULTILINE), flag


def test_report_for_another_claims_file_and_metapsy_export_with_held_rows(
    sample_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import csv

    import yaml

    from ketamine_evidence.transform.claims import DEFAULT_PATH

    first = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))["claims"][0]
    mine = tmp_path / "mine.yaml"
    mine.write_text(yaml.safe_dump({"claims": [{**first, "id": "M1", "text": "My own restated claim."}]}),
                    encoding="utf-8")
    assert main(["report", "--claims", str(mine), "--output", str(tmp_path / "r"), "--db", str(sample_db)]) == 0
    html = (tmp_path / "r" / "report.html").read_text(encoding="utf-8")
    assert "My own restated claim." in html and "M1" in html
    assert main(["report", "--claims", str(tmp_path / "none.yaml"), "--output", str(tmp_path / "r2"),
                 "--db", str(sample_db)]) == 2
    assert "none.yaml" in capsys.readouterr().err

    assert main(["export", "--format", "metapsy", "--db", str(sample_db), str(tmp_path / "m")]) == 0
    assert main(["export", "--format", "metapsy", "--include-held", "--db", str(sample_db), str(tmp_path / "h")]) == 0
    read = [list(csv.DictReader((tmp_path / d / "metapsy.csv").open(encoding="utf-8"), delimiter=";"))
            for d in ("m", "h")]
    assert read[0] and len(read[1]) >= len(read[0])
    assert {r["needs_review"] for r in read[0]} <= {"FALSE"} and "TRUE" in {r["needs_review"] for r in read[1]}


def test_table_exports_and_reading_a_database_import_no_statistics_or_plotting() -> None:
    """`export --format csv` and the read-only commands open the file without the normalization,
    statistics and plotting code (they cost over a second to import)."""
    assert _imported_by("import ketamine_evidence.warehouse.report.export, ketamine_evidence.warehouse.lock",
                        ("scipy", "statsmodels", "matplotlib", "prefect")) == []
