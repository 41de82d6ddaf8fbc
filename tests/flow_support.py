"""Helpers shared by the flow and CLI tests."""

from __future__ import annotations

import shutil
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
