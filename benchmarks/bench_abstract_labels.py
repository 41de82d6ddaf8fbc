"""Abstract extraction against the hand labels (tests/data/abstract_labels/), per split and kind, and its speed.

    PYTHONPATH=. python benchmarks/bench_abstract_labels.py [--runs 3] [--show-dev]

Accuracy: per split (and the dev split's two labelling rounds, A and D), per outcome kind: precision and
recall of the rows written without a doubt, recall counting held rows too, and the non-outcome numbers
taken; then how precision varies with the row's confidence and with needs_review (all rows, held or
not), and which flag holds the held rows. Rows are scored before the registry check, as in the test.

Speed: abstract_outcomes over every record of the real esketamine search (1,063 abstracts), on one core,
`--runs` times with the extractor's caches emptied before each run; CPU time is the figure to read on a
shared machine (wall time counts the other processes too).

`--show-dev` lists the dev split's wrong rows and missed targets (rules are tuned on dev only; the test
split is never listed).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.abstract_labels import KINDS, Score, extract, records, score  # noqa: E402

SEARCH = ROOT.parent / "shared" / "data" / "raw" / "meta-harness" / "esketamine-trd-madrs"
SETS = (("dev", None), ("dev", "A"), ("dev", "D"), ("test", None))


def _line(name: str, kind: str, s: Score) -> str:
    recall_any = s.found_any / s.targets if s.targets else 1.0
    rate = f"{s.non_outcomes_taken}/{s.non_outcomes} ({s.non_outcome_rate:.1%})"
    return (f"{name:7} {kind:15} targets {s.targets:3}  rows {s.rows:3}  held {s.held:3}  precision {s.precision:.3f}"
            f"  recall {s.recall:.3f}  recall incl. held {recall_any:.3f}  non-outcomes taken {rate}")


def _ratio(counts: list[int]) -> str:
    return f"{counts[1] / counts[0]:.3f} ({counts[1]}/{counts[0]})" if counts[0] else "-"


def accuracy() -> None:
    for split, labeller in SETS:
        name = split + (f"/{labeller}" if labeller else "")
        whole = score(split, SEARCH, KINDS, labeller)
        print(_line(name, "all kinds", whole))
        for kind in KINDS:
            s = score(split, SEARCH, (kind,), labeller)
            if s.targets or s.rows or s.held:
                print(_line(name, kind, s))
        _confidence(name, whole)
        print()


def _confidence(name: str, s: Score) -> None:
    levels = sorted(s.by_level.items(), key=lambda kv: (kv[0][1], kv[0][0]))
    cells = [f"{conf}{' held' if held else ''} {_ratio(c)}" for (conf, held), c in levels]
    print(f"{name:7} precision by confidence, needs_review: " + "; ".join(cells))
    held = [sum(c[i] for (_, h), c in s.by_level.items() if h) for i in (0, 1)]
    unheld = [sum(c[i] for (_, h), c in s.by_level.items() if not h) for i in (0, 1)]
    print(f"{name:7} precision by needs_review: false {_ratio(unheld)}; true {_ratio(held)}"
          f"; non-outcomes under any row {s.non_outcomes_under_any}/{s.non_outcomes}")
    reasons = sorted(s.by_reason.items(), key=lambda kv: -kv[1][0])
    print(f"{name:7} held rows by flag (right/held): " + "; ".join(f"{k} {c[1]}/{c[0]}" for k, c in reasons))


def show_dev() -> None:
    s = score("dev", SEARCH)
    print("dev wrong rows (written without a doubt, matching no target):")
    print("\n".join(f"  {w}" for w in s.wrong))
    print("dev missed targets (no unheld row matches):")
    print("\n".join(f"  {m}" for m in s.missed))


def speed(runs: int) -> None:
    every = list(records(SEARCH, _all_pmids()).values())
    for run in range(1, runs + 1):
        _clear_caches()
        start, cpu = time.perf_counter(), time.process_time()
        for fields in every:
            extract(fields)
        took, cpu = time.perf_counter() - start, time.process_time() - cpu
        print(f"speed run {run}: {len(every)} abstracts in {took:.2f} s wall, {cpu:.2f} s CPU"
              f" = {len(every) / cpu:,.0f} abstracts per CPU second")


def _clear_caches() -> None:
    from ketamine_evidence.transform.outcomes import arms

    arms._find_mentions.cache_clear()


def _all_pmids() -> set[str]:
    from ketamine_evidence.extract.pubmed.parse import ArticleRecord, iter_pubmed_xml

    found = set()
    for path in [SEARCH / "comparator_named_pubmed.xml", *sorted((SEARCH / "search-records").glob("efetch-*.xml"))]:
        found |= {r.pmid for r in iter_pubmed_xml(path, name=path.name) if isinstance(r, ArticleRecord)}
    return found


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--show-dev", action="store_true")
    parser.add_argument("--no-accuracy", action="store_true")
    args = parser.parse_args()
    if args.show_dev:
        show_dev()
    if not args.no_accuracy:
        accuracy()
    speed(args.runs)
