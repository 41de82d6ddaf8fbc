"""core.screening rows: is a study or publication ketamine-class efficacy evidence in depression, and if not, why."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ketamine_evidence.transform.tables import patterns

KETAMINE = re.compile(r"\b(?:es|ar|s-|r-|\(s\)-|\(r\)-)?ketamine\b|\bspravato\b|\bJNJ-54135419\b|\bPCN-101\b", re.I)
DEPRESSION = re.compile(r"\bdepress|\bMDD\b|\bTRD\b|\bdysthymi|\bmood disorder", re.I)
SCREENING_COLUMNS = (
    "record_type", "record_id", "source", "study_key", "included", "exclusion_reason", "reason_detail",
    "population", "is_registered",
)  # fmt: skip


def classify_population(conditions: Iterable[str] | str | None, title: str | None, summary: str | None) -> str:
    """trd, mdd, bipolar, suicidal_ideation, perinatal or other; conditions and title outrank the summary.
    Without a depressive disorder in any of them the population is `other` ("refractory lymphoma" is no TRD)."""
    cond = conditions if isinstance(conditions, str) else " ; ".join(str(c) for c in conditions or ())
    texts = (f"{cond} ; {title or ''}", summary or "")
    if not any(DEPRESSION.search(t) for t in texts):
        return "other"
    for text in texts:
        hit = next((p["population"] for p in patterns("populations") if p.regex.search(text)), None)
        if hit:
            return hit
    return "other"


def _reason(field: str, text: str) -> tuple[str, str] | None:
    for p in patterns("screening_patterns"):
        if p["field"] == field and (m := p.regex.search(text)):
            return p["reason"], f"{field} mentions {m.group(0)!r}"
    return None


def _row(
    record_type: str,
    record_id: str,
    source: str,
    study_key: str,
    reason: tuple[str, str] | None,
    population: str | None,
    is_registered: bool,
) -> dict[str, Any]:
    return {
        "record_type": record_type, "record_id": record_id, "source": source, "study_key": study_key,
        "included": reason is None, "exclusion_reason": reason[0] if reason else None,
        "reason_detail": reason[1] if reason else None, "population": population, "is_registered": is_registered,
    }  # fmt: skip


def _indication(text_with_depression: str, indication_text: str) -> tuple[str, str] | None:
    other = _reason("indication", indication_text)
    if DEPRESSION.search(text_with_depression):
        return None
    return other or ("not_depression", "no depressive disorder in conditions, title or summary")


def screen_study(study: Mapping[str, Any]) -> dict[str, Any]:
    """One core.screening row for a CT.gov study object."""
    protocol = study.get("protocolSection") or {}
    ident = protocol.get("identificationModule") or {}
    nct = str(ident.get("nctId") or "")
    conditions = (protocol.get("conditionsModule") or {}).get("conditions") or []
    keywords = (protocol.get("conditionsModule") or {}).get("keywords") or []
    title = " ".join(str(ident.get(k) or "") for k in ("briefTitle", "officialTitle"))
    summary = str((protocol.get("descriptionModule") or {}).get("briefSummary") or "")
    arms = protocol.get("armsInterventionsModule") or {}
    names = " ".join(str(i.get("name") or "") for i in arms.get("interventions") or [] if isinstance(i, Mapping))
    labels = " ".join(str(a.get("label") or "") for a in arms.get("armGroups") or [] if isinstance(a, Mapping))
    labels = f"{labels} {result_group_titles(study)}"
    reason = None
    if not KETAMINE.search(f"{names} {labels} {title}"):
        reason = ("no_ketamine_arm", "no ketamine, esketamine or arketamine intervention or arm")
    else:
        primary = f"{' ; '.join(map(str, conditions))} ; {' ; '.join(map(str, keywords))} ; {title}"
        reason = _indication(primary, primary) or None
    population = (
        "other" if reason and reason[0] == "other_indication" else classify_population(conditions, title, summary)
    )
    return _row("study", nct, "ctgov", nct, reason, population, True)


def result_group_titles(study: Mapping[str, Any]) -> str:
    """The group titles of the posted results (participant flow, baseline, outcome measures): some records
    name their arms only there ("Intranasal Esketamine + Oral AD"), and the outcome builder reads them."""
    results = study.get("resultsSection") or {}
    modules = [results.get("participantFlowModule"), results.get("baselineCharacteristicsModule")]
    modules += list((results.get("outcomeMeasuresModule") or {}).get("outcomeMeasures") or [])
    titles = [str(g.get("title") or "") for m in modules if isinstance(m, Mapping)
              for g in m.get("groups") or [] if isinstance(g, Mapping)]
    return " ".join(dict.fromkeys(titles))


def screen_publication(
    fields: Mapping[str, Any], *, linked_nct_ids: Sequence[str] = (), included_nct_ids: Iterable[str] = ()
) -> dict[str, Any]:
    """One core.screening row for a PubMed record (pmid, title, abstract, publication_types, mesh_terms)."""
    pmid = str(fields.get("pmid") or "")
    title, abstract = str(fields.get("title") or ""), str(fields.get("abstract") or "")
    types = _joined(fields.get("publication_types"))
    mesh = _joined(fields.get("mesh_terms"))
    linked = [n for n in linked_nct_ids if n]
    included = set(included_nct_ids)
    key = next((n for n in linked if n in included), linked[0] if linked else f"PMID:{pmid}")
    notice = _reason("publication_type", types)
    # a retraction or an erratum is a notice even when the record is also typed as a trial
    reason = (notice if notice and notice[0] == "notice" else None) or (
        _reason("publication_type", types) if not re.search(r"clinical trial|randomized", types, re.I) else None
    ) or _reason("title", title)
    if reason is None and not KETAMINE.search(f"{title} {abstract} {mesh}"):
        reason = ("no_ketamine_arm", "no ketamine, esketamine or arketamine in title, abstract or MeSH")
    if reason is None:
        reason = _indication(f"{title} {abstract} {mesh}", f"{title} {mesh}")
    if reason is None and key in included and _is_secondary(title):
        reason = ("duplicate_report", f"further report of included trial {key}")
    population = "other" if reason and reason[0] == "other_indication" else classify_population(mesh, title, abstract)
    return _row("publication", pmid, "pubmed", key, reason, population, bool(linked))


def not_a_trial_report(publication_types: Iterable[str] | str | None, title: str) -> str | None:
    """Why a record reports no trial results of its own (a review, meta-analysis, protocol, erratum,
    comment), from the same patterns screening uses; None for a report."""
    types = _joined(publication_types)
    notice = _reason("publication_type", types)
    if notice and notice[0] == "notice":
        return "notice"
    trial = re.search(r"clinical trial|randomized", types, re.IGNORECASE)
    found = (None if trial else _reason("publication_type", types)) or _reason("title", title)
    return found[0] if found and found[0] == "review_or_protocol" else None


def _is_secondary(title: str) -> bool:
    """A post hoc, secondary, pooled or follow-up analysis by its title (notices are caught before)."""
    return bool(_reason("title", title))


def _joined(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return " ; ".join(str(v) for v in value)
