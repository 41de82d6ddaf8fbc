"""Staging -> core SQL for ClinicalTrials.gov, on fresh in-memory DuckDBs fed with the shared records.

Fixtures: aact-spec/json_data (PROVENANCE.md section 2) and meta-harness ctgov_results
(section 7, wrapped in a minimal study object as in test_ctgov_parse).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import duckdb
import pytest

from ketamine_evidence.extract.ctgov.parse import TABLES, flatten_study, iter_studies
from ketamine_evidence.warehouse.build import contract
from ketamine_evidence.warehouse.checks import violations
from ketamine_evidence.warehouse.db import init_schemas
from ketamine_evidence.warehouse.frames import insert_rows
from ketamine_evidence.warehouse.models import with_drug_and_route
from ketamine_evidence.warehouse.sql_files import objects
from tests.conftest import shared_path
from tests.extract.ctgov.test_parse import wrap_measures

CORE_TABLES = (
    "study",
    "study_arm",
    "intervention",
    "condition",
    "study_reference",
    "outcome_measure",
    "result_group",
    "outcome_denom",
    "outcome_measurement",
    "outcome_analysis",
    "flow_milestone",
)
AACT_FILES = ("NCT02552212.json", "NCT02278341.json", "NCT02210780.json", "NCT00465816.json", "NCT03453554.json")
META_TRIALS = ("NCT02493868", "NCT04338321", "NCT02417064")

Study = dict[str, Any]


def build(con: duckdb.DuckDBPyConnection, studies: Iterable[tuple[Study, str | None]]) -> None:
    """Create raw/meta/staging, load the flattened studies, then build the ctgov core tables.

    Only this module's core objects are run (in the runner's dependency order), so another
    source's unfinished core SQL cannot break these tests.
    """
    init_schemas(con)
    con.execute("create schema if not exists staging")
    for table in TABLES:
        con.execute(contract(f"staging.{table}").ddl())
    tables: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for study, sha in studies:
        for table, rows in flatten_study(study, raw_sha256=sha).items():
            tables[table] += [with_drug_and_route(r) for r in rows] if table == "ctgov_intervention" else rows
    for table in TABLES:
        insert_rows(con, f"staging.{table}", tables[table])
    con.execute("create schema if not exists core")
    for obj in objects("core"):
        if obj.name in CORE_TABLES:
            con.execute(obj.sql)


def aact_studies() -> list[tuple[Study, str]]:
    found = []
    for name in AACT_FILES:
        payload = shared_path("aact-spec", "json_data", name).read_bytes()
        found += [(s, hashlib.sha256(payload).hexdigest()) for s in iter_studies(payload, name=name)]
    return found


def meta_studies() -> list[tuple[Study, None]]:
    return [
        (wrap_measures(shared_path("meta-harness", "esketamine-trd-madrs", "ctgov_results", f"{n}.json")), None)
        for n in META_TRIALS
    ]


@pytest.fixture
def core(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    build(con, [*aact_studies(), *meta_studies()])
    return con


def rows(con: duckdb.DuckDBPyConnection, sql: str, *params: object) -> list[tuple[Any, ...]]:
    return con.execute(sql, list(params)).fetchall()


def test_study_is_typed_and_keeps_the_latest_version(core: duckdb.DuckDBPyConnection) -> None:
    (study,) = rows(
        core,
        """
        select enrollment, has_results, phases, start_date, start_date_raw, study_first_post_date,
               version_holder, overall_status
        from core.study where nct_id = 'NCT02552212'""",
    )
    assert study == (
        317,
        True,
        ["PHASE3"],
        dt.date(2015, 9, 1),
        "2015-09",
        dt.date(2015, 9, 17),
        dt.date(2024, 1, 3),
        "COMPLETED",
    )
    assert rows(core, "select count(*) from core.outcome_measure where nct_id = 'NCT02552212'") == [(31,)]


def test_trimmed_records_load_with_nulls(core: duckdb.DuckDBPyConnection) -> None:
    got = rows(
        core,
        """
        select nct_id, brief_title, enrollment, phases, start_date, has_results
        from core.study where nct_id in ('NCT00465816', 'NCT03453554') order by nct_id""",
    )
    assert got == [
        ("NCT00465816", "Primary Study to Demonstrate...", None, None, None, True),
        ("NCT03453554", "Evaluating a Digital...", None, None, None, False),
    ]
    assert rows(core, "select pmid, reference_type from core.study_reference where nct_id = 'NCT00465816'") == [
        ("22107850", "BACKGROUND"),
        (None, "BACKGROUND"),
    ]


@pytest.mark.parametrize("table", CORE_TABLES)
def test_primary_keys_unique_and_not_null(core: duckdb.DuckDBPyConnection, table: str) -> None:
    declared = next(o.contract() for o in objects("core") if o.name == table)
    assert declared.key, f"{declared.source} declares no @key"
    assert violations(core, [declared]) == []
    assert rows(core, f"select count(*) from core.{table} where {declared.key[0]} is null") == [(0,)]
    assert rows(core, f"select count(*) from core.{table}")[0][0] > 0


@pytest.mark.parametrize("table", CORE_TABLES[1:])
def test_every_row_points_at_a_study(core: duckdb.DuckDBPyConnection, table: str) -> None:
    orphans = rows(core, f"select count(*) from core.{table} t anti join core.study s using (nct_id)")
    assert orphans == [(0,)]


def test_measurements_point_at_measures_and_groups(core: duckdb.DuckDBPyConnection) -> None:
    assert rows(
        core,
        """
        select count(*) from core.outcome_measurement m
        anti join core.result_group g using (nct_id, outcome_idx, group_id)""",
    ) == [(0,)]
    assert rows(
        core,
        """
        select count(*) from core.outcome_measurement m
        anti join core.outcome_measure o using (nct_id, outcome_idx)""",
    ) == [(0,)]


def test_accepted_outcome_types(core: duckdb.DuckDBPyConnection) -> None:
    kinds = {k for (k,) in rows(core, "select distinct outcome_type from core.outcome_measure")}
    assert kinds <= {"PRIMARY", "SECONDARY", "OTHER_PRE_SPECIFIED", "POST_HOC"}


@pytest.mark.parametrize("layer", ["staging", "core"])
def test_documented_columns_match_describe(core: duckdb.DuckDBPyConnection, layer: str) -> None:
    names = CORE_TABLES if layer == "core" else TABLES
    assert len(names) == len(TABLES) == 11
    for name in names:
        declared = contract(f"{layer}.{name}")
        described = [r[0] for r in rows(core, f"describe {declared.qualified}")]
        assert list(declared.column_names) == described, declared.qualified


def test_na_values_stay_raw_with_null_numbers(core: duckdb.DuckDBPyConnection) -> None:
    got = rows(
        core,
        """
        select group_id, value_raw, value_num, lower_limit_raw, lower_limit_num, upper_limit_raw, upper_limit_num
        from core.outcome_measurement where nct_id = 'NCT02493868' and outcome_idx = 0 order by group_id""",
    )
    assert got[0] == ("OG000", "NA", None, "NA", None, "NA", None)
    assert got[1][0] == "OG001" and got[1][2] == float(got[1][1])
    numeric_text = rows(
        core,
        """
        select count(*) from core.outcome_measurement
        where value_num is null and value_raw is not null and value_raw not in ('NA', 'NR')""",
    )
    assert numeric_text == [(0,)]


def test_sustain1_hazard_ratio_numbers(core: duckdb.DuckDBPyConnection) -> None:
    got = rows(
        core,
        """
        select param_type, param_value_num, ci_pct_value, ci_lower_num, ci_upper_num,
               p_value_raw, p_value_operator, p_value_num, group_ids
        from core.outcome_analysis where nct_id = 'NCT02493868' and outcome_idx = 0""",
    )
    assert got == [("Hazard Ratio (HR)", 0.49, 95.0, 0.29, 0.84, "= 0.003", "=", 0.003, ["OG000", "OG001"])]


def test_transform1_ls_mean_differences(core: duckdb.DuckDBPyConnection) -> None:
    got = rows(
        core,
        """
        select param_value_num, ci_lower_num, ci_upper_num from core.outcome_analysis
        where nct_id = 'NCT02417064' and outcome_idx = 0 order by analysis_idx""",
    )
    assert got[:2] == [(-3.2, -6.88, 0.45), (-4.1, -7.67, -0.49)]


def test_escape_trd_cgi_c_categories_add_up_to_denominators(core: duckdb.DuckDBPyConnection) -> None:
    got = rows(
        core,
        """
        with counts as (
            select group_id, regexp_extract(class_title, 'at (Week \\d+)', 1) as week, sum(value_num) as n
            from core.outcome_measurement
            where nct_id = 'NCT04338321' and outcome_idx = 7
            group by all
        )
        select c.week, c.group_id, c.n, d.count
        from counts c join core.outcome_denom d
            on d.nct_id = 'NCT04338321' and d.outcome_idx = 7 and d.class_idx is null and d.group_id = c.group_id
        order by c.week, c.group_id""",
    )
    assert len({week for week, *_ in got}) == 10
    assert all(n == count for _, _, n, count in got)
    assert {(g, count) for _, g, _, count in got} == {("OG000", 327), ("OG001", 331)}


def test_class_level_denoms_are_integers(core: duckdb.DuckDBPyConnection) -> None:
    got = rows(
        core,
        """
        select distinct m.class_title, d.group_id, d.count_raw, d."count"
        from core.outcome_denom d join core.outcome_measurement m using (nct_id, outcome_idx, class_idx)
        where nct_id = 'NCT04338321' and outcome_idx = 2 and class_idx = 0 order by d.group_id""",
    )
    assert got == [("Week 1", "OG000", "325", 325), ("Week 1", "OG001", "326", 326)]


def synthetic_analyses(p_values: list[str | None]) -> Study:
    analyses = [{"groupIds": ["OG000", "OG001"], "pValue": p, "paramValue": "NR"} for p in p_values]
    measure = {"type": "PRIMARY", "title": "t", "groups": [{"id": "OG000"}, {"id": "OG001"}], "analyses": analyses}
    return {
        "protocolSection": {"identificationModule": {"nctId": "NCT00000001"}},
        "resultsSection": {"outcomeMeasuresModule": {"outcomeMeasures": [measure]}},
    }


P_VALUES: list[tuple[str | None, str | None, float | None]] = [
    ("<0.001", "<", 0.001),
    ("0.020", "=", 0.02),
    ("≤0.05", "<=", 0.05),
    ("<= 0.05", "<=", 0.05),
    ("= 0.250", "=", 0.25),
    (">0.99", ">", 0.99),
    ("≥ .5", ">=", 0.5),
    ("< .0001", "<", 0.0001),
    ("1.2E-5", "=", 1.2e-5),
    ("NS", None, None),
    ("0.05*", None, None),
    (None, None, None),
]


def test_p_value_operator_and_number(con: duckdb.DuckDBPyConnection) -> None:
    build(con, [(synthetic_analyses([p for p, _, _ in P_VALUES]), None)])
    got = rows(
        con,
        """
        select p_value_raw, p_value_operator, p_value_num, param_value_raw, param_value_num
        from core.outcome_analysis order by analysis_idx""",
    )
    assert [(raw, op, num) for raw, op, num, _, _ in got] == P_VALUES
    assert {(raw, num) for *_, raw, num in got} == {("NR", None)}


def test_versions_of_one_study_do_not_duplicate_children(con: duckdb.DuckDBPyConnection) -> None:
    studies = aact_studies()
    build(con, [*studies, *studies])
    assert rows(con, "select count(*) from core.study where nct_id = 'NCT02552212'") == [(1,)]
    assert rows(con, "select count(*) from core.outcome_measure where nct_id = 'NCT02552212'") == [(31,)]
