"""The trial-arm comparisons behind the pools, for the metapsy and RevMan exports.

A pooled group (marts.evidence_summary: drug x route x population x outcome kind x time window x
comparator type) keeps one reading per trial (transform.meta.select_trials); its `outcome_ids` are
that reading's arm rows. Here they are read back from core.outcome_curated, so every exported number
is a core row's. By default the groups are the mart's, built from rows in synthesis (rows held for
review stay out, as they stay out of the pools); `include_held` rebuilds the groups with the same
selection from every row not rejected of the trials screening includes (warehouse.models.NOT_REJECTED_ROWS),
and marks the comparisons that rest on an unchecked held row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import duckdb
import pandas as pd

from ketamine_evidence.transform.meta import GROUP_KEYS, evidence_summary
from ketamine_evidence.warehouse.history import relation_exists
from ketamine_evidence.warehouse.models import NOT_REJECTED_ROWS
from ketamine_evidence.warehouse.report.queries import KIND_ORDER, WINDOW_ORDER

MART = "marts.evidence_summary"
CURATED = "core.outcome_curated"
MART_READINGS = f"select {', '.join(GROUP_KEYS)}, outcome_ids from {MART}"

ARM_ROWS = f"""
select o.*, o.needs_review and not o.checked as held, s.acronym
from {CURATED} as o left join core.study as s on s.nct_id = o.nct_id
"""
# The study's main publication (marts.study_characteristics), else the PMID of its abstract rows.
LABELS = """
with main as (
    select {key} as study_key, main_pmid as pmid, 0 as preference from marts.study_characteristics
    union all
    select distinct study_key, pmid, 1 from core.outcome_curated where nct_id is null and pmid is not null
)
select main.study_key, p.first_author, p.pub_year
from main join core.publication as p on p.pmid = main.pmid
qualify row_number() over (partition by main.study_key order by main.preference, main.pmid) = 1
"""
_INITIALS = re.compile(r"\s+[A-Z]{1,3}$")


class MissingTables(Exception):
    """The warehouse lacks a table the exports read."""


@dataclass(frozen=True)
class Group:
    number: int
    keys: dict[str, object]

    @property
    def comparison(self) -> str:
        k = self.keys
        route = f" {k['route']}" if k["route"] else ""
        population = f" ({str(k['population']).upper()})" if k["population"] else ""
        return f"{k['drug']}{route}{population} vs {k['comparator_type']}"

    @property
    def outcome(self) -> str:
        return f"{self.keys['outcome_kind']}, {str(self.keys['time_window'] or 'window not given').replace('_', ' ')}"


def _need(con: duckdb.DuckDBPyConnection, tables: tuple[str, ...]) -> None:
    absent = [t for t in tables if not relation_exists(con, t)]
    if absent:
        verb = "is" if len(absent) == 1 else "are"
        raise MissingTables(f"{', '.join(absent)} {verb} not in this warehouse (run `ketamine-evidence refresh`)")


def _order(summary: pd.DataFrame) -> pd.DataFrame:
    """Groups numbered as the report numbers them (kind, window, then drug, route, population, comparator)."""
    rank = {"outcome_kind": KIND_ORDER, "time_window": WINDOW_ORDER}
    keys = summary.assign(**{f"_{c}": summary[c].map(lambda v, o=o: o.index(v) if v in o else len(o))
                             for c, o in rank.items()})
    keys = keys.sort_values(["_outcome_kind", "_time_window", "drug", "route", "population", "comparator_type"],
                            na_position="last", kind="stable")
    return keys.drop(columns=[f"_{c}" for c in rank]).assign(group_no=range(1, len(keys) + 1))


def readings(con: duckdb.DuckDBPyConnection, include_held: bool = False) -> pd.DataFrame:
    """One line per arm row of a chosen reading: group_no, the group keys (prefixed group_), outcome_id."""
    if include_held:
        _need(con, (CURATED, "core.study_inclusion"))
        summary = evidence_summary(con.execute(NOT_REJECTED_ROWS).df())
    else:
        _need(con, (MART,))
        summary = con.execute(MART_READINGS).df()
    summary = _order(summary[[*GROUP_KEYS, "outcome_ids"]])
    lines = summary.explode("outcome_ids").dropna(subset=["outcome_ids"])
    return lines.rename(columns={"outcome_ids": "outcome_id", **{k: f"group_{k}" for k in GROUP_KEYS}})


def study_labels(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """'Author, year' of each trial's main publication (metapsy's `study`), a/b added where two trials share one."""
    if not all(relation_exists(con, t) for t in ("marts.study_characteristics", "core.publication")):
        return {}
    columns = {c for (c,) in con.execute(
        "select column_name from information_schema.columns "
        "where table_schema = 'marts' and table_name = 'study_characteristics'").fetchall()}
    # Warehouses built before the mart listed publication-only studies key it by nct_id.
    found = con.execute(LABELS.format(key="study_key" if "study_key" in columns else "nct_id")).fetchall()
    named = sorted((str(key), str(author), int(year)) for key, author, year in found if key and author and year)
    base = {key: f"{_INITIALS.sub('', author).strip()}, {year}" for key, author, year in named}
    labels = {}
    for key, label in base.items():
        same = sorted(k for k, v in base.items() if v == label)
        labels[key] = label if len(same) == 1 else f"{label}{chr(ord('a') + same.index(key))}"
    return labels


def arm_rows(con: duckdb.DuckDBPyConnection, include_held: bool = False) -> pd.DataFrame:
    """The core.outcome_curated row of every arm in a chosen reading, with its group (group_no, group_*)."""
    _need(con, (*(() if include_held else (MART,)), CURATED, "core.study"))
    lines = readings(con, include_held)
    rows = con.execute(ARM_ROWS).df()
    frame = lines.merge(rows, on="outcome_id", how="inner", validate="many_to_one")
    return frame.astype(object).where(frame.notna(), None)


def groups(frame: pd.DataFrame) -> list[tuple[Group, pd.DataFrame]]:
    """(group, its arm rows) in group order."""
    keys = [f"group_{k}" for k in GROUP_KEYS]
    found = []
    for number, rows in frame.groupby("group_no", sort=True):
        first = rows.iloc[0]
        found.append((Group(int(number), {k: first[f"group_{k}"] for k in GROUP_KEYS}), rows.drop(columns=keys)))
    return found
