"""Evidence integrity on the bundled sample with small edits to its real registry records: links carry
their evidence (a BACKGROUND citation moves no rows), only included trials enter pools, and abstracts
are read only where screening keeps the record."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from ketamine_evidence.transform.outcomes.build import publication_rows
from tests.flow_support import build_sample, copy_sample


def _edit(snapshot: Path, nct: str, change: Callable[[dict], None]) -> None:
    path = snapshot / "ctgov" / f"{nct}.json"
    study = json.loads(path.read_text(encoding="utf-8"))
    change(study["protocolSection"])
    path.write_text(json.dumps(study), encoding="utf-8")


def _cite_as_background(pmid: str) -> Callable[[dict], None]:
    def change(protocol: dict) -> None:
        refs = protocol.setdefault("referencesModule", {}).setdefault("references", [])
        refs.append({"pmid": pmid, "type": "BACKGROUND", "citation": "cited as background (test edit)"})
    return change


def _as_pain_trial(protocol: dict) -> None:
    protocol["conditionsModule"] = {"conditions": ["Postoperative Pain"]}
    protocol["identificationModule"]["briefTitle"] = "Ketamine for postoperative pain (test edit)"
    protocol["identificationModule"].pop("officialTitle", None)


@pytest.fixture(scope="module")
def edited(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    root = tmp_path_factory.mktemp("edited")
    snapshot = copy_sample(root / "snapshot", manifest=False)
    # SUSTAIN-2 cites SUSTAIN-1's paper and TRANSFORM-2 cites the PMID-only study, both as BACKGROUND.
    _edit(snapshot, "NCT02497287", _cite_as_background("31166571"))
    _edit(snapshot, "NCT02418585", _cite_as_background("30922101"))
    _edit(snapshot, "NCT02422186", _as_pain_trial)
    return build_sample(root / "edited.duckdb", snapshot=snapshot)


def test_background_citations_are_kept_as_citations_and_move_no_rows(edited, sample) -> None:
    links = edited.execute(
        "select pmid, nct_id, link_role from core.study_publication where reference_type = 'BACKGROUND'"
        " order by pmid").fetchall()
    assert links == [("30922101", "NCT02418585", "citation"), ("31166571", "NCT02497287", "citation")]
    query = "select pmid, study_key, count(*) from core.outcome where source = 'abstract' group by all order by all"
    assert edited.execute(query).fetchall() == sample.execute(query).fetchall()
    keys = dict(edited.execute("select record_id, study_key from core.screening where record_type = 'publication'"
                               " and record_id in ('31166571', '30922101')").fetchall())
    assert keys == {"31166571": "NCT02493868", "30922101": "PMID:30922101"}


def test_a_trial_screening_excludes_stays_in_prisma_but_enters_no_pool(edited) -> None:
    inclusion = edited.execute("select included, exclusion_reason from core.study_inclusion"
                               " where study_key = 'NCT02422186'").fetchall()
    assert inclusion == [(False, "other_indication")]
    rows = edited.execute("select count(*) from core.outcome_curated where study_key = 'NCT02422186'"
                          " and in_synthesis").fetchall()[0][0]
    assert rows > 0  # its rows are kept and visible ...
    pooled = edited.execute("select count(*) from marts.evidence_summary"
                            " where list_contains(study_keys, 'NCT02422186')").fetchall()[0][0]
    assert pooled == 0  # ... but no pool uses them
    excluded = edited.execute("select n from marts.prisma_flow where step = 'excluded' and source = 'ctgov'"
                              " and reason = 'other_indication'").fetchall()
    assert excluded == [(2,)]


def test_the_sample_pools_only_included_trials(sample) -> None:
    outside = sample.execute(
        "select distinct unnest(study_keys) as key from marts.evidence_summary"
        " except select study_key from core.study_inclusion where included").fetchall()
    assert outside == []
    assert sample.execute("select count(distinct k) from (select unnest(study_keys) as k from marts.evidence_summary)"
                          ).fetchall()[0][0] > 3


def test_abstracts_of_records_screening_drops_give_no_rows(sample) -> None:
    dropped = sample.execute(
        "select record_id from core.screening where record_type = 'publication' and not included"
        " and exclusion_reason <> 'duplicate_report'").fetchall()
    assert dropped  # the sample has a review and an anaesthesia trial
    got = sample.execute("select count(*) from core.outcome where pmid in (select record_id from core.screening"
                         " where record_type = 'publication' and not included"
                         " and exclusion_reason <> 'duplicate_report')").fetchall()[0][0]
    assert got == 0


def test_a_paper_reporting_several_trials_gives_its_rows_to_none_of_them() -> None:
    abstract = ("RESULTS: Response at day 28 was 61.0% (70/115) with esketamine and 40.2% (45/112) with placebo.")
    one = publication_rows({"pmid": "1", "abstract": abstract, "nct_ids": ["NCT02417064"],
                            "publication_types": ["Randomized Controlled Trial"]})
    assert one and {r["study_key"] for r in one} == {"NCT02417064"}
    both = publication_rows({"pmid": "1", "abstract": abstract, "nct_ids": ["NCT02417064", "NCT02418585"],
                             "publication_types": ["Randomized Controlled Trial"]})
    assert [(r["events"], r["total"]) for r in both] == [(r["events"], r["total"]) for r in one]
    assert {r["study_key"] for r in both} == {"PMID:1"} and {r["nct_id"] for r in both} == {None}
    assert all("several_trials" in r["flag"] and r["confidence"] == "low" for r in both)
