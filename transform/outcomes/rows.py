"""The core.outcome row: its columns (docs/outcome-contract.md), its stable id and its flags (data/flags.csv)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from ketamine_evidence.errors import ConfigError
from ketamine_evidence.transform.tables import rows, truth

COLUMNS = (
    "outcome_id", "nct_id", "study_key", "pmid", "source", "outcome_kind", "instrument", "threshold",
    "operator", "threshold_unit", "consecutive_visits", "definition_text", "population", "analysis_subset",
    "measure_type", "analysis_population", "analysis_method",
    "timepoint_raw", "timepoint_days", "timepoint_hours", "time_window", "arm_label", "group_id", "drug",
    "route", "dose", "arm_role", "comparator", "comparator_type", "n_randomized", "events", "total",
    "proportion", "rounding_note", "effect_type", "effect", "ci_lower", "ci_upper", "p_value", "p_value_raw",
    "median_days", "json_path", "effect_json_path", "span_start", "span_end", "span_text", "confidence", "rule",
    "flag", "flag_reason", "needs_review",
)  # fmt: skip

Row = dict[str, Any]

FLAG_KINDS = frozenset({"problem", "note"})
REVIEW_SCOPES = frozenset({"all", "abstract", "none"})


@dataclass(frozen=True)
class Flag:
    """A row of data/flags.csv: `problem` flags say the source itself is odd (the row is kept, with
    the reason); `note` flags annotate a sound row."""

    name: str
    kind: str
    excluded_from_pools: bool
    non_plain_definition: bool
    needs_review: str  # on which rows the flag holds the row for a person: all, abstract or none
    description: str


@cache
def flag_table() -> dict[str, Flag]:
    return {r["flag"]: _flag(r) for r in rows("flags")}


def _flag(row: Mapping[str, str]) -> Flag:
    if row["kind"] not in FLAG_KINDS:
        raise ConfigError(f"flags.csv: flag {row['flag']} has kind {row['kind']!r}, not one of {sorted(FLAG_KINDS)}")
    if row["needs_review"] not in REVIEW_SCOPES:
        raise ConfigError(f"flags.csv: flag {row['flag']} has needs_review {row['needs_review']!r}, "
                          f"not one of {sorted(REVIEW_SCOPES)}")
    return Flag(row["flag"], row["kind"], truth(row, "excluded_from_pools"), truth(row, "non_plain_definition"),
                row["needs_review"], row["description"])


PROBLEM_FLAGS = frozenset(f.name for f in flag_table().values() if f.kind == "problem")
# A row with one of these is kept out of every pool (meta.usable_rows).
POOL_EXCLUDED_FLAGS = frozenset(f.name for f in flag_table().values() if f.excluded_from_pools)
# A row with one of these is not the plain outcome (a composite, an onset/sustained response, a complement).
NON_PLAIN_FLAGS = frozenset(f.name for f in flag_table().values() if f.non_plain_definition)


def holding_flags(row: Mapping[str, Any]) -> list[Flag]:
    """The row's flags that make a person confirm it before it enters pools or verdicts (data/flags.csv)."""
    table = flag_table()
    scopes = {"all", "abstract"} if row.get("source") == "abstract" else {"all"}
    return [table[t] for t in split_flags(row.get("flag")) if t in table and table[t].needs_review in scopes]


def needs_review(row: Mapping[str, Any]) -> bool:
    return bool(holding_flags(row))


def with_review(rows: Iterable[Row]) -> list[Row]:
    """The rows with `needs_review` set from their flags; a row a problem holds has low confidence, one held
    only by a note (an abstract figure no registry confirms) keeps the extractor's confidence."""
    out = []
    for row in rows:
        held = holding_flags(row)
        problem = any(f.kind == "problem" for f in held)
        out.append({**row, "needs_review": bool(held), "confidence": "low" if problem else row.get("confidence")})
    return out


def new_row(**values: Any) -> Row:
    unknown = set(values) - set(COLUMNS)
    if unknown:
        raise KeyError(f"not core.outcome columns: {sorted(unknown)}")
    row = {c: values.get(c) for c in COLUMNS}
    row["flag"] = join_flags(values.get("flag") or ())
    row["needs_review"] = bool(values.get("needs_review"))
    return row


def outcome_id(source: str, nct_id: str | None, pmid: str | None, where: str) -> str:
    """sha1 of (source, nct_id, pmid, json_path or span offsets), first 16 hex."""
    key = "\x1f".join((source, nct_id or "", pmid or "", where))
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


def join_flags(tags: Iterable[str]) -> list[str]:
    """Tags as stored in core.outcome.flag (VARCHAR[]): in order, each once, [] when there are none."""
    return list(dict.fromkeys(t for t in tags if t))


def split_flags(value: object) -> list[str]:
    """The tags of a flag value: a list, tuple or array of tags, or None/NaN (no tags)."""
    if isinstance(value, str):
        raise TypeError(f"flags are a list of tags, not a string: {value!r}")
    if isinstance(value, Iterable):
        return [str(t) for t in value if t]
    if value is None or value != value:  # NaN: a missing value read back from a frame
        return []
    raise TypeError(f"not a flag value: {value!r}")


def append_flag(row: Row, flag: str, reason: str) -> None:
    """Append a tag and its reason; earlier tags are kept."""
    row["flag"] = join_flags([*split_flags(row.get("flag")), flag])
    row["flag_reason"] = f"{row['flag_reason']} {reason}" if row.get("flag_reason") else reason


def add_flag(row: Row, flag: str, reason: str) -> None:
    """Append a tag and its reason; the row's confidence drops to low."""
    append_flag(row, flag, reason)
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
