"""Timepoint phrases ("Day 2 (24 hours post first dose)", "Up to Week 92") to days, hours and a window."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from ketamine_evidence.transform.tables import rows

WINDOWS = (("acute", 1.0), ("first_week", 7.0), ("induction", 42.0), ("maintenance", float("inf")))


@dataclass(frozen=True)
class Timepoint:
    raw: str
    days: float | None
    hours: float | None
    window: str | None


@dataclass(frozen=True)
class TimeMention:
    start: int
    end: int
    value: float
    unit: str
    days: float


@cache
def _unit_days() -> tuple[tuple[re.Pattern[str], str, float], ...]:
    table = rows("timepoint_units")
    return tuple((re.compile(rf"^(?:{r['pattern']})$", re.I), r["unit"], float(r["days"])) for r in table)


@cache
def _number_words() -> dict[str, float]:
    return {r["word"]: float(r["value"]) for r in rows("number_words")}


@cache
def _mention_regex() -> re.Pattern[str]:
    units = "|".join(r["pattern"] for r in rows("timepoint_units"))
    words = "|".join(sorted((re.escape(w) for w in _number_words()), key=len, reverse=True))
    num = rf"(?:\d+(?:\.\d+)?|{words})"
    unit_first = rf"\b(?P<u1>{units})s?\.?\s*(?P<n1>\d+(?:\.\d+)?)\b"
    num_first = rf"(?<![\w.])(?P<n2>{num})(?:\s*|-)(?P<u2>{units})\b"
    return re.compile(rf"{unit_first}|{num_first}", re.IGNORECASE)


def _to_number(token: str) -> float | None:
    token = token.lower()
    if token in _number_words():
        return _number_words()[token]
    try:
        return float(token)
    except ValueError:
        return None


def _unit_of(token: str) -> tuple[str, float] | None:
    for regex, unit, days in _unit_days():
        if regex.match(token.rstrip(".")):
            return unit, days
    return None


def find_times(text: str) -> list[TimeMention]:
    """Every "Day 28", "24 hours", "3-week", "Weeks 2, 4" (last number) mention, with offsets."""
    found: list[TimeMention] = []
    for m in _mention_regex().finditer(text):
        number, unit_token = (m["n1"], m["u1"]) if m["u1"] else (m["n2"], m["u2"])
        value, unit = _to_number(number), _unit_of(unit_token)
        if value is None or unit is None or (m["u1"] and unit[0] in ("hour", "minute")):
            continue
        found.append(TimeMention(m.start(), m.end(), value, unit[0], value * unit[1]))
        if m["u1"]:
            found.extend(_list_continuation(text, m.end(), unit))
    found.extend(_phrase_mentions(text, found))
    return sorted(found, key=lambda t: t.start)


@cache
def _phrases() -> tuple[tuple[re.Pattern[str], str, float], ...]:
    return tuple((re.compile(r["pattern"], re.I), r["unit"], float(r["days"])) for r in rows("timepoint_phrase_days"))


def _phrase_mentions(text: str, taken: list[TimeMention]) -> list[TimeMention]:
    """ "the day following infusion", "the next day": a calendar time without a number (Zarate 2006's wording)."""
    out: list[TimeMention] = []
    for regex, unit, days in _phrases():
        for m in regex.finditer(text):
            if not any(t.start < m.end() and m.start() < t.end for t in (*taken, *out)):
                out.append(TimeMention(m.start(), m.end(), days, unit, days))
    return out


_CONTINUATION = re.compile(r"\s*(?:,|and|or|&)\s*(?:and\s+)?(\d+(?:\.\d+)?)(?![\d.]|\s*(?:%|mg|/|\(\s*\d))")


def _list_continuation(text: str, pos: int, unit: tuple[str, float]) -> list[TimeMention]:
    """ "Days 2, 8, 15, 22 and 28" and "Weeks 1, 2, 4": numbers after a unit-first mention."""
    out: list[TimeMention] = []
    while m := _CONTINUATION.match(text, pos):
        value = float(m.group(1))
        out.append(TimeMention(m.start(1), m.end(1), value, unit[0], value * unit[1]))
        pos = m.end()
    return out


def time_window(days: float | None) -> str | None:
    if days is None:
        return None
    return next(name for name, upper in WINDOWS if days <= upper + 1e-9)


def normalize_timepoint(text: str | None) -> Timepoint:
    """The assessment time a phrase points at: the latest time named, or explicit hours for sub-day points."""
    raw = (text or "").strip()
    mentions = [m for m in find_times(raw) if m.days > 0]
    if not mentions:
        return Timepoint(raw, None, None, None)
    sub_day = [m for m in mentions if m.unit in ("hour", "minute")]
    day_like = [m for m in mentions if m.unit not in ("hour", "minute")]
    if sub_day and all(m.days <= 2 for m in day_like):
        chosen = max(sub_day, key=lambda m: m.days)
        hours = round(chosen.days * 24, 4)
        return Timepoint(raw, round(chosen.days, 4), hours, time_window(chosen.days))
    chosen = max(day_like, key=lambda m: m.days)
    return Timepoint(raw, round(chosen.days, 4), None, time_window(chosen.days))


def first_timepoint(text: str | None) -> Timepoint:
    """The earliest time named ("Onset ... by Day 2 ... up to Day 28" -> Day 2)."""
    raw = (text or "").strip()
    mentions = [m for m in find_times(raw) if m.days > 0]
    if not mentions:
        return Timepoint(raw, None, None, None)
    return from_mention(raw, min(mentions, key=lambda m: m.start))


def from_mention(raw: str, mention: TimeMention) -> Timepoint:
    hours = round(mention.days * 24, 4) if mention.unit in ("hour", "minute") else None
    return Timepoint(raw, round(mention.days, 4), hours, time_window(mention.days))


def canonical_timepoint(point: Timepoint) -> str:
    """A phrase that normalizes back to the same days, hours and window ("24 hours", "day 28")."""
    if point.hours is not None:
        return f"{point.hours:g} hours"
    if point.days is not None:
        return f"day {point.days:g}"
    return ""
