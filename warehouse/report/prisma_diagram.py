"""The PRISMA 2020 flow diagram as a PNG, drawn by the `prisma-flowchart` package.

A first version uses the diagram for new reviews, with the counts of marts.prisma_flow. An update
(a previous successful run exists) uses the diagram for updated reviews: the "previous studies"
box holds the studies and reports included through the previous version (records first retrieved
before the latest run), the middle column the records first retrieved in the latest run, and the
totals are those of marts.prisma_flow. The project screens each record once (registry record or
abstract), so no report is excluded after retrieval.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ketamine_evidence.warehouse.report.queries import ReportData

FILENAME = "prisma-flow.png"
LABELS = {
    "database_results": "PubMed",
    "register_results": "ClinicalTrials.gov",
    "excluded_other": "Records retrieved but not screened",
    "new_reports": "New reports included",
}
FIRST_VERSION_LABELS = {
    "newstud": "Identification of studies via databases and registers",
    "new_studies": "Studies included in review",
    "new_reports": "Reports of included studies",
}


@dataclass(frozen=True)
class FlowCounts:
    """The counts of one diagram; `previous_*` and `total_*` only for an update."""

    databases: int
    registers: int
    removed: int
    screened: int
    excluded: tuple[tuple[str, int], ...]
    reports: int
    studies: int
    previous_studies: int | None = None
    previous_reports: int | None = None
    total_studies: int | None = None
    total_reports: int | None = None

    @property
    def update(self) -> bool:
        return self.previous_studies is not None


def _step(prisma: pd.DataFrame, step: str, source: str | None = None) -> int:
    rows = prisma[(prisma["step"] == step) & ((prisma["source"] == source) if source else True)]
    return int(rows["n"].sum())


def _reasons(frame: pd.DataFrame, column: str = "reason", count: str = "n") -> tuple[tuple[str, int], ...]:
    totals = frame.groupby(frame[column].fillna("not given"))[count].sum()
    return tuple((str(reason).replace("_", " "), int(n)) for reason, n in totals.sort_index().items())


def first_version_counts(prisma: pd.DataFrame) -> FlowCounts:
    """The diagram for new reviews, from marts.prisma_flow alone."""
    excluded = prisma[prisma["step"] == "excluded"]
    return FlowCounts(
        databases=_step(prisma, "identified", "pubmed"), registers=_step(prisma, "identified", "ctgov"),
        removed=_step(prisma, "removed_before_screening"), screened=_step(prisma, "screened"),
        excluded=_reasons(excluded), reports=_step(prisma, "included_reports"),
        studies=_step(prisma, "included_studies"),
    )


def update_counts(prisma: pd.DataFrame, records: pd.DataFrame) -> FlowCounts:
    """The diagram for updated reviews: previous and new records from `records`
    (queries.PRISMA_RECORDS), totals from marts.prisma_flow."""
    is_new = records["is_new"].astype(bool)
    new, old = records[is_new], records[~is_new]
    # a report counts for its study only when core.study_inclusion includes the study, as in the totals
    previous_studies = int(old.loc[old["included"].astype(bool) & old["study_included"].astype(bool),
                                   "study_key"].nunique())
    total_studies = _step(prisma, "included_studies")
    dropped = new[new["screened"].astype(bool) & ~new["included"].astype(bool)]
    return FlowCounts(
        databases=int((new["source"] == "pubmed").sum()), registers=int((new["source"] == "ctgov").sum()),
        removed=int((~new["screened"].astype(bool)).sum()), screened=int(new["screened"].astype(bool).sum()),
        excluded=_reasons(dropped.assign(n=1), "exclusion_reason"), reports=int(new["included"].astype(bool).sum()),
        studies=total_studies - previous_studies, previous_studies=previous_studies,
        previous_reports=int(old["included"].astype(bool).sum()), total_studies=total_studies,
        total_reports=_step(prisma, "included_reports"),
    )


def flow_counts(data: ReportData) -> FlowCounts | None:
    if data.prisma.empty:
        return None
    if data.prisma_records.empty:
        return first_version_counts(data.prisma)
    return update_counts(data.prisma, data.prisma_records)


def _excluded_label(counts: FlowCounts) -> str:
    reasons = "; ".join(f"{reason} {n}" for reason, n in counts.excluded)
    return f"Records excluded ({reasons})" if reasons else "Records excluded"


def diagram(counts: FlowCounts):  # -> prisma_flow_diagram.PrismaDiagram (the package has no type hints)
    """The diagram for updated reviews when `counts` is an update, else the one for new reviews."""
    from prisma_flow_diagram import FlowData, ReasonCount, render_prisma  # type: ignore[import-untyped]

    excluded = sum(n for _, n in counts.excluded)
    data = FlowData(
        previous_studies=counts.previous_studies, previous_reports=counts.previous_reports,
        database_results=counts.databases, register_results=counts.registers, excluded_other=counts.removed,
        records_screened=counts.screened, records_excluded=excluded, dbr_sought_reports=counts.reports,
        dbr_notretrieved_reports=0, dbr_assessed=counts.reports, dbr_excluded=(ReasonCount("none", 0),),
        new_studies=counts.studies, new_reports=counts.reports, total_studies=counts.total_studies,
        total_reports=counts.total_reports,
        labels={**LABELS, "records_excluded": _excluded_label(counts),
                **({} if counts.update else FIRST_VERSION_LABELS)},
    )
    return render_prisma(data, previous=counts.update, other=False)


def draw(counts: FlowCounts, path: Path) -> Path:
    """Write the diagram to `path` (PNG)."""
    diagram(counts).save(path, overwrite=True)
    return path


def caption(counts: FlowCounts) -> str:
    if counts.update:
        return ("PRISMA 2020 flow diagram for an updated review: previous studies are those included through "
                "the previous version (records first retrieved before this run); new records are those first "
                "retrieved in this run; totals from marts.prisma_flow.")
    return "PRISMA 2020 flow diagram (first version of the review), counts from marts.prisma_flow."
