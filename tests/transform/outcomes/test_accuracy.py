"""Recall and precision of registry_outcomes / abstract_outcomes against the sample's hand-written figures."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from ketamine_evidence.transform.outcomes import abstract_outcomes
from tests.conftest import SAMPLE
from tests.support.registry import registry_rows
from tests.transform.outcomes.test_abstracts import read_abstracts

SAME_DRUG = {"oral_ad_placebo": "placebo", "ECT": "ect"}
FLOOR = {"registry": (0.95, 0.9), "abstract": (0.9, 0.9)}


def expected(name: str) -> list[dict[str, str]]:
    path = SAMPLE / "expected" / f"{name}.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def produced(name: str) -> list[dict[str, Any]]:
    if name == "registry":
        files = sorted((SAMPLE / "ctgov").glob("*.json"))
        return [r for f in files for r in registry_rows(json.loads(f.read_text(encoding="utf-8")))]
    rows = []
    for path in sorted((SAMPLE / "pubmed").glob("*.xml")):
        for pmid, art in read_abstracts(Path(path)).items():
            rows.extend(abstract_outcomes(pmid, art["abstract"], title=art["title"], nct_ids=art["nct_ids"]))
    return rows


def _num(text: str) -> float | None:
    return float(text) if text not in ("", None) else None


def _drug(value: str | None) -> str | None:
    return SAME_DRUG.get(value or "", value or None)


def matches(exp: dict[str, str], row: dict[str, Any]) -> bool:
    if row.get("nct_id") != (exp.get("nct_id") or None) or row["outcome_kind"] != exp["outcome_kind"]:
        return False
    if "pmid" in exp and row.get("pmid") != exp["pmid"]:
        return False
    if ".analyses[" in (exp.get("json_path") or ""):  # a posted effect is identified by its analysis
        return row.get("effect_json_path") == exp["json_path"] and _same_numbers(exp, row)
    days = _num(exp["timepoint_days"])
    got_days = row["timepoint_days"]
    if (days is None) != (got_days is None) or (days is not None and abs(days - got_days) > 0.5):
        return False
    if exp.get("json_path") and exp.get("group_id") and row.get("json_path") != exp["json_path"]:
        return False
    if exp.get("arm_drug") and _drug(exp["arm_drug"]) != _drug(row.get("drug")):
        return False
    return _same_numbers(exp, row)


def _same_numbers(exp: dict[str, str], row: dict[str, Any]) -> bool:
    effect = _num(exp["effect"])
    if effect is not None:
        got = row.get("effect")
        scale = 100 if exp["effect_type"] == "RD" else 1
        return got is not None and row["effect_type"] == exp["effect_type"] and abs(got * scale - effect) < 0.006
    rate = _num(exp["rate_pct"])
    return row.get("proportion") is not None and rate is not None and abs(row["proportion"] * 100 - rate) < 0.051


def score(name: str) -> tuple[float, float, list[dict[str, str]], list[dict[str, Any]]]:
    """Greedy one-to-one matching: a produced row answers at most one expected arm figure and at most
    one expected effect (a row carries both its arm's figure and the between-arm effect)."""
    exp, got = expected(name), produced(name)
    used: set[tuple[int, str]] = set()
    missed = []
    for e in exp:
        part = "effect" if _num(e["effect"]) is not None else "rate"
        hit = next((i for i, r in enumerate(got) if (i, part) not in used and matches(e, r)), None)
        if hit is None:
            missed.append(e)
        else:
            used.add((hit, part))
    matched_rows = {i for i, _ in used}
    extra = [r for i, r in enumerate(got) if i not in matched_rows]
    return 1 - len(missed) / len(exp), 1 - len(extra) / len(got), missed, extra


@pytest.mark.parametrize("name", ["registry", "abstract"])
def test_recall_and_precision(name: str) -> None:
    recall, precision, missed, extra = score(name)
    print(f"\n{name}: recall {recall:.3f}, precision {precision:.3f}")
    for e in missed:
        print("  missed:", {k: v for k, v in e.items() if v})
    for r in extra:
        print(
            "  extra:",
            {
                k: r[k]
                for k in (
                    "pmid",
                    "nct_id",
                    "outcome_kind",
                    "timepoint_days",
                    "drug",
                    "proportion",
                    "effect",
                    "span_text",
                    "json_path",
                )
                if r.get(k) is not None
            },
        )
    assert recall >= FLOOR[name][0] and precision >= FLOOR[name][1]
