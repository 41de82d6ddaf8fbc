"""Opening the DuckDB file and creating the append-only layers (raw, meta)."""

from __future__ import annotations

import gc
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from ketamine_evidence.errors import ConfigError
from ketamine_evidence.warehouse.errors import DatabaseLocked, StorageFormatError
from ketamine_evidence.warehouse.sql_files import run_layer

# DuckDB 2.0 writes storage format v2.0.0 by default, which no DuckDB before 2.0 opens (the duckdb CLI on
# PyPI is 1.5). Format v1.0.0 (what `v1.1.0` selects) opens in DuckDB 1.0 and later.
STORAGE_VERSION = "v1.1.0"
STORAGE_CONFIG: dict[str, str | bool | int | float | list[str]] = {"storage_compatibility_version": STORAGE_VERSION}
# DuckDB's own default is 80% of RAM, and it keeps what it may; a writer caps it so a refresh's peak memory
# stays flat however many records it lands or builds (DuckDB spills the rest to `<db>.tmp/`).
MEMORY_LIMIT_ENV = "KETAMINE_EVIDENCE_MEMORY_LIMIT"
DEFAULT_MEMORY_LIMIT = "1GB"


# Landing commits one chunk of records at a time; with DuckDB's 16 MB default every commit would checkpoint and
# rewrite the growing row group (quadratic in the records landed). The file is checkpointed when it closes.
CHECKPOINT_THRESHOLD = "4GB"


def writer_config() -> dict[str, str | bool | int | float | list[str]]:
    """The configuration every writing connection passes (the same each time: DuckDB requires it)."""
    return {**STORAGE_CONFIG, "memory_limit": os.environ.get(MEMORY_LIMIT_ENV) or DEFAULT_MEMORY_LIMIT,
            "checkpoint_threshold": CHECKPOINT_THRESHOLD}


def connect(path: str | Path, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse; a file held by another process gives `DatabaseLocked`, not a traceback.

    New files are written in the storage format of `STORAGE_VERSION`. Opening an existing file in a
    newer format for writing gives `StorageFormatError`, which says how to convert it.
    """
    path = Path(path)
    if read_only and not path.exists():
        raise DatabaseLocked(f"{path} does not exist yet; run `ketamine-evidence refresh` first")
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # only writers pass the setting: a reader needs none, and DuckDB refuses a second in-process
        # connection to one file with a different configuration
        con = duckdb.connect(str(path), read_only=read_only, config={} if read_only else writer_config())
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise DatabaseLocked(
                f"{path} is open in another process (DuckDB allows one writer); close it and retry"
            ) from None
        raise
    if not read_only:
        _refuse_newer_storage(con, path)
    return con


def storage_version(con: duckdb.DuckDBPyConnection, database: str | None = None) -> str:
    """The storage format DuckDB reports for a database of the connection, e.g. `v1.0.0+`."""
    rows = con.execute(
        "select tags['storage_version'] from duckdb_databases() where database_name = coalesce(?, current_database())",
        [database]).fetchall()
    return str(rows[0][0]) if rows and rows[0][0] else "unknown"


def readable_by_old_duckdb(version: str) -> bool:
    """True for the formats DuckDB 1.1 reads (`v0.10.0+`, `v1.0.0+`; DuckDB 1.1 added none of its own)."""
    match = re.fullmatch(r"v(\d+)\.(\d+)\.\d+\+?", version)
    return match is not None and (int(match[1]), int(match[2])) <= (1, 1)


def _refuse_newer_storage(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    version = storage_version(con)
    if readable_by_old_duckdb(version):
        return
    con.close()
    raise StorageFormatError(
        f"{path} is in DuckDB's {version} storage format, which the duckdb CLI 1.5 and DuckDB before 2.0 cannot "
        f"open; convert it with `ketamine-evidence migrate-storage --db {path}` (or rebuild it by replaying your "
        "snapshots into a new --db file)")


def migrate_storage(path: str | Path) -> Path:
    """Copy every schema, table, view and sequence of `path` into a file in `STORAGE_VERSION`'s format and
    put it in its place; the original is kept beside it (returned). Row counts are compared first."""
    path = Path(path)
    if not path.exists():
        raise DatabaseLocked(f"{path} does not exist")
    backup = path.with_name(path.name + ".storage-backup")
    fresh = path.with_name(path.name + ".migrating")
    fresh.unlink(missing_ok=True)
    con = duckdb.connect(":memory:")
    try:
        con.execute("attach ? as old (read_only)", [str(path)])
        con.execute(f"attach ? as fresh (storage_version '{STORAGE_VERSION}')", [str(fresh)])
        con.execute("copy from database old to fresh")
        _check_copied(con)
    except duckdb.IOException as exc:
        raise DatabaseLocked(f"{path} could not be read for conversion: {str(exc).splitlines()[0]}") from None
    finally:
        con.close()
    path.replace(backup)
    fresh.replace(path)
    return backup


def _row_counts(con: duckdb.DuckDBPyConnection, database: str) -> dict[str, int]:
    tables = con.execute("select schema_name, table_name from duckdb_tables() where database_name = ?",
                         [database]).fetchall()
    counts = {}
    for schema, table in tables:
        query = f'select count(*) from "{database}"."{schema}"."{table}"'
        counts[f"{schema}.{table}"] = con.execute(query).fetchall()[0][0]
    return counts


def _check_copied(con: duckdb.DuckDBPyConnection) -> None:
    if _row_counts(con, "old") != _row_counts(con, "fresh"):
        raise StorageFormatError("the converted copy differs from the original; the original is unchanged")


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


@contextmanager
def bulk_gc() -> Iterator[None]:
    """For a bulk phase (landing, building): the objects alive before it (modules, vocabularies) are
    frozen out of the collector's scans and young collections run 100x less often; restored after."""
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(thresholds[0] * 100, *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()
