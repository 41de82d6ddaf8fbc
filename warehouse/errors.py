"""Errors raised by the warehouse (opening the DuckDB file, building it)."""

from __future__ import annotations

from ketamine_evidence.errors import EvidenceError


class DatabaseLocked(EvidenceError):
    """Another process holds the DuckDB file, or it does not exist yet."""


class BuildError(EvidenceError):
    """A model of the warehouse build failed or broke its declared contract."""


class StorageFormatError(EvidenceError):
    """A warehouse file is in a DuckDB storage format that older DuckDB tools cannot open."""


class ReviewError(EvidenceError):
    """A review sheet or decisions file that cannot be applied: names the file and row."""
