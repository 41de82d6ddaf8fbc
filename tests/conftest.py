from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, settings

# Read when Prefect is first imported, so set here, before any test module imports it. The temporary
# Prefect server migrates a fresh database on start: on a loaded 2-core machine that can take far
# longer than Prefect's 20 s default.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")

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
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    """A fresh in-memory DuckDB per test."""
    connection = duckdb.connect(":memory:")
    yield connection
    connection.close()


@pytest.fixture(scope="session")
def prefect_api() -> Iterator[str]:
    """One temporary Prefect backend for the whole session, started by the first test that needs it.

    Yields its API URL, so a CLI subprocess can use the same server instead of starting its own.
    Only tests whose subject is the flow (or the CLI running it) ask for this; the rest call the
    plain functions of flows/steps.py.
    """
    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    timeout = int(os.environ["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"])
    with prefect_test_harness(server_startup_timeout=timeout):
        yield str(PREFECT_API_URL.value())


@pytest.fixture(scope="session")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse file built once from the bundled sample with plain functions (no Prefect)."""
    from tests.flow_support import build_sample

    path = tmp_path_factory.mktemp("sample") / "sample.duckdb"
    build_sample(path).close()
    return path


@pytest.fixture(scope="session")
def sample(sample_db: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the sample warehouse."""
    connection = duckdb.connect(str(sample_db), read_only=True)
    yield connection
    connection.close()
