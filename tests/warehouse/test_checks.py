"""Key and accepted-value checks generated from the table contracts, on the sample and on real records."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from ketamine_evidence.extract.snapshot import read_snapshot
from ketamine_evidence.warehouse.build import build, built_tables, contract
from ketamine_evidence.warehouse.checks import violations
from ketamine_evidence.warehouse.db import init_schemas
from ketamine_evidence.warehouse.ingest import ingest_snapshot
from tests.conftest import SAMPLE, shared_path

CHECKED = (
    "core.outcome",
    "core.screening",
    "marts.claims",
    "marts.evidence_summary",
    "marts.claim_check",
    "marts.study_characteristics",
    "marts.prisma_flow",
)


def test_outcome_screening_and_marts_declare_keys_and_vocabularies() -> None:
    for name in CHECKED:
        assert contract(name).key, f"{name} declares no key"
    declared = {c.name for c in contract("core.outcome").columns if c.accepted}
    assert {"source", "outcome_kind", "arm_role", "confidence", "time_window"} <= declared


def test_sample_warehouse_keeps_every_contract(sample: duckdb.DuckDBPyConnection) -> None:
    assert violations(sample, built_tables()) == []


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    """The sample plus real records from ../shared (website exports, a real literature search), linked in place."""
    snap = tmp_path_factory.mktemp("real")
    (snap / "ctgov").mkdir()
    (snap / "pubmed").mkdir()
    sources = [
        *sorted((SAMPLE / "ctgov").glob("*.json")),
        *sorted(shared_path("dgg32-clinical-trials-public").glob("*.json")),
    ]
    for i, path in enumerate(sources):
        (snap / "ctgov" / f"{i:02d}-{path.name}").symlink_to(path)
    search = shared_path("meta-harness", "esketamine-trd-madrs")
    for i, path in enumerate(
        [
            SAMPLE / "pubmed" / "efetch-sample.xml",
            search / "comparator_named_pubmed.xml",
            *sorted((search / "search-records").glob("efetch-*.xml")),
        ]
    ):
        (snap / "pubmed" / f"{i:02d}-{path.name}").symlink_to(path)
    con = duckdb.connect(":memory:")
    init_schemas(con)
    ingest_snapshot(con, read_snapshot(Path(snap)), "run-real")
    build(con)
    return con


def test_real_records_keep_every_contract(real: duckdb.DuckDBPyConnection) -> None:
    assert real.execute("select count(*) from core.publication").fetchall()[0][0] > 100
    assert violations(real, built_tables()) == []


def test_a_broken_key_and_an_unknown_value_are_reported(sample: duckdb.DuckDBPyConnection) -> None:
    con = duckdb.connect(":memory:")
    con.execute("create schema core")
    con.execute(contract("core.screening").ddl())
    con.execute(
        "insert into core.screening by name select 'study' as record_type, 'NCT1' as record_id,"
        " 'ctgov' as source, 'NCT1' as study_key, false as included, 'bad_reason' as exclusion_reason,"
        " false as is_registered from range(2)"
    )
    found = violations(con, [contract("core.screening")])
    assert found == [
        "core.screening: key (record_type, record_id) not unique: ('study', 'NCT1') x2",
        "core.screening.exclusion_reason: 'bad_reason' is not one of no_ketamine_arm, "
        "not_depression, other_indication, review_or_protocol, duplicate_report, notice",
    ]


def test_an_unknown_tag_inside_the_flag_list_is_reported(sample: duckdb.DuckDBPyConnection) -> None:
    con = duckdb.connect(":memory:")
    con.execute("create schema core")
    con.register("sample_outcome", sample.execute("select * from core.outcome").df())
    con.execute("create table core.outcome as select * from sample_outcome")
    con.execute("update core.outcome set flag = list_append(flag, 'made_up') where outcome_id = "
                "(select min(outcome_id) from core.outcome)")
    found = violations(con, [contract("core.outcome")])
    assert len(found) == 1 and found[0].startswith("core.outcome.flag: 'made_up' is not one of ")


def test_drug_classes_come_from_the_vocabulary_table(sample: duckdb.DuckDBPyConnection) -> None:
    classes = dict(sample.execute("select drug, ketamine_class from core.drug").fetchall())
    assert classes["esketamine"] and classes["ketamine"] and not classes["placebo"]
    listed = sample.execute("select flatten(list(drugs)), flatten(list(comparators))"
                            " from marts.study_characteristics").fetchall()[0]
    assert listed[0] and all(classes[d] for d in listed[0])
    assert listed[1] and not any(classes[d] for d in listed[1])


def test_no_abstract_figure_reaches_a_pool_unconfirmed(sample: duckdb.DuckDBPyConnection) -> None:
    held = sample.execute(
        "select count(*) filter (where needs_review),"
        " count(*) filter (where not needs_review and not list_contains(flag, 'registry_agrees')),"
        " count(*) filter (where list_contains(flag, 'registry_agrees'))"
        " from core.outcome where source = 'abstract'").fetchone()
    assert held is not None and held[0] > 0 and held[1] == 0 and held[2] > 0
    pooled = {i for (ids,) in sample.execute("select outcome_ids from marts.evidence_summary").fetchall() for i in ids}
    pooled |= {i for (i,) in sample.execute("select trial_outcome_id from marts.claim_check").fetchall() if i}
    unconfirmed = {i for (i,) in sample.execute("select outcome_id from core.outcome where needs_review").fetchall()}
    assert pooled and not pooled & unconfirmed
