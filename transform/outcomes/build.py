"""Compose the pure functions over a set of studies and publications (the build step's one call)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from ketamine_evidence.transform.outcomes.abstracts import abstract_outcomes
from ketamine_evidence.transform.outcomes.compare import compare_sources
from ketamine_evidence.transform.outcomes.registry import RegistryStudy, registry_outcomes, with_n_randomized
from ketamine_evidence.transform.outcomes.rows import Row, add_flag, split_flags, with_review
from ketamine_evidence.transform.outcomes.screening import screen_publication, screen_study


def outcome_rows(studies: Iterable[RegistryStudy], publications: Iterable[Mapping[str, Any]]) -> list[Row]:
    """core.outcome rows; `studies` are read from the core tables, `publications` are dicts with pmid,
    abstract, title and nct_ids (the trials the paper reports, by its best link)."""
    rows: list[Row] = []
    for study in studies:
        rows.extend(with_n_randomized(registry_outcomes(study), study))
    for pub in publications:
        rows.extend(publication_rows(pub))
    return with_review(compare_sources(rows))


def publication_rows(pub: Mapping[str, Any]) -> list[Row]:
    """An abstract's rows. A paper that reports several trials (a pooled analysis) keeps its rows under
    its own PMID, flagged, instead of giving them to one of the trials."""
    trials = tuple(dict.fromkeys(n for n in _strings(pub.get("nct_ids")) if n))
    rows = abstract_outcomes(
        str(pub.get("pmid") or ""),
        str(pub.get("abstract") or ""),
        title=str(pub.get("title") or ""),
        nct_ids=trials if len(trials) == 1 else (),
        publication_types=_strings(pub.get("publication_types")),
    )
    if len(trials) > 1:
        for row in rows:
            add_flag(row, "several_trials", f"the paper reports {len(trials)} trials ({', '.join(trials)}); "
                     "which trial a figure belongs to is for a person to say.")
    return rows


def _strings(value: Any) -> tuple[str, ...]:
    """A list column as read back (list, array or None) as a tuple of strings."""
    return () if value is None else tuple(str(v) for v in value)


def screening_rows(
    studies: Iterable[Mapping[str, Any]], publications: Iterable[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """core.screening rows: studies first (their inclusion decides which publications are further reports)."""
    study_rows = [screen_study(s) for s in studies]
    included = {r["record_id"] for r in study_rows if r["included"]}
    pub_rows = [
        screen_publication(p, linked_nct_ids=tuple(p.get("nct_ids") or ()), included_nct_ids=included)
        for p in publications
    ]
    return [*study_rows, *pub_rows]


def flag_counts(rows: Iterable[Row]) -> dict[str, int]:
    """How many rows carry each flag, for the run summary."""
    counts: Counter[str] = Counter()
    for row in rows:
        counts.update(split_flags(row.get("flag")))
    return dict(counts)
