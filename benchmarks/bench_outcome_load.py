"""On-demand benchmark: bulk-load outcome_measurement staging rows and build core.outcome_measurement.

The rows repeat the real SUSTAIN-1 (NCT02493868) and ESCAPE-TRD (NCT04338321) outcome measures
from ../shared/data/raw/meta-harness/esketamine-trd-madrs/ctgov_results under new NCT ids.

    python benchmarks/bench_outcome_load.py [--rows 1000000] [--db :memory:]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import duckdb
import numpy as np
import pandas as pd  # type: ignore[import-untyped, unused-ignore]  # no pandas-stubs in the venv

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ketamine_evidence.extract.ctgov.parse import flatten_study  # noqa: E402
from ketamine_evidence.warehouse.build import contract  # noqa: E402
from ketamine_evidence.warehouse.frames import insert_frame  # noqa: E402
from ketamine_evidence.warehouse.sql_files import objects  # noqa: E402

RESULTS = ROOT.parent / "shared" / "data" / "raw" / "meta-harness" / "esketamine-trd-madrs" / "ctgov_results"
TRIALS = ("NCT02493868", "NCT04338321")
T = TypeVar("T")


def load_trials() -> list[dict]:
    return [
        {
            "protocolSection": {"identificationModule": {"nctId": stem}},
            "resultsSection": {
                "outcomeMeasuresModule": {"outcomeMeasures": json.loads((RESULTS / f"{stem}.json").read_bytes())}
            },
            "hasResults": True,
        }
        for stem in TRIALS
    ]


def flatten_rows(trials: list[dict], times: int) -> list[dict]:
    """Measurement rows of the trials, flattened `times` times (the last pass is returned)."""
    rows: list[dict] = []
    for _ in range(times):
        rows = [r for s in trials for r in flatten_study(s, raw_sha256="x")["ctgov_outcome_measurement"]]
    return rows


def repeated(base: pd.DataFrame, total: int) -> pd.DataFrame:
    """`total` rows: copies of `base`, copy k under the NCT id NCT9xxxxxxx numbered k."""
    copies = -(-total // len(base))
    frame = pd.concat([base] * copies, ignore_index=True).iloc[:total].copy()
    copy_no = np.arange(len(frame)) // len(base)
    suffix = pd.Series(copy_no).astype(str).str.zfill(7)
    frame["nct_id"] = "NCT9" + suffix + "_" + frame["nct_id"].str[-2:]
    frame["raw_sha256"] = frame["nct_id"]
    return frame


def study_frame(measurements: pd.DataFrame) -> pd.DataFrame:
    ids = measurements["nct_id"].drop_duplicates()
    return pd.DataFrame({"nct_id": ids, "raw_sha256": ids, "has_results": "true"})


def timed(label: str, rows: int, step: Callable[[], T]) -> T:
    start = time.perf_counter()
    result = step()
    seconds = time.perf_counter() - start
    print(f"{label:<42} {rows:>10,} rows {seconds:8.2f} s {rows / seconds:>12,.0f} rows/s")
    return result


def build_core(con: duckdb.DuckDBPyConnection, names: tuple[str, ...]) -> None:
    con.execute("create schema if not exists core")
    for obj in objects("core"):
        if obj.name in names:
            con.execute(obj.sql)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--db", default=":memory:")
    args = parser.parse_args(argv)

    trials = load_trials()
    per_pass = len(flatten_rows(trials, 1))
    print(f"{per_pass:,} real measurement rows in SUSTAIN-1 + ESCAPE-TRD")
    base = pd.DataFrame.from_records(
        timed("flatten_study (Python, 100 passes)", per_pass * 100, lambda: flatten_rows(trials, 100))
    )
    frame = timed("generate staging rows (pandas)", args.rows, lambda: repeated(base, args.rows))
    studies = study_frame(frame)
    con = duckdb.connect(args.db)
    con.execute("create schema staging")
    for table in ("staging.ctgov_study", "staging.ctgov_outcome_measurement"):
        con.execute(contract(table).ddl())
    timed("insert staging.ctgov_study", len(studies), lambda: insert_frame(con, "staging.ctgov_study", studies))
    timed("insert staging.ctgov_outcome_measurement", args.rows,
          lambda: insert_frame(con, "staging.ctgov_outcome_measurement", frame))
    timed("build core.study", len(studies), lambda: build_core(con, ("study",)))
    timed("build core.outcome_measurement", args.rows, lambda: build_core(con, ("outcome_measurement",)))
    (count, numeric), = con.execute(
        "select count(*), count(value_num) from core.outcome_measurement").fetchall()
    print(f"core.outcome_measurement: {count:,} rows, {numeric:,} with a numeric value")
    con.close()


if __name__ == "__main__":
    main()
