"""Helpers shared by the flow and CLI tests."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import duckdb

from tests.conftest import SAMPLE


def copy_sample(dest: Path, *, manifest: bool = True) -> Path:
    shutil.copytree(SAMPLE / "ctgov", dest / "ctgov")
    shutil.copytree(SAMPLE / "pubmed", dest / "pubmed")
    if manifest and (SAMPLE / "manifest.json").exists():
        shutil.copy(SAMPLE / "manifest.json", dest / "manifest.json")
    return dest


def scalar(db: Path, sql: str) -> object:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()[0][0]
    finally:
        con.close()


def table_digest(db: Path, table: str) -> str:
    """Order-independent content hash of a table."""
    return str(scalar(db, f"select coalesce(bit_xor(hash(t)), 0) || ':' || count(*) from {table} t"))


def build_sample(path: Path | str, run_id: str = "run-sample", snapshot: Path = SAMPLE,
                 started: datetime = datetime(2025, 1, 1)) -> duckdb.DuckDBPyConnection:
    """A warehouse built from a snapshot with plain functions (no Prefect), its run recorded."""
    from ketamine_evidence.extract.snapshot import read_snapshot
    from ketamine_evidence.warehouse.build import build
    from ketamine_evidence.warehouse.db import init_schemas
    from ketamine_evidence.warehouse.history import record_history
    from ketamine_evidence.warehouse.ingest import ingest_snapshot
    from ketamine_evidence.warehouse.load import finish_run, start_run

    con = duckdb.connect(str(path))
    init_schemas(con)
    start_run(con, run_id, mode="offline", snapshot_dir=str(snapshot), since=None, parameters={},
              tool_version="test", started_at=started)
    counts = ingest_snapshot(con, read_snapshot(snapshot), run_id).as_run_counts()
    counts.update(vars(build(con)))
    record_history(con, run_id)
    finish_run(con, run_id, status="success", finished_at=started.replace(minute=5), counts=counts)
    return con
