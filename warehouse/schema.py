"""`Table` and `Column`: how a table's columns, key and accepted values are declared (warehouse.contracts
declares the Python models' tables with them, warehouse.sql_files reads the SQL models' into them).
Kept apart from the declarations so that opening a database does not import the normalization code."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # DuckDB type, "" where a SQL model's query decides it
    doc: str
    accepted: tuple[str, ...] = ()  # allowed values (of each element, for a list column); () = any


@dataclass(frozen=True)
class Table:
    qualified: str
    summary: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()  # unique and not null, together
    source: str = ""  # where it is defined, for the dictionary and error messages

    @property
    def layer(self) -> str:
        return self.qualified.split(".", 1)[0]

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def ddl(self) -> str:
        columns = ",\n    ".join(f"{c.name} {c.type}" for c in self.columns)
        return f"create or replace table {self.qualified} (\n    {columns}\n)"

    def with_source(self, source: str) -> Table:
        return Table(self.qualified, self.summary, self.columns, self.key, source)
