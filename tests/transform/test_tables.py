"""The mapping-table loader: table names, priority order, true/false cells."""

from __future__ import annotations

import pytest

from ketamine_evidence.errors import ConfigError
from ketamine_evidence.transform.tables import DATA_DIRS, first_match, patterns, rows, table_file, truth


def test_table_names_are_unique_across_the_data_folders() -> None:
    names = [f.name for d in DATA_DIRS for f in d.iterdir() if f.name.endswith(".csv")]
    assert names and len(names) == len(set(names))


def test_an_unknown_table_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="no_such_table"):
        table_file("no_such_table")


def test_patterns_are_filtered_by_column_and_tried_lowest_priority_first() -> None:
    mention = patterns("drug_patterns", use="mention")
    assert {p["use"] for p in mention} == {"mention"}
    priorities = [int(p["priority"]) for p in patterns("drug_patterns", use="intervention")]
    assert priorities == sorted(priorities)
    hit = first_match("drug_patterns", "Oral AD + Intranasal Placebo", use="intervention")
    assert hit is not None and hit["drug"] == "placebo"


def test_a_table_without_priority_keeps_file_order() -> None:
    assert [p["pattern"] for p in patterns("outcome_kinds")] == [r["pattern"] for r in rows("outcome_kinds")]


@pytest.mark.parametrize(("cell", "expected"), [("true", True), ("false", False)])
def test_truth(cell: str, expected: bool) -> None:
    assert truth({"x": cell}, "x") is expected


@pytest.mark.parametrize("cell", ["True", "yes", "1", ""])
def test_truth_refuses_anything_else(cell: str) -> None:
    with pytest.raises(ConfigError, match="column x"):
        truth({"x": cell}, "x")


def test_a_row_with_the_wrong_number_of_cells_is_a_config_error(tmp_path, monkeypatch) -> None:
    from ketamine_evidence.transform import tables

    (tmp_path / "bad.csv").write_text("pattern,value\na,b,c\n", encoding="utf-8")
    monkeypatch.setattr(tables, "DATA_DIRS", (tmp_path,))
    with pytest.raises(ConfigError, match=r"bad\.csv: line 2"):
        tables.rows.__wrapped__("bad")
