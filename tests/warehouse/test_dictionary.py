"""Every table and column is documented, the documentation matches DESCRIBE, the docs are current."""

from __future__ import annotations

import duckdb
import pytest

from ketamine_evidence.warehouse.contracts import Table
from ketamine_evidence.warehouse.dictionary import documented_tables, render
from tests.conftest import ROOT


@pytest.mark.parametrize("table", documented_tables(), ids=lambda t: t.qualified)
def test_documented_columns_match_describe(sample: duckdb.DuckDBPyConnection, table: Table) -> None:
    described = [row[0] for row in sample.execute(f"describe {table.qualified}").fetchall()]
    assert list(table.column_names) == described, f"{table.source}: documented columns and DESCRIBE differ"
    assert table.summary, f"{table.source}: no summary"
    assert all(col.doc for col in table.columns), f"{table.source}: a column has no description"


def test_generated_dictionary_is_up_to_date() -> None:
    current = (ROOT / "docs" / "data-dictionary.md").read_text(encoding="utf-8")
    assert current == render(), "run: ketamine-evidence dictionary --output docs/data-dictionary.md"
