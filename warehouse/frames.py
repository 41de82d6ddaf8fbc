"""Bulk writes of Python-built rows into DuckDB tables (never row by row)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping

import duckdb
import pandas as pd


def insert_rows(con: duckdb.DuckDBPyConnection, table: str, rows: Iterable[Mapping[str, object]]) -> int:
    """Append rows (dicts) to an existing table, matching columns by name; returns the row count."""
    frame = pd.DataFrame.from_records(list(rows))
    return insert_frame(con, table, frame)


def insert_frame(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> int:
    if frame.empty:
        return 0
    con.register("_incoming", frame)
    try:
        con.execute(f"insert into {table} by name select * from _incoming")
    finally:
        with contextlib.suppress(duckdb.Error):  # in an aborted transaction; the insert's error matters
            con.unregister("_incoming")
    return len(frame)
