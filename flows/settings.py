"""Run parameters shared by the CLI and the flow."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from importlib import resources
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from ketamine_evidence.errors import ConfigError

# The bundled offline sample ships as package data (the repository's examples/snapshot/).
BUNDLED_SAMPLE = Path(str(resources.files("ketamine_evidence") / "sample"))
MODES = ("live", "snapshot", "offline")


def tool_version() -> str:
    try:
        return version("ketamine-evidence")
    except PackageNotFoundError:
        return "0+unknown"


@dataclass(frozen=True)
class RefreshOptions:
    db: str
    mode: str = "live"
    snapshot: str | None = None
    record: str | None = None
    since: date | None = None
    ctgov_cond: str | None = None
    ctgov_intr: str | None = None
    pubmed_query: str | None = None
    trigger: str = "manual"  # scheduled (a deployment's schedule), deployment (run from one by hand), manual

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ConfigError(f"--mode must be one of {', '.join(MODES)}, not {self.mode!r}")
        if self.mode == "snapshot" and not self.snapshot:
            raise ConfigError("--snapshot DIR is required to replay a snapshot")
        if self.snapshot and not Path(self.snapshot).is_dir():
            raise ConfigError(f"--snapshot {self.snapshot}: directory does not exist")
        check_since(self.mode, self.since)
        if self.mode != "live" and self.record:
            raise ConfigError("--record only applies to live runs (it saves what a live run fetched)")
        queries = [f"--{k.replace('_', '-')}" for k in ("ctgov_cond", "ctgov_intr", "pubmed_query") if getattr(self, k)]
        if self.mode != "live" and queries:
            raise ConfigError(f"{queries[0]} only applies to live runs (a replay loads the snapshot's own search)")
        if self.record and Path(self.record).is_dir() and any(Path(self.record).iterdir()):
            raise ConfigError(f"--record {self.record}: directory is not empty; give a new or empty one")

    @property
    def replay_dir(self) -> Path | None:
        if self.mode == "offline":
            return BUNDLED_SAMPLE
        return Path(self.snapshot) if self.snapshot else None

    def as_parameters(self) -> dict[str, object]:
        return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in asdict(self).items()}


def check_since(mode: str, since: object) -> None:
    if mode != "live" and since:
        raise ConfigError("--since only applies to live runs (a replay loads the whole snapshot)")


def parse_since(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"--since expects a date like 2025-01-31, got {text!r}") from None
