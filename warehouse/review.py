"""Review decisions in the warehouse: stored append-only in meta.review_decision, moved as a plain file.

`apply_sheet` reads a filled-in review sheet and stores its decisions, all or nothing. The build
(`warehouse.models.curated_outcomes`) applies what is stored on every rebuild, so a refresh never
undoes a person's work. `export_decisions` / `import_decisions` write and read the decisions file a
team keeps under version control; loading it into a new warehouse gives the same curated result.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from ketamine_evidence.warehouse.curation import DECISION_COLUMNS, DECISIONS, Decision, decision_id
from ketamine_evidence.warehouse.db import transaction
from ketamine_evidence.warehouse.errors import ReviewError
from ketamine_evidence.warehouse.history import relation_exists
from ketamine_evidence.warehouse.review_sheet import SheetContext, read_sheet

JSON_COLUMNS = ("before_values", "after_values")
TEXTS = """
select 'abstract', pmid, abstract from core.publication where abstract is not null
union all
select 'registry', nct_id, payload::varchar from raw.ctgov_study_current
"""


def stored_decisions(con: duckdb.DuckDBPyConnection) -> list[Decision]:
    rows = con.execute(f"select {', '.join(DECISION_COLUMNS)} from meta.review_decision "
                       "order by decided_at, decision_id").fetchall()
    return [_decision(dict(zip(DECISION_COLUMNS, row, strict=True))) for row in rows]


def _decision(fields: dict[str, Any]) -> Decision:
    for column in JSON_COLUMNS:
        value = fields.get(column)
        fields[column] = json.loads(value) if isinstance(value, str) and value else {}
    return Decision(**fields)


def record_texts(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], str]:
    """(source, record id) -> the text an added figure's span must occur in."""
    return {(source, rid): text for source, rid, text in con.execute(TEXTS).fetchall()}


def save_decisions(con: duckdb.DuckDBPyConnection, decisions: Sequence[Decision]) -> int:
    """Append the decisions not stored yet (by decision_id), in one transaction; returns how many."""
    known = {d for (d,) in con.execute("select decision_id from meta.review_decision").fetchall()}
    new = [d for d in decisions if d.decision_id not in known]
    placeholders = ", ".join("?" for _ in DECISION_COLUMNS)
    if not new:
        return 0
    with transaction(con):
        con.executemany(f"insert into meta.review_decision ({', '.join(DECISION_COLUMNS)}) values ({placeholders})",
                        [_stored_values(d) for d in new])
    return len(new)


def _stored_values(d: Decision) -> list[object]:
    values = vars(d)
    return [json.dumps(values[c], sort_keys=True, default=str) if c in JSON_COLUMNS else values[c]
            for c in DECISION_COLUMNS]


@dataclass(frozen=True)
class Applied:
    decisions: int
    by_word: dict[str, int]


def apply_sheet(con: duckdb.DuckDBPyConnection, path: str | Path, reviewer: str | None, adjudicate: bool = False,
                now: datetime | None = None) -> Applied:
    """Check every row of the sheet, then store its decisions; an invalid sheet stores nothing."""
    if not relation_exists(con, "core.outcome_curated"):
        raise ReviewError("this warehouse has no core.outcome_curated yet; run `ketamine-evidence refresh` first")
    frame = con.execute("select * from core.outcome_curated").df()
    rows = {r["outcome_id"]: r for r in frame.astype(object).where(frame.notna(), None).to_dict("records")}
    context = SheetContext(rows, record_texts(con), Path(path).name, reviewer, adjudicate,
                           now or datetime.now(UTC).replace(tzinfo=None))
    decisions = read_sheet(path, context)
    save_decisions(con, decisions)
    return Applied(len(decisions), dict(Counter(d.decision for d in decisions)))


def export_decisions(con: duckdb.DuckDBPyConnection, path: str | Path) -> int:
    """Write every stored decision, oldest first, as CSV (the columns of meta.review_decision)."""
    decisions = stored_decisions(con)
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(DECISION_COLUMNS)
        writer.writerows([_file_cell(v) for v in _stored_values(d)] for d in decisions)
    return len(decisions)


def _file_cell(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else value


def import_decisions(con: duckdb.DuckDBPyConnection, path: str | Path) -> int:
    """Store the decisions of a decisions file that this warehouse does not hold yet; returns how many."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as src:
            reader = csv.DictReader(src)
            if tuple(reader.fieldnames or ()) != DECISION_COLUMNS:
                raise ReviewError(f"{path}: not a decisions file (expected the columns {', '.join(DECISION_COLUMNS)})")
            decisions = [_from_file(line, row, path) for line, row in enumerate(reader, start=2)]
    except OSError as exc:
        raise ReviewError(f"{path}: cannot read the decisions file ({exc.strerror})") from None
    return save_decisions(con, decisions)


def _from_file(line: int, row: Mapping[str, str], path: str | Path) -> Decision:
    fields: dict[str, Any] = {c: (row.get(c) or None) for c in DECISION_COLUMNS}
    try:
        fields["decided_at"] = datetime.fromisoformat(str(fields["decided_at"]))
        fields["adjudicated"] = fields["adjudicated"] == "true"
        for column in ("span_start", "span_end"):
            fields[column] = None if fields[column] is None else int(fields[column])
        decision = _decision(fields)
    except (TypeError, ValueError) as exc:
        raise ReviewError(f"{path} line {line}: {exc}") from None
    if decision.decision not in DECISIONS or not decision.reviewer:
        raise ReviewError(f"{path} line {line}: decision {decision.decision!r} is not one of {', '.join(DECISIONS)}")
    if decision_id(vars(decision)) != decision.decision_id:
        raise ReviewError(f"{path} line {line}: decision {decision.decision_id} was edited (its id does not match)")
    return decision


STATUS_QUERIES = {
    "decisions": "select decision, count(*) from core.review_decision group by all order by 1",
    "states": "select state, count(*) from core.review_decision group by all order by 1",
    "rows": "select review_status, count(*) from core.outcome_curated group by all order by 1",
}
OPEN = """
select decision_id, reviewer, decision, record_id, outcome_kind, coalesce(arm_label, '(no arm)'), detail
from core.review_decision where state = ? order by record_id, outcome_kind, decided_at
"""
STILL_NEEDED = ("select count(*) from core.outcome_curated"
                " where needs_review and not checked and review_status <> 'rejected'")


def status_text(con: duckdb.DuckDBPyConnection) -> str:
    """Counts of decisions and rows, rows still needing a person, open conflicts and orphaned decisions."""
    if not relation_exists(con, "core.review_decision"):
        raise ReviewError("this warehouse has no review tables yet; run `ketamine-evidence refresh` first")
    counts = {name: con.execute(sql).fetchall() for name, sql in STATUS_QUERIES.items()}
    held = con.execute(STILL_NEEDED).fetchall()[0][0]
    conflicts = con.execute("select count(distinct outcome_id) from core.review_decision where state = 'conflict'")
    lines = [
        f"Decisions by word: {_pairs(counts['decisions'])}",
        f"Decisions by state: {_pairs(counts['states'])}",
        f"Rows by review status: {_pairs(counts['rows'])}",
        f"Rows still needing review (held, no settled decision): {held}",
        f"Rows with a conflict between reviewers: {conflicts.fetchall()[0][0]}",
    ]
    for state in ("conflict", "orphaned"):
        for d_id, who, word, record, kind, arm, detail in con.execute(OPEN, [state]).fetchall():
            lines.append(f"  {state}: {d_id} {who} {word} {record} {kind} {arm}: {detail}")
    return "\n".join(lines) + "\n"


def _pairs(rows: list[tuple[Any, ...]]) -> str:
    return ", ".join(f"{k} {n}" for k, n in rows) or "none"
