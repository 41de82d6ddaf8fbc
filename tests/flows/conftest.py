from __future__ import annotations

import pytest
from prefect import Flow


@pytest.fixture
def refresh_flow(prefect_api: str) -> Flow[..., dict[str, object]]:
    """The `refresh` flow, run against the session's temporary Prefect backend."""
    from ketamine_evidence.flows.refresh import refresh

    return refresh
