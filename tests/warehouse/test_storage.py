"""The warehouse file opens in the duckdb CLI of PyPI (1.5) and in DuckDB 1.1+: storage format, the
README's `duckdb -readonly` commands on a freshly built warehouse, and converting a file written earlier
in DuckDB 2.0's format."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

from ketamine_evidence.flows.cli import main
from ketamine_evidence.warehouse.db import (
    connect,
    init_schemas,
    readable_by_old_duckdb,
    storage_version,
)
from ketamine_evidence.warehouse.errors import StorageFormatError
from tests.conftest import ROOT
from tests.support.tools import duckdb_cli
from tests.warehouse.report.test_report import doc_queries


def _newer_format_warehouse(path: Path) -> None:
    """What ketamine-evidence wrote before it set the storage format: DuckDB 2.0's default."""
    con = duckdb.connect(str(path))
    init_schemas(con)
    con.execute("create schema marts")
    con.execute("create table marts.t as select range as i, [range::varchar] as l from range(5)")
    con.close()


def test_a_new_warehouse_is_written_in_the_old_format(tmp_path: Path) -> None:
    con = connect(tmp_path / "new.duckdb")
    init_schemas(con)
    assert storage_version(con) == "v1.0.0+"
    con.close()


@pytest.mark.parametrize(("version", "readable"), [
    ("v1.0.0+", True), ("v0.10.0+", True), ("v1.2.0+", False), ("v2.0.0+", False), ("unknown", False)])
def test_which_formats_old_duckdb_reads(version: str, readable: bool) -> None:
    assert readable_by_old_duckdb(version) is readable


def test_a_newer_format_file_is_refused_for_writing_with_one_line(tmp_path: Path) -> None:
    db = tmp_path / "old.duckdb"
    _newer_format_warehouse(db)
    with pytest.raises(StorageFormatError, match="migrate-storage") as caught:
        connect(db)
    assert "\n" not in str(caught.value)
    con = connect(db, read_only=True)  # reading still works
    assert storage_version(con) == "v2.0.0+"
    con.close()


def test_migrate_storage_keeps_every_row_and_a_backup(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "old.duckdb"
    _newer_format_warehouse(db)
    assert main(["migrate-storage", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "v2.0.0+ -> v1.1.0" in out and ".storage-backup" in out
    con = connect(db)
    assert storage_version(con) == "v1.0.0+"
    assert con.execute("select count(*), max(l[1]) from marts.t").fetchone() == (5, "4")
    con.close()
    assert (tmp_path / "old.duckdb.storage-backup").exists()
    assert main(["migrate-storage", "--db", str(db)]) == 0
    assert "nothing to do" in capsys.readouterr().out


def test_migrate_storage_of_a_missing_file_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["migrate-storage", "--db", str(tmp_path / "none.duckdb")]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_the_cli_turns_the_refusal_into_one_line_and_still_reads(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    from ketamine_evidence.flows.settings import RefreshOptions
    from ketamine_evidence.flows.steps import run_refresh

    db = tmp_path / "old.duckdb"
    _newer_format_warehouse(db)
    with pytest.raises(StorageFormatError, match=f"migrate-storage --db {db}"):
        run_refresh(RefreshOptions(db=str(db), mode="offline"), "run-x")
    assert main(["sql", "select count(*) as n from marts.t", "--db", str(db), "--format", "csv"]) == 0
    assert capsys.readouterr().out == "n\n5\n"


def readme_cli_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("### Running them", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block is not None
    return [line for line in block[1].splitlines() if line.startswith("duckdb ")]


def test_readme_duckdb_commands_run_on_a_fresh_warehouse(sample_db: Path, tmp_path: Path) -> None:
    cli = duckdb_cli()
    (tmp_path / "data").mkdir()
    shutil.copy(sample_db, tmp_path / "data" / "ketamine_evidence.duckdb")
    (tmp_path / "response_by_window.sql").write_text(doc_queries()[1], encoding="utf-8")
    commands = readme_cli_commands()
    assert len(commands) >= 2
    for command in commands:
        done = subprocess.run(["bash", "-c", command.replace("duckdb ", f"{cli} ", 1)], cwd=tmp_path,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
    csv_out = (tmp_path / "response_by_window.csv").read_text(encoding="utf-8").splitlines()
    assert csv_out[0].startswith("drug,route,population") and len(csv_out) > 1


@pytest.mark.parametrize("number", range(1, 6))
def test_readme_queries_run_in_the_duckdb_cli(sample_db: Path, number: int) -> None:
    cli = duckdb_cli()
    done = subprocess.run([str(cli), "-readonly", "-csv", str(sample_db)], input=doc_queries()[number - 1],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) > 1
