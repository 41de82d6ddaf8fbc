"""`ketamine-evidence sql`: read-only queries printed as a table, CSV or JSON; errors as one line, exit 2."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from ketamine_evidence.flows.cli import main
from ketamine_evidence.warehouse.db import connect, init_schemas


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "w.duckdb"
    con = connect(path)
    init_schemas(con)
    con.execute("create schema marts")
    con.execute("create table marts.prisma_flow (step varchar, source varchar, reason varchar, n bigint)")
    con.execute("insert into marts.prisma_flow values ('identified', 'ctgov', null, 11),"
                " ('excluded', 'pubmed', 'other_indication, pain', 2)")
    con.close()
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


QUERY = "select step, source, reason, n from marts.prisma_flow order by n desc"


def test_table_is_the_default(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "sql", QUERY, "--db", str(db))
    lines = out.splitlines()
    assert code == 0
    assert lines[0].split() == ["step", "source", "reason", "n"]
    assert set(lines[1]) <= {"-", " "}
    assert lines[2].split()[:3] == ["identified", "ctgov", "NULL"]
    assert lines[-1] == "(2 rows)"


def test_csv_round_trips(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "sql", QUERY, "--db", str(db), "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0
    assert rows[1] == {"step": "excluded", "source": "pubmed", "reason": "other_indication, pain", "n": "2"}
    assert rows[0]["reason"] == ""


def test_json_is_one_object_per_row(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    query = "select n, [step, source] as parts, date '2025-01-02' as day, 'nan'::double as x from marts.prisma_flow"
    code, out, _ = run(capsys, "sql", query + " order by n", "--db", str(db), "--format", "json")
    assert code == 0
    assert json.loads(out)[0] == {"n": 2, "parts": ["excluded", "pubmed"], "day": "2025-01-02", "x": None}


def test_a_statement_that_reads_nothing_succeeds(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "sql", "use marts", "--db", str(db))
    assert (code, err) == (0, "")


@pytest.mark.parametrize(("query", "expected"), [
    ("select * from marts.nope", "does not exist"),
    ("selec 1", "syntax error"),
    ("delete from marts.prisma_flow", "read-only"),
    ("copy marts.prisma_flow to 'out.csv'", "disabled"),
    ("attach 'other.duckdb' as other", "disabled"),
    ("set enable_external_access = true", "locked"),
    ("select 1 as a, 2 as a", None),
    ("   ", "empty"),
])
def test_errors_are_one_line_with_exit_2(db: Path, capsys: pytest.CaptureFixture[str], query: str,
                                         expected: str | None) -> None:
    fmt = "json" if expected is None else "table"
    code, out, err = run(capsys, "sql", query, "--db", str(db), "--format", fmt)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and err.startswith("ketamine-evidence sql: ")
    assert (expected or "duplicate column names") in err.lower()


def test_the_warehouse_is_unchanged_and_not_locked(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "sql", "delete from marts.prisma_flow", "--db", str(db))
    con = connect(db)  # a writer can open it: the query's read-only connection is closed
    assert con.execute("select count(*) from marts.prisma_flow").fetchone() == (2,)
    con.close()


def test_a_missing_database_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "sql", "select 1", "--db", str(tmp_path / "none.duckdb"))
    assert code == 2 and "does not exist yet" in err and len(err.strip().splitlines()) == 1


def test_an_unknown_format_is_an_option_error(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["sql", "select 1", "--db", str(db), "--format", "xml"])
    assert caught.value.code == 2
    assert "invalid choice" in capsys.readouterr().err
