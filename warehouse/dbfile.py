"""Where the warehouse file is, and checks on the `--db` path a user gives, made before any command
opens or creates it. No DuckDB here: the CLI builds its parser from this module, and must stay quick.
"""

from __future__ import annotations

import os
from pathlib import Path

from ketamine_evidence.errors import ConfigError

DEFAULT_DB = Path("data") / "ketamine_evidence.duckdb"
DB_ENV = "KETAMINE_EVIDENCE_DB"
MAGIC = b"DUCK"  # DuckDB's main header: an 8-byte checksum, then these four bytes
MAGIC_AT = 8


def default_db() -> str:
    """The warehouse file when none is given: $KETAMINE_EVIDENCE_DB, else data/ketamine_evidence.duckdb."""
    return os.environ.get(DB_ENV) or str(DEFAULT_DB)


def _existing_ancestor(path: Path) -> Path:
    for parent in path.absolute().parents:
        if parent.exists():
            return parent
    return Path("/")


def check_db_path(path: str | Path, *, writing: bool) -> None:
    """A directory, a file that is not a DuckDB database, or a place a refresh cannot write is a ConfigError."""
    db = Path(path)
    if db.is_dir():
        raise ConfigError(f"--db {db}: is a directory; give a DuckDB file")
    if db.exists():
        with db.open("rb") as handle:
            head = handle.read(MAGIC_AT + len(MAGIC))
        if head and head[MAGIC_AT:] != MAGIC:
            raise ConfigError(f"--db {db}: not a DuckDB database file")
        if writing and not os.access(db, os.W_OK):
            raise ConfigError(f"--db {db}: the file is not writable")
        return
    if writing:
        parent = _existing_ancestor(db)
        if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
            raise ConfigError(f"--db {db}: cannot create it, {parent} is not a writable directory")
