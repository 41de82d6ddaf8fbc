"""Snapshots: a directory of verbatim API responses plus `manifest.json`.

Layout (documented in the README):

    manifest.json          optional: format, created_at, tool_version, queries, parameters, files[]
    ctgov/*.json           API v2 /studies pages, single-study objects or website JSON exports
    pubmed/*.xml           efetch PubmedArticleSet bodies; esearch results may sit beside them

A directory without a manifest loads too (hand-collected responses). Credentials never enter a
snapshot: requests are stored through `redact_params`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ketamine_evidence.extract.errors import SnapshotError
from ketamine_evidence.extract.http import SECRET_PARAMS, redact_params

FORMAT = "ketamine-evidence-snapshot/1"
SOURCES = {"ctgov": "*.json", "pubmed": "*.xml"}


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class SnapshotFile:
    source: str
    name: str  # path relative to the snapshot root, e.g. "ctgov/page-0001.json"
    path: Path
    fetched_at: datetime | None
    request: Mapping[str, object]


@dataclass(frozen=True)
class Snapshot:
    root: Path
    manifest: Mapping[str, object] | None
    files: tuple[SnapshotFile, ...]

    def of(self, source: str) -> tuple[SnapshotFile, ...]:
        return tuple(f for f in self.files if f.source == source)

    @property
    def queries(self) -> Mapping[str, object]:
        queries = (self.manifest or {}).get("queries", {})
        if not isinstance(queries, Mapping):
            raise SnapshotError(f"{self.root / 'manifest.json'}: \"queries\" is not an object")
        return queries

    @property
    def searches(self) -> list[Mapping[str, object]]:
        """The searches the manifest logged (`SnapshotWriter.finish`); [] when it logged none."""
        searches = (self.manifest or {}).get("searches", [])
        if not isinstance(searches, list) or not all(isinstance(s, Mapping) for s in searches):
            raise SnapshotError(f"{self.root / 'manifest.json'}: \"searches\" is not a list of objects")
        return searches


def _is_esearch(path: Path) -> bool:
    with path.open("rb") as handle:
        return b"<eSearchResult" in handle.read(2048)


def _manifest_entries(root: Path, manifest: Mapping[str, object] | None) -> dict[str, Mapping[str, object]]:
    """The manifest's `files` entries by path; each must be an object with a path."""
    files = (manifest or {}).get("files", [])
    if not isinstance(files, list):
        raise SnapshotError(f"{root / 'manifest.json'}: \"files\" is not a list")
    entries: dict[str, Mapping[str, object]] = {}
    for entry in files:
        if not isinstance(entry, dict) or "path" not in entry:
            raise SnapshotError(f"{root / 'manifest.json'}: a \"files\" entry is not an object with a \"path\"")
        entries[str(entry["path"])] = entry
    return entries


def read_snapshot(root: str | Path) -> Snapshot:
    """List a snapshot's response files; check them against the manifest's hashes when there is one."""
    root = Path(root)
    if not root.is_dir():
        raise SnapshotError(f"snapshot directory {root} does not exist")
    manifest = _read_manifest(root)
    entries = _manifest_entries(root, manifest)
    if manifest is not None:
        _check_listing(root, entries)
    files = []
    for source, pattern in SOURCES.items():
        for path in sorted((root / source).glob(pattern)):
            if source == "pubmed" and _is_esearch(path):
                continue
            name = f"{source}/{path.name}"
            entry = entries.get(name, {})
            _check_hash(path, name, entry)
            fetched = entry.get("fetched_at")
            when = datetime.fromisoformat(str(fetched)) if fetched else None
            request = entry.get("request", {})
            if not isinstance(request, Mapping):
                raise SnapshotError(f"{root / 'manifest.json'}: the \"request\" of {name} is not an object")
            files.append(SnapshotFile(source, name, path, when, request))
    if not files:
        raise SnapshotError(f"snapshot {root} holds no ctgov/*.json or pubmed/*.xml files")
    return Snapshot(root, manifest, tuple(files))


def _read_manifest(root: Path) -> dict[str, object] | None:
    path = root / "manifest.json"
    if not path.exists():
        return None
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SnapshotError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(manifest, dict):
        raise SnapshotError(f"{path}: expected a JSON object")
    return manifest


def _check_listing(root: Path, entries: Mapping[str, object]) -> None:
    """With a manifest, the directory must hold exactly the response files it lists."""
    missing = sorted(name for name in entries if not (root / name).is_file())
    if missing:
        raise SnapshotError(f"{root}: manifest.json lists {missing[0]} but the file is missing"
                            + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""))
    on_disk = sorted(f"{source}/{p.name}" for source, pattern in SOURCES.items() for p in (root / source).glob(pattern))
    unlisted = [name for name in on_disk if name not in entries]
    if unlisted:
        raise SnapshotError(f"{root}: {unlisted[0]} is not listed in manifest.json (added after recording?)")


def _check_hash(path: Path, name: str, entry: Mapping[str, object]) -> None:
    expected = entry.get("sha256")
    if expected and sha256_bytes(path.read_bytes()) != expected:
        raise SnapshotError(f"{path}: sha256 differs from manifest.json (file changed after recording)")


@dataclass
class SnapshotWriter:
    """Writes fetched responses verbatim and, at the end, the manifest describing them."""

    root: Path
    tool_version: str
    files: list[dict[str, object]] = field(default_factory=list)
    created_at: datetime = field(default_factory=utcnow)

    def add(self, source: str, name: str, body: bytes, request: Mapping[str, object]) -> SnapshotFile:
        if source not in SOURCES:
            raise SnapshotError(f"unknown snapshot source {source!r}")
        path = self.root / source / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
        fetched = utcnow()
        clean = redact_params(request)
        self.files.append({
            "path": f"{source}/{name}",
            "sha256": sha256_bytes(body),
            "bytes": len(body),
            "fetched_at": fetched.isoformat(),
            "request": clean,
        })
        return SnapshotFile(source, f"{source}/{name}", path, fetched, clean)

    def discard_unlisted(self) -> list[Path]:
        """Delete response files this writer did not account for, so the snapshot matches its manifest."""
        listed = {str(f["path"]) for f in self.files}
        stray = [p for source, pattern in SOURCES.items() for p in (self.root / source).glob(pattern)
                 if f"{source}/{p.name}" not in listed]
        for path in stray:
            path.unlink()
        return stray

    def finish(self, queries: Mapping[str, object], parameters: Mapping[str, object],
               searches: list[Mapping[str, object]] | None = None) -> Path:
        manifest = {
            "format": FORMAT,
            "created_at": self.created_at.isoformat(),
            "tool_version": self.tool_version,
            "queries": queries,
            "parameters": {k: v for k, v in parameters.items() if k not in SECRET_PARAMS},
            "searches": list(searches or []),
            "files": sorted(self.files, key=lambda f: str(f["path"])),
        }
        path = self.root / "manifest.json"
        self.root.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(manifest, indent=2, default=str) + "\n", encoding="utf-8")
        return path
