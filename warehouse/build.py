"""Rebuild staging, core and marts from the latest raw versions, in one transaction.

Nothing here talks to the network: the whole warehouse can be rebuilt offline from `raw`.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

import duckdb

from ketamine_evidence.extract.ctgov.parse import flatten_study
from ketamine_evidence.extract.pubmed.parse import parse_article_xml
from ketamine_evidence.warehouse.db import transaction
from ketamine_evidence.warehouse.frames import insert_rows
from ketamine_evidence.warehouse.models import with_drug_and_route
from ketamine_evidence.warehouse.sql_files import run_layer

LATEST_STUDIES = "select nct_id, payload, sha256, fetched_at from raw.ctgov_study_current order by nct_id"
LATEST_ARTICLES = "select pmid, payload, sha256, fetched_at from raw.pubmed_article_current order by pmid"


@dataclass(frozen=True)
class BuildCounts:
    studies: int
    publications: int
    outcomes: int
    flagged_outcomes: int  # rows with a problem flag (transform.outcomes.rows.PROBLEM_FLAGS)
    flag_counts: str  # JSON: rows per flag, problem and note flags alike


def latest_studies(con: duckdb.DuckDBPyConnection) -> Iterator[tuple[dict, str]]:
    for _nct, payload, sha, _when in con.execute(LATEST_STUDIES).fetchall():
        yield json.loads(payload), sha


def latest_articles(con: duckdb.DuckDBPyConnection) -> Iterator[tuple[dict, str, object]]:
    for _pmid, payload, sha, when in con.execute(LATEST_ARTICLES).fetchall():
        yield parse_article_xml(payload.encode("utf-8")), sha, when


def _load_ctgov_staging(con: duckdb.DuckDBPyConnection, studies: list[tuple[dict, str]]) -> None:
    tables: dict[str, list[dict]] = defaultdict(list)
    for study, sha in studies:
        for table, rows in flatten_study(study).items():
            tables[table].extend({**row, "raw_sha256": sha} for row in rows)
    tables["ctgov_intervention"] = [with_drug_and_route(row) for row in tables["ctgov_intervention"]]
    for table, rows in tables.items():
        insert_rows(con, f"staging.{table}", rows)


def _load_pubmed_staging(con: duckdb.DuckDBPyConnection, articles: list[tuple[dict, str, object]]) -> None:
    rows = [{**fields, "raw_sha256": sha, "fetched_at": when} for fields, sha, when in articles]
    for row in rows:
        row["abstract_sections"] = json.dumps(row.get("abstract_sections") or [])
    insert_rows(con, "staging.pubmed_article", rows)


def build(con: duckdb.DuckDBPyConnection) -> BuildCounts:
    """Recreate staging, core and marts; on any error nothing changes (the previous build stays)."""
    from ketamine_evidence.transform.claims import load_claims
    from ketamine_evidence.warehouse.models import fill_core_outcomes, fill_marts

    claims = load_claims()  # a bad claims file stops here, before anything changes
    studies = list(latest_studies(con))
    articles = list(latest_articles(con))
    with transaction(con):
        run_layer(con, "staging")
        _load_ctgov_staging(con, studies)
        _load_pubmed_staging(con, articles)
        run_layer(con, "core")
        fill_core_outcomes(con, [s for s, _ in studies])
        run_layer(con, "marts")
        fill_marts(con, claims)
    return count_core(con)


def count_core(con: duckdb.DuckDBPyConnection) -> BuildCounts:
    from ketamine_evidence.transform.outcomes.rows import PROBLEM_FLAGS

    def one(sql: str) -> int:
        return con.execute(sql).fetchall()[0][0]

    flags = con.execute(
        "select tag, count(*) from (select unnest(string_split(flag, ';')) as tag from core.outcome"
        " where flag is not null) group by tag order by tag").fetchall()
    problem = con.execute(
        "select count(*) from core.outcome where list_has_any(string_split(coalesce(flag, ''), ';'), ?)",
        [sorted(PROBLEM_FLAGS)]).fetchall()[0][0]
    return BuildCounts(
        studies=one("select count(*) from core.study"),
        publications=one("select count(*) from core.publication"),
        outcomes=one("select count(*) from core.outcome"),
        flagged_outcomes=problem,
        flag_counts=json.dumps(dict(flags)),
    )
