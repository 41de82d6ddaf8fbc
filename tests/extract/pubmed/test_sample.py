"""The bundled PubMed sample (examples/snapshot/pubmed/efetch-sample.xml) and its hand-written
expected extraction (examples/snapshot/expected/abstract.csv).

The sample is hand-built in efetch shape (see examples/snapshot/provenance/pubmed.md), so these
tests check the shape against NCBI's DTD as shipped by Biopython, and check that every expected
figure is quoted verbatim from the abstract it claims to come from.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from tests.conftest import SAMPLE

XML_PATH = SAMPLE / "pubmed" / "efetch-sample.xml"
CSV_PATH = SAMPLE / "expected" / "abstract.csv"

# Trial publications and the ClinicalTrials.gov id each must carry in DataBankList.
TRIAL_NCT = {
    "16894061": "NCT00088699",  # Zarate 2006
    "23982301": "NCT00768430",  # Murrough 2013
    "31290965": "NCT02417064",  # TRANSFORM-1
    "31109201": "NCT02418585",  # TRANSFORM-2
    "31734084": "NCT02422186",  # TRANSFORM-3
    "31166571": "NCT02493868",  # SUSTAIN-1
    "32316080": "NCT02497287",  # SUSTAIN-2
    "37792613": "NCT04338321",  # ESCAPE-TRD
    "37224232": "NCT03113968",  # ELEKT-D
}
# Articles deliberately without a DataBankList, each with the reason.
NO_REGISTRY = {
    "30922101": "Phillips 2019: no registry id could be verified offline",
    "27366445": "anaesthesia/postoperative pain exclusion case: no registry id known",
    "38011560": "review article: not a trial",
}
EXPECTED_COLUMNS = [
    "pmid",
    "nct_id",
    "outcome_kind",
    "timepoint_days",
    "arm_drug",
    "arm_role",
    "events",
    "total",
    "rate_pct",
    "effect_type",
    "effect",
    "ci_lower",
    "ci_upper",
    "span_text",
    "note",
]
NCT_RE = re.compile(r"^NCT\d{8}$")


def _dtd_path() -> Path:
    from Bio import Entrez

    return Path(Entrez.__file__).parent / "DTDs" / "pubmed_250101.dtd"


@pytest.fixture(scope="module")
def records():
    from Bio import Entrez

    with XML_PATH.open("rb") as handle:
        return Entrez.read(handle)["PubmedArticle"]


@pytest.fixture(scope="module")
def abstracts(records) -> dict[str, str]:
    out = {}
    for rec in records:
        citation = rec["MedlineCitation"]
        parts = citation["Article"]["Abstract"]["AbstractText"]
        out[str(citation["PMID"])] = " ".join(str(part) for part in parts)
    return out


@pytest.fixture(scope="module")
def expected_rows() -> list[dict[str, str]]:
    with CSV_PATH.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == EXPECTED_COLUMNS
        return list(reader)


def test_header_and_doctype_are_efetch_shaped():
    head = XML_PATH.read_text(encoding="ascii").splitlines()[:2]
    assert head[0] == '<?xml version="1.0" ?>'
    assert head[1].startswith('<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2025//EN"')
    assert "pubmed_250101.dtd" in head[1]


def test_validates_against_biopython_pubmed_dtd():
    etree = pytest.importorskip(
        "lxml.etree", reason="lxml is not installed (pip install lxml) - DTD validation skipped"
    )
    dtd_path = _dtd_path()
    if not dtd_path.exists():
        pytest.skip(f"Biopython does not ship {dtd_path.name} in this version")
    with dtd_path.open("rb") as handle:
        dtd = etree.DTD(handle)
    doc = etree.parse(str(XML_PATH))
    assert dtd.validate(doc), dtd.error_log.filter_from_errors()


def test_biopython_reads_every_article(records):
    pmids = [str(rec["MedlineCitation"]["PMID"]) for rec in records]
    assert len(pmids) == len(set(pmids)) == len(TRIAL_NCT) + len(NO_REGISTRY)
    assert set(pmids) == set(TRIAL_NCT) | set(NO_REGISTRY)


def test_every_article_has_pmid_title_and_abstract(records):
    for rec in records:
        citation = rec["MedlineCitation"]
        article = citation["Article"]
        assert str(citation["PMID"]).isdigit()
        assert str(article["ArticleTitle"]).strip()
        texts = article["Abstract"]["AbstractText"]
        assert texts and all(str(t).strip() for t in texts)


def test_article_ids_include_pubmed_and_doi(records):
    for rec in records:
        pmid = str(rec["MedlineCitation"]["PMID"])
        ids = {i.attributes["IdType"]: str(i) for i in rec["PubmedData"]["ArticleIdList"]}
        assert ids["pubmed"] == pmid
        assert ids["doi"].startswith("10.")


def test_trial_articles_carry_their_nct_id(records):
    for rec in records:
        pmid = str(rec["MedlineCitation"]["PMID"])
        banks = rec["MedlineCitation"]["Article"].get("DataBankList", [])
        accessions = [
            str(acc)
            for bank in banks
            if bank["DataBankName"] == "ClinicalTrials.gov"
            for acc in bank["AccessionNumberList"]
        ]
        if pmid in TRIAL_NCT:
            assert accessions == [TRIAL_NCT[pmid]], pmid
        else:
            assert not accessions, NO_REGISTRY[pmid]


def test_expected_rows_are_well_formed(expected_rows):
    kinds = {"response", "remission", "relapse", "time_to_relapse"}
    for row in expected_rows:
        assert row["pmid"] in TRIAL_NCT or row["pmid"] in NO_REGISTRY
        assert row["nct_id"] == TRIAL_NCT.get(row["pmid"], "")
        assert not row["nct_id"] or NCT_RE.match(row["nct_id"])
        assert row["outcome_kind"] in kinds
        assert row["arm_role"] in {"active", "control"}
        assert row["timepoint_days"] == "" or int(row["timepoint_days"]) > 0
        if row["effect_type"]:
            assert row["effect_type"] in {"HR", "OR", "RR"}
            assert float(row["ci_lower"]) < float(row["effect"]) < float(row["ci_upper"])
        else:
            assert 0 <= float(row["rate_pct"]) <= 100
        if row["events"] and row["total"]:
            rate = 100 * int(row["events"]) / int(row["total"])
            assert abs(rate - float(row["rate_pct"])) < 0.05, row


@pytest.mark.parametrize("field", ["rate_pct", "events", "total", "effect", "ci_lower", "ci_upper"])
def test_every_number_appears_in_its_abstract(expected_rows, abstracts, field):
    for row in expected_rows:
        if row[field]:
            text = abstracts[row["pmid"]]
            assert re.search(rf"(?<![\d.]){re.escape(row[field])}(?![\d])", text), (field, row)


def test_span_text_occurs_verbatim_in_its_abstract(expected_rows, abstracts):
    assert expected_rows
    for row in expected_rows:
        assert row["span_text"], row
        assert row["span_text"] in abstracts[row["pmid"]], row
