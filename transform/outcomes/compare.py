"""Registry and abstract rows that report the same figure: keep both, flag disagreements beyond rounding."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from ketamine_evidence.transform.outcomes.rows import Row, add_flag, append_flag

_SAME_ARM = {"oral_ad_placebo": "placebo"}


def _key(row: Row) -> tuple:
    drug = _SAME_ARM.get(row.get("drug") or "", row.get("drug"))
    return row.get("nct_id"), row.get("outcome_kind"), drug, row.get("analysis_subset")


def _same_point(abstract: Row, registry: Row) -> bool:
    if abstract.get("time_window") is None:
        return True
    if abstract.get("timepoint_days") is not None and registry.get("timepoint_days") is not None:
        return abs(abstract["timepoint_days"] - registry["timepoint_days"]) < 0.5
    return abstract.get("time_window") == registry.get("time_window")


def _same_dose(abstract: Row, registry: Row) -> bool:
    return not (abstract.get("dose") and registry.get("dose")) or abstract["dose"] == registry["dose"]


def _half_unit(proportion: float) -> float:
    pct = proportion * 100
    return 0.005 if abs(pct - round(pct)) < 1e-6 else 0.0005


def _agree(abstract: Row, registry: Row) -> bool | None:
    if abstract.get("effect") is not None or registry.get("effect") is not None:
        if abstract.get("effect") is None or registry.get("effect") is None:
            return None
        return abs(abstract["effect"] - registry["effect"]) <= 0.0051
    a, r = abstract.get("proportion"), registry.get("proportion")
    if a is None or r is None:
        return None
    return abs(a - r) <= _half_unit(a) + _half_unit(r) + 1e-9


def compare_sources(rows: Iterable[Row]) -> list[Row]:
    """All rows, with `registry_abstract_disagree` on abstract rows no matching registry figure supports."""
    out = [dict(r) for r in rows]
    registry: dict[tuple, list[Row]] = defaultdict(list)
    for row in out:
        if row.get("source") == "registry" and row.get("nct_id"):
            registry[_key(row)].append(row)
    for row in out:
        if row.get("source") != "abstract" or not row.get("nct_id"):
            continue
        candidates = [r for r in registry.get(_key(row), []) if _same_point(row, r) and _same_dose(row, r)]
        verdicts = [v for v in (_agree(row, r) for r in candidates) if v is not None]
        if any(verdicts):
            append_flag(row, "registry_agrees", "the registry posts the same figure for this arm, kind and timepoint.")
            row["confidence"] = "high"
            continue
        if verdicts:
            closest = _closest(row, candidates)
            reason = f"registry posts {_show(closest)} for the same arm, kind and timepoint ({closest['json_path']})."
            add_flag(row, "registry_abstract_disagree", reason)
            add_flag(closest, "registry_abstract_disagree", f"abstract PMID {row['pmid']} reports {_show(row)}.")
    for row in out:
        if row.get("source") == "abstract" and "registry_agrees" not in (row.get("flag") or []):
            append_flag(row, "abstract_unverified", "no registry figure confirms this figure; a person must.")
    return out


def _closest(row: Row, candidates: list[Row]) -> Row:
    field = "effect" if row.get("effect") is not None else "proportion"
    usable = [c for c in candidates if c.get(field) is not None]
    return min(usable, key=lambda c: abs(c[field] - row[field]))


def _show(row: Row) -> str:
    if row.get("effect") is not None:
        return f"{row['effect_type']} {row['effect']:g}"
    return f"{row['proportion'] * 100:.1f}%"
