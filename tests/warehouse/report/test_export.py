"""`ketamine-evidence export` as tables: one file per mart (plus core.outcome and core.screening), right row
counts. The metapsy, revman and forest CSVs are tested in test_export_*.py."""

from __future__ import annotations

import duckdb
import pytest

from ketamine_evidence.errors import ConfigError
from ketamine_evidence.warehouse.report.export import FORMATS, check_format, export, export_tables


def _expected(con) -> dict[str, int]:
    return {t: con.execute(f"select count(*) from {t}").fetchall()[0][0] for t in export_tables(con)}


def test_tables_exported(sample) -> None:
    tables = export_tables(sample)
    for name in (
        "marts.claims",
        "marts.claim_check",
        "marts.evidence_summary",
        "marts.prisma_flow",
        "marts.study_characteristics",
        "core.outcome",
        "core.screening",
    ):
        assert name in tables
    assert not [t for t in tables if t.startswith("core.") and t not in ("core.outcome", "core.screening")]


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_one_file_per_table_with_its_rows(sample, tmp_path, fmt) -> None:
    written = export(sample, tmp_path, fmt)
    expected = _expected(sample)
    assert {w.table for w in written} == set(expected)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{t}.{fmt}" for t in expected)
    reader = "read_csv" if fmt == "csv" else "read_parquet"
    check = duckdb.connect()
    for item in written:
        assert item.rows == expected[item.table]
        count = check.execute(f"select count(*) from {reader}(?)", [str(item.path)]).fetchall()[0][0]
        assert count == expected[item.table], item.table
    assert expected["marts.claims"] >= 20 and expected["core.outcome"] > 0


def test_parquet_keeps_lists(sample, tmp_path) -> None:
    export(sample, tmp_path, "parquet")
    keys = (
        duckdb.connect()
        .execute(
            "select study_keys from read_parquet(?) where k_trials > 1 limit 1",
            [str(tmp_path / "marts.evidence_summary.parquet")],
        )
        .fetchall()[0][0]
    )
    assert isinstance(keys, list) and len(keys) > 1


def test_export_command(sample_db, tmp_path, capsys) -> None:
    from ketamine_evidence.flows.cli import main

    assert main(["export", "--db", str(sample_db), "--format", "parquet", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "marts.claim_check.parquet").exists()
    assert "marts.claim_check.parquet" in capsys.readouterr().out


def test_bad_format_is_a_one_line_error(sample_db, tmp_path, capsys) -> None:
    from ketamine_evidence.flows.cli import main

    assert main(["export", "--db", str(sample_db), "--format", "xlsx", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.strip() == (
        "ketamine-evidence export: option error: --format must be one of csv, parquet, metapsy, revman, not 'xlsx'")
    assert not (tmp_path / "out").exists()


def test_check_format_names_every_format() -> None:
    assert FORMATS == ("csv", "parquet", "metapsy", "revman")
    for fmt in FORMATS:
        assert check_format(fmt) == fmt
    with pytest.raises(ConfigError) as caught:
        check_format("rm5")
    assert str(caught.value) == "--format must be one of csv, parquet, metapsy, revman, not 'rm5'"
    assert "\n" not in str(caught.value)
