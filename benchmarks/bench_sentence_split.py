"""Sentence splitters on real abstracts: the extractor's own rules against pysbd and nupunkt (when installed).

    PYTHONPATH=. python benchmarks/bench_sentence_split.py

Scored on the search records outside the labelled test split (dev labels and unlabelled records), per line of
the stored abstract (a section label line is never crossed). A boundary is counted as a bad cut when it falls
inside a labelled figure span (dev labels), inside brackets that are still open, right after an abbreviation
("vs.", "approx.", "e.g.", "et al.", "Fig."), or before an all-lowercase word. A missed boundary is a ". "
after a lowercase word of three letters or more, followed by a capital, a digit or a mixed-case word ("rTMS"),
that the splitter did not cut.
"""

from __future__ import annotations

import importlib
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ketamine_evidence.transform.outcomes.spans import sentences  # noqa: E402
from tests.support.abstract_labels import label_rows, records  # noqa: E402

SEARCH = ROOT.parent / "shared" / "data" / "raw" / "meta-harness" / "esketamine-trd-madrs"
_ABBREV = re.compile(r"(?:\bvs|\bapprox|\be\.g|\bi\.e|\bet al|\bFig|\bca|\bincl|\bresp|\bNo)\.\s*$", re.IGNORECASE)
_LIKELY_END = re.compile(r"\b[a-z]{3,}[.](?=\s+(?:[A-Z0-9]|[a-z]+[A-Z]))")
_LOWER_WORD = re.compile(r"[a-z][a-z-]*\b")

Splitter = Callable[[str], list[int]]


def _own(line: str) -> list[int]:
    return [start for start, _ in sentences(line)][1:]


def _optional(name: str) -> Any:
    """A splitter package when installed (neither is a project dependency)."""
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def _pysbd() -> Splitter | None:
    pysbd = _optional("pysbd")
    if pysbd is None:
        return None
    seg = pysbd.Segmenter(language="en", clean=False, char_span=True)
    return lambda line: [s.start for s in seg.segment(line)][1:]


def _nupunkt() -> Splitter | None:
    nupunkt = _optional("nupunkt")
    if nupunkt is None:
        return None
    return lambda line: [start for start, _ in nupunkt.sent_spans(line)][1:]


def _cuts(line: str, starts: list[int], spans: list[tuple[int, int]]) -> dict[str, int]:
    out = {"boundaries": len(starts), "in_figure": 0, "open_bracket": 0, "abbreviation": 0, "lowercase": 0}
    for b in starts:
        before = line[:b]
        out["in_figure"] += any(s < b < e for s, e in spans)
        out["open_bracket"] += before.count("(") + before.count("[") > before.count(")") + before.count("]")
        out["abbreviation"] += bool(_ABBREV.search(before))
        out["lowercase"] += _LOWER_WORD.match(line, b) is not None
    ends = {m.end() for m in _LIKELY_END.finditer(line)}
    out["missed"] = sum(not any(e <= b <= e + 3 for b in starts) for e in ends)
    return out


def main() -> None:
    test = {a["pmid"] for a in label_rows("abstracts") if a["split"] == "test"}
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_abstract_labels import _all_pmids

    fields = records(SEARCH, _all_pmids() - test)
    figures: dict[str, list[tuple[int, int]]] = {}
    for f in label_rows("figures"):
        figures.setdefault(f["pmid"], []).append((int(f["span_start"]), int(f["span_end"])))
    splitters = {"own rules": _own, "pysbd 0.3.4": _pysbd(), "nupunkt 0.8.0": _nupunkt()}
    for name, split in splitters.items():
        if split is None:
            print(f"{name:14} not installed")
            continue
        total: dict[str, int] = {}
        start = time.perf_counter()
        for pmid, record in fields.items():
            offset = 0
            for line in (record["abstract"] or "").split("\n"):
                spans = [(s - offset, e - offset) for s, e in figures.get(pmid, []) if offset <= s < offset + len(line)]
                for k, v in _cuts(line, split(line), spans).items():
                    total[k] = total.get(k, 0) + v
                offset += len(line) + 1
        took = time.perf_counter() - start
        print(f"{name:14} {len(fields)} abstracts  " + "  ".join(f"{k} {v}" for k, v in total.items())
              + f"  {len(fields) / took:,.0f} abstracts/s")


if __name__ == "__main__":
    main()
