"""`ketamine-evidence claims`: the claims file as a terminal table, with verdicts when a warehouse exists."""

from __future__ import annotations

from dataclasses import fields

import duckdb

from ketamine_evidence.transform.claims import Claim, Scope
from ketamine_evidence.warehouse.history import relation_exists

MAX_SCOPE = 60


def scope_text(scope: Scope) -> str:
    parts = []
    for f in fields(scope):
        value = getattr(scope, f.name)
        if value is not None and value != "any":
            parts.append(f"{f.name}={value:g}" if isinstance(value, float) else f"{f.name}={value}")
    text = ", ".join(parts) or "any"
    return text if len(text) <= MAX_SCOPE else text[: MAX_SCOPE - 1] + "…"


def check_rows(con: duckdb.DuckDBPyConnection, claims: list[Claim] | None = None,
               verified_only: bool = False) -> dict[str, dict[str, object]]:
    """marts.claim_check rows by claim id: those the last build stored; for another claims file, judged
    now against the same evidence (queries.judge, which `report --claims` uses too)."""
    from ketamine_evidence.warehouse.report.queries import BUILT, JUDGED_FROM, VERIFIED, judge

    marts = VERIFIED if verified_only else BUILT
    if claims is None:
        if not relation_exists(con, marts.check):
            return {}
        frame = con.sql(f"select * from {marts.check}").df()
    elif not all(relation_exists(con, t) for t in (*JUDGED_FROM, marts.summary)):
        return {}
    else:
        frame = judge(con, claims, marts)
    return {str(row["claim_id"]): row for row in frame.to_dict("records")}


def verdicts(con: duckdb.DuckDBPyConnection, claims: list[Claim] | None = None,
             verified_only: bool = False) -> dict[str, str]:
    """The verdict of each claim (`check_rows`)."""
    return {cid: str(row["verdict"]) for cid, row in check_rows(con, claims, verified_only).items()}


def claims_text(claims: list[Claim], found: dict[str, str] | None) -> str:
    """A fixed-width table; the verdict column only when `found` is given (a warehouse exists)."""
    header = ["id", "metric", "figure", "scope", "checkable"] + (["verdict"] if found is not None else [])
    rows = [header]
    for claim in claims:
        row = [claim.id, claim.metric, claim.figure_text, scope_text(claim.scope), "yes" if claim.checkable else "no"]
        if found is not None:
            row.append(found.get(claim.id, "(not in warehouse)"))
        rows.append(row)
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines) + "\n"
