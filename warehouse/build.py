"""Rebuild staging, core and marts from the latest raw versions: one graph of models, one transaction.

Nothing here talks to the network: the whole warehouse can be rebuilt offline from `raw`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import duckdb

from ketamine_evidence.transform.claims import load_claims
from ketamine_evidence.transform.outcomes.rows import PROBLEM_FLAGS
from ketamine_evidence.warehouse.contracts import Table
from ketamine_evidence.warehouse.db import bulk_gc, transaction
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


def build(con: duckdb.DuckDBPyConnection, claims_path: str | None = None, verified_only: bool = False,
          *, full: bool = False) -> BuildCounts:
    """Recreate staging, core and marts; on any error nothing changes (the previous build stays).

    The review decisions stored in meta.review_decision are applied on every build; with
    `verified_only` the main marts pool only the rows a person checked. When the last build ran the
    same rules (`rules_version`), the staging tables are kept and only raw versions not yet in them are
    parsed (`kept_tables`); `full` rebuilds them anyway. Either way the tables end up the same.
    """
    claims = load_claims(claims_path) if claims_path else load_claims()  # a bad file stops here, before anything
    graph = models()
    version = rules_version()
    with bulk_gc(), transaction(con):
        kept = frozenset() if full else kept_tables(con, graph, version)
        context = BuildContext(claims, verified_only)
        run_models(con, graph, context, kept)
        con.execute("insert into meta.build_state values (now()::timestamp, ?, ?, ?, ?)",
                    [version, "incremental" if kept else "full", context.parsed.get("ctgov"),
                     context.parsed.get("pubmed")])
    return count_core(con)


# What decides the rows the kept (staging) tables hold: the parsers, the normalization code and its mapping
# tables, the contracts and the build itself. A change in any of them makes the next build a full one.
RULE_SOURCES = ("transform", "extract/ctgov/parse.py", "extract/pubmed/parse.py", "warehouse/models.py",
                "warehouse/contracts.py", "warehouse/graph.py", "warehouse/build.py", "warehouse/sql")
RULE_SUFFIXES = (".py", ".csv", ".yaml", ".sql")


@cache
def rules_version() -> str:
    """The digest of RULE_SOURCES in the installed package, recorded in meta.build_state."""
    return sources_digest(Path(str(resources.files("ketamine_evidence"))), RULE_SOURCES)


def sources_digest(root: Path, sources: tuple[str, ...]) -> str:
    """SHA-256 over the files (RULE_SUFFIXES) of each source under `root`: their paths and bytes."""
    digest = hashlib.sha256()
    for source in sources:
        path = root / source
        files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.suffix in RULE_SUFFIXES)
        for file in files:
            digest.update(f"{file.relative_to(root)}\0".encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()


def kept_tables(con: duckdb.DuckDBPyConnection, graph: list[Model], version: str) -> frozenset[str]:
    """Tables of incremental models the build may update in place: the last build ran the same rules and
    each table still has its contract's columns. Otherwise none (a full build)."""
    last = con.execute("select rules_version from meta.build_state order by built_at desc limit 1").fetchall()
    if not last or last[0][0] != version:
        return frozenset()
    tables = [t for model in graph if model.incremental for t in model.writes]
    found = con.execute(
        "select schema_name || '.' || table_name, list(column_name order by column_index) from duckdb_columns()"
        " where database_name = current_database() group by all").fetchall()
    columns = {name: tuple(cols) for name, cols in found}
    if any(columns.get(t.qualified) != t.column_names for t in tables):
        return frozenset()
    return frozenset(t.qualified for t in tables)


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
