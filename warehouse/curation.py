"""Review decisions applied to extracted figures: find each decision's row, settle reviewers, curate.

A decision is keyed by the figure it is about, not by a warehouse row id, so it finds its row again
after any re-extraction: the record (NCT id for registry rows, PMID for abstract rows), the outcome
kind and arm label as extracted, and the evidence (registry: JSON path and posted value string;
abstract: span text, with the offsets to choose between equal spans). A decision whose figure is no
longer there is orphaned: kept, reported, never applied to another row.

Per row, decisions settle in this order: the latest adjudication wins; else each reviewer's latest
decision counts, and the row is decided only when those all agree (same decision, same values);
reviewers who disagree make a conflict, and the row counts as unreviewed until adjudicated.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ketamine_evidence.transform.outcomes.rows import COLUMNS, POOL_EXCLUDED_FLAGS, outcome_id
from ketamine_evidence.transform.outcomes.timepoints import time_window
from ketamine_evidence.warehouse.sql_files import objects

Row = dict[str, Any]
COUNTED = ("events", "total", "proportion")
DECISION_CONTRACT = next(o.contract() for o in objects("meta") if o.qualified == "meta.review_decision")
DECISIONS = next(c.accepted for c in DECISION_CONTRACT.columns if c.name == "decision")
DECISION_COLUMNS = DECISION_CONTRACT.column_names


@dataclass(frozen=True)
class Decision:
    """One row of meta.review_decision."""

    decision_id: str
    decided_at: datetime
    reviewer: str
    decision: str
    adjudicated: bool
    outcome_id: str | None
    source: str
    record_id: str
    outcome_kind: str
    arm_label: str | None
    json_path: str | None
    span_text: str | None
    span_start: int | None
    span_end: int | None
    before_values: dict[str, Any] = field(default_factory=dict)
    after_values: dict[str, Any] = field(default_factory=dict)
    note: str | None = None
    sheet: str | None = None

    @property
    def evidence(self) -> str | None:
        return self.json_path or self.span_text

    @property
    def verdict(self) -> tuple[str, str]:
        """What the decision says about its row: two decisions agree when these are equal."""
        return self.decision, json.dumps(self.after_values, sort_keys=True)


def decision_id(fields: Mapping[str, Any]) -> str:
    """First 16 hex of sha1 over everything a decision says, so a decisions file loads idempotently."""
    text = json.dumps({k: v for k, v in fields.items() if k != "decision_id"}, sort_keys=True, default=str)
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def record_id(row: Mapping[str, Any]) -> str | None:
    return row.get("pmid") if row.get("source") == "abstract" else row.get("nct_id")


def figure_key(row: Mapping[str, Any]) -> tuple[object, ...]:
    return row.get("source"), record_id(row), row.get("outcome_kind"), row.get("arm_label")


def added_id(source: str, nct_id: str | None, pmid: str | None, kind: str, arm: str | None, span: str) -> str:
    """The id of a figure a person added: from its key, so every warehouse gives it the same id."""
    return outcome_id(source, nct_id, pmid, "\x1f".join(("review_add", kind, arm or "", span)))


@dataclass(frozen=True)
class Found:
    row: Row | None
    detail: str | None = None


class RowIndex:
    """The extracted rows of one build, by figure key, to find each decision's row."""

    def __init__(self, rows: Iterable[Row]) -> None:
        self._by_key: dict[tuple[object, ...], list[Row]] = defaultdict(list)
        for row in rows:
            self._by_key[figure_key(row)].append(row)

    def find(self, d: Decision) -> Found:
        candidates = self._by_key.get((d.source, d.record_id, d.outcome_kind, d.arm_label), [])
        if d.source == "registry":
            same = [r for r in candidates if r.get("json_path") == d.json_path and r.get("span_text") == d.span_text]
        else:
            same = [r for r in candidates if r.get("span_text") == d.span_text]
            if len(same) > 1:
                same = [r for r in same if (r.get("span_start"), r.get("span_end")) == (d.span_start, d.span_end)]
        if len(same) == 1:
            return Found(same[0])
        if same:
            return Found(None, "more than one extracted row has this key")
        return Found(None, f"{d.record_id} no longer has a {d.outcome_kind} figure for arm "
                           f"{d.arm_label or '(none)'} at {d.evidence!r}")


@dataclass
class Settled:
    """The decisions of one row: which apply, and the state of each."""

    applied: list[Decision]
    states: dict[str, tuple[str, str | None]]

    @property
    def conflict(self) -> bool:
        return not self.applied and any(state == "conflict" for state, _ in self.states.values())


def settle(decisions: Sequence[Decision]) -> Settled:
    ordered = sorted(decisions, key=lambda d: (d.decided_at, d.decision_id))
    adjudications = [d for d in ordered if d.adjudicated]
    if adjudications:
        final = adjudications[-1]
        states: dict[str, tuple[str, str | None]] = {
            d.decision_id: ("settled", f"adjudicated by {final.reviewer}") for d in ordered}
        states[final.decision_id] = ("applied", None)
        return Settled([final], states)
    latest: dict[str, Decision] = {}
    states = {}
    for d in ordered:
        if d.reviewer in latest:
            states[latest[d.reviewer].decision_id] = ("superseded", f"{d.reviewer} decided again")
        latest[d.reviewer] = d
    current = list(latest.values())
    if len({d.verdict for d in current}) == 1:
        states.update({d.decision_id: ("applied", None) for d in current})
        return Settled(current, states)
    who = "; ".join(f"{d.reviewer}: {d.decision}" for d in current)
    states.update({d.decision_id: ("conflict", who) for d in current})
    return Settled([], states)


def _as_number(column: str, value: Any) -> Any:
    if value is None:
        return None
    return int(value) if column in ("events", "total") else value


def corrected(row: Row, after: Mapping[str, Any]) -> tuple[Row, list[str]]:
    """The row with a person's values; the proportion and window follow corrected counts and times."""
    out = {**row, **{k: _as_number(k, v) for k, v in after.items()}}
    changed = list(after)
    if ("events" in after or "total" in after) and "proportion" not in after:
        events, total = out.get("events"), out.get("total")
        out["proportion"] = events / total if events is not None and total else None
        changed.append("proportion")
    if "timepoint_days" in after and "time_window" not in after:
        out["time_window"] = time_window(out.get("timepoint_days"))
        changed.append("time_window")
    if any(c in after for c in COUNTED):
        # the pool-excluding flags describe the extracted numbers, which a person has replaced
        flags = out.get("flag")
        out["flag"] = [t for t in ([] if flags is None else flags) if t not in POOL_EXCLUDED_FLAGS]
    return out, changed


def _reviewed(row: Row, status: str, applied: Sequence[Decision], checked: bool) -> Row:
    return {**row, "review_status": status, "reviewed_by": sorted({d.reviewer for d in applied}),
            "corrected_columns": row.get("corrected_columns") or [], "machine_values": row.get("machine_values"),
            "checked": checked}


def curate_row(row: Row, settled: Settled | None) -> Row:
    """A core.outcome row as core.outcome_curated shows it."""
    if settled is None or not settled.applied:
        status = "conflict" if settled is not None and settled.conflict else "machine"
        return _with_synthesis(_reviewed(row, status, [], False))
    final = settled.applied[-1]
    if final.decision == "reject":
        return _with_synthesis(_reviewed(row, "rejected", settled.applied, False))
    if final.decision == "correct":
        fixed, changed = corrected(row, final.after_values)
        machine = json.dumps({c: _jsonable(row.get(c)) for c in changed}, sort_keys=True)
        fixed = {**fixed, "corrected_columns": changed, "machine_values": machine}
        return _with_synthesis(_reviewed(fixed, "corrected", settled.applied, True))
    if final.decision == "add" or row.get("rule") == "review.add":
        return _with_synthesis(_reviewed({**row, "needs_review": False}, "added", settled.applied, True))
    return _with_synthesis(_reviewed(row, "accepted", settled.applied, True))


def _with_synthesis(row: Row) -> Row:
    held = bool(row.get("needs_review")) and not row["checked"]
    return {**row, "in_synthesis": row["review_status"] != "rejected" and not held}


def _jsonable(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


@dataclass(frozen=True)
class Records:
    """What an added figure needs from the build: each record's text, and each PMID's trial links."""

    texts: Mapping[tuple[str, str], str]  # (source, record id) -> abstract, or the registry payload
    links: Mapping[str, Sequence[str]]  # pmid -> NCT ids
    populations: Mapping[str, str]  # study_key -> the population of its other rows


def added_row(d: Decision, records: Records) -> Row | None:
    """The row a person added, or None when its span is no longer in the record (orphaned)."""
    text = records.texts.get((d.source, d.record_id))
    span = d.span_text or ""
    if not text or span not in text:
        return None
    after = dict(d.after_values)
    pmid = d.record_id if d.source == "abstract" else None
    links = records.links.get(d.record_id, []) if pmid else [d.record_id]
    nct_id = links[0] if len(links) == 1 else None
    study_key = nct_id or f"PMID:{pmid}"
    start = text.index(span) if d.source == "abstract" else None
    row: Row = {c: None for c in COLUMNS}
    row.update(
        outcome_id=d.outcome_id, nct_id=nct_id, study_key=study_key, pmid=pmid, source=d.source,
        outcome_kind=d.outcome_kind, arm_label=d.arm_label, span_text=span, span_start=start,
        span_end=None if start is None else start + len(span), confidence="high", rule="review.add",
        flag=[], needs_review=False, population=records.populations.get(study_key),
        definition_text=span,
    )
    fixed, _ = corrected(row, after)
    return fixed


def curate(rows: Sequence[Row], decisions: Sequence[Decision], records: Records) -> tuple[list[Row], list[Row]]:
    """(core.outcome_curated rows, core.review_decision rows) of one build."""
    orphans: dict[str, str] = {}
    added: dict[str, Row] = {}
    for d in (d for d in decisions if d.decision == "add"):
        row = added_row(d, records)
        if row is None:
            orphans[d.decision_id] = "the added span is no longer in the record's text"
        else:
            added.setdefault(row["outcome_id"], {**row, "needs_review": True})
    index = RowIndex([*rows, *added.values()])
    targets: dict[str, list[Decision]] = defaultdict(list)
    for d in decisions:
        if d.decision_id in orphans:
            continue
        found = Found(added_row(d, records)) if d.decision == "add" else index.find(d)
        if found.row is None:
            orphans[d.decision_id] = found.detail or "no match"
        else:
            targets[found.row["outcome_id"]].append(d)
    settled = {target: settle(ds) for target, ds in targets.items()}
    curated = [curate_row(row, settled.get(row["outcome_id"])) for row in rows]
    curated += [curate_row(_latest_add(row, settled[target], records), settled[target])
                for target, row in sorted(added.items())]
    return curated, _decision_rows(decisions, settled, targets, orphans)


def _latest_add(row: Row, settled: Settled, records: Records) -> Row:
    """An added figure with the values of the add that settled it (an adjudication may change them)."""
    final = settled.applied[-1] if settled.applied else None
    if final is None or final.decision != "add":
        return row
    return added_row(final, records) or row


def _decision_rows(decisions: Sequence[Decision], settled: Mapping[str, Settled],
                   targets: Mapping[str, list[Decision]], orphans: Mapping[str, str]) -> list[Row]:
    target_of = {d.decision_id: t for t, ds in targets.items() for d in ds}
    out = []
    for d in decisions:
        target = target_of.get(d.decision_id)
        state, detail = ("orphaned", orphans.get(d.decision_id)) if target is None else \
            settled[target].states[d.decision_id]
        out.append({
            "decision_id": d.decision_id, "decided_at": d.decided_at, "reviewer": d.reviewer,
            "decision": d.decision, "adjudicated": d.adjudicated, "record_id": d.record_id,
            "outcome_kind": d.outcome_kind, "arm_label": d.arm_label, "evidence": d.evidence,
            "outcome_id": target, "state": state, "detail": detail,
        })
    return out
