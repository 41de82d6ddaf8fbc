"""Score abstract_outcomes against the hand labels in tests/data/abstract_labels/ (real PubMed records
of an esketamine literature search, read in place from ../shared)."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ketamine_evidence.extract.pubmed.parse import ArticleRecord, iter_pubmed_xml
from ketamine_evidence.transform.outcomes import abstract_outcomes
from ketamine_evidence.transform.outcomes.rows import holding_flags, with_review

LABELS = Path(__file__).resolve().parents[1] / "data" / "abstract_labels"
KINDS = ("response", "remission", "relapse", "time_to_relapse")
_SAME_DRUG = {"ect": "ECT", "oral_ad_placebo": "placebo", "sham": "placebo", "saline": "placebo"}


def label_rows(name: str) -> list[dict[str, str]]:
    with (LABELS / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def records(search: Path, pmids: set[str]) -> dict[str, dict[str, Any]]:
    """The labelled PMIDs' parsed fields, from the search's efetch files."""
    found: dict[str, dict[str, Any]] = {}
    for path in [search / "comparator_named_pubmed.xml", *sorted((search / "search-records").glob("efetch-*.xml"))]:
        for record in iter_pubmed_xml(path, name=path.name):
            if isinstance(record, ArticleRecord) and record.pmid in pmids:
                found.setdefault(record.pmid, record.fields)
    return found


def extract(fields: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows as the build writes them (needs_review set from the flags)."""
    return with_review(abstract_outcomes(
        str(fields["pmid"]), fields.get("abstract") or "", title=fields.get("title") or "",
        nct_ids=tuple(fields.get("nct_ids") or ()), publication_types=tuple(fields.get("publication_types") or ()),
    ))  # fmt: skip


def _num(text: str) -> float | None:
    return float(text) if text.strip() else None


def _drug(value: str | None) -> str | None:
    return _SAME_DRUG.get(value or "", value or None)


def _overlaps(label: dict[str, str], row: dict[str, Any]) -> bool:
    return row["span_start"] < int(label["span_end"]) and int(label["span_start"]) < row["span_end"]


def is_effect(label: dict[str, str]) -> bool:
    return bool(label["effect_type"])


def matches(label: dict[str, str], row: dict[str, Any]) -> bool:
    """Same place, kind, arm and numbers (as far as the label states them)."""
    if not _overlaps(label, row) or row["outcome_kind"] != label["outcome_kind"]:
        return False
    if label["drug"] and label["drug"] != "other" and _drug(label["drug"]) != _drug(row.get("drug")):
        return False
    if label["arm_role"] and not is_effect(label) and label["arm_role"] != row.get("arm_role"):
        return False
    if is_effect(label):
        effect = _num(label["effect"])
        return effect is None or (row.get("effect") is not None and abs(row["effect"] - effect) <= 0.006)
    for name, tolerance in (("events", 0.0), ("total", 0.0), ("proportion", 0.006)):
        want = _num(label[name])
        got = row.get(name)
        if want is not None and got is not None and abs(got - want) > tolerance:
            return False
        if name == "proportion" and want is not None and got is None:
            return False
        if name == "events" and want is not None and got is None and _num(label["proportion"]) is None:
            return False
    return True


@dataclass
class Score:
    targets: int = 0
    rows: int = 0  # rows written without needs_review
    held: int = 0  # rows written with needs_review
    right: int = 0  # unheld rows that match a target
    found: int = 0  # targets matched by an unheld row
    found_any: int = 0  # targets matched by any row, held or not
    non_outcomes: int = 0
    non_outcomes_taken: int = 0  # non-outcome numbers under an unheld row that matches no target
    non_outcomes_under_any: int = 0  # non-outcome numbers under any row (held or not) that matches no target
    wrong: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)  # targets no unheld row matches
    by_confidence: dict[str, list[int]] = field(default_factory=dict)  # confidence -> [rows, right], unheld rows
    by_level: dict[tuple[str, bool], list[int]] = field(default_factory=dict)  # (confidence, held) -> [rows, right]
    by_reason: dict[str, list[int]] = field(default_factory=dict)  # first holding flag -> [rows, right], held rows

    @property
    def precision(self) -> float:
        return self.right / self.rows if self.rows else 1.0

    @property
    def recall(self) -> float:
        return self.found / self.targets if self.targets else 1.0

    @property
    def non_outcome_rate(self) -> float:
        return self.non_outcomes_taken / self.non_outcomes if self.non_outcomes else 0.0


def score(split: str | None, search: Path, kinds: tuple[str, ...] = KINDS, labeller: str | None = None) -> Score:
    """Precision and recall of the unheld rows (needs_review false) on the labelled abstracts of `split`
    (and of one labeller's abstracts when `labeller` is given)."""
    chosen = {
        a["pmid"] for a in label_rows("abstracts")
        if (split is None or a["split"] == split) and (labeller is None or a["labeller"] == labeller)
    }  # fmt: skip
    labels = [r for r in label_rows("figures") if r["pmid"] in chosen]
    fields = records(search, chosen)
    result = Score()
    for pmid in sorted(chosen):
        rows = [r for r in extract(fields[pmid]) if r["outcome_kind"] in kinds]
        _score_one(result, [lab for lab in labels if lab["pmid"] == pmid], rows, kinds)
    return result


def _score_one(result: Score, labels: list[dict[str, str]], rows: list[dict[str, Any]], kinds: tuple[str, ...]) -> None:
    targets = [lab for lab in labels if lab["is_outcome"] == "true" and lab["outcome_kind"] in kinds]
    others = [lab for lab in labels if lab["is_outcome"] != "true"]
    result.targets += len(targets)
    result.non_outcomes += len(others)
    unheld = [r for r in rows if not r["needs_review"]]
    result.rows += len(unheld)
    result.held += len(rows) - len(unheld)
    for t in targets:
        found = any(matches(t, r) for r in unheld)
        result.found += found
        result.found_any += any(matches(t, r) for r in rows)
        if not found:
            result.missed.append(f"{t['pmid']} {t['outcome_kind']} {t['drug']} {t['span_text']!r}")
    for row in rows:
        ok = any(matches(t, row) for t in targets)
        _tally(result.by_level, (str(row["confidence"]), bool(row["needs_review"])), ok)
        if row["needs_review"]:
            _tally(result.by_reason, _holding_reason(row), ok)
        elif not ok:
            result.wrong.append(f"{row['pmid']} {row['outcome_kind']} {row.get('drug')} {row['span_text']!r}")
        if not ok:
            result.non_outcomes_under_any += sum(_overlaps(o, row) for o in others)
    for row in unheld:
        ok = any(matches(t, row) for t in targets)
        _tally(result.by_confidence, str(row["confidence"]), ok)
        result.right += ok
        if not ok:
            result.non_outcomes_taken += sum(_overlaps(o, row) for o in others)


def _tally(table: dict[Any, list[int]], key: Any, ok: bool) -> None:
    counts = table.setdefault(key, [0, 0])
    counts[0] += 1
    counts[1] += ok


def _holding_reason(row: dict[str, Any]) -> str:
    held = holding_flags(row)
    return held[0].name if held else "?"
