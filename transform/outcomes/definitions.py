"""Outcome definitions ("MADRS Total Score <=12", ">=50% reduction from baseline") to structured fields."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ketamine_evidence.transform.tables import first_match

_OPS = {"≥": ">=", "≤": "<=", "=<": "<=", "=>": ">=", "<=": "<=", ">=": ">=", "<": "<", ">": ">"}
_WORD_OPS = (
    (r"greater than or equal to|at least|or more|or greater|no less than", ">="),
    (r"less than or equal to|at most|or less|or lower|or below|no more than", "<="),
    (r"greater than|more than|above", ">"),
    (r"less than|below|under", "<"),
)
_NUM = r"(\d+(?:\.\d+)?)"
_PCT_REDUCTION = re.compile(
    rf"(?:(?P<op>>=|≥|=>|>|at least|greater than or equal to|more than)\s*\(?\s*)?{_NUM}\s*(?:%|percent)"
    r"\s*(?:\(%\)\s*)?(?P<more>or (?:more|greater)\s*)?(?:reduction|improvement|decrease|decline)",
    re.IGNORECASE,
)
_PCT_REDUCTION_AFTER = re.compile(
    rf"(?:reduction|decrease|improvement|decline)\s+(?:of\s+)?(?:at least\s+|>=\s*|≥\s*){_NUM}\s*(?:%|percent)",
    re.IGNORECASE,
)
_PCT_LOOSE = re.compile(
    rf"(?:reduction|improvement|decrease|decline)[^.;]{{0,60}}?(?:>=|≥|at least|greater than or equal to)\s*"
    rf"(?:\(\s*>=\s*\)\s*)?{_NUM}\s*(?:%|percent)",
    re.IGNORECASE,
)
_NOT_SCORE = r"(?!\d|\.\d|\s*(?:%|percent|days?|weeks?|hours?))"
_SYMBOL = re.compile(rf"(?<![Pp])(?<![Pp]\s)(>=|<=|=<|=>|≥|≤|<|>)\s*{_NUM}{_NOT_SCORE}", re.IGNORECASE)
_WORD_OP_ALTERNATIVES = "|".join(p for p, _ in _WORD_OPS)
_WORDS = re.compile(
    rf"\b(?:score[sd]?\s+(?:of\s+)?|total\s+)?(?:{_WORD_OP_ALTERNATIVES})\s*(?:[(\[]\s*\S+\s*[)\]]\s*)?{_NUM}"
    rf"{_NOT_SCORE}|{_NUM}\s+(or less|or lower|or below|or more|or greater)",
    re.IGNORECASE,
)
_CONSECUTIVE = re.compile(
    r"\b(\d+|two|three|four)\s+(?:consecutive|successive)\s+(?:visits?|assessments?|weeks?)"
    r"|(?:consecutive|successive)\s+(\d+|two|three|four)\s+(?:visits?|assessments?)",
    re.IGNORECASE,
)
_SMALL = {"two": 2, "three": 3, "four": 4}


@dataclass(frozen=True)
class Definition:
    instrument: str | None
    threshold: float | None
    operator: str | None
    threshold_unit: str | None
    consecutive_visits: int | None


def clean(text: str | None) -> str:
    """Undo the registry's markdown escapes (`\\>=`, `\\<=`, `=\\<`)."""
    return re.sub(r"\\([<>\[\]()*_])", r"\1", text or "")


def find_instrument(text: str) -> str | None:
    hit = first_match("instruments", text)
    return hit["instrument"] if hit else None


def _threshold(text: str) -> tuple[float, str, str] | None:
    candidates: list[tuple[int, float, str, str]] = []
    if m := _PCT_REDUCTION.search(text):
        candidates.append((m.start(), float(m.group(2)), ">=", "pct_reduction"))
    for regex in (_PCT_REDUCTION_AFTER, _PCT_LOOSE):
        if m := regex.search(text):
            candidates.append((m.start(), float(m.group(1)), ">=", "pct_reduction"))
    if m := _SYMBOL.search(text):
        candidates.append((m.start(), float(m.group(2)), _OPS[m.group(1)], "score"))
    if m := _WORDS.search(text):
        candidates.append((m.start(), *_word_threshold(m), "score"))
    if not candidates:
        return None
    _, value, op, unit = min(candidates)
    return value, op, unit


def _word_threshold(m: re.Match[str]) -> tuple[float, str]:
    if m.group(2):
        return float(m.group(2)), _word_op(m.group(3))
    phrase = m.group(0).lower()
    return float(m.group(1)), next(op for p, op in _WORD_OPS if re.search(p, phrase))


def _word_op(phrase: str) -> str:
    return next(op for p, op in _WORD_OPS if re.search(p, phrase.lower()))


def _consecutive(text: str) -> int | None:
    m = _CONSECUTIVE.search(text)
    if not m:
        return None
    token = (m.group(1) or m.group(2)).lower()
    return _SMALL.get(token) or int(token)


@lru_cache(maxsize=8192)
def parse_definition(text: str | None) -> Definition:
    """Instrument, threshold, operator and unit from a definition as written; None where not stated."""
    body = clean(text)
    found = _threshold(body)
    value, op, unit = found if found else (None, None, None)
    return Definition(find_instrument(body), value, op, unit, _consecutive(body))


def format_definition(definition: Definition) -> str:
    """A plain phrase that parses back to the same definition."""
    parts = [definition.instrument or ""]
    if definition.threshold is not None and definition.threshold_unit == "pct_reduction":
        parts.append(f">={definition.threshold:g}% reduction")
    elif definition.threshold is not None:
        parts.append(f"score {definition.operator}{definition.threshold:g}")
    if definition.consecutive_visits:
        parts.append(f"for {definition.consecutive_visits} consecutive visits")
    return " ".join(p for p in parts if p)
