"""Which outcome kind a registry measure reports, or why it is not one of ours."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ketamine_evidence.transform.outcomes.definitions import clean
from ketamine_evidence.transform.tables import patterns

KINDS = ("response", "remission", "relapse", "time_to_relapse")
PROPORTION_PARAMS = {"COUNT_OF_PARTICIPANTS", "NUMBER", "COUNT_OF_UNITS"}
TIME_UNITS = re.compile(r"\b(?:days?|weeks?|months?|years?|hours?)\b", re.I)
PERCENT_UNIT = re.compile(r"percent|%|percentage", re.I)
RATE_UNIT = re.compile(r"\bper\b|patient[- ]?(?:years?|months?)|person[- ]?(?:years?|months?)|\brate\b", re.I)
PROPORTION_UNIT = re.compile(r"\bproportion\b|\bfraction\b", re.I)
COUNT_UNIT = re.compile(r"participants?|patients?|subjects?|responders?|remitters?|people|count", re.I)


@dataclass(frozen=True)
class Classification:
    kind: str | None
    rule: str
    note: str | None = None


def negative_reason(title: str, description: str = "") -> str | None:
    """Why a title is about something else (oncology, dose-response, pain, substance use, ...)."""
    for p in patterns("negative_patterns"):
        text = title if p["scope"] == "title" else f"{title} {description[:400]}"
        if p.regex.search(text):
            return p["reason"]
    return None


def title_kind(title: str) -> tuple[str, str] | None:
    hit = next((p for p in patterns("outcome_kinds") if p.regex.search(title)), None)
    return (hit["kind"], hit["rule"]) if hit else None


def normalize_param(param_type: str | None) -> str:
    """API v2 "COUNT_OF_PARTICIPANTS" and the classic API's "Count of Participants" / "Number" alike."""
    return re.sub(r"\W+", "_", (param_type or "").strip()).upper()


def measure_shape(param_type: str, unit: str) -> str:
    """`percent`, `count`, `proportion`, `rate`, `time` or `other` for a measure's numbers."""
    param = normalize_param(param_type)
    if param in PROPORTION_PARAMS:
        if RATE_UNIT.search(unit or "") and not PERCENT_UNIT.search(unit or ""):
            return "rate"
        if PERCENT_UNIT.search(unit or ""):
            return "percent"
        if PROPORTION_UNIT.search(unit or ""):
            return "proportion"
        if param.startswith("COUNT") or COUNT_UNIT.search(unit or ""):
            return "count"
        return "other"
    if TIME_UNITS.search(unit or ""):
        return "time"
    return "other"


def classify_measure(title: str, description: str = "", unit: str = "", param_type: str = "") -> Classification:
    """Response, remission, relapse (events), time to relapse, or None with the reason."""
    title, description = clean(title), clean(description)
    if reason := negative_reason(title, description):
        return Classification(None, "negative", reason)
    found = title_kind(title)
    if found is None:
        return Classification(None, "no_kind", "title names no response, remission or relapse")
    kind, rule = found
    shape = measure_shape(param_type, unit)
    if kind == "time_to_relapse":
        if shape in ("percent", "count", "proportion"):
            return Classification("relapse", "title.relapse_events", "events posted under a time-to-relapse title")
        return Classification(kind, rule) if shape == "time" else Classification(None, "shape", f"{shape} values")
    if shape == "other" or shape == "time":
        return Classification(None, "shape", f"{param_type or 'unknown'} values are not a proportion")
    return Classification(kind, rule, _note(title, rule))


def _note(title: str, rule: str) -> str | None:
    if rule == "title.onset_response":
        return "onset of response sustained to the end of the phase"
    if rule == "title.relapse_free":
        return "relapse-free: posted figure is the complement of relapse"
    if rule == "title.relapse_free_composite":
        return ("composite: the posted figure is free of relapse and of another event (e.g. discontinuation), so"
                " its complement counts relapse or that event, not relapse alone")
    if rule == "title.sustained_remission" and re.search(r"sustained|consistent", title, re.I):
        return "sustained remission"
    if re.search(r"\brelapse[- ]free\b|\bno relapse\b", title, re.I):
        return "composite: remission and relapse-free"
    return None


_SWITCHABLE = ("response", "remission")


def category_kind(label: str, measure_kind: str | None) -> str | None:
    """A class or category label naming another kind ("Response" / "Remission" under one measure), else None."""
    if measure_kind not in _SWITCHABLE or not label:
        return None
    found = title_kind(clean(label))
    if found is None or found[0] not in _SWITCHABLE or found[0] == measure_kind:
        return None
    return found[0]


def subset_of(text: str, kind: str | None) -> str | None:
    """The analysis subset a text names ("stable remitters"), the earliest one if several."""
    hits = [
        (m.start(), p["subset"])
        for p in patterns("subsets")
        if p["kinds"] == "any" or (kind and kind in p["kinds"].split())
        for m in [p.regex.search(text)]
        if m
    ]
    return min(hits)[1] if hits else None
