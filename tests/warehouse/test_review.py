"""The review workflow end to end on the bundled sample: sheet out, decisions in, rebuild, refresh, replay."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest

from ketamine_evidence.warehouse.build import build
from ketamine_evidence.warehouse.db import opened
from ketamine_evidence.warehouse.errors import ReviewError
from ketamine_evidence.warehouse.review import apply_sheet, export_decisions, import_decisions, status_text
from ketamine_evidence.warehouse.review_sheet import write_sheet
from tests.flow_support import CORE_TABLES, build_sample, table_digest

REJECTED = "6039d8a9e31ae3a4"  # TRANSFORM-2 posted response, esketamine arm (71/112)
CORRECTED = "3e849471d1b73d76"  # Zarate 2006 response, ketamine arm: 71% of 17, held for review
ADDED_SPAN = "In 35% of participants the response lasted at least 1 week"
MARTS = [t for t in CORE_TABLES if t.startswith("marts.")] + ["core.outcome_curated", "core.review_decision"]


def _sheet(con: duckdb.DuckDBPyConnection, path: Path) -> list[dict[str, str]]:
    write_sheet(con, path, every_row=True)
    with open(path, newline="", encoding="utf-8") as src:
        return list(csv.DictReader(src))


def _write(path: Path, rows: list[dict[str, str]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _filled(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    by_id = {r["outcome_id"]: r for r in rows}
    by_id[REJECTED].update(decision="reject", note="superseded by the published figure")
    by_id[CORRECTED].update(decision="correct", proportion="0.705882")
    added = {k: "" for k in rows[0]}
    added.update(decision="add", pmid="16894061", outcome_kind="response", arm_label="ketamine", drug="ketamine",
                 route="IV", arm_role="active", comparator_type="placebo", population="trd", events="6",
                 total="17", timepoint_days="7", span_text=ADDED_SPAN)
    return [by_id[REJECTED], by_id[CORRECTED], added]


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> object:
    return con.execute(sql).fetchall()[0][0]


C01_POOLED = "select pooled_estimate from marts.claim_check where claim_id = 'C01'"
VERDICTS = "select claim_id, verdict from marts.claim_check order by claim_id"


def test_round_trip_survives_refresh_and_replays_from_the_decisions_file(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    build_sample(db).close()
    con = duckdb.connect(str(db))
    before_pool, before_verdicts = _scalar(con, C01_POOLED), dict(con.execute(VERDICTS).fetchall())
    sheet = tmp_path / "sheet.csv"
    _write(sheet, _filled(_sheet(con, sheet)))

    applied = apply_sheet(con, sheet, reviewer="ana")
    assert applied.by_word == {"reject": 1, "correct": 1, "add": 1}
    build(con)
    curated = dict(con.execute("select outcome_id, review_status from core.outcome_curated").fetchall())
    assert curated[REJECTED] == "rejected" and curated[CORRECTED] == "corrected"
    assert list(curated.values()).count("added") == 1
    assert _scalar(con, f"select proportion from core.outcome_curated where outcome_id = '{CORRECTED}'") == \
        pytest.approx(12 / 17, abs=1e-6)
    ids = con.execute("select list(i) from (select unnest(outcome_ids) as i from marts.evidence_summary)").fetchall()
    assert REJECTED not in ids[0][0] and CORRECTED in ids[0][0]
    after_pool, after_verdicts = _scalar(con, C01_POOLED), dict(con.execute(VERDICTS).fetchall())
    assert after_pool != pytest.approx(before_pool)
    assert after_verdicts != before_verdicts
    added = con.execute("select k_trials, n_rows_checked from marts.evidence_summary where drug = 'ketamine' "
                        "and outcome_kind = 'response' and time_window = 'first_week'").fetchall()
    assert added == [(1, 1)]

    con.close()
    build_sample(db, run_id="run-again").close()  # a refresh of the same snapshot
    con = duckdb.connect(str(db))
    assert _scalar(con, C01_POOLED) == pytest.approx(after_pool)
    assert _scalar(con, "select count(*) from core.review_decision where state = 'applied'") == 3
    decisions = tmp_path / "decisions.csv"
    assert export_decisions(con, decisions) == 3
    con.close()

    fresh = tmp_path / "fresh.duckdb"
    with opened(fresh) as new:
        assert import_decisions(new, decisions) == 3
        assert import_decisions(new, decisions) == 0
    build_sample(fresh).close()
    assert {t: table_digest(fresh, t) for t in MARTS} == {t: table_digest(db, t) for t in MARTS}


def test_two_reviewers_conflict_until_adjudicated(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    con = build_sample(db)
    sheet = tmp_path / "sheet.csv"
    row = next(r for r in _sheet(con, sheet) if r["outcome_id"] == CORRECTED)
    _write(sheet, [{**row, "decision": "accept", "reviewer": "ana"}, {**row, "decision": "reject", "reviewer": "ben"}])
    apply_sheet(con, sheet, reviewer=None)
    build(con)
    assert _scalar(con, f"select review_status from core.outcome_curated where outcome_id = '{CORRECTED}'") == \
        "conflict"
    assert "conflict" in status_text(con)
    _write(sheet, [{**row, "decision": "accept", "reviewer": "cy"}])
    apply_sheet(con, sheet, reviewer=None, adjudicate=True)
    build(con)
    assert con.execute(f"select review_status, reviewed_by, in_synthesis from core.outcome_curated "
                       f"where outcome_id = '{CORRECTED}'").fetchall() == [("accepted", ["cy"], True)]


def test_a_decision_whose_figure_is_gone_is_orphaned(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    con = build_sample(db)
    sheet = tmp_path / "sheet.csv"
    row = next(r for r in _sheet(con, sheet) if r["outcome_id"] == REJECTED)
    _write(sheet, [{**row, "decision": "reject"}])
    apply_sheet(con, sheet, reviewer="ana")
    con.execute("update meta.review_decision set json_path = json_path || '.gone'")
    build(con)
    assert con.execute("select state, outcome_id from core.review_decision").fetchall() == [("orphaned", None)]
    assert _scalar(con, f"select review_status from core.outcome_curated where outcome_id = '{REJECTED}'") == \
        "machine"


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ({"outcome_id": "0000000000000000", "decision": "accept"}, "unknown outcome_id"),
        ({"decision": "maybe"}, "decision 'maybe' is not one of accept, reject, correct, add"),
        ({"decision": "correct", "events": "200"}, "events 200 > total"),
        ({"decision": "correct", "proportion": "1.7"}, "proportion 1.7 is outside 0-1"),
        ({"decision": "add", "pmid": "16894061", "outcome_kind": "response", "span_text": "not in it"},
         "does not occur in the abstract of 16894061"),
    ],
)
def test_a_bad_sheet_names_its_row_and_stores_nothing(tmp_path: Path, edit: dict[str, str], message: str) -> None:
    db = tmp_path / "w.duckdb"
    con = build_sample(db)
    sheet = tmp_path / "sheet.csv"
    rows = _sheet(con, sheet)
    good = {**rows[0], "decision": "accept"}
    _write(sheet, [good, {**rows[1], **edit}])
    with pytest.raises(ReviewError, match="line 3") as err:
        apply_sheet(con, sheet, reviewer="ana")
    assert message in str(err.value) and "\n" not in str(err.value)
    assert _scalar(con, "select count(*) from meta.review_decision") == 0


def test_cli_review_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from ketamine_evidence.flows.cli import main

    db = tmp_path / "w.duckdb"
    build_sample(db).close()
    sheet = tmp_path / "sheet.csv"
    assert main(["review", "export", str(sheet), "--db", str(db)]) == 0
    with open(sheet, newline="", encoding="utf-8") as src:
        rows = list(csv.DictReader(src))
    _write(sheet, [{**rows[0], "decision": "nope"}])
    assert main(["review", "apply", str(sheet), "--reviewer", "ana", "--db", str(db)]) == 2
    err = capsys.readouterr().err.strip()
    assert "line 2" in err and len(err.splitlines()) == 1
    _write(sheet, [{**rows[0], "decision": "accept"}])
    assert main(["review", "apply", str(sheet), "--reviewer", "ana", "--db", str(db)]) == 0
    assert main(["review", "status", "--db", str(db)]) == 0
    assert "accept 1" in capsys.readouterr().out
    assert main(["review", "export-decisions", str(tmp_path / "d.csv"), "--db", str(db)]) == 0
    assert main(["claims", "--verified-only", "--db", str(db)]) == 0
