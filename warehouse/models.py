"""Glue between the warehouse and the pure transforms: read core rows, call the transforms, write.

The transforms themselves (transform/outcomes, transform/meta, transform/verdicts) take and return
plain Python/pandas values and are tested without a database.
"""

from __future__ import annotations

import json
from collections import defaultdict

import duckdb

from ketamine_evidence.transform.claims import Claim, claims_frame
from ketamine_evidence.transform.drugs import normalize_drug, normalize_route
from ketamine_evidence.transform.meta import evidence_summary
from ketamine_evidence.transform.outcomes import outcome_rows, screening_rows
from ketamine_evidence.transform.verdicts import check_claims
from ketamine_evidence.warehouse.frames import insert_frame, insert_rows


def _records(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict]:
    frame = con.execute(sql).df()
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def _links(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    linked: dict[str, list[str]] = defaultdict(list)
    rows = con.execute("select pmid, nct_id from core.study_publication order by pmid, nct_id").fetchall()
    for pmid, nct_id in rows:
        linked[pmid].append(nct_id)
    return linked


def _routes(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], str]:
    found = con.execute(
        "select nct_id, drug, min(route) from core.intervention"
        " where drug is not null and route is not null group by nct_id, drug having count(distinct route) = 1"
    ).fetchall()
    return {(nct, drug): route for nct, drug, route in found}


def with_drug_and_route(row: dict) -> dict:
    """An intervention's drug and route from its name, other names and description (transform.drugs)."""
    name, description = row.get("name") or "", row.get("description") or ""
    other_names = json.loads(row.get("other_names") or "[]")
    route = normalize_route(name) or normalize_route(description)
    return {**row, "drug": normalize_drug(name, other_names, description), "route": route}


def with_registry_routes(rows: list[dict], routes: dict[tuple[str, str], str]) -> list[dict]:
    """Abstracts rarely name the route; take it from the trial's registered intervention for that drug."""
    return [
        {**row, "route": routes.get((row.get("nct_id"), row.get("drug")))} if not row.get("route") else row
        for row in rows
    ]


def with_default_windows(rows: list[dict]) -> list[dict]:
    """Relapse is measured after response, in continuation: an undated relapse row is a maintenance row."""
    relapse = ("relapse", "time_to_relapse")
    return [
        {**row, "time_window": "maintenance", "rule": f"{row.get('rule')}+window.relapse_is_maintenance"}
        if row.get("outcome_kind") in relapse and not row.get("time_window") else row
        for row in rows
    ]


def fill_core_outcomes(con: duckdb.DuckDBPyConnection, studies: list[dict]) -> None:
    """core.outcome and core.screening, from the latest study versions and publications.

    A publication's trials are every link in core.study_publication (DataBankList, registry
    reference or NCT id in the abstract), not only its DataBankList.
    """
    linked = _links(con)
    articles = _records(con, "select * from staging.pubmed_article order by pmid")
    publications = [{**a, "nct_ids": linked.get(a["pmid"], [])} for a in articles]
    rows = with_default_windows(with_registry_routes(outcome_rows(studies, publications), _routes(con)))
    insert_rows(con, "core.outcome", rows)
    insert_rows(con, "core.screening", screening_rows(studies, publications))


def fill_marts(con: duckdb.DuckDBPyConnection, claims: list[Claim]) -> None:
    """marts.claims, marts.evidence_summary and marts.claim_check from core.outcome."""
    outcomes = con.execute("select * from core.outcome").df()
    summary = evidence_summary(outcomes)
    insert_frame(con, "marts.claims", claims_frame(claims))
    insert_frame(con, "marts.evidence_summary", summary)
    insert_frame(con, "marts.claim_check", check_claims(claims, summary, outcomes))
