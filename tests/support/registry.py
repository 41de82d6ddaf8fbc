"""The registry normalizer run on one API v2 study object (JSON), the way the warehouse feeds it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ketamine_evidence.transform.outcomes.registry import registry_outcomes
from ketamine_evidence.warehouse.registry_input import registry_study_from_json


def registry_rows(study: Mapping[str, Any]) -> list[dict[str, Any]]:
    return registry_outcomes(registry_study_from_json(study))
