"""Outcome normalization (issue 3): pure functions from registry results and abstracts to core.outcome rows."""

from ketamine_evidence.transform.outcomes.abstracts import abstract_outcomes
from ketamine_evidence.transform.outcomes.build import flag_counts, outcome_rows, screening_rows
from ketamine_evidence.transform.outcomes.classify import classify_measure
from ketamine_evidence.transform.outcomes.compare import compare_sources
from ketamine_evidence.transform.outcomes.definitions import Definition, format_definition, parse_definition
from ketamine_evidence.transform.outcomes.registry import registry_outcomes
from ketamine_evidence.transform.outcomes.rows import COLUMNS
from ketamine_evidence.transform.outcomes.screening import (
    SCREENING_COLUMNS,
    classify_population,
    screen_publication,
    screen_study,
)
from ketamine_evidence.transform.outcomes.timepoints import Timepoint, canonical_timepoint, normalize_timepoint

__all__ = [
    "COLUMNS",
    "SCREENING_COLUMNS",
    "Definition",
    "Timepoint",
    "abstract_outcomes",
    "canonical_timepoint",
    "classify_measure",
    "classify_population",
    "compare_sources",
    "flag_counts",
    "format_definition",
    "normalize_timepoint",
    "outcome_rows",
    "parse_definition",
    "registry_outcomes",
    "screen_publication",
    "screen_study",
    "screening_rows",
]
