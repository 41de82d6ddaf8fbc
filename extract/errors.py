"""Errors raised while fetching or reading source data (APIs, snapshot files)."""

from __future__ import annotations

from ketamine_evidence.errors import EvidenceError


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


class IncompleteFetch(EvidenceError):
    """A source answered with fewer records than it found, even when asked again: the run is `partial`.

    `missing` labels each record (or shortfall) that did not arrive; the message names the first few.
    """

    SHOWN = 20

    def __init__(self, missing: list[str]) -> None:
        shown = ", ".join(missing[: self.SHOWN])
        extra = len(missing) - self.SHOWN
        more = f" and {extra} more (all in meta.refresh_run.error)" if extra > 0 else ""
        super().__init__(f"partial: {len(missing)} records did not arrive, even when asked again: {shown}{more}; "
                         "what did arrive is stored and built, run recorded as `partial`")
        self.missing = missing
        self.counts: dict[str, int] = {}
