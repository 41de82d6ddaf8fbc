"""The review sheet: a CSV of extracted figures for people to check, and its filled-in rows read back.

`write_sheet` writes one row per core.outcome row (by default only those still needing a person).
`read_sheet` turns a filled-in sheet into decisions, checking every row first: the first bad row
stops it with one line naming the row, so nothing of an invalid sheet is applied.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from ketamine_evidence.transform.outcomes.classify import KINDS
from ketamine_evidence.transform.outcomes.rows import PROBLEM_FLAGS
from ketamine_evidence.warehouse.contracts import CORE_OUTCOME
from ketamine_evidence.warehouse.curation import DECISIONS, Decision, added_id, corrected, decision_id, record_id
from ketamine_evidence.warehouse.errors import ReviewError

# The figure a person checks: each of these cells may be edited in a `correct` row.
EDITABLE = (
    "outcome_kind", "arm_label", "drug", "route", "dose", "arm_role", "comparator_type", "population",
    "analysis_subset", "timepoint_days", "time_window", "events", "total", "proportion", "effect_type", "effect",
    "ci_lower", "ci_upper",
)
INTEGERS = ("events", "total")
NUMBERS = ("timepoint_days", "proportion", "effect", "ci_lower", "ci_upper")
IDENTITY = ("outcome_id", "study_key", "pmid", "nct_id", "source")
EVIDENCE = ("json_path", "span_start", "span_end", "span_text", "evidence", "flag", "needs_review", "why")
CURRENT = ("current_decision", "current_reviewers")
FILLED_IN = ("decision", "reviewer", "note")
SHEET_COLUMNS = (*IDENTITY, *EDITABLE, *EVIDENCE, *CURRENT, *FILLED_IN)
CONTEXT = 60  # characters of abstract shown either side of a span
ACCEPTED = {c.name: c.accepted for c in CORE_OUTCOME.columns if c.accepted}

SHEET_ROWS = """
select o.*, c.review_status, c.reviewed_by, p.abstract
from core.outcome as o
join core.outcome_curated as c using (outcome_id)
left join core.publication as p on p.pmid = o.pmid
where ? or c.review_status in ('machine', 'conflict')
order by o.needs_review desc, o.study_key, o.outcome_kind, o.source, o.arm_role, o.outcome_id
"""


def write_sheet(con: duckdb.DuckDBPyConnection, path: str | Path, every_row: bool = False) -> int:
    """Write the review sheet; returns the number of figure rows written."""
    frame = con.execute(SHEET_ROWS, [every_row]).df()
    rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=SHEET_COLUMNS)
        writer.writeheader()
        writer.writerows(_sheet_row(row) for row in rows)
    return len(rows)


def _sheet_row(row: Mapping[str, Any]) -> dict[str, object]:
    flags = _list(row.get("flag"))
    shown = (*IDENTITY, *EDITABLE, "json_path", "span_start", "span_end", "span_text")
    out: dict[str, object] = {c: _cell(row.get(c)) for c in shown}
    out.update(evidence=_evidence(row), flag=";".join(flags), needs_review="yes" if row["needs_review"] else "no",
               why="; ".join(_why(row, flags)), current_decision=row["review_status"],
               current_reviewers=", ".join(_list(row.get("reviewed_by"))))
    return out


def _list(value: Any) -> list[str]:
    return [] if value is None else [str(v) for v in value]


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def _evidence(row: Mapping[str, Any]) -> str:
    abstract, start, end = row.get("abstract"), row.get("span_start"), row.get("span_end")
    if row.get("source") != "abstract" or not abstract or start is None or end is None:
        return row.get("json_path") or row.get("span_text") or ""
    before = abstract[max(0, int(start) - CONTEXT):int(start)]
    after = abstract[int(end):int(end) + CONTEXT]
    return f"…{before}[{abstract[int(start):int(end)]}]{after}…".replace("\n", " ")


def _why(row: Mapping[str, Any], flags: list[str]) -> list[str]:
    reasons = ["held for review"] if row["needs_review"] else []
    reasons += [f for f in flags if f in PROBLEM_FLAGS or f == "registry_abstract_disagree"]
    if row["review_status"] == "conflict":
        reasons.append("reviewers disagree")
    elif row["review_status"] == "machine":
        reasons.append("no decision yet")
    return reasons


@dataclass(frozen=True)
class SheetRow:
    line: int
    cells: dict[str, str]

    def get(self, column: str) -> str:
        return (self.cells.get(column) or "").strip()

    @property
    def name(self) -> str:
        outcome = self.get("outcome_id")
        return f"line {self.line}" + (f" (outcome_id {outcome})" if outcome else "")

    def fail(self, message: str) -> ReviewError:
        return ReviewError(f"{self.name}: {message}")


def sheet_rows(path: str | Path) -> Iterator[SheetRow]:
    """The sheet's rows that carry a decision (a blank decision cell means: not looked at)."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as src:
            reader = csv.DictReader(src)
            missing = {"outcome_id", "decision"} - set(reader.fieldnames or ())
            if missing:
                raise ReviewError(f"{path}: not a review sheet (no {', '.join(sorted(missing))} column)")
            for line, cells in enumerate(reader, start=2):
                row = SheetRow(line, {k: v for k, v in cells.items() if k is not None})
                if row.get("decision"):
                    yield row
    except OSError as exc:
        raise ReviewError(f"{path}: cannot read the sheet ({exc.strerror})") from None


@dataclass(frozen=True)
class SheetContext:
    """What reading a sheet checks against: the extracted rows and each record's text."""

    rows: Mapping[str, Mapping[str, Any]]  # outcome_id -> core.outcome_curated row
    texts: Mapping[tuple[str, str], str]  # (source, record id) -> abstract, or registry payload
    sheet: str
    reviewer: str | None
    adjudicate: bool
    now: datetime


def read_sheet(path: str | Path, context: SheetContext) -> list[Decision]:
    """Every decision of the sheet; the first invalid row raises ReviewError naming it."""
    decisions: list[Decision] = []
    seen: set[tuple[str, str]] = set()
    for row in sheet_rows(path):
        decision = _decision(row, context)
        target = (decision.reviewer, decision.outcome_id or "")
        if target in seen:
            raise row.fail(f"a second decision by {decision.reviewer} on the same figure in one sheet")
        seen.add(target)
        decisions.append(decision)
    return decisions


def _decision(row: SheetRow, context: SheetContext) -> Decision:
    word = row.get("decision").lower()
    if word not in DECISIONS:
        raise row.fail(f"decision {row.get('decision')!r} is not one of {', '.join(DECISIONS)}")
    reviewer = row.get("reviewer") or context.reviewer
    if not reviewer:
        raise row.fail("no reviewer: fill the reviewer column or pass --reviewer")
    if word == "add":
        return _add(row, reviewer, context)
    outcome = context.rows.get(row.get("outcome_id"))
    if outcome is None:
        raise row.fail("unknown outcome_id (not in core.outcome of this warehouse)")
    after = _edits(row, outcome) if word == "correct" else {}
    if word == "correct" and not after:
        raise row.fail("decision correct, but no cell differs from the extracted row")
    _check_numbers(row, corrected(dict(outcome), after)[0])
    return _stored(row, word, reviewer, context, outcome, after)


def _edits(row: SheetRow, outcome: Mapping[str, Any]) -> dict[str, Any]:
    edits = {}
    for column in EDITABLE:
        if column not in row.cells:
            continue
        value = _parse(row, column)
        if not _same(value, outcome.get(column)):
            edits[column] = value
    return edits


def _same(a: object, b: object) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float | int) and isinstance(b, float | int):
        return math.isclose(float(a), float(b), rel_tol=1e-6, abs_tol=1e-9)
    return str(a) == str(b)


def _parse(row: SheetRow, column: str) -> Any:
    text = row.get(column)
    if not text:
        return None
    if column in INTEGERS or column in NUMBERS:
        try:
            number = float(text)
        except ValueError:
            raise row.fail(f"{column} {text!r} is not a number") from None
        if column in INTEGERS:
            if not number.is_integer() or number < 0:
                raise row.fail(f"{column} {text!r} is not a whole number of participants")
            return int(number)
        return number
    if column in ACCEPTED and text not in ACCEPTED[column]:
        raise row.fail(f"{column} {text!r} is not one of {', '.join(ACCEPTED[column])}")
    return text


def _check_numbers(row: SheetRow, values: Mapping[str, Any]) -> None:
    """The checks extracted rows get: a count within its denominator, a proportion within 0-1."""
    events, total, proportion = values.get("events"), values.get("total"), values.get("proportion")
    if events is not None and total is not None and events > total:
        raise row.fail(f"events {events} > total {total}")
    if proportion is not None and not 0 <= proportion <= 1:
        raise row.fail(f"proportion {proportion:g} is outside 0-1")


def _add(row: SheetRow, reviewer: str, context: SheetContext) -> Decision:
    pmid, nct_id = row.get("pmid"), row.get("nct_id")
    source, record = ("abstract", pmid) if pmid else ("registry", nct_id)
    if not record:
        raise row.fail("an add needs the pmid (abstract figure) or nct_id (registry figure) of its record")
    kind, span = row.get("outcome_kind"), row.get("span_text")
    if kind not in KINDS:
        raise row.fail(f"outcome_kind {kind!r} is not one of {', '.join(KINDS)}")
    text = context.texts.get((source, record))
    if text is None:
        raise row.fail(f"{'PMID' if pmid else ''}{record} is not in this warehouse")
    if not span or span not in text:
        where = "abstract" if pmid else "registry record"
        raise row.fail(f"the span_text {span!r} does not occur in the {where} of {record}")
    after = {c: v for c in EDITABLE if c not in ("outcome_kind", "arm_label") and (v := _parse(row, c)) is not None}
    _check_numbers(row, corrected({}, after)[0])
    arm = row.get("arm_label") or None
    new_id = added_id(source, None if pmid else nct_id, pmid or None, kind, arm, span)
    figure = {"outcome_id": new_id, "source": source, "pmid": pmid or None, "nct_id": nct_id or None,
              "outcome_kind": kind, "arm_label": arm, "span_text": span}
    return _stored(row, "add", reviewer, context, figure, after)


def _stored(row: SheetRow, word: str, reviewer: str, context: SheetContext, outcome: Mapping[str, Any],
            after: dict[str, Any]) -> Decision:
    before = {c: _plain(outcome.get(c)) for c in EDITABLE} if word != "add" else {}
    fields: dict[str, Any] = {
        "decided_at": context.now, "reviewer": reviewer, "decision": word, "adjudicated": context.adjudicate,
        "outcome_id": outcome.get("outcome_id"), "source": outcome["source"], "record_id": record_id(outcome),
        "outcome_kind": outcome["outcome_kind"], "arm_label": outcome.get("arm_label"),
        "json_path": outcome.get("json_path"), "span_text": outcome.get("span_text"),
        "span_start": _int(outcome.get("span_start")), "span_end": _int(outcome.get("span_end")),
        "before_values": before, "after_values": after, "note": row.get("note") or None, "sheet": context.sheet,
    }
    return Decision(decision_id=decision_id(fields), **fields)


def _plain(value: Any) -> Any:
    value = value.item() if hasattr(value, "item") else value
    return None if isinstance(value, float) and math.isnan(value) else value


def _int(value: Any) -> int | None:
    value = _plain(value)
    return None if value is None else int(value)
