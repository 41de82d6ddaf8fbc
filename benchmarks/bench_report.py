"""`report` wall time on the bundled sample and on 10x and 100x synthetic copies of its trials.

Usage: python benchmarks/bench_report.py [--factors 1 10 100]
Each factor builds a warehouse (plain functions, no Prefect) from the sample whose registry records
are copied with new NCT ids (NCT9<copy><study>), so every pooled group has `factor` times the trials;
the PubMed records are kept once. Then it times `write_report` (queries, forest plots, HTML,
Markdown) and prints how the time grows. Build time is shown for context, not measured as `report`.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SAMPLE = ROOT / "examples" / "snapshot"


def multiplied_snapshot(root: Path, factor: int) -> Path:
    """The sample with each registry file copied `factor - 1` times under new NCT ids."""
    snap = root / f"snapshot-x{factor}"
    shutil.copytree(SAMPLE, snap, ignore=shutil.ignore_patterns("expected", "provenance", "manifest.json"))
    files = sorted((snap / "ctgov").glob("NCT*.json"))
    for j, path in enumerate(files):
        text, nct_id = path.read_text(encoding="utf-8"), path.stem
        for copy in range(1, factor):
            new_id = f"NCT9{copy:04d}{j:03d}"
            (path.parent / f"{new_id}.json").write_text(text.replace(nct_id, new_id), encoding="utf-8")
    return snap


def build_warehouse(db: Path, snapshot: Path) -> float:
    from ketamine_evidence.extract.snapshot import read_snapshot
    from ketamine_evidence.warehouse.build import build
    from ketamine_evidence.warehouse.db import init_schemas
    from ketamine_evidence.warehouse.history import record_history
    from ketamine_evidence.warehouse.ingest import ingest_snapshot

    start = time.perf_counter()
    con = duckdb.connect(str(db))
    init_schemas(con)
    ingest_snapshot(con, read_snapshot(snapshot), "bench")
    build(con)
    record_history(con, "bench")
    con.close()
    return time.perf_counter() - start


def timed_report(db: Path, out: Path) -> tuple[float, int, int]:
    from ketamine_evidence.warehouse.report.writer import write_report

    con = duckdb.connect(str(db), read_only=True)
    try:
        start = time.perf_counter()
        files = write_report(con, out)
        elapsed = time.perf_counter() - start
        trials = con.execute("select count(*) from marts.study_characteristics").fetchall()[0][0]
    finally:
        con.close()
    return elapsed, trials, len(files.plots)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--factors", type=int, nargs="+", default=[1, 10, 100])
    args = parser.parse_args()
    from ketamine_evidence.warehouse.report import plots  # noqa: F401  (import matplotlib once, outside the timings)

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for factor in args.factors:
            db = root / f"x{factor}.duckdb"
            built = build_warehouse(db, multiplied_snapshot(root, factor))
            elapsed, trials, n_plots = timed_report(db, root / f"report-x{factor}")
            html_kb = (root / f"report-x{factor}" / "report.html").stat().st_size / 1024
            rows.append((factor, trials, n_plots, built, elapsed, html_kb))
    base = rows[0][4]
    print(f"{'factor':>6} {'studies':>8} {'plots':>6} {'build s':>8} {'report s':>9} {'vs x1':>6} {'html KB':>8}")
    for factor, trials, n_plots, built, elapsed, html_kb in rows:
        print(f"{factor:>6} {trials:>8} {n_plots:>6} {built:>8.2f} {elapsed:>9.2f} {elapsed / base:>6.1f} "
              f"{html_kb:>8.0f}")


if __name__ == "__main__":
    main()
