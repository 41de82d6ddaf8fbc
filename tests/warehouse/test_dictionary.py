"""Every table and column is documented, the documentation matches DESCRIBE, the docs are current."""

from __future__ import annotations

import pytest

from ketamine_evidence.warehouse.dictionary import render
from ketamine_evidence.warehouse.sql_files import all_objects
from tests.conftest import ROOT


@pytest.mark.parametrize("obj", all_objects(), ids=lambda o: o.qualified)
def test_documented_columns_match_describe(sample, obj) -> None:
    described = [row[0] for row in sample.execute(f"describe {obj.qualified}").fetchall()]
    documented = [name for name, _ in obj.columns]
    assert documented == described, f"{obj.path}: doc comments and DESCRIBE differ"
    assert obj.summary, f"{obj.path}: first line must be '-- {obj.qualified}: summary'"
    assert all(text for _, text in obj.columns), f"{obj.path}: a column has no description"


def test_generated_dictionary_is_up_to_date() -> None:
    current = (ROOT / "docs" / "data-dictionary.md").read_text(encoding="utf-8")
    assert current == render(), "run: ketamine-evidence dictionary --output docs/data-dictionary.md"
