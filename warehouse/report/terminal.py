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


def verdicts(con: duckdb.DuckDBPyConnection, claims: list[Claim] | None = None,
             verified_only: bool = False) -> dict[str, str]:
    """Verdicts stored by the last build; for another claims file, judged now against the same evidence
    (queries.judge, which `report --claims` uses too)."""
    from ketamine_evidence.warehouse.report.queries import BUILT, VERIFIED, judge

    marts = VERIFIED if verified_only else BUILT
    if claims is None:
        if not relation_exists(con, marts.check):
            return {}
        return dict(con.execute(f"select claim_id, verdict from {marts.check}").fetchall())
    if not (relation_exists(con, "core.outcome_curated") and relation_exists(con, marts.summary)):
        return {}
    checked = judge(con, claims, marts)
    return dict(zip(checked["claim_id"], checked["verdict"], strict=True))


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
