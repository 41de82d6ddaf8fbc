"""Abstract extraction against the hand labels (tests/data/abstract_labels/), per split and kind, and its speed.

    PYTHONPATH=. python benchmarks/bench_abstract_labels.py

Speed: abstract_outcomes over every record of the real esketamine search (1,063 abstracts), on one core.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.abstract_labels import KINDS, extract, records, score  # noqa: E402

SEARCH = ROOT.parent / "shared" / "data" / "raw" / "meta-harness" / "esketamine-trd-madrs"


def accuracy() -> None:
    for split in ("dev", "test"):
        for kinds in (KINDS, *((k,) for k in KINDS)):
            s = score(split, SEARCH, kinds)
            if not s.targets and not s.rows:
                continue
            name = "+".join(kinds)
            print(f"{split:4} {name:42} targets {s.targets:3}  rows {s.rows:3}"
                  f"  held {s.held:3}  precision {s.precision:.3f}  recall {s.recall:.3f}"
                  f"  recall incl. held {s.found_any / s.targets if s.targets else 1:.3f}"
                  f"  non-outcomes taken {s.non_outcomes_taken}/{s.non_outcomes}")
        print(f"{split:4} precision by confidence: {score(split, SEARCH).by_confidence}")


def speed() -> None:
    every = records(SEARCH, _all_pmids())
    start = time.perf_counter()
    for fields in every.values():
        extract(fields)
    took = time.perf_counter() - start
    print(f"speed: {len(every)} abstracts in {took:.2f} s = {len(every) / took:,.0f} abstracts/s")


def _all_pmids() -> set[str]:
    from ketamine_evidence.extract.pubmed.parse import ArticleRecord, iter_pubmed_xml

    found = set()
    for path in [SEARCH / "comparator_named_pubmed.xml", *sorted((SEARCH / "search-records").glob("efetch-*.xml"))]:
        found |= {r.pmid for r in iter_pubmed_xml(path, name=path.name) if isinstance(r, ArticleRecord)}
    return found


if __name__ == "__main__":
    accuracy()
    speed()
