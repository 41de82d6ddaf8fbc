"""The build graph: one order from declared reads and writes, no placeholder SQL, clear errors."""

from __future__ import annotations

import duckdb
import pytest

from ketamine_evidence.warehouse.build import models
from ketamine_evidence.warehouse.contracts import Column, Table
from ketamine_evidence.warehouse.errors import BuildError
from ketamine_evidence.warehouse.graph import BUILT_LAYERS, ordered, python_model, run_models
from ketamine_evidence.warehouse.sql_files import objects


def _table(name: str) -> Table:
    return Table(name, "test table", (Column("x", "INTEGER", "a number"),))


def test_every_model_runs_after_what_it_reads() -> None:
    graph = models()
    position = {t: i for i, m in enumerate(graph) for t in m.outputs}
    for i, model in enumerate(graph):
        assert all(position[t] < i for t in model.reads if t in position), model.name
    python = {m.name for m in graph if m.python}
    assert {"ctgov_staging", "pubmed_staging", "outcomes", "screening", "summary", "claim_check"} <= python


def test_sql_files_of_built_layers_are_models_not_placeholders() -> None:
    for layer in BUILT_LAYERS:
        for obj in objects(layer):
            assert " as\n" in obj.sql.lower() or "select" in obj.sql.lower(), f"{obj.source} is an empty DDL"


def test_a_cycle_an_unwritten_read_and_two_writers_are_refused() -> None:
    def noop(con: duckdb.DuckDBPyConnection, context: object) -> None:
        return None

    a = python_model(["core.b"], [_table("core.a")])(noop)
    b = python_model(["core.a"], [_table("core.b")])(noop)
    with pytest.raises(BuildError, match=r"circular build dependency"):
        ordered([a, b])
    orphan = python_model(["core.nowhere"], [_table("core.c")])(noop)
    with pytest.raises(BuildError, match=r"reads core\.nowhere, which no model writes"):
        ordered([orphan])
    with pytest.raises(BuildError, match=r"core\.a is written by both"):
        ordered([a, python_model([], [_table("core.a")])(noop)])


def test_a_python_model_gets_its_declared_table_and_a_failure_names_the_model(con: duckdb.DuckDBPyConnection) -> None:
    def fill(con: duckdb.DuckDBPyConnection, context: object) -> None:
        con.execute("insert into core.a values (1)")

    def broken(con: duckdb.DuckDBPyConnection, context: object) -> None:
        con.execute("insert into core.a values ('not a number')")

    run_models(con, [python_model([], [_table("core.a")])(fill)], None)
    assert con.execute("select x from core.a").fetchall() == [(1,)]
    with pytest.raises(BuildError, match=r"test_graph\..*broken: .*Conversion"):
        run_models(con, [python_model([], [_table("core.a")])(broken)], None)


def test_running_out_of_duckdbs_memory_limit_says_which_setting_to_raise(con: duckdb.DuckDBPyConnection) -> None:
    """A real out-of-memory error: a build whose data does not fit the limit (the 20,000-study simulation hit it)."""
    def big(con: duckdb.DuckDBPyConnection, context: object) -> None:
        con.execute("insert into core.a select range from range(3000000) order by random()")

    con.execute("set memory_limit = '2MB'")
    con.execute("set temp_directory = ''")  # nothing to spill to, as when the limit is reached
    with pytest.raises(BuildError, match=r"ran out of its memory limit .*KETAMINE_EVIDENCE_MEMORY_LIMIT higher") as err:
        run_models(con, [python_model([], [_table("core.a")])(big)], None)
    assert "\n" not in str(err.value)
