"""core.screening rows and the PRISMA 2020 counts from marts/prisma_flow.sql."""

from __future__ import annotations

import json

import pytest

from ketamine_evidence.transform.outcomes import SCREENING_COLUMNS, screen_publication, screen_study
from ketamine_evidence.transform.outcomes.build import screening_rows
from ketamine_evidence.transform.outcomes.screening import classify_population
from ketamine_evidence.warehouse.build import contract
from ketamine_evidence.warehouse.db import init_schemas
from ketamine_evidence.warehouse.frames import insert_rows
from ketamine_evidence.warehouse.sql_files import objects
from tests.conftest import SAMPLE


def ct(nct: str, title: str, conditions: list[str], interventions: list[str]) -> dict:
    return {
        "protocolSection": {
            "identificationModule": {"nctId": nct, "briefTitle": title},
            "conditionsModule": {"conditions": conditions},
            "armsInterventionsModule": {"interventions": [{"name": n} for n in interventions]},
        }
    }


@pytest.mark.parametrize(
    ("study", "included", "reason", "population"),
    [
        (
            ct("NCT1", "Ketamine vs Midazolam in TRD", ["Treatment Resistant Depression"], ["Ketamine", "Midazolam"]),
            True,
            None,
            "trd",
        ),
        (
            ct("NCT2", "Ketamine for Postoperative Pain", ["Pain, Postoperative"], ["Ketamine"]),
            False,
            "other_indication",
            "other",
        ),
        (
            ct("NCT3", "Ketamine Sedation in the ICU", ["Delirium"], ["Ketamine", "Propofol"]),
            False,
            "other_indication",
            "other",
        ),
        (
            ct("NCT4", "Liafensine in DGM4-positive TRD", ["Treatment Resistant Depression"], ["Liafensine"]),
            False,
            "no_ketamine_arm",
            "trd",
        ),
        (
            ct("NCT5", "Esketamine in MDD With Suicidal Ideation", ["Major Depressive Disorder"], ["Esketamine"]),
            True,
            None,
            "suicidal_ideation",
        ),
        (
            ct("NCT6", "Ketamine Pharmacokinetics in Healthy Volunteers", ["Healthy"], ["Ketamine"]),
            False,
            "not_depression",
            "other",
        ),
    ],
)
def test_screen_study(study: dict, included: bool, reason: str | None, population: str) -> None:
    row = screen_study(study)
    assert tuple(row) == SCREENING_COLUMNS
    assert (row["included"], row["exclusion_reason"], row["population"]) == (included, reason, population)
    assert row["is_registered"] and row["record_type"] == "study" and row["source"] == "ctgov"
    assert (row["reason_detail"] is None) == included


@pytest.mark.parametrize(
    ("fields", "linked", "reason", "key"),
    [
        (
            {
                "pmid": "31166571",
                "title": "Esketamine for relapse prevention in TRD",
                "abstract": "esketamine depression",
                "publication_types": ["Randomized Controlled Trial"],
            },
            ["NCT02493868"],
            None,
            "NCT02493868",
        ),
        (
            {
                "pmid": "38011560",
                "title": "Ketamine and the neurobiology of depression",
                "abstract": "review",
                "publication_types": ["Review", "Journal Article"],
            },
            [],
            "review_or_protocol",
            "PMID:38011560",
        ),
        (
            {
                "pmid": "27366445",
                "title": "Intravenous Ketamine and Postoperative Morphine Requirement",
                "abstract": "colectomy",
                "publication_types": ["Randomized Controlled Trial"],
            },
            [],
            "other_indication",
            "PMID:27366445",
        ),
        (
            {
                "pmid": "9",
                "title": "A post hoc analysis of esketamine in depression",
                "abstract": "esketamine",
                "publication_types": ["Journal Article"],
            },
            ["NCT02493868"],
            "duplicate_report",
            "NCT02493868",
        ),
        (
            {
                "pmid": "8",
                "title": "Study protocol: ketamine for depression",
                "abstract": "ketamine",
                "publication_types": ["Journal Article"],
            },
            [],
            "review_or_protocol",
            "PMID:8",
        ),
        (
            {
                "pmid": "7",
                "title": "Sertraline in depression",
                "abstract": "sertraline",
                "publication_types": ["Randomized Controlled Trial"],
            },
            [],
            "no_ketamine_arm",
            "PMID:7",
        ),
    ],
)
def test_screen_publication(fields: dict, linked: list[str], reason: str | None, key: str) -> None:
    row = screen_publication(fields, linked_nct_ids=linked, included_nct_ids={"NCT02493868"})
    assert (row["exclusion_reason"], row["study_key"], row["is_registered"]) == (reason, key, bool(linked))
    assert row["included"] is (reason is None)


def _run(con, layer: str, name: str) -> None:
    """Create a Python model's table from its contract, or run a SQL model."""
    con.execute(f"create schema if not exists {layer}")
    sql = next((o.sql for o in objects(layer) if o.name == name), None)
    con.execute(sql or contract(f"{layer}.{name}").ddl())


def test_prisma_flow_counts_in_one_query(con) -> None:
    init_schemas(con)
    _run(con, "core", "screening")
    con.execute(
        "insert into meta.refresh_run (run_id, started_at, mode, status) values "
        "('r1', '2026-01-01', 'live', 'success'), ('r2', '2026-02-01', 'live', 'success'),"
        " ('r3', '2026-03-01', 'live', 'failed')"
    )
    con.execute(
        "insert into meta.search_log (run_id, source, query, hits) values "
        "('r1', 'ctgov', 'ketamine', 4), ('r1', 'pubmed', 'ketamine', 5), ('r2', 'pubmed', 'ketamine', 1),"
        " ('r3', 'pubmed', 'ketamine', 99)"
    )
    # NCT1 twice (two versions) and PMID 5 deleted: identified counts distinct records ever retrieved.
    for nct, sha in (("NCT1", "a"), ("NCT1", "b"), ("NCT2", "c"), ("NCT4", "d")):
        con.execute("insert into raw.ctgov_study values (?, null, ?, '{}', 'r1', '2026-01-01', null)", [nct, sha])
    for pmid in ("1", "2", "3", "4"):
        con.execute(
            "insert into raw.pubmed_article values (?, '1', null, ?, '<x/>', 'r1', '2026-01-01', null)", [pmid, pmid]
        )
    con.execute("insert into raw.pubmed_deletion values ('5', 'r2', '2026-02-01', null)")
    studies = [
        ct("NCT1", "Ketamine in TRD", ["TRD"], ["Ketamine"]),
        ct("NCT2", "Ketamine pain", ["Pain"], ["Ketamine"]),
        ct("NCT4", "Liafensine", ["Depression"], ["Liafensine"]),
    ]
    pubs = [
        {
            "pmid": "1",
            "title": "Ketamine in TRD",
            "abstract": "ketamine depression",
            "nct_ids": ["NCT1"],
            "publication_types": ["Randomized Controlled Trial"],
        },
        {
            "pmid": "2",
            "title": "A secondary analysis of ketamine in TRD",
            "abstract": "ketamine depression",
            "nct_ids": ["NCT1"],
            "publication_types": ["Journal Article"],
        },
        {
            "pmid": "3",
            "title": "Ketamine infusions in depression",
            "abstract": "ketamine depression",
            "publication_types": ["Randomized Controlled Trial"],
        },
        {
            "pmid": "4",
            "title": "Ketamine: a review",
            "abstract": "ketamine depression",
            "publication_types": ["Review"],
        },
    ]
    insert_rows(con, "core.screening", screening_rows(studies, pubs))
    for layer, name in (("core", "study_inclusion"), ("marts", "prisma_flow")):
        _run(con, layer, name)
    got = {(s, src, r): n for s, src, r, n in con.execute("select * from marts.prisma_flow").fetchall()}
    assert got == {
        ("searched_hits", "pubmed", None): 1,
        ("identified", "ctgov", None): 3,
        ("identified", "pubmed", None): 5,
        ("removed_before_screening", "ctgov", None): 0,
        ("removed_before_screening", "pubmed", None): 1,
        ("screened", "ctgov", None): 3,
        ("screened", "pubmed", None): 4,
        ("excluded", "ctgov", "no_ketamine_arm"): 1,
        ("excluded", "ctgov", "other_indication"): 1,
        ("excluded", "pubmed", "review_or_protocol"): 1,
        ("included_reports", "ctgov", None): 1,
        ("included_reports", "pubmed", None): 3,  # the further report of NCT1 is a report of an included study
        ("included_studies", "all", None): 2,
        ("studies_without_registry_record", "all", None): 1,
    }


def test_sample_studies_screen_as_the_provenance_says() -> None:
    files = sorted((SAMPLE / "ctgov").glob("*.json"))
    if not files:
        pytest.skip("examples/snapshot/ctgov is not there yet")
    rows = {r["record_id"]: r for r in (screen_study(json.loads(f.read_text())) for f in files)}
    assert rows["NCT02493868"]["included"] and rows["NCT00768430"]["included"]
    assert rows["NCT05113771"]["exclusion_reason"] == "no_ketamine_arm"


@pytest.mark.parametrize(
    ("conditions", "title", "summary", "population"),
    [
        ((), "Refractory diffuse large B-cell lymphoma: a review", "Remission in refractory disease.", "other"),
        (("Lymphoma",), "Ketamine for procedural sedation", "Patients with relapsed or refractory lymphoma.", "other"),
        (("Depression, Treatment-Resistant",), "Esketamine nasal spray", None, "trd"),
        ((), "Ketamine in refractory major depressive disorder", None, "trd"),
        ((), "Esketamine for postpartum depression", None, "perinatal"),
    ],
)
def test_population_needs_a_depressive_disorder(
    conditions: tuple[str, ...], title: str, summary: str | None, population: str
) -> None:
    assert classify_population(conditions, title, summary) == population


def test_a_trial_is_included_by_its_registry_record_else_by_its_publications(con) -> None:
    """core.study_inclusion: a paper on an excluded registered trial does not bring the trial in; a trial
    known only from papers is in when one of them is; notices get their own reason."""
    init_schemas(con)
    _run(con, "core", "screening")
    studies = [ct("NCT1", "Ketamine pain", ["Pain"], ["Ketamine"]),
               ct("NCT2", "Ketamine in TRD", ["TRD"], ["Ketamine"])]
    pubs = [
        {"pmid": "1", "title": "Ketamine in depression", "abstract": "ketamine depression", "nct_ids": ["NCT1"],
         "publication_types": ["Randomized Controlled Trial"]},
        {"pmid": "2", "title": "Ketamine infusions in depression", "abstract": "ketamine depression",
         "publication_types": ["Randomized Controlled Trial"]},
        {"pmid": "3", "title": "Erratum: ketamine in depression", "abstract": "ketamine depression",
         "publication_types": ["Published Erratum"]},
    ]
    insert_rows(con, "core.screening", screening_rows(studies, pubs))
    _run(con, "core", "study_inclusion")
    got = con.execute("select study_key, included, exclusion_reason, decided_by, has_registry_record,"
                      " included_publications from core.study_inclusion order by study_key").fetchall()
    assert got == [
        ("NCT1", False, "other_indication", "study", True, ["1"]),
        ("NCT2", True, None, "study", True, []),
        ("PMID:2", True, None, "publication", False, ["2"]),
        ("PMID:3", False, "notice", "publication", False, []),
    ]


def test_arms_named_only_in_result_group_titles_count_as_ketamine_arms() -> None:
    """Some records name the arms only in the posted results' groups (the outcome builder reads those)."""
    study = ct("NCT9", "A study in treatment-resistant depression", ["Depression"], [])
    study["resultsSection"] = {"outcomeMeasuresModule": {"outcomeMeasures": [
        {"groups": [{"id": "OG000", "title": "Intranasal Esketamine + Oral AD"}, {"id": "OG001", "title": "Placebo"}]}
    ]}}
    assert screen_study(study)["included"]
    del study["resultsSection"]
    assert screen_study(study)["exclusion_reason"] == "no_ketamine_arm"


def test_a_retracted_trial_is_a_notice_even_when_typed_as_a_trial() -> None:
    retracted = {"pmid": "5", "title": "Ketamine infusions in depression", "abstract": "ketamine depression",
                 "publication_types": ["Randomized Controlled Trial", "Retracted Publication"]}
    assert screen_publication(retracted)["exclusion_reason"] == "notice"
    retracted["publication_types"] = ["Randomized Controlled Trial", "Journal Article"]
    assert screen_publication(retracted)["included"]
