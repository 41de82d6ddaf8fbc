"""The mapping tables under `data/`: one CSV each, a regex in the first column, loaded once."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

DATA_DIR = Path(str(resources.files(__package__) / "data"))


@dataclass(frozen=True)
class Pattern:
    regex: re.Pattern[str]
    fields: dict[str, str]

    def __getitem__(self, key: str) -> str:
        return self.fields[key]


@cache
def rows(name: str) -> tuple[dict[str, str], ...]:
    with (DATA_DIR / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        return tuple(csv.DictReader(handle))


@cache
def patterns(name: str, *, case_sensitive_abbrev: bool = False) -> tuple[Pattern, ...]:
    """Rows of a table whose `pattern` column is a regex, compiled case-insensitively."""
    return tuple(Pattern(re.compile(r["pattern"], re.IGNORECASE), r) for r in rows(name))


def first_match(name: str, text: str) -> Pattern | None:
    return next((p for p in patterns(name) if p.regex.search(text)), None)
