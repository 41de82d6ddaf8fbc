"""Key and accepted-value checks, generated from the table contracts (like dbt's unique/accepted_values).

`violations(con, tables)` returns one line per broken rule; the tests run it on every table the
build writes, on the bundled sample and on real registry records.
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb

from ketamine_evidence.warehouse.contracts import Column, Table


def violations(con: duckdb.DuckDBPyConnection, tables: Iterable[Table]) -> list[str]:
    found: list[str] = []
    for table in tables:
        if table.key:
            found.extend(_key_violations(con, table))
        for column in table.columns:
            if column.accepted:
                found.extend(_accepted_violations(con, table, column))
    return found


def _key_violations(con: duckdb.DuckDBPyConnection, table: Table) -> list[str]:
    key = ", ".join(table.key)
    duplicated = con.execute(
        f"select {key}, count(*) from {table.qualified} group by all having count(*) > 1 limit 3").fetchall()
    return [f"{table.qualified}: key ({key}) not unique: {row[:-1]} x{row[-1]}" for row in duplicated]


def _accepted_violations(con: duckdb.DuckDBPyConnection, table: Table, column: Column) -> list[str]:
    kind = con.execute(
        "select data_type from information_schema.columns where table_schema = ? and table_name = ?"
        " and column_name = ?", [table.layer, table.qualified.split(".", 1)[1], column.name]).fetchall()[0][0]
    values = f"unnest({column.name})" if kind.endswith("[]") else column.name
    bad = con.execute(
        f"select distinct v from (select {values} as v from {table.qualified})"
        " where v is not null and not list_contains(?, v::varchar) order by v limit 5",
        [list(column.accepted)]).fetchall()
    return [f"{table.qualified}.{column.name}: {v!r} is not one of {', '.join(column.accepted)}" for (v,) in bad]
