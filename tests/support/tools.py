"""External programs some tests need (the duckdb CLI, R with metafor): skipped where missing, unless
KETAMINE_EVIDENCE_REQUIRE_TOOLS is set (as `.ci/run` does), where a missing program fails the test."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import NoReturn

import pytest

REQUIRE_ENV = "KETAMINE_EVIDENCE_REQUIRE_TOOLS"


def missing(reason: str) -> NoReturn:
    if os.environ.get(REQUIRE_ENV):
        pytest.fail(f"{reason}; {REQUIRE_ENV} is set (as in CI), so this is a failure, not a skip")
    pytest.skip(reason)


def duckdb_cli() -> Path:
    """The duckdb CLI of the duckdb-cli package (1.x): beside this Python first, then on PATH."""
    beside = Path(sys.executable).parent / "duckdb"
    found = beside if beside.exists() else Path(shutil.which("duckdb") or "")
    if not found.name:
        missing("no duckdb CLI found (pip install -e '.[dev]' installs duckdb-cli)")
    version = subprocess.run([str(found), "--version"], capture_output=True, text=True, timeout=60).stdout
    if not version.startswith("v1."):
        missing(f"{found} is DuckDB {version.strip() or '?'}, not the 1.x CLI of the duckdb-cli package")
    return found


def rscript_with_metafor() -> str:
    rscript = shutil.which("Rscript")
    if rscript is None:
        missing("Rscript is not installed (apt-get install -y r-cran-metafor)")
    probe = subprocess.run([rscript, "-e", "library(metafor)"], capture_output=True, text=True, timeout=120)
    if probe.returncode != 0:
        missing("R's metafor package is not installed (apt-get install -y r-cran-metafor)")
    return rscript
