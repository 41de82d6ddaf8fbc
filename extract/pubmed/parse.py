"""Stream PubMed efetch XML (`PubmedArticleSet`) into records, one top-level element at a time.

`xml.etree.ElementTree` (expat) is used because Bio.Entrez.parse refuses efetch
`PubmedArticleSet` in biopython 1.88 and Entrez.read builds the whole answer in memory. Expat
never fetches the DOCTYPE's external DTD, so parsing makes no network access.

Each record keeps its payload (`xml`): the verbatim bytes of the element when they can be cut
from the stream, else the element re-serialized. `parse_article_xml(record.xml)` gives back
`record.fields`, so the warehouse can be rebuilt from raw payloads alone.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import deque
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from xml.etree.ElementTree import Element

from extract.errors import MalformedResponse

ROOT_TAG = "PubmedArticleSet"
RECORD_KINDS = {"PubmedArticle": "article", "PubmedBookArticle": "book"}
DELETE_TAG = "DeleteCitation"
CHUNK = 1 << 16
FIELD_NAMES = (
    "pmid", "version", "record_kind", "title", "abstract", "abstract_sections", "journal",
    "journal_iso", "volume", "issue", "pages", "pub_year", "pub_date", "medline_date",
    "article_date", "publication_types", "mesh_terms", "keywords", "nct_ids", "other_accessions",
    "doi", "pmc_id", "language", "authors", "date_revised", "date_completed", "coi_statement",
    "reference_pmids",
)
MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}
CTGOV = "clinicaltrials.gov"
_YEAR = re.compile(r"\b(\d{4})\b")
_RECORD_START = re.compile(rb"<(PubmedArticle|PubmedBookArticle|DeleteCitation)[\s>]")
_HTML = re.compile(rb"^\s*(<\?xml[^>]*>\s*)?<(!doctype\s+html|html)\b", re.I)


@dataclass(frozen=True)
class ArticleRecord:
    pmid: str
    version: str
    kind: str  # "article" | "book"
    xml: bytes  # the element's payload: verbatim bytes of the element, or it re-serialized
    fields: dict


@dataclass(frozen=True)
class Deletion:
    pmids: tuple[str, ...]


def iter_pubmed_xml(source: str | Path | BinaryIO, *, name: str) -> Iterator[ArticleRecord | Deletion]:
    """Yield each `PubmedArticle`/`PubmedBookArticle` as an ArticleRecord and each `DeleteCitation`.

    `source` is a path or a binary stream; `name` is used in error messages. Elements are
    dropped once yielded, so memory stays flat however large the file is.
    """
    with ExitStack() as stack:
        stream = stack.enter_context(open(source, "rb")) if isinstance(source, str | Path) else source
        yield from _Stream(stream, name).records()


def parse_article_xml(xml: bytes) -> dict:
    """The `fields` of one `PubmedArticle`/`PubmedBookArticle` payload (an ArticleRecord's `xml`)."""
    try:
        elem = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise MalformedResponse("article payload", f"invalid XML: {exc}") from None
    if elem.tag not in RECORD_KINDS:
        raise MalformedResponse("article payload", f"<{elem.tag}> is not a PubMed article")
    return article_fields(elem, "article payload")


class _Stream:
    """Feeds a byte stream to an XMLPullParser and cuts each top-level record's bytes out of it."""

    def __init__(self, stream: BinaryIO, name: str) -> None:
        self.stream, self.name = stream, name
        self.parser = ET.XMLPullParser(events=("start", "end"))
        self.root: Element | None = None
        self.depth = 0
        self.head = b""
        self.pending = b""
        self.spans: deque[tuple[str, bytes]] | None = deque()

    def records(self) -> Iterator[ArticleRecord | Deletion]:
        while chunk := self.stream.read(CHUNK):
            if len(self.head) < CHUNK:
                self.head += chunk[: CHUNK - len(self.head)]
            self._cut(chunk)
            yield from self._feed(chunk)
        yield from self._feed(None)

    def _cut(self, chunk: bytes) -> None:
        if self.spans is None:
            return
        self.pending += chunk
        pos = 0
        while match := _RECORD_START.search(self.pending, pos):
            close = b"</" + match.group(1) + b">"
            end = self.pending.find(close, match.end())
            if end < 0:
                self.pending = self.pending[match.start():]
                return
            pos = end + len(close)
            self.spans.append((match.group(1).decode(), self.pending[match.start(): pos]))
        self.pending = self.pending[max(pos, len(self.pending) - 32):]

    def _feed(self, chunk: bytes | None) -> Iterator[ArticleRecord | Deletion]:
        try:
            if chunk is None:
                self.parser.close()
            else:
                self.parser.feed(chunk)
            yield from self._events()
        except ET.ParseError as exc:
            raise MalformedResponse(self.name, self._why(exc, at_end=chunk is None)) from None

    def _events(self) -> Iterator[ArticleRecord | Deletion]:
        depth = self.depth
        for event, elem in self.parser.read_events():
            if event == "start":
                depth += 1
                if self.root is None:
                    self._set_root(elem)
            else:
                depth -= 1
                if depth == 1:
                    self.depth = depth
                    yield from self._top_level(elem)
        self.depth = depth

    def _set_root(self, elem: Element) -> None:
        self.root = elem
        if elem.tag != ROOT_TAG:
            raise MalformedResponse(self.name, self._wrong_root(elem.tag))

    def _top_level(self, elem: Element) -> Iterator[ArticleRecord | Deletion]:
        if elem.tag in RECORD_KINDS:
            yield self._record(elem)
        elif elem.tag == DELETE_TAG:
            self._payload(elem, "")
            yield Deletion(tuple(_text(p) or "" for p in elem.iter("PMID")))
        if self.root is not None:
            self.root.clear()

    def _record(self, elem: Element) -> ArticleRecord:
        fields = article_fields(elem, self.name)
        payload = self._payload(elem, fields["pmid"])
        return ArticleRecord(fields["pmid"], fields["version"], fields["record_kind"], payload, fields)

    def _payload(self, elem: Element, pmid: str) -> bytes:
        """The element's verbatim bytes while the cut spans line up with the parser, else re-serialized."""
        span = self.spans.popleft() if self.spans else None
        if span is not None and _fits(span, elem.tag, pmid):
            return span[1]
        self.spans = None
        elem.tail = None
        return ET.tostring(elem)

    def _wrong_root(self, tag: str) -> str:
        tag = tag.rsplit("}", 1)[-1]
        where = _position(self.head, tag)
        if _HTML.match(self.head):
            return f"got an HTML page instead of PubMed XML (<{tag}> at {where})"
        return f"root element is <{tag}>, expected <{ROOT_TAG}> (at {where})"

    def _why(self, exc: ET.ParseError, *, at_end: bool) -> str:
        line, column = exc.position
        if _HTML.match(self.head):
            return f"got an HTML page instead of PubMed XML (invalid XML at line {line}, column {column})"
        if at_end and self.root is not None:
            return f"truncated XML: the document ends inside an element (line {line}, column {column})"
        return f"invalid XML: {exc}"


def _fits(span: tuple[str, bytes], tag: str, pmid: str) -> bool:
    """A cut span is this element if the tags match, it names the PMID and holds no second start tag."""
    span_tag, data = span
    return (span_tag == tag and data.find(b"<" + tag.encode(), 1) < 0
            and (not pmid or f">{pmid}</PMID>".encode() in data))


def _position(head: bytes, tag: str) -> str:
    at = head.find(b"<" + tag.encode(errors="replace"))
    if at < 0:
        return "line ?, column ?"
    line, line_start = head.count(b"\n", 0, at) + 1, head.rfind(b"\n", 0, at) + 1
    return f"line {line}, column {at - line_start}"


def article_fields(elem: Element, where: str) -> dict:
    """The `fields` dict (see FIELD_NAMES) of a `PubmedArticle` or `PubmedBookArticle` element."""
    doc = elem.find("BookDocument") if elem.tag == "PubmedBookArticle" else elem.find("MedlineCitation")
    pmid_el = doc.find("PMID") if doc is not None else None
    if doc is None or pmid_el is None or not _text(pmid_el):
        raise MalformedResponse(where, f"<{elem.tag}> without a PMID")
    fields = _book_fields(elem, doc) if elem.tag == "PubmedBookArticle" else _article_fields(elem, doc)
    return {"pmid": _text(pmid_el), "version": pmid_el.get("Version") or "1", **fields}


def _article_fields(elem: Element, citation: Element) -> dict:
    article = _child(citation, "Article")
    data = elem.find("PubmedData")
    pub = article.find("Journal/JournalIssue/PubDate")
    return {
        "record_kind": "article",
        "title": _text(article.find("ArticleTitle")),
        **_abstract(article),
        "journal": _text(article.find("Journal/Title")),
        "journal_iso": _text(article.find("Journal/ISOAbbreviation")),
        "volume": _text(article.find("Journal/JournalIssue/Volume")),
        "issue": _text(article.find("Journal/JournalIssue/Issue")),
        "pages": _pages(article.find("Pagination")),
        **_pub_date(pub),
        "article_date": _iso_date(article.find("ArticleDate")),
        "publication_types": _texts(article.iterfind("PublicationTypeList/PublicationType")),
        "mesh_terms": _mesh(citation),
        "keywords": _texts(citation.iterfind("KeywordList/Keyword")),
        **_databanks(article),
        **_ids(article, data),
        "language": _texts(article.iterfind("Language")),
        "authors": _authors(article.iterfind("AuthorList/Author")),
        "date_revised": _iso_date(citation.find("DateRevised")),
        "date_completed": _iso_date(citation.find("DateCompleted")),
        "coi_statement": _text(citation.find("CoiStatement")),
        "reference_pmids": _references(data),
    }


def _book_fields(elem: Element, doc: Element) -> dict:
    """Book chapters (e.g. GeneReviews): the book title stands in for the journal."""
    book = _child(doc, "Book")
    book_title = _text(book.find("BookTitle"))
    return {
        "record_kind": "book",
        "title": _text(doc.find("ArticleTitle")) or book_title,
        **_abstract(doc),
        "journal": book_title,
        "journal_iso": None, "volume": _text(book.find("Volume")), "issue": None,
        "pages": _pages(doc.find("Pagination")),
        **_pub_date(book.find("PubDate")),
        "article_date": None,
        "publication_types": _texts(doc.iterfind("PublicationType")),
        "mesh_terms": [],
        "keywords": _texts(doc.iterfind("KeywordList/Keyword")),
        "nct_ids": [], "other_accessions": [],
        **_ids(doc, elem.find("PubmedBookData")),
        "language": _texts(doc.iterfind("Language")),
        "authors": _authors(doc.iterfind("AuthorList/Author")),
        "date_revised": _iso_date(doc.find("DateRevised")),
        "date_completed": None,
        "coi_statement": _text(doc.find("CoiStatement")),
        "reference_pmids": _references(doc),
    }


def _child(parent: Element, tag: str) -> Element:
    found = parent.find(tag)
    return found if found is not None else Element(tag)


def _text(elem: Element | None) -> str | None:
    """All text inside the element, inline markup (<i>, <sup>, MathML) included, whitespace runs
    collapsed (pretty-printed MathML spreads one symbol over many lines); None when empty."""
    if elem is None:
        return None
    return " ".join("".join(elem.itertext()).split()) or None


def _texts(elems: Iterator[Element]) -> list[str]:
    return [t for t in map(_text, elems) if t]


def _abstract(parent: Element) -> dict:
    sections = [
        {"label": s.get("Label") or None, "nlm_category": s.get("NlmCategory") or None, "text": _text(s)}
        for s in parent.iterfind("Abstract/AbstractText")
    ]
    parts = [f"{s['label']}: {s['text'] or ''}" if s["label"] else s["text"] or "" for s in sections]
    return {"abstract": "\n".join(parts).strip() or None, "abstract_sections": sections}


def _pages(pagination: Element | None) -> str | None:
    if pagination is None:
        return None
    medline = _text(pagination.find("MedlinePgn"))
    if medline:
        return medline
    start, end = _text(pagination.find("StartPage")), _text(pagination.find("EndPage"))
    return f"{start}-{end}" if start and end else start


def _pub_date(pub: Element | None) -> dict:
    """pub_year, pub_date (ISO, as precise as PubDate allows) and the raw MedlineDate."""
    if pub is None:
        return {"pub_year": None, "pub_date": None, "medline_date": None}
    medline = _text(pub.find("MedlineDate"))
    if medline:
        year = _YEAR.search(medline)
        return {"pub_year": int(year.group(1)) if year else None,
                "pub_date": year.group(1) if year else None, "medline_date": medline}
    iso = _iso_date(pub)
    return {"pub_year": int(iso[:4]) if iso else None, "pub_date": iso, "medline_date": None}


def _iso_date(date: Element | None) -> str | None:
    """'YYYY', 'YYYY-MM' or 'YYYY-MM-DD' from Year/Month/Day; months may be names or numbers."""
    if date is None:
        return None
    year = _text(date.find("Year")) or ""
    if not (len(year) == 4 and year.isdigit()):
        return None
    month = _month(_text(date.find("Month")))
    if month is None:
        return year
    day = _text(date.find("Day")) or ""
    if not (day.isdigit() and 1 <= int(day) <= 31):
        return f"{year}-{month:02d}"
    return f"{year}-{month:02d}-{int(day):02d}"


def _month(value: str | None) -> int | None:
    if not value:
        return None
    if value.isdigit():
        return int(value) if 1 <= int(value) <= 12 else None
    return MONTHS.get(value[:3].lower())


def _mesh(citation: Element) -> list[str]:
    """Descriptor names; '*' marks a major topic (descriptor or any of its qualifiers, as [majr])."""
    terms = []
    for heading in citation.iterfind("MeshHeadingList/MeshHeading"):
        name = _text(heading.find("DescriptorName"))
        if not name:
            continue
        major = any(e.get("MajorTopicYN") == "Y" for e in heading)
        terms.append(f"{name}*" if major else name)
    return terms


def _databanks(article: Element) -> dict:
    nct_ids: list[str] = []
    others: list[str] = []
    for bank in article.iterfind("DataBankList/DataBank"):
        bank_name = _text(bank.find("DataBankName")) or ""
        for accession in _texts(bank.iterfind("AccessionNumberList/AccessionNumber")):
            if bank_name.lower() == CTGOV:
                nct_ids.append(accession.upper())
            else:
                others.append(f"{bank_name}:{accession}")
    return {"nct_ids": list(dict.fromkeys(nct_ids)), "other_accessions": list(dict.fromkeys(others))}


def _ids(doc: Element, data: Element | None) -> dict:
    """DOI and PMC id from the record's own ArticleIdList (never from its references)."""
    ids: dict[str, str] = {}
    lists = [doc.find("ArticleIdList"), data.find("ArticleIdList") if data is not None else None]
    for id_list in filter(lambda e: e is not None, lists):
        for article_id in id_list.iterfind("ArticleId"):
            value = _text(article_id)
            if value:
                ids.setdefault(article_id.get("IdType") or "", value)
    doi = ids.get("doi") or _eloc_doi(doc)
    return {"doi": doi, "pmc_id": ids.get("pmc")}


def _eloc_doi(doc: Element) -> str | None:
    for eloc in doc.iterfind("ELocationID"):
        if eloc.get("EIdType") == "doi":
            return _text(eloc)
    return None


def _authors(authors: Iterator[Element]) -> list[str]:
    names = []
    for author in authors:
        if author.get("ValidYN") == "N":
            continue
        collective = _text(author.find("CollectiveName"))
        last, initials = _text(author.find("LastName")), _text(author.find("Initials"))
        name = collective or " ".join(p for p in (last, initials) if p)
        if name:
            names.append(name)
    return names


def _references(parent: Element | None) -> list[str]:
    if parent is None:
        return []
    pmids = [
        (article_id.text or "").strip()
        for reference_list in parent.iterfind("ReferenceList")
        for article_id in reference_list.iter("ArticleId")
        if article_id.get("IdType") == "pubmed"
    ]
    return list(dict.fromkeys(p for p in pmids if p))
