"""Throughput of registry_outcomes + abstract_outcomes on the bundled sample and on 100x copies with new ids.

Run: python benchmarks/bench_normalize.py [--copies 100]
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ketamine_evidence.transform.outcomes import abstract_outcomes, registry_outcomes  # noqa: E402
from ketamine_evidence.transform.outcomes.registry import RegistryStudy  # noqa: E402
from ketamine_evidence.warehouse.registry_input import registry_study_from_json  # noqa: E402

SAMPLE = ROOT / "examples" / "snapshot"
Study = dict[str, Any]  # an API v2 study object
Abstract = tuple[str, str, str, list[str]]  # (pmid, title, abstract text, NCT ids)


def load_studies() -> list[Study]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted((SAMPLE / "ctgov").glob("*.json"))]


def load_abstracts() -> list[Abstract]:
    out: list[Abstract] = []
    for path in sorted((SAMPLE / "pubmed").glob("*.xml")):
        for art in ET.parse(path).getroot():
            parts = []
            for node in art.iter("AbstractText"):
                text = " ".join("".join(node.itertext()).split())
                parts.append(f"{node.get('Label')}: {text}" if node.get("Label") else text)
            nct = [n.text or "" for n in art.iter("AccessionNumber")]
            out.append((art.findtext(".//PMID") or "", art.findtext(".//ArticleTitle") or "", "\n".join(parts), nct))
    return out


def copies(studies: list[Study], abstracts: list[Abstract], n: int) -> tuple[list[Study], list[Abstract]]:
    many_studies: list[Study] = []
    many_abstracts: list[Abstract] = []
    for i in range(n):
        for study in studies:
            clone = copy.deepcopy(study)
            ident = clone.setdefault("protocolSection", {}).setdefault("identificationModule", {})
            ident["nctId"] = f"NCT9{i:03d}{str(ident.get('nctId', ''))[-4:]}"
            many_studies.append(clone)
        many_abstracts.extend(
            (f"9{i:03d}{pmid}", title, text, [f"NCT9{i:03d}{x[-4:]}" for x in nct])
            for pmid, title, text, nct in abstracts
        )
    return many_studies, many_abstracts


def run(studies: list[Study], abstracts: list[Abstract]) -> tuple[int, int, float]:
    inputs: list[RegistryStudy] = [registry_study_from_json(s) for s in studies]  # the warehouse's long tables
    start = time.perf_counter()
    registry = sum(len(registry_outcomes(s)) for s in inputs)
    abstract = sum(len(abstract_outcomes(p, a, title=t, nct_ids=n)) for p, t, a, n in abstracts)
    return registry, abstract, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--copies", type=int, default=100)
    args = parser.parse_args()
    studies, abstracts = load_studies(), load_abstracts()
    run(studies[:1], abstracts[:1])
    scaled = copies(studies, abstracts, args.copies)
    for label, (s, a) in (("sample", (studies, abstracts)), (f"{args.copies}x", scaled)):
        reg, abs_, seconds = run(s, a)
        print(
            f"{label}: {len(s)} studies + {len(a)} abstracts -> {reg} registry + {abs_} abstract rows "
            f"in {seconds:.3f} s ({(reg + abs_) / seconds:,.0f} rows/s)"
        )


if __name__ == "__main__":
    main()
