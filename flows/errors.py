"""Prefect's own failures, named once so the CLI prints one line with what to do, not a traceback.

These are failures of the orchestration, not of the refresh: the temporary Prefect server that a
run without PREFECT_API_URL starts did not come up in time, no Prefect API is configured, or the
Prefect API could not be reached or answered with an error. The project itself never uses httpx
(the API clients use urllib), so an httpx error here comes from Prefect talking to its API.
"""

from __future__ import annotations

from collections.abc import Iterator

from ketamine_evidence.errors import EvidenceError

# `SubprocessASGIServer.start` (prefect/server/api/server.py) raises a bare RuntimeError starting
# with this text, and `get_client` a ValueError starting with the second; nothing more specific.
STARTUP_TIMED_OUT = "Timed out while attempting to connect to ephemeral Prefect API server"
NO_API_URL = "No Prefect API URL provided"
STARTUP_TIMEOUT_SETTING = "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"


class PrefectUnavailable(EvidenceError):
    """Prefect could not run the flow: its server did not start, or its API failed or is unreachable."""


def prefect_failure(exc: BaseException) -> PrefectUnavailable | None:
    """The Prefect-side problem behind `exc` (or one of its causes), as a one-line error; else None."""
    if isinstance(exc, EvidenceError):
        return None
    for cause in _chain(exc):
        message = _describe(cause)
        if message:
            return PrefectUnavailable(message)
    return None


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def _describe(exc: BaseException) -> str | None:
    import httpx
    from prefect.exceptions import CrashedRun

    if isinstance(exc, RuntimeError) and str(exc).startswith(STARTUP_TIMED_OUT):
        exited = " (its process exited)" if "exited with code" in str(exc) else ""
        return (f"Prefect's temporary server did not start within {_startup_timeout()} s{exited}; raise "
                f"{STARTUP_TIMEOUT_SETTING}, or set PREFECT_API_URL to a running Prefect server "
                "(`prefect server start`)")
    if isinstance(exc, ValueError) and str(exc).startswith(NO_API_URL):
        return ("no Prefect API to run the flow on: set PREFECT_API_URL to a running Prefect server, or allow "
                "the temporary one (PREFECT_SERVER_EPHEMERAL_ENABLED=true)")
    if isinstance(exc, httpx.HTTPError):
        return (f"the Prefect API at {_api_url(exc)} failed ({type(exc).__name__}: {_first_line(exc)}); check "
                "that the server PREFECT_API_URL names is running, or unset PREFECT_API_URL to use a temporary "
                "server")
    if isinstance(exc, CrashedRun):
        return f"Prefect reports the run as crashed ({_first_line(exc)}); see the Prefect log lines above"
    return None


def _startup_timeout() -> object:
    from prefect.settings import PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS

    return PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS.value()


def _api_url(exc: BaseException) -> str:
    import httpx
    from prefect.settings import PREFECT_API_URL

    if isinstance(exc, httpx.HTTPError):
        try:
            return str(exc.request.url.copy_with(query=None))
        except RuntimeError:  # an error raised without its request attached
            pass
    return str(PREFECT_API_URL.value() or "the temporary server")
