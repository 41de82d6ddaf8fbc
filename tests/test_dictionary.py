"""Every table and column is documented, the documentation matches DESCRIBE, the docs are current."""

from __future__ import annotations

import pytest

from tests.conftest import ROOT
from warehouse.dictionary import render
from warehouse.sql_files import all_objects


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A warehouse built from the bundled sample without Prefect (the logic is plain functions)."""
    import duckdb

    from extract.snapshot import read_snapshot
    from warehouse.build import build
    from warehouse.db import init_schemas
    from warehouse.ingest import ingest_snapshot

    con = duckdb.connect(str(tmp_path_factory.mktemp("dict") / "w.duckdb"))
    init_schemas(con)
    ingest_snapshot(con, read_snapshot(ROOT / "examples" / "snapshot"), "test-run")
    build(con)
    yield con
    con.close()


@pytest.mark.parametrize("obj", all_objects(), ids=lambda o: o.qualified)
def test_documented_columns_match_describe(built, obj) -> None:
    described = [row[0] for row in built.execute(f"describe {obj.qualified}").fetchall()]
    documented = [name for name, _ in obj.columns]
    assert documented == described, f"{obj.path}: doc comments and DESCRIBE differ"
    assert obj.summary, f"{obj.path}: first line must be '-- {obj.qualified}: summary'"
    assert all(text for _, text in obj.columns), f"{obj.path}: a column has no description"


def test_generated_dictionary_is_up_to_date() -> None:
    current = (ROOT / "docs" / "data-dictionary.md").read_text(encoding="utf-8")
    assert current == render(), "run: ketamine-evidence dictionary --output docs/data-dictionary.md"
