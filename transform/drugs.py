"""Intervention names and routes to a short controlled vocabulary, driven by two mapping tables.

`data/drug_names.csv` and `data/routes.csv` have columns `pattern` (a case-insensitive Python
regular expression), `value` and `priority`. A text maps to the value of the matching pattern
with the lowest priority number, so "Oral AD + Intranasal Placebo" is placebo (10) rather than
antidepressant (90), and esketamine (20) is tried before ketamine (30).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

DATA = Path(str(resources.files(__package__) / "data"))
COMPARATORS = frozenset({"placebo", "sham", "saline"})


@dataclass(frozen=True)
class Rule:
    pattern: re.Pattern[str]
    value: str
    priority: int


@cache
def rules(table: str) -> tuple[Rule, ...]:
    """The rules of `data/<table>.csv`, best (lowest priority number) first."""
    with (DATA / f"{table}.csv").open(encoding="utf-8", newline="") as handle:
        found = [
            Rule(re.compile(row["pattern"], re.IGNORECASE), row["value"], int(row["priority"]))
            for row in csv.DictReader(handle)
        ]
    return tuple(sorted(found, key=lambda r: r.priority))


def _first_match(table: str, text: str) -> str | None:
    for rule in rules(table):
        if rule.pattern.search(text):
            return rule.value
    return None


def normalize_drug(name: str, other_names: Iterable[str] = (), description: str = "") -> str | None:
    """The drug of an intervention: its name decides; other names, then the description, fill in.

    A description only supplies an active drug: descriptions of active arms often mention the
    placebo or the saline they are compared with or diluted in ("take either finerenone or placebo").
    """
    for text in (name, *other_names):
        if text and (value := _first_match("drug_names", text)):
            return value
    value = _first_match("drug_names", description) if description else None
    return value if value not in COMPARATORS else None


def normalize_route(text: str) -> str | None:
    """IV, intranasal, oral, IM, SC, sublingual or inhaled, from free text; None when not stated."""
    return _first_match("routes", text) if text else None
