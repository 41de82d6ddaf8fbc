"""The core.outcome row: its columns (docs/outcome-contract.md) and its stable id."""

from __future__ import annotations

import hashlib
from typing import Any

COLUMNS = (
    "outcome_id", "nct_id", "study_key", "pmid", "source", "outcome_kind", "instrument", "threshold",
    "operator", "threshold_unit", "consecutive_visits", "definition_text", "population", "analysis_subset",
    "timepoint_raw", "timepoint_days", "timepoint_hours", "time_window", "arm_label", "group_id", "drug",
    "route", "dose", "arm_role", "comparator", "comparator_type", "n_randomized", "events", "total",
    "proportion", "rounding_note", "effect_type", "effect", "ci_lower", "ci_upper", "p_value", "p_value_raw",
    "median_days", "json_path", "effect_json_path", "span_start", "span_end", "span_text", "confidence", "rule",
    "flag", "flag_reason",
)  # fmt: skip

Row = dict[str, Any]

# Flags that say the source itself is odd (the row is kept, with the reason). The other flags are
# notes on a sound row: registry_abstract_disagree, definition_note, complement, onset_sustained.
PROBLEM_FLAGS = frozenset({
    "pct_over_100", "zero_denominator", "missing_denom", "unparsed_timepoint", "na_value",
    "rate_not_proportion", "events_over_total", "non_integer_count", "pct_mismatch",
    "proportion_out_of_range", "arm_unresolved",
})


def new_row(**values: Any) -> Row:
    unknown = set(values) - set(COLUMNS)
    if unknown:
        raise KeyError(f"not core.outcome columns: {sorted(unknown)}")
    return {c: values.get(c) for c in COLUMNS}


def outcome_id(source: str, nct_id: str | None, pmid: str | None, where: str) -> str:
    """sha1 of (source, nct_id, pmid, json_path or span offsets), first 16 hex."""
    key = "\x1f".join((source, nct_id or "", pmid or "", where))
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


def add_flag(row: Row, flag: str, reason: str) -> None:
    """Append a problem tag; earlier tags are kept (`a;b`)."""
    row["flag"] = f"{row['flag']};{flag}" if row.get("flag") else flag
    row["flag_reason"] = f"{row['flag_reason']} {reason}" if row.get("flag_reason") else reason
    row["confidence"] = "low"


def parse_number(value: object) -> float | None:
    """A registry value string ("63.4", "NA", "<0.001", ".003") as a float, or None."""
    if value is None:
        return None
    text = str(value).strip().lstrip("=<>≤≥ ").replace(",", "")
    if text.startswith("."):
        text = "0" + text
    try:
        return float(text)
    except ValueError:
        return None
