"""Opening the DuckDB file and creating the append-only layers (raw, meta)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from ketamine_evidence.errors import ConfigError
from ketamine_evidence.warehouse.errors import DatabaseLocked
from ketamine_evidence.warehouse.sql_files import run_layer

DEFAULT_DB = Path("data") / "ketamine_evidence.duckdb"
DB_ENV = "KETAMINE_EVIDENCE_DB"


def default_db() -> str:
    """The warehouse file when none is given: $KETAMINE_EVIDENCE_DB, else data/ketamine_evidence.duckdb."""
    return os.environ.get(DB_ENV) or str(DEFAULT_DB)


def connect(path: str | Path, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse; a file held by another process gives `DatabaseLocked`, not a traceback."""
    path = Path(path)
    if read_only and not path.exists():
        raise DatabaseLocked(f"{path} does not exist yet; run `ketamine-evidence refresh` first")
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        return duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise DatabaseLocked(
                f"{path} is open in another process (DuckDB allows one writer); close it and retry"
            ) from None
        raise


# Columns added after a table first shipped: existing warehouse files get them on open.
ADDED_COLUMNS = (("meta.refresh_run", "flag_counts", "json"),)


def init_schemas(con: duckdb.DuckDBPyConnection) -> None:
    """Create raw and meta tables if missing, and bring older files up to date; never drops anything."""
    for layer in ("raw", "meta"):
        run_layer(con, layer)
    for table, column, kind in ADDED_COLUMNS:
        con.execute(f"alter table {table} add column if not exists {column} {kind}")
    _check_raw_keys(con)


def _check_raw_keys(con: duckdb.DuckDBPyConnection) -> None:
    """Raw versions are keyed by (id, sha256, run_id) since 0.1; an older key would refuse a change back."""
    old = con.execute(
        "select table_name from duckdb_constraints() where schema_name = 'raw' and constraint_type = 'PRIMARY KEY'"
        " and not list_contains(constraint_column_names, 'run_id')").fetchall()
    if old:
        raise ConfigError(f"raw.{old[0][0]} was created by an older ketamine-evidence; replay your snapshots "
                          "into a new --db file")


@contextmanager
def opened(path: str | Path, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    con = connect(path, read_only=read_only)
    try:
        if not read_only:
            init_schemas(con)
        yield con
    finally:
        con.close()


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """All or nothing: a failure rolls back every statement since `begin`."""
    con.execute("begin transaction")
    try:
        yield con
    except BaseException:
        con.execute("rollback")
        raise
    con.execute("commit")
