"""The build as one dependency graph of SQL and Python models, ordered and run in one transaction.

A model reads tables and writes tables. A SQL model is a `.sql` file under `sql/staging`, `sql/core`
or `sql/marts` (what it reads is found in its query); a Python model declares what it reads and the
contracts (`warehouse.contracts.Table`) of what it writes. A read that no model writes must be a
persistent `raw` or `meta` table. The order comes from these edges alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb

from ketamine_evidence.warehouse.contracts import Table
from ketamine_evidence.warehouse.db import MEMORY_LIMIT_ENV
from ketamine_evidence.warehouse.errors import BuildError
from ketamine_evidence.warehouse.sql_files import SqlObject

PERSISTENT_LAYERS = ("raw", "meta")
BUILT_LAYERS = ("staging", "core", "marts")

Run = Callable[[duckdb.DuckDBPyConnection, Any], None]


@dataclass(frozen=True)
class Model:
    name: str
    reads: frozenset[str]
    writes: tuple[Table, ...]
    run: Run
    source: str  # the file or function that defines it
    python: bool
    incremental: bool = False  # a Python model that updates its tables in place when the build keeps them

    @property
    def outputs(self) -> frozenset[str]:
        return frozenset(t.qualified for t in self.writes)


def sql_model(obj: SqlObject) -> Model:
    def run(con: duckdb.DuckDBPyConnection, _context: Any) -> None:
        con.execute(obj.sql)

    return Model(obj.qualified, obj.depends_on, (obj.contract(),), run, obj.source, python=False)


def python_model(reads: Iterable[str], writes: Sequence[Table], *, incremental: bool = False) -> Callable[[Run], Model]:
    """Declare a Python model: `fn(con, context)` fills the tables in `writes`, created empty for it.

    An `incremental` model must give the same rows whether its tables start empty or hold the rows of
    an earlier build of the same rules (`run_models`' `kept`): it removes rows of versions no longer
    current and adds those of new versions.
    """

    def wrap(fn: Run) -> Model:
        source = f"{fn.__module__}.{fn.__qualname__}"
        tables = tuple(t.with_source(f"Python model `{source}`") for t in writes)
        return Model(fn.__name__, frozenset(reads), tables, fn, source, python=True, incremental=incremental)

    return wrap


def ordered(models: Sequence[Model]) -> list[Model]:
    """Models in an order where each runs after every model that writes what it reads."""
    writer: dict[str, Model] = {}
    for model in models:
        for table in model.outputs:
            if table in writer:
                raise BuildError(f"{table} is written by both {writer[table].source} and {model.source}")
            writer[table] = model
    done: list[Model] = []

    def visit(model: Model, stack: tuple[str, ...]) -> None:
        if model in done:
            return
        if model.name in stack:
            raise BuildError(f"circular build dependency: {' -> '.join((*stack, model.name))}")
        for table in sorted(model.reads):
            if table in writer:
                visit(writer[table], (*stack, model.name))
            elif table.split(".", 1)[0] not in PERSISTENT_LAYERS:
                raise BuildError(f"{model.source} reads {table}, which no model writes")
        done.append(model)

    for model in models:
        visit(model, ())
    return done


def run_models(con: duckdb.DuckDBPyConnection, models: Sequence[Model], context: Any,
               kept: frozenset[str] = frozenset()) -> None:
    """Run every model in dependency order (the caller holds the transaction). The tables in `kept`
    (written by incremental models) are not recreated empty: their models update them in place."""
    for layer in BUILT_LAYERS:
        con.execute(f"create schema if not exists {layer}")
    for model in ordered(models):
        try:
            if model.python:
                for table in model.writes:
                    if not (model.incremental and table.qualified in kept):
                        con.execute(table.ddl())
            model.run(con, context)
        except duckdb.OutOfMemoryException as exc:
            first = str(exc).splitlines()[0]
            raise BuildError(f"{model.source}: DuckDB ran out of its memory limit ({first}); set {MEMORY_LIMIT_ENV} "
                             "higher (e.g. 4GB) and refresh again: the landed records are kept") from exc
        except duckdb.Error as exc:
            raise BuildError(f"{model.source}: {exc}") from exc
