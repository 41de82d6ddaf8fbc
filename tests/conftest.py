from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
RAW = SHARED / "data" / "raw"
SAMPLE = ROOT / "examples" / "snapshot"


def shared_path(*parts: str) -> Path:
    """A file under ../shared/data/raw, or skip the test with the reason it is missing."""
    path = RAW.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared fixture {path} is missing (expected ../shared beside the checkout)")
    return path


@pytest.fixture
def raw_dir() -> Path:
    return shared_path()


@pytest.fixture
def con():
    """A fresh in-memory DuckDB per test."""
    import duckdb

    connection = duckdb.connect(":memory:")
    yield connection
    connection.close()
