"""Events, totals and proportions from posted values, with the rounding and the problems recorded."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ketamine_evidence.transform.outcomes.rows import parse_number

_SENTINELS = {"NA", "NR", "N/A", "NE", "NC", ""}


@dataclass
class Numbers:
    raw: str | None
    events: int | None = None
    total: int | None = None
    proportion: float | None = None
    rounding_note: str | None = None
    flags: list[tuple[str, str]] = field(default_factory=list)


def registry_numbers(shape: str, measurement: Mapping[str, Any], denom: object, complement: bool) -> Numbers:
    raw_value = str(measurement.get("value") if measurement.get("value") is not None else "").strip()
    out = Numbers(_raw_text(shape, measurement))
    value, total = parse_number(raw_value), _total(denom, out)
    out.total = total
    if value is None:
        reason = "not estimable" if raw_value.upper() in _SENTINELS else "not a number"
        out.flags.append(("na_value", f"posted value {raw_value!r} is {reason}; no number kept."))
        return out
    if shape == "time":
        return out
    {"count": _count, "percent": _percent, "proportion": _proportion}.get(shape, _unsupported)(out, value, raw_value)
    if complement:
        _complement(out)
    return out


def _raw_text(shape: str, m: Mapping[str, Any]) -> str:
    value = str(m.get("value", ""))
    if m.get("lowerLimit") is not None or m.get("upperLimit") is not None:
        value = f"{value} ({m.get('lowerLimit')}, {m.get('upperLimit')})"
    if m.get("spread") is not None:
        value = f"{value} ({m.get('spread')})"
    return f"median {value}" if shape == "time" else value


def _total(denom: object, out: Numbers) -> int | None:
    if denom is None:
        out.flags.append(("missing_denom", "group id missing from the measure's denoms."))
        return None
    number = parse_number(denom)
    if number is None:
        out.flags.append(("missing_denom", f"denominator {denom!r} is not a number."))
        return None
    if number == 0:
        out.flags.append(("zero_denominator", "denominator is 0; no proportion computed."))
    return int(number)


def _count(out: Numbers, value: float, raw: str) -> None:
    out.events = round(value)
    if out.events != value:
        out.flags.append(("non_integer_count", f"count {raw} is not a whole number."))
    if out.total:
        out.proportion = out.events / out.total
        if out.events > out.total:
            out.flags.append(("events_over_total", f"{out.events} events exceed the denominator {out.total}."))


def _percent(out: Numbers, value: float, raw: str) -> None:
    if value > 100 or value < 0:
        out.flags.append(("pct_over_100", f"percentage {raw} is outside 0-100; no proportion kept."))
        return
    out.proportion = value / 100
    if out.total:
        out.events = round(out.proportion * out.total)
        out.rounding_note = f"events derived from {raw}% of {out.total}, rounded"


def _proportion(out: Numbers, value: float, raw: str) -> None:
    if not 0 <= value <= 1:
        out.flags.append(("proportion_out_of_range", f"proportion {raw} is outside 0-1."))
        return
    out.proportion = value
    if out.total:
        out.events = round(value * out.total)
        out.rounding_note = f"events derived from proportion {raw} of {out.total}, rounded"


def _unsupported(out: Numbers, value: float, raw: str) -> None:
    out.flags.append(("rate_not_proportion", f"value {raw} is a rate or an unknown unit; not converted."))


def _complement(out: Numbers) -> None:
    if out.proportion is None:
        return
    out.proportion = 1 - out.proportion
    if out.events is not None and out.total is not None:
        out.events = out.total - out.events
    note = "relapse = complement of the posted relapse-free figure"
    out.rounding_note = f"{out.rounding_note}; {note}" if out.rounding_note else note
