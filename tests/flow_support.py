"""Helpers shared by the flow and CLI tests."""

from __future__ import annotations

import itertools
import shutil
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from tests.conftest import SAMPLE

CORE_TABLES = (
    "core.study",
    "core.publication",
    "core.outcome_measurement",
    "core.outcome",
    "core.study_publication",
    "core.screening",
    "marts.evidence_summary",
    "marts.claim_check",
    "marts.prisma_flow",
    "marts.study_characteristics",
)


def copy_sample(dest: Path, *, manifest: bool = True) -> Path:
    shutil.copytree(SAMPLE / "ctgov", dest / "ctgov")
    shutil.copytree(SAMPLE / "pubmed", dest / "pubmed")
    if manifest and (SAMPLE / "manifest.json").exists():
        shutil.copy(SAMPLE / "manifest.json", dest / "manifest.json")
    return dest


def scalar(db: Path, sql: str) -> Any:  # whatever DuckDB returns for the column: int, str, list, ...
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()[0][0]
    finally:
        con.close()


def table_digest(db: Path, table: str) -> str:
    """Order-independent content hash of a table."""
    return str(scalar(db, f"select coalesce(bit_xor(hash(t)), 0) || ':' || count(*) from {table} t"))


def build_sample(
    path: Path | str, run_id: str = "run-sample", snapshot: Path = SAMPLE, started: datetime = datetime(2025, 1, 1)
) -> duckdb.DuckDBPyConnection:
    """A warehouse built from a snapshot by the refresh's plain functions (no Prefect), its run
    recorded as started at `started` and finished 5 minutes later."""
    from ketamine_evidence.flows.settings import RefreshOptions
    from ketamine_evidence.flows.steps import run_refresh

    bundled = snapshot.resolve() == SAMPLE.resolve()
    options = (
        RefreshOptions(db=str(path), mode="offline")
        if bundled
        else RefreshOptions(db=str(path), mode="snapshot", snapshot=str(snapshot))
    )
    clock = itertools.chain([started], itertools.repeat(started + timedelta(minutes=5))).__next__
    run_refresh(options, run_id, clock=clock)
    return duckdb.connect(str(path))
