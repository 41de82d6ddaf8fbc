"""Outcome normalization (issue 3): pure functions from registry results and abstracts to core.outcome rows."""

from transform.outcomes.abstracts import abstract_outcomes
from transform.outcomes.build import flag_counts, outcome_rows, screening_rows
from transform.outcomes.classify import classify_measure
from transform.outcomes.compare import compare_sources
from transform.outcomes.definitions import Definition, format_definition, parse_definition
from transform.outcomes.registry import registry_outcomes
from transform.outcomes.rows import COLUMNS
from transform.outcomes.screening import SCREENING_COLUMNS, classify_population, screen_publication, screen_study
from transform.outcomes.timepoints import Timepoint, canonical_timepoint, normalize_timepoint

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
