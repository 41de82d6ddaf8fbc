"""The few named errors of the project.

Each carries enough context (file, URL, record, option) for a one-line message; the CLI and the
flow turn them into that message instead of a traceback.
"""

from __future__ import annotations


class EvidenceError(Exception):
    """Base class: anything the user can act on."""


class SourceUnavailable(EvidenceError):
    """A remote API kept failing (HTTP 429/5xx, timeouts) after all retries, or refused the request."""

    def __init__(self, source: str, request: str, reason: str, *, retryable: bool = True) -> None:
        super().__init__(f"{source}: {reason} for {request}")
        self.source = source
        self.request = request
        self.reason = reason
        self.retryable = retryable  # False: trying again soon cannot help (long Retry-After, query too broad)


class MalformedResponse(EvidenceError):
    """A response or file is not what the source promises (truncated JSON, invalid XML, HTML page)."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}")
        self.where = where
        self.reason = reason


class SnapshotError(EvidenceError):
    """A snapshot directory is missing, empty or inconsistent with its manifest."""


class DatabaseLocked(EvidenceError):
    """Another process holds the DuckDB file."""


class ConfigError(EvidenceError):
    """A wrong option or setting (bad date, unknown format, missing file)."""
