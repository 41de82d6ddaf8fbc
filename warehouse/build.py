"""Rebuild staging, core and marts from the latest raw versions: one graph of models, one transaction.

Nothing here talks to the network: the whole warehouse can be rebuilt offline from `raw`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import duckdb

from ketamine_evidence.transform.claims import load_claims
from ketamine_evidence.transform.outcomes.rows import PROBLEM_FLAGS
from ketamine_evidence.warehouse.contracts import Table
from ketamine_evidence.warehouse.db import transaction
from ketamine_evidence.warehouse.graph import BUILT_LAYERS, Model, ordered, run_models, sql_model
from ketamine_evidence.warehouse.models import PYTHON_MODELS, BuildContext
from ketamine_evidence.warehouse.sql_files import objects


@dataclass(frozen=True)
class BuildCounts:
    studies: int
    publications: int
    outcomes: int
    flagged_outcomes: int  # rows with a problem flag (transform.outcomes.rows.PROBLEM_FLAGS)
    flag_counts: str  # JSON: rows per flag, problem and note flags alike


def models() -> list[Model]:
    """Every model of the build, in dependency order: the SQL files of the built layers and PYTHON_MODELS."""
    sql = [sql_model(obj) for layer in BUILT_LAYERS for obj in objects(layer)]
    return ordered([*PYTHON_MODELS, *sql])


def built_tables() -> list[Table]:
    """The contract of every table the build writes, by layer, then in build order."""
    tables = [t for model in models() for t in model.writes]
    return sorted(tables, key=lambda t: BUILT_LAYERS.index(t.layer))


def contract(qualified: str) -> Table:
    """The contract of a table the build writes (its DDL creates it empty, e.g. in tests)."""
    found = {t.qualified: t for t in built_tables()}
    if qualified not in found:
        raise KeyError(f"no model writes {qualified}")
    return found[qualified]


def build(con: duckdb.DuckDBPyConnection, claims_path: str | None = None, verified_only: bool = False) -> BuildCounts:
    """Recreate staging, core and marts; on any error nothing changes (the previous build stays).

    The review decisions stored in meta.review_decision are applied on every build; with
    `verified_only` the main marts pool only the rows a person checked.
    """
    claims = load_claims(claims_path) if claims_path else load_claims()  # a bad file stops here, before anything
    graph = models()
    with transaction(con):
        run_models(con, graph, BuildContext(claims, verified_only))
    return count_core(con)


def count_core(con: duckdb.DuckDBPyConnection) -> BuildCounts:
    def one(sql: str) -> int:
        return int(con.execute(sql).fetchall()[0][0])

    flags = con.execute(
        "select tag, count(*) from (select unnest(flag) as tag from core.outcome) group by tag order by tag"
    ).fetchall()
    problem = con.execute(
        "select count(*) from core.outcome where list_has_any(flag, ?)",
        [sorted(PROBLEM_FLAGS)]).fetchall()[0][0]
    return BuildCounts(
        studies=one("select count(*) from core.study"),
        publications=one("select count(*) from core.publication"),
        outcomes=one("select count(*) from core.outcome"),
        flagged_outcomes=problem,
        flag_counts=json.dumps(dict(flags)),
    )
