"""Incremental builds: an unchanged or slightly changed warehouse rebuilt in place equals a full rebuild.

Data: the bundled sample (examples/snapshot), landed with `ingest_snapshot`; one study and one article
are then changed by landing edited copies of the sample's own records.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from ketamine_evidence.extract.snapshot import SnapshotFile, read_snapshot
from ketamine_evidence.warehouse import build as warehouse_build
from ketamine_evidence.warehouse import ingest
from ketamine_evidence.warehouse.build import build, built_tables
from ketamine_evidence.warehouse.db import init_schemas
from ketamine_evidence.warehouse.ingest import ingest_snapshot
from ketamine_evidence.warehouse.load import Landing, RawArticle, RawStudy, save_raw_articles, save_raw_studies
from tests.conftest import SAMPLE
from tests.flow_support import copy_sample

LATER = datetime(2030, 1, 1)


def landed(path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path))
    init_schemas(con)
    ingest_snapshot(con, read_snapshot(SAMPLE), "run-1")
    return con


def contents(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """Every row of every table the build writes, sorted (row order is not part of a table)."""
    return {t.qualified: sorted(map(repr, con.execute(f"select * from {t.qualified}").fetchall()))
            for t in built_tables()}


def last_build(con: duckdb.DuckDBPyConnection) -> tuple:
    return con.execute("select mode, parsed_studies, parsed_articles from meta.build_state"
                       " order by built_at desc limit 1").fetchall()[0]


def change_one_study_and_one_article(con: duckdb.DuckDBPyConnection) -> tuple[str, str]:
    nct_id, payload = con.execute(
        "select nct_id, payload from raw.ctgov_study_current order by nct_id limit 1").fetchall()[0]
    study = json.loads(payload)
    study["protocolSection"]["identificationModule"]["briefTitle"] += " (amended)"
    save_raw_studies(con, [RawStudy(nct_id, "2030-01-01", study, LATER, "ctgov/edit.json")], "run-2")
    pmid, version, xml = con.execute(
        "select pmid, pmid_version, payload from raw.pubmed_article_current where payload like '%<ArticleTitle>%'"
        " order by pmid limit 1").fetchall()[0]
    edited = xml.replace("<ArticleTitle>", "<ArticleTitle>Amended: ", 1).encode()
    save_raw_articles(con, [RawArticle(pmid, version, None, edited, LATER, "pubmed/edit.xml")], "run-2")
    return nct_id, pmid


def test_unchanged_rebuild_parses_nothing_and_equals_a_full_build(tmp_path: Path) -> None:
    con = landed(tmp_path / "a.duckdb")
    build(con)
    studies = con.execute("select count(*) from raw.ctgov_study_current").fetchall()[0][0]
    # the landing kept every article's fields, so the build parsed none of the XML
    assert last_build(con) == ("full", studies, 0)
    first = contents(con)
    build(con)
    assert last_build(con) == ("incremental", 0, 0)
    assert contents(con) == first
    build(con, full=True)
    assert last_build(con) == ("full", studies, 0)
    assert contents(con) == first
    con.close()


def test_fields_kept_at_landing_equal_a_parse_of_the_xml(tmp_path: Path) -> None:
    con = landed(tmp_path / "a.duckdb")
    kept = con.execute("select count(distinct sha256) from meta.pubmed_parsed").fetchall()[0][0]
    assert kept == con.execute("select count(*) from raw.pubmed_article_current").fetchall()[0][0]
    build(con)
    from_landing = contents(con)
    con.execute("delete from meta.pubmed_parsed")
    build(con, full=True)
    assert last_build(con)[2] == kept
    assert contents(con) == from_landing
    ingest_snapshot(con, read_snapshot(SAMPLE), "run-2")  # files landed before: nothing is kept again
    assert con.execute("select count(*) from meta.pubmed_parsed").fetchall()[0][0] == 0
    con.close()


def test_fields_kept_by_another_parser_are_not_used(tmp_path: Path) -> None:
    con = landed(tmp_path / "a.duckdb")
    con.execute("update meta.pubmed_parsed set parser_version = 'another parser', fields = '{}'")
    build(con)
    assert last_build(con)[2] == con.execute("select count(*) from raw.pubmed_article_current").fetchall()[0][0]
    assert con.execute("select count(*) from staging.pubmed_article where title is not null").fetchall()[0][0] > 0
    con.close()


def test_changed_records_are_the_only_ones_parsed_and_results_equal_a_full_build(tmp_path: Path) -> None:
    incremental = landed(tmp_path / "incremental.duckdb")
    build(incremental)
    nct_id, pmid = change_one_study_and_one_article(incremental)
    build(incremental)
    assert last_build(incremental) == ("incremental", 1, 1)
    title = incremental.execute("select brief_title from core.study where nct_id = ?", [nct_id]).fetchall()[0][0]
    assert title.endswith("(amended)")
    assert incremental.execute("select title from core.publication where pmid = ?",
                               [pmid]).fetchall()[0][0].startswith("Amended: ")

    fresh = landed(tmp_path / "full.duckdb")
    change_one_study_and_one_article(fresh)
    build(fresh, full=True)
    assert contents(incremental) == contents(fresh)
    incremental.close()
    fresh.close()


def test_other_rules_rebuild_everything(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    con = landed(tmp_path / "a.duckdb")
    build(con)
    monkeypatch.setattr(warehouse_build, "rules_version", lambda: "other rules")
    build(con)
    assert last_build(con)[0] == "full"
    assert last_build(con)[1] > 0
    build(con)
    assert last_build(con) == ("incremental", 0, 0)
    con.close()


def test_a_staging_table_with_other_columns_is_rebuilt(tmp_path: Path) -> None:
    con = landed(tmp_path / "a.duckdb")
    build(con)
    con.execute("alter table staging.pubmed_article drop column coi_statement")
    build(con)
    assert last_build(con)[0] == "full"
    assert "coi_statement" in [r[0] for r in con.execute("describe staging.pubmed_article").fetchall()]
    con.close()


def test_rules_digest_follows_code_and_mapping_tables(tmp_path: Path) -> None:
    (tmp_path / "transform" / "data").mkdir(parents=True)
    table = tmp_path / "transform" / "data" / "routes.csv"
    table.write_text("pattern,route\nintranasal,intranasal\n")
    (tmp_path / "transform" / "rules.py").write_text("X = 1\n")
    sources = ("transform",)
    before = warehouse_build.sources_digest(tmp_path, sources)
    (tmp_path / "transform" / "notes.txt").write_text("not a rule")
    assert warehouse_build.sources_digest(tmp_path, sources) == before
    table.write_text("pattern,route\nnasal spray,intranasal\n")
    changed = warehouse_build.sources_digest(tmp_path, sources)
    assert changed != before
    (tmp_path / "transform" / "rules.py").write_text("X = 2\n")
    assert warehouse_build.sources_digest(tmp_path, sources) not in (before, changed)
    root = Path(warehouse_build.__file__).resolve().parents[1]
    assert any((root / "transform").rglob("*.csv")), "the package's mapping tables are where RULE_SOURCES says"


def landing_sequence(path: Path, tmp: Path) -> list[Any]:
    """Land the sample, an edit of one study, the sample again (same fetch times), then the sample without
    its manifest (fetched now, so the edited study changes back): the counts of each, and the raw rows."""
    con = landed(path)
    first = con.execute("select count(*) from raw.ctgov_study").fetchall()[0][0]
    change_one_study_and_one_article(con)
    again = ingest_snapshot(con, read_snapshot(SAMPLE), "run-3")
    unlisted = copy_sample(tmp / path.stem, manifest=False)
    later = ingest_snapshot(con, read_snapshot(unlisted), "run-4")
    raw = con.execute("select nct_id, sha256, run_id from raw.ctgov_study order by all").fetchall()
    raw += con.execute("select pmid, sha256, run_id from raw.pubmed_article order by all").fetchall()
    con.close()
    return [first, again.as_run_counts(), later.as_run_counts(), raw]


def test_files_landed_before_are_skipped_only_when_that_changes_nothing(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    parsed: list[str] = []
    real = ingest.iter_raw_articles

    def counting(files: Iterable[SnapshotFile], *args: Any) -> Iterator[RawArticle]:
        listed = list(files)
        parsed.extend(f.name for f in listed)
        return real(listed, *args)

    monkeypatch.setattr(ingest, "iter_raw_articles", counting)
    skipping = landing_sequence(tmp_path / "skipping.duckdb", tmp_path)
    sample_files = len(read_snapshot(SAMPLE).of("pubmed"))
    # run-1 and run-4 parse every file; run-3 (the same bytes, nothing changed) parses none of them
    assert len(parsed) == 2 * sample_files
    assert skipping[1]["pubmed_unchanged"] > 0 and skipping[1]["ctgov_changed"] == 0
    assert skipping[2]["ctgov_changed"] == 1 and skipping[2]["pubmed_changed"] == 1

    monkeypatch.setattr(Landing, "known_file", lambda *_: None)
    parsing = landing_sequence(tmp_path / "parsing.duckdb", tmp_path)
    assert skipping == parsing
