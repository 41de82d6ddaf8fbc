"""The mapping tables: one CSV each under `data/` or `outcomes/data/`, read once through importlib.resources.

A table is named by its file name without `.csv`; names are unique across the two folders. In a
table with a `pattern` column each row is a case-insensitive regular expression, and rows are tried
lowest `priority` first (in file order where the table has no priority column).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable

from ketamine_evidence.errors import ConfigError

_PACKAGE = resources.files(__package__)
DATA_DIRS: tuple[Traversable, ...] = (_PACKAGE / "data", _PACKAGE / "outcomes" / "data")
_TRUTH = {"true": True, "false": False}


@dataclass(frozen=True)
class Pattern:
    regex: re.Pattern[str]
    fields: dict[str, str]

    def __getitem__(self, key: str) -> str:
        return self.fields[key]


def table_file(name: str) -> Traversable:
    found = [d / f"{name}.csv" for d in DATA_DIRS if (d / f"{name}.csv").is_file()]
    if len(found) != 1:
        raise ConfigError(f"mapping table {name}.csv: found {len(found)} files, expected one")
    return found[0]


@cache
def rows(name: str) -> tuple[dict[str, str], ...]:
    with table_file(name).open(encoding="utf-8") as handle:
        found = tuple(csv.DictReader(handle))
    # DictReader files surplus cells under None and fills missing ones with None
    bad = next((n for n, r in enumerate(found, 2) if None in r or None in r.values()), None)
    if bad is not None:
        raise ConfigError(f"mapping table {name}.csv: line {bad} has the wrong number of cells")
    return found


@cache
def patterns(name: str, **where: str) -> tuple[Pattern, ...]:
    """The rows whose columns have the `where` values, their `pattern` compiled, in priority order."""
    chosen = [r for r in rows(name) if all(r[column] == value for column, value in where.items())]
    chosen.sort(key=lambda r: int(r.get("priority") or 0))
    return tuple(Pattern(re.compile(r["pattern"], re.IGNORECASE), r) for r in chosen)


@cache
def combined(name: str) -> re.Pattern[str]:
    """A table's patterns as one pass: group 1 of each match is a span some row matches, found at every
    position where a row matches (a lookahead, so overlapping rows are all seen)."""
    alternatives = "|".join(f"(?:{p.regex.pattern})" for p in patterns(name))
    return re.compile(f"(?=({alternatives}))", re.IGNORECASE)


def first_match(name: str, text: str, **where: str) -> Pattern | None:
    return next((p for p in patterns(name, **where) if p.regex.search(text)), None)


def truth(row: Mapping[str, str], column: str) -> bool:
    """A `true`/`false` cell of a table row."""
    if row[column] not in _TRUTH:
        raise ConfigError(f"mapping table column {column}: {row[column]!r} is not true or false")
    return _TRUTH[row[column]]
