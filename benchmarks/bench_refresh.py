"""`refresh --offline` wall time, cold and repeated, and proof that a repeat adds 0 raw rows.

Usage: python benchmarks/bench_refresh.py
Measures (1) the CLI as a user runs it (Prefect's temporary server included), twice on one file,
and (2) the same refresh sequence as plain functions (flows/steps.py: run_refresh) without Prefect.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

RAW_ROWS = "select (select count(*) from raw.ctgov_study) + (select count(*) from raw.pubmed_article)"


def raw_rows(db: Path) -> int:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return int(con.execute(RAW_ROWS).fetchall()[0][0])
    finally:
        con.close()


def timed_cli(db: Path) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "ketamine_evidence.flows.cli", "refresh", "--offline", "--db", str(db)],
                   cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - start


def timed_functions(db: Path) -> float:
    from ketamine_evidence.flows.settings import RefreshOptions
    from ketamine_evidence.flows.steps import new_run_id, run_refresh

    start = time.perf_counter()
    run_refresh(RefreshOptions(db=str(db), mode="offline"), new_run_id())
    return time.perf_counter() - start


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.duckdb"
        cold = timed_cli(db)
        rows_after_first = raw_rows(db)
        warm = timed_cli(db)
        added = raw_rows(db) - rows_after_first
        plain = timed_functions(Path(tmp) / "plain.duckdb")
    print(f"refresh --offline (CLI, cold, new DB):      {cold:6.2f} s")
    print(f"refresh --offline (CLI, same DB, repeated): {warm:6.2f} s   raw rows added: {added}")
    print(f"same refresh without Prefect (new DB):      {plain:6.2f} s")


if __name__ == "__main__":
    main()
