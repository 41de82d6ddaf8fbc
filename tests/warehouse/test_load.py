"""Raw layer: append-only versions, new/changed/unchanged counts, idempotence."""

from __future__ import annotations

import copy
from datetime import datetime

import pytest

from ketamine_evidence.extract.errors import MalformedResponse
from ketamine_evidence.warehouse import load
from ketamine_evidence.warehouse.db import init_schemas
from ketamine_evidence.warehouse.load import RawArticle, RawStudy, save_raw_articles, save_raw_studies

T0 = datetime(2026, 1, 1, 12, 0)
T1 = datetime(2026, 2, 1, 12, 0)


def study(nct: str, title: str) -> dict:
    return {"protocolSection": {"identificationModule": {"nctId": nct, "briefTitle": title}}}


def raw(s: dict, when: datetime = T0) -> RawStudy:
    return RawStudy(s["protocolSection"]["identificationModule"]["nctId"], None, s, when, "ctgov/x.json")


def test_unchanged_records_add_nothing_and_changed_add_a_version(con) -> None:
    init_schemas(con)
    first = [study("NCT00000001", "A"), study("NCT00000002", "B")]
    counts = save_raw_studies(con, [raw(s) for s in first], "run1")
    assert (counts.new, counts.changed, counts.unchanged) == (2, 0, 0)

    again = save_raw_studies(con, [raw(copy.deepcopy(s), T1) for s in first], "run2")
    assert (again.new, again.changed, again.unchanged) == (0, 0, 2)
    assert con.execute("select count(*) from raw.ctgov_study").fetchall()[0][0] == 2

    edited = study("NCT00000002", "B, amended")
    third = save_raw_studies(con, [raw(first[0], T1), raw(edited, T1), raw(study("NCT00000003", "C"), T1)], "run3")
    assert (third.new, third.changed, third.unchanged) == (1, 1, 1)
    versions = con.execute(
        "select run_id from raw.ctgov_study where nct_id = 'NCT00000002' order by fetched_at"
    ).fetchall()
    assert versions == [("run1",), ("run3",)]


def test_key_order_does_not_make_a_new_version(con) -> None:
    init_schemas(con)
    a = {"protocolSection": {"identificationModule": {"nctId": "NCT00000009", "briefTitle": "x"}}, "hasResults": False}
    b = {"hasResults": False, "protocolSection": {"identificationModule": {"briefTitle": "x", "nctId": "NCT00000009"}}}
    save_raw_studies(con, [raw(a)], "r1")
    assert save_raw_studies(con, [raw(b)], "r2").unchanged == 1


def test_same_record_twice_in_one_batch_is_one_row(con) -> None:
    init_schemas(con)
    s = study("NCT00000004", "D")
    counts = save_raw_studies(con, [raw(s), raw(copy.deepcopy(s))], "r1")
    assert counts.new == 1
    assert con.execute("select count(*) from raw.ctgov_study").fetchall()[0][0] == 1


def test_articles_versioned_by_payload(con) -> None:
    init_schemas(con)
    a1 = RawArticle("123", "1", "2025-01-01", b"<PubmedArticle>v1</PubmedArticle>", T0, "pubmed/a.xml")
    a2 = RawArticle("123", "1", "2025-06-01", b"<PubmedArticle>v2</PubmedArticle>", T1, "pubmed/b.xml")
    assert save_raw_articles(con, [a1], "r1").new == 1
    assert save_raw_articles(con, [a1], "r2").unchanged == 1
    assert save_raw_articles(con, [a2], "r3").changed == 1
    assert con.execute("select count(*) from raw.pubmed_article").fetchall()[0][0] == 2


def test_missing_cited_pmids_of_the_sample() -> None:
    """The sample's PODCAST registration cites PMID 28576285, which its PubMed file does not hold."""
    from ketamine_evidence.extract.snapshot import read_snapshot
    from ketamine_evidence.warehouse.ingest import missing_cited_pmids
    from tests.conftest import SAMPLE

    assert missing_cited_pmids(read_snapshot(SAMPLE)) == ["28576285"]


def test_a_change_back_to_an_earlier_version_becomes_current_again(con) -> None:
    from ketamine_evidence.warehouse.models import BuildContext

    init_schemas(con)
    a, b = study("NCT00000005", "A"), study("NCT00000005", "B")
    save_raw_studies(con, [raw(a, T0)], "r1")
    assert save_raw_studies(con, [raw(b, T1)], "r2").changed == 1
    back = save_raw_studies(con, [raw(copy.deepcopy(a), datetime(2026, 3, 1))], "r3")
    assert (back.new, back.changed, back.unchanged) == (0, 1, 0)
    ((current, _),) = BuildContext(claims=[]).studies(con)
    assert current["protocolSection"]["identificationModule"]["briefTitle"] == "A"
    assert con.execute("select count(*) from raw.ctgov_study").fetchall()[0][0] == 3


def test_a_deleted_article_that_comes_back_is_current_again(con) -> None:
    from ketamine_evidence.warehouse.load import save_deletions

    init_schemas(con)
    a1 = RawArticle("456", "1", "2025-01-01", b"<PubmedArticle>v1</PubmedArticle>", T0, "pubmed/a.xml")
    save_raw_articles(con, [a1], "r1")
    save_deletions(con, [("456", T1, "pubmed/d.xml")], "r2")
    assert con.execute("select count(*) from raw.pubmed_article_current").fetchall()[0][0] == 0
    again = RawArticle("456", "1", "2025-01-01", a1.payload, datetime(2026, 3, 1), "pubmed/c.xml")
    assert save_raw_articles(con, [again], "r3").changed == 1
    assert con.execute("select pmid from raw.pubmed_article_current").fetchall() == [("456",)]


def test_undated_relapse_rows_become_maintenance_rows() -> None:
    from ketamine_evidence.warehouse.models import with_default_windows

    rows: list[dict] = [
        {"outcome_kind": "relapse", "time_window": None, "rule": "r"},
        {"outcome_kind": "response", "time_window": None, "rule": "r"},
        {"outcome_kind": "time_to_relapse", "time_window": "induction", "rule": "r"},
    ]
    assert [r["time_window"] for r in with_default_windows(rows)] == ["maintenance", None, "induction"]


def test_replaying_an_older_snapshot_again_adds_nothing(con) -> None:
    init_schemas(con)
    a, b = study("NCT00000006", "A"), study("NCT00000006", "B")
    save_raw_studies(con, [raw(a, T0)], "r1")
    save_raw_studies(con, [raw(b, T1)], "r2")
    for run in ("r3", "r4"):
        replay = save_raw_studies(con, [raw(copy.deepcopy(a), T0)], run)
        assert (replay.new, replay.changed, replay.unchanged) == (0, 0, 1)
    assert con.execute("select count(*) from raw.ctgov_study").fetchall()[0][0] == 2


def test_only_long_stale_runs_are_abandoned(con) -> None:
    from ketamine_evidence.warehouse.load import abandon_stale_runs

    init_schemas(con)
    con.execute(
        "insert into meta.refresh_run (run_id, started_at, mode, status) values"
        " ('dead', '2026-01-01 00:00', 'live', 'running'), ('busy', '2026-01-02 05:00', 'live', 'running')"
    )
    assert abandon_stale_runs(con, datetime(2026, 1, 2, 6, 0)) == 1
    assert con.execute("select run_id, status from meta.refresh_run order by run_id").fetchall() == [
        ("busy", "running"),
        ("dead", "abandoned"),
    ]


def test_older_warehouse_files_are_brought_up_to_date_or_refused(con) -> None:
    import pytest

    from ketamine_evidence.errors import ConfigError

    con.execute("create schema meta")
    con.execute(
        "create table meta.refresh_run (run_id varchar primary key, started_at timestamp not null,"
        " mode varchar not null, status varchar not null)"
    )
    con.execute("create schema raw")
    con.execute(
        "create table raw.ctgov_study (nct_id varchar, version_date varchar, sha256 varchar,"
        " payload json, run_id varchar, fetched_at timestamp, source_file varchar,"
        " primary key (nct_id, sha256))"
    )
    with pytest.raises(ConfigError, match=r"raw\.ctgov_study was created by an older ketamine-evidence"):
        init_schemas(con)
    columns = [r[0] for r in con.execute("describe meta.refresh_run").fetchall()]
    assert "flag_counts" in columns


def test_a_source_failing_midway_lands_nothing(con, monkeypatch) -> None:
    """Chunks are committed one by one; a failure after some of them removes what this landing added."""
    init_schemas(con)
    save_raw_studies(con, [raw(study("NCT00000001", "A"))], "r1")
    monkeypatch.setattr(load, "CHUNK_ROWS", 2)

    def studies():
        yield raw(study("NCT00000001", "A, amended"), T1)
        yield from (raw(study(f"NCT0000001{i}", "x"), T1) for i in range(4))
        raise MalformedResponse("ctgov/page-2.json", "truncated")

    with pytest.raises(MalformedResponse):
        save_raw_studies(con, studies(), "r2")
    assert con.execute("select nct_id, run_id from raw.ctgov_study").fetchall() == [("NCT00000001", "r1")]
    again = save_raw_studies(con, [raw(study(f"NCT0000001{i}", "x"), T1) for i in range(5)], "r3")
    assert (again.new, again.changed, again.unchanged) == (5, 0, 0)


def test_counts_across_chunks_equal_one_pass(con, monkeypatch) -> None:
    """A record repeated in a later chunk is one version; statuses are against the table before landing."""
    init_schemas(con)
    save_raw_studies(con, [raw(study("NCT00000001", "A")), raw(study("NCT00000002", "B"))], "r1")
    monkeypatch.setattr(load, "CHUNK_ROWS", 1)
    batch = [raw(study("NCT00000001", "A"), T1), raw(study("NCT00000002", "B2"), T1),
             raw(study("NCT00000003", "C"), T1), raw(study("NCT00000003", "C"), T1),
             raw(study("NCT00000002", "B2"), T1)]
    counts = save_raw_studies(con, batch, "r2")
    assert (counts.new, counts.changed, counts.unchanged) == (1, 1, 1)
    assert con.execute("select count(*) from raw.ctgov_study").fetchall()[0][0] == 4
