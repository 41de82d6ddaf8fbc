from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

# Property tests check outcomes, not speed: a loaded 2-core CI machine must not fail them on timing.
settings.register_profile("project", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("project")

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


@pytest.fixture(scope="session")
def sample_db(tmp_path_factory) -> Path:
    """A warehouse file built once from the bundled sample with plain functions (no Prefect)."""
    from tests.flow_support import build_sample

    path = tmp_path_factory.mktemp("sample") / "sample.duckdb"
    build_sample(path).close()
    return path


@pytest.fixture(scope="session")
def sample(sample_db: Path):
    """A read-only connection to the sample warehouse."""
    import duckdb

    connection = duckdb.connect(str(sample_db), read_only=True)
    yield connection
    connection.close()
