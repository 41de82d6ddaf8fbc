"""The wheel is one package with its data: it builds the warehouse from any folder, without the source tree.

`.ci/run` also installs the wheel into a fresh virtual environment and runs
`ketamine-evidence refresh --offline` there (the Prefect server start-up makes that too slow here).
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT

BUILD_FROM_INSTALLED = """
import duckdb, ketamine_evidence
from ketamine_evidence.extract.snapshot import read_snapshot
from ketamine_evidence.flows.settings import BUNDLED_SAMPLE
from ketamine_evidence.warehouse.build import build
from ketamine_evidence.warehouse.db import init_schemas
from ketamine_evidence.warehouse.ingest import ingest_snapshot
con = duckdb.connect("w.duckdb")
init_schemas(con)
ingest_snapshot(con, read_snapshot(BUNDLED_SAMPLE), "run-wheel")
print(ketamine_evidence.__file__, build(con).outcomes)
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if importlib.util.find_spec("setuptools") is None:
        pytest.skip("setuptools is not installed (pip install -e '.[dev]' brings it)")
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        cwd=out,
    )
    (found,) = out.glob("ketamine_evidence-*.whl")
    return found


def test_wheel_holds_one_top_level_package_and_its_data(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/", 1)[0] for n in names if not n.split("/", 1)[0].endswith(".dist-info")}
    assert tops == {"ketamine_evidence"}
    for data in (
        "ketamine_evidence/sample/manifest.json",
        "ketamine_evidence/sample/pubmed/efetch-sample.xml",
        "ketamine_evidence/transform/claims.yaml",
        "ketamine_evidence/warehouse/sql/core/study.sql",
    ):
        assert data in names, data
    assert any(n.startswith("ketamine_evidence/transform/outcomes/data/") and n.endswith(".csv") for n in names)


def test_installed_wheel_builds_the_sample_from_another_folder(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
    )
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target)}
    run = subprocess.run(
        [sys.executable, "-c", BUILD_FROM_INSTALLED], cwd=work, env=env, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr[-2000:]
    where, outcomes = run.stdout.split()
    assert Path(where).is_relative_to(target), "imported the source tree, not the installed wheel"
    assert int(outcomes) == 73
