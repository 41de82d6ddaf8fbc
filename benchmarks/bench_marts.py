"""Trial selection and pooling in the two marts (`evidence_summary`, `claim_check`) as trials grow.

Usage: python benchmarks/bench_marts.py [--factors 1 10 50 100] [--runs 3]
Builds the bundled sample once (offline, plain functions), reads the rows the pools use, and copies them
`factor` times under new study keys (synthetic copies, so every pooled group has `factor` times the
trials). Then times `transform.meta.evidence_summary` and `transform.verdicts.check_claims` on each.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def sample_rows() -> pd.DataFrame:
    from ketamine_evidence.flows.settings import RefreshOptions
    from ketamine_evidence.flows.steps import run_refresh
    from ketamine_evidence.warehouse.models import SYNTHESIS_ROWS

    db = Path(tempfile.mkdtemp()) / "sample.duckdb"
    run_refresh(RefreshOptions(db=str(db), mode="offline"), "bench-marts")
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(SYNTHESIS_ROWS).df()


def copies(rows: pd.DataFrame, factor: int) -> pd.DataFrame:
    return pd.concat([rows.assign(study_key=rows["study_key"] + f"-{i}", outcome_id=rows["outcome_id"] + f"-{i}")
                      for i in range(factor)], ignore_index=True)


def main() -> None:
    from ketamine_evidence.transform.claims import load_claims
    from ketamine_evidence.transform.meta import evidence_summary
    from ketamine_evidence.transform.verdicts import check_claims

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--factors", type=int, nargs="+", default=[1, 10, 50, 100])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    rows, claims = sample_rows(), load_claims()
    for factor in args.factors:
        frame = copies(rows, factor)
        for run in range(1, args.runs + 1):
            start = time.perf_counter()
            summary = evidence_summary(frame)
            middle = time.perf_counter()
            check_claims(claims, summary, frame)
            end = time.perf_counter()
            trials = frame["study_key"].nunique()
            print(f"x{factor} run {run}: {trials} trials, {len(frame)} rows: evidence_summary {middle - start:.2f} s"
                  f" ({1000 * (middle - start) / trials:.2f} ms/trial), claim_check {end - middle:.2f} s")


if __name__ == "__main__":
    main()
