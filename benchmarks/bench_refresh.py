"""Refresh wall time and peak memory: the bundled sample through the CLI, and scaled snapshots.

    python benchmarks/bench_refresh.py                       # refresh --offline via the CLI, cold and repeated
    python benchmarks/bench_refresh.py --copies 1 10 100 --runs 3

The first form measures the CLI as a user runs it (Prefect's temporary server included), twice on one
file, and the same refresh as plain functions (flows/steps.py: run_refresh) without Prefect.

The second builds an Nx snapshot per size (benchmarks/make_scaled_snapshot.py: renumbered copies of
the real records) and, per run, replays it into a fresh DuckDB file with run_refresh in a child process
(the full pipeline: land raw, build, history, run record), then replays it again into the same file
(nothing changed: the incremental path). Each child reports its step times and its peak RSS, from
resource.getrusage and from sampling /proc/self/status every 20 ms per step.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

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


def bench_sample() -> None:
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


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class PeakSampler:
    """Peak resident set size while a step runs, sampled every 20 ms by a thread."""

    def __init__(self) -> None:
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, rss_mb())

    def __enter__(self) -> PeakSampler:
        self.peak = rss_mb()
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_mb())


def cpu_seconds() -> float:
    """User + system CPU time of this process, all threads (DuckDB's too): steadier than wall time on a
    shared machine."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed_step(name: str, fn: Callable[..., Any], report: dict[str, Any]) -> Callable[..., Any]:
    def run(*args: Any) -> Any:
        start, cpu = time.perf_counter(), cpu_seconds()
        with PeakSampler() as sampler:
            result = fn(*args)
        report[name] = {"seconds": round(time.perf_counter() - start, 3), "cpu": round(cpu_seconds() - cpu, 3),
                        "peak_mb": round(sampler.peak)}
        return result
    return run


def worker(snapshot: str, db: str) -> dict[str, Any]:
    """One replay of `snapshot` into `db` with run_refresh, timed per step (run in a child process)."""
    from ketamine_evidence.flows import steps as plain
    from ketamine_evidence.flows.settings import RefreshOptions

    report: dict[str, Any] = {}
    names = ("open_run", "land_raw", "build_warehouse", "record_history", "close_run")
    steps = plain.Steps(**{n: timed_step(n, getattr(plain.PLAIN, n), report) for n in names})
    start, cpu = time.perf_counter(), cpu_seconds()
    counts = plain.run_refresh(RefreshOptions(db=db, mode="snapshot", snapshot=snapshot), plain.new_run_id(),
                               steps=steps)
    report["pipeline_seconds"] = round(time.perf_counter() - start, 3)
    report["pipeline_cpu"] = round(cpu_seconds() - cpu, 3)
    report["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    con = duckdb.connect(db, read_only=True)
    try:  # a full build where an incremental one was expected means the rules changed (warehouse.build)
        report["build"] = con.execute("select mode, parsed_studies, parsed_articles from meta.build_state"
                                      " order by built_at desc limit 1").fetchall()[0]
    finally:
        con.close()
    report["counts"] = {k: counts.get(k) for k in ("ctgov_new", "pubmed_new", "pubmed_unchanged", "studies",
                                                   "publications", "outcomes")}
    return report


def replay(snapshot: Path, db: Path) -> dict[str, Any]:
    command = [sys.executable, __file__, "--worker", str(snapshot), str(db)]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    if done.returncode:
        raise SystemExit(f"the replay of {snapshot} failed:\n{done.stderr[-3000:]}")
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    report["process_seconds"] = round(time.perf_counter() - start, 3)
    return report


def bench_scaled(copies: list[int], runs: int, rerun: bool, keep: Path | None) -> None:
    from make_scaled_snapshot import originals, write_snapshot

    real = originals()
    with tempfile.TemporaryDirectory(dir=keep) as tmp:
        for n in copies:
            snapshot = Path(tmp) / f"snapshot-{n}x"
            counts = write_snapshot(snapshot, n, real)
            print(f"== {n}x: {counts['studies']} studies, {counts['articles']} articles", flush=True)
            fulls, reruns = [], []
            for run in range(runs):
                db = Path(tmp) / f"{n}x-{run}.duckdb"
                fulls.append(replay(snapshot, db))
                print(f"full   run {run + 1}: {json.dumps(fulls[-1])}", flush=True)
                if rerun:
                    reruns.append(replay(snapshot, db))
                    print(f"rerun  run {run + 1}: {json.dumps(reruns[-1])}", flush=True)
                db.unlink()
            summarize(n, fulls, reruns)


def summarize(n: int, fulls: list[dict[str, Any]], reruns: list[dict[str, Any]]) -> None:
    def line(label: str, rows: list[dict[str, Any]]) -> None:
        seconds = [r["pipeline_seconds"] for r in rows]
        cpu = [r["pipeline_cpu"] for r in rows]
        peaks = [r["peak_rss_mb"] for r in rows]
        print(f"{n}x {label}: pipeline {', '.join(f'{s:.1f}' for s in seconds)} s wall (median "
              f"{statistics.median(seconds):.1f}), {', '.join(f'{s:.1f}' for s in cpu)} s CPU; "
              f"peak RSS {', '.join(str(p) for p in peaks)} MB", flush=True)

    line("full build ", fulls)
    if reruns:
        line("unchanged rerun", reruns)
        ratio = statistics.median(r["pipeline_seconds"] for r in reruns) / statistics.median(
            r["pipeline_seconds"] for r in fulls)
        print(f"{n}x unchanged rerun / full build: {ratio:.0%}", flush=True)


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--copies", type=int, nargs="*", help="scaled snapshot sizes, e.g. 1 10 100")
    options.add_argument("--runs", type=int, default=3)
    options.add_argument("--no-rerun", action="store_true", help="skip the unchanged rerun into the same file")
    options.add_argument("--tmp", type=Path, help="where snapshots and DB files go (default: the system temp)")
    options.add_argument("--worker", nargs=2, metavar=("SNAPSHOT", "DB"), help=argparse.SUPPRESS)
    args = options.parse_args()
    if args.worker:
        print(json.dumps(worker(*args.worker)))
    elif args.copies:
        bench_scaled(args.copies, args.runs, not args.no_rerun, args.tmp)
    else:
        bench_sample()


if __name__ == "__main__":
    main()
