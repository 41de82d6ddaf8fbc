"""The example scripts as a maintainer runs them: build_manifest.py's help, and the README's figures
(examples/readme_figures.py) against what the current code builds from the bundled sample."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ROOT, SAMPLE


def test_build_manifest_help_prints_help_and_leaves_the_manifest_alone() -> None:
    before = (SAMPLE / "manifest.json").read_bytes()
    for argv, code in ((["--help"], 0), (["--bogus"], 2)):
        run = subprocess.run([sys.executable, "examples/build_manifest.py", *argv], capture_output=True, text=True,
                             cwd=ROOT, timeout=120)
        assert run.returncode == code and "usage: examples/build_manifest.py" in run.stdout + run.stderr
    assert (SAMPLE / "manifest.json").read_bytes() == before


def test_the_readme_quotes_the_figures_the_code_builds(capsys: pytest.CaptureFixture[str]) -> None:
    sys.path.insert(0, str(ROOT / "examples"))
    try:
        import readme_figures
    finally:
        sys.path.remove(str(ROOT / "examples"))

    assert readme_figures.main([]) == 0, capsys.readouterr().out
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) >= 9 and all(line.startswith("ok") for line in lines)
    # and a figure the README words differently is caught
    assert readme_figures.check({"records": "11 registry records"}, "holds 12 registry records")[0].startswith(
        "DIFFERS")
