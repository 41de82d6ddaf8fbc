"""Regenerate examples/snapshot/manifest.json after editing the sample's files.

The sample is hand-built from public facts (see examples/snapshot/provenance/), so its manifest says
so: `kind: sample`, and the fetch times are the time the manifest was written, not an API fetch.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ketamine_evidence.extract.ctgov.settings import DEFAULT_COND, DEFAULT_INTR  # noqa: E402
from ketamine_evidence.extract.pubmed.settings import DEFAULT_QUERY  # noqa: E402
from ketamine_evidence.extract.snapshot import FORMAT, read_snapshot, sha256_bytes, utcnow  # noqa: E402
from ketamine_evidence.warehouse.ingest import read_articles, read_studies  # noqa: E402

SNAPSHOT = ROOT / "examples" / "snapshot"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="examples/build_manifest.py",
        description=f"Rewrite {SNAPSHOT.relative_to(ROOT)}/manifest.json from the sample's files (their hashes, sizes "
                    "and the searches' hit counts). Run it after editing a file of the sample.")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    parse_args(argv)
    now = utcnow().replace(microsecond=0).isoformat()
    (SNAPSHOT / "manifest.json").unlink(missing_ok=True)
    loaded = read_snapshot(SNAPSHOT)
    entries = [{"path": f.name, "sha256": sha256_bytes(f.path.read_bytes()), "bytes": f.path.stat().st_size,
                "fetched_at": now, "request": {}} for f in loaded.files]
    studies, _ = read_studies(loaded.of("ctgov"))
    articles, _, _ = read_articles(loaded.of("pubmed"))
    manifest = {
        "format": FORMAT,
        "kind": "sample",
        "note": "Hand-built sample in the API shapes, not a live capture; see provenance/.",
        "created_at": now,
        "tool_version": "sample",
        "queries": {"ctgov": {"query.cond": DEFAULT_COND, "query.intr": DEFAULT_INTR},
                    "pubmed": DEFAULT_QUERY},
        "searches": [
            {"source": "ctgov", "query": f"cond={DEFAULT_COND}; intr={DEFAULT_INTR}",
             "hits": len({s.nct_id for s in studies})},
            {"source": "pubmed", "query": DEFAULT_QUERY, "hits": len({a.pmid for a in articles})},
        ],
        "parameters": {"mode": "sample"},
        "files": entries,
    }
    (SNAPSHOT / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {SNAPSHOT / 'manifest.json'}: {len(entries)} files")


if __name__ == "__main__":
    main()
