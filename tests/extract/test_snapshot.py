"""Snapshot directories: writing, manifest hashes, replaying hand-collected responses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ketamine_evidence.extract.errors import SnapshotError
from ketamine_evidence.extract.snapshot import SnapshotWriter, read_snapshot

ESEARCH = b'<?xml version="1.0"?>\n<eSearchResult><Count>1</Count></eSearchResult>'
EFETCH = b'<?xml version="1.0"?>\n<PubmedArticleSet></PubmedArticleSet>'


def write_sample(root: Path) -> SnapshotWriter:
    writer = SnapshotWriter(root, "test")
    writer.add("ctgov", "page-0001.json", b'{"studies": []}', {"query.intr": "ketamine", "pageSize": 1000})
    writer.add(
        "pubmed", "esearch-0001.xml", ESEARCH, {"term": "ketamine", "api_key": "SECRET-KEY", "email": "me@example.org"}
    )
    writer.add("pubmed", "efetch-0001.xml", EFETCH, {"retstart": 0})
    writer.finish(queries={"pubmed": "ketamine"}, parameters={"api_key": "SECRET-KEY", "since": None})
    return writer


def test_round_trip_lists_responses_and_skips_esearch(tmp_path: Path) -> None:
    write_sample(tmp_path)
    snap = read_snapshot(tmp_path)
    assert [f.name for f in snap.files] == ["ctgov/page-0001.json", "pubmed/efetch-0001.xml"]
    assert snap.queries == {"pubmed": "ketamine"}
    assert snap.of("ctgov")[0].request == {"query.intr": "ketamine", "pageSize": 1000}
    assert snap.of("ctgov")[0].fetched_at is not None


def test_credentials_never_reach_the_recording(tmp_path: Path) -> None:
    write_sample(tmp_path)
    for path in tmp_path.rglob("*"):
        if path.is_file():
            text = path.read_text()
            assert "SECRET-KEY" not in text and "me@example.org" not in text, path


def test_manifest_hash_mismatch_names_the_file(tmp_path: Path) -> None:
    write_sample(tmp_path)
    (tmp_path / "ctgov" / "page-0001.json").write_bytes(b'{"studies": [1]}')
    with pytest.raises(SnapshotError, match=r"page-0001\.json: sha256 differs"):
        read_snapshot(tmp_path)


def test_directory_without_manifest_loads(tmp_path: Path) -> None:
    (tmp_path / "ctgov").mkdir()
    (tmp_path / "ctgov" / "NCT00000000.json").write_text("{}")
    snap = read_snapshot(tmp_path)
    assert snap.manifest is None and [f.name for f in snap.files] == ["ctgov/NCT00000000.json"]
    assert snap.files[0].fetched_at is None


@pytest.mark.parametrize("content", [None, "not json", "[1, 2]"])
def test_bad_snapshot_directories(tmp_path: Path, content: str | None) -> None:
    if content is not None:
        (tmp_path / "ctgov").mkdir()
        (tmp_path / "ctgov" / "a.json").write_text("{}")
        (tmp_path / "manifest.json").write_text(content)
    with pytest.raises(SnapshotError, match=str(tmp_path)):
        read_snapshot(tmp_path)


def test_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(SnapshotError, match="does not exist"):
        read_snapshot(tmp_path / "nope")


def test_manifest_records_hashes(tmp_path: Path) -> None:
    write_sample(tmp_path)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["format"] == "ketamine-evidence-snapshot/1"
    assert {f["path"] for f in manifest["files"]} == {
        "ctgov/page-0001.json",
        "pubmed/esearch-0001.xml",
        "pubmed/efetch-0001.xml",
    }
    assert all(len(f["sha256"]) == 64 for f in manifest["files"])


def test_manifest_and_directory_must_agree(tmp_path: Path) -> None:
    write_sample(tmp_path)
    (tmp_path / "ctgov" / "extra.json").write_text("{}")
    with pytest.raises(SnapshotError, match=r"ctgov/extra\.json is not listed in manifest\.json"):
        read_snapshot(tmp_path)
    (tmp_path / "ctgov" / "extra.json").unlink()
    (tmp_path / "pubmed" / "efetch-0001.xml").unlink()
    with pytest.raises(SnapshotError, match=r"lists pubmed/efetch-0001\.xml but the file is missing"):
        read_snapshot(tmp_path)


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        ({"files": None}, r'"files" is not a list'),
        ({"files": {"ctgov/a.json": {}}}, r'"files" is not a list'),
        ({"files": ["ctgov/a.json"]}, r'a "files" entry is not an object with a "path"'),
        ({"files": [{"sha256": "0" * 64}]}, r'a "files" entry is not an object with a "path"'),
        (
            {"files": [{"path": "ctgov/a.json", "request": "query.intr=ketamine"}]},
            r'the "request" of ctgov/a\.json is not an object',
        ),
    ],
)
def test_malformed_manifest_entries_are_snapshot_errors(tmp_path: Path, manifest: dict, message: str) -> None:
    (tmp_path / "ctgov").mkdir()
    (tmp_path / "ctgov" / "a.json").write_text("{}")
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(SnapshotError, match=message):
        read_snapshot(tmp_path)


def test_malformed_manifest_queries_are_a_snapshot_error(tmp_path: Path) -> None:
    (tmp_path / "ctgov").mkdir()
    (tmp_path / "ctgov" / "a.json").write_text("{}")
    (tmp_path / "manifest.json").write_text(json.dumps({"files": [{"path": "ctgov/a.json"}], "queries": ["x"]}))
    snap = read_snapshot(tmp_path)
    with pytest.raises(SnapshotError, match=r'"queries" is not an object'):
        _ = snap.queries


def test_searches_logged_by_the_writer(tmp_path: Path) -> None:
    writer = write_sample(tmp_path)
    assert read_snapshot(tmp_path).searches == []
    writer.finish(queries={}, parameters={}, searches=[{"source": "pubmed", "query": "ketamine", "hits": 1}])
    assert read_snapshot(tmp_path).searches == [{"source": "pubmed", "query": "ketamine", "hits": 1}]
    (tmp_path / "manifest.json").write_text(
        json.dumps({**json.loads((tmp_path / "manifest.json").read_text()), "searches": ["pubmed"]})
    )
    with pytest.raises(SnapshotError, match=r'"searches" is not a list of objects'):
        _ = read_snapshot(tmp_path).searches
