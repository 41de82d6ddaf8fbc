"""Stream PubMed efetch XML (`PubmedArticleSet`) into records, one top-level element at a time.

`xml.etree.ElementTree` (expat) is used because Bio.Entrez.parse refuses efetch
`PubmedArticleSet` in biopython 1.88 and Entrez.read builds the whole answer in memory. Expat
never fetches the DOCTYPE's external DTD, so parsing makes no network access.

Each record keeps its payload (`xml`): the verbatim bytes of the element when they can be cut
from the stream, else the element re-serialized. `parse_article_xml(record.xml)` gives back
`record.fields`, so the warehouse can be rebuilt from raw payloads alone.
"""

from __future__ import annotations

import pyexpat
import re
import xml.etree.ElementTree as ET
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, cast
from xml.etree.ElementTree import Element

from ketamine_evidence.extract.errors import MalformedResponse

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
_RECORD_STARTS = (b"<PubmedArticle", b"<PubmedBookArticle", b"<DeleteCitation")
_ROOT_START = re.compile(rb"<PubmedArticleSet[ \t\r\n]*>")
_XML_DECL = re.compile(rb"(?:\xef\xbb\xbf)?<\?xml([^>]*)>")
_ENCODING = re.compile(rb"encoding[ \t\r\n]*=[ \t\r\n]*[\"']([^\"']*)")
_SETTLED = re.compile(rb"(?:<[^<>\"']*>)?[^<&]*")
_REFS_OPEN, _REFS_CLOSE = b"<ReferenceList>", b"</ReferenceList>"
_REFS_MARK = "_ketamine_evidence_refs"  # marks a ReferenceList cut out by `_skeleton`
_REFS_MARK_BYTES = _REFS_MARK.encode()
_ARTICLE_ID = re.compile(rb'<ArticleId(?:( IdType="([^"<&]*)">([^<]*)</ArticleId>)|[\s/>])')
_REFERENCE = re.compile(r"&(?:#x([0-9a-fA-F]+)|#([0-9]+)|(amp|lt|gt|quot|apos));")
_PREDEFINED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
_PLACEHOLDER = "_r"  # stand-in for a record parsed on its own; only ever read from `_placeholder`


@dataclass(frozen=True)
class ArticleRecord:
    pmid: str
    version: str
    kind: str  # "article" | "book"
    xml: bytes  # the element's payload: verbatim bytes of the element, or it re-serialized
    fields: dict[str, Any]  # keys: FIELD_NAMES, in that order


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


def parse_article_xml(xml: bytes) -> dict[str, Any]:
    """The `fields` of one `PubmedArticle`/`PubmedBookArticle` payload (an ArticleRecord's `xml`)."""
    try:
        elem = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise MalformedResponse("article payload", f"invalid XML: {exc}") from None
    if elem.tag not in RECORD_KINDS:
        raise MalformedResponse("article payload", f"<{elem.tag}> is not a PubMed article")
    return article_fields(elem, "article payload")


class _Stream:
    """Feeds a byte stream to an XMLPullParser and cuts each top-level record's bytes out of it.

    Shortcut: a record whose bytes are cut whole while the parser sits between top-level items of
    the root (nothing open but the root, no markup pending) is parsed on its own with
    `ET.fromstring` (no Python work per element), and the document parser is fed a stand-in empty
    element spanning the same lines and columns instead, so it still checks the document around
    the records and reports later errors at the same positions. Whenever that cannot be shown
    (comments or processing instructions between records, records not directly under the root,
    an internal DTD subset, a non-UTF-8 encoding, a record that does not parse on its own) the
    bytes go to the document parser as they are, which is what the parser did without the
    shortcut; records, payloads and errors come out the same either way.
    """

    def __init__(self, stream: BinaryIO, name: str) -> None:
        self.stream, self.name = stream, name
        self.parser: ET.XMLPullParser[Element] = ET.XMLPullParser(events=("start", "end"))
        self.root: Element | None = None
        self.depth = 0
        self.head = b""
        self.spans: deque[tuple[str, bytes]] | None = deque()
        self.buf = b""  # bytes read and not yet dropped: unfed ones, and those the cut still searches
        self.fed = 0  # buf[:fed] has been fed to the parser
        self.hold = 0  # where the search for the next record start resumes in buf
        self.cuts: list[tuple[int, bytes]] = []  # records cut whole from buf: (offset, bytes)
        self.prolog: bytes | None = b""  # bytes fed before the first record, until they are checked
        self.tail: bytes | None = b""  # since the parser was last known between items; None: no shortcut
        self.stand_in: tuple[Element, list[list[str]] | None, bytes] | None = None
        self.lines = 0  # line breaks fed to the parser (as expat counts them: CRLF, CR, LF)
        self.cr = False  # the last byte fed was a CR
        self.short: tuple[int, int] = (0, 0)  # (line, characters) stand-ins fell short of on that line

    def records(self) -> Iterator[ArticleRecord | Deletion]:
        while chunk := self.stream.read(CHUNK):
            if len(self.head) < CHUNK:
                self.head += chunk[: CHUNK - len(self.head)]
            self.buf += chunk
            self._cut()
            yield from self._flush()
        self.hold = len(self.buf)
        yield from self._flush()
        yield from self._feed(None)

    def _cut(self) -> None:
        """Cut each record whose end tag has arrived; `hold` is where a record may yet start."""
        buf, pos = self.buf, self.hold
        while match := _RECORD_START.search(buf, pos):
            close = b"</" + match.group(1) + b">"
            end = buf.find(close, match.end())
            if end < 0:
                self.hold = match.start()
                return
            pos = end + len(close)
            span = buf[match.start(): pos]
            self.cuts.append((match.start(), span))
            if self.spans is not None:
                self.spans.append((match.group(1).decode(), span))
        at = buf.rfind(b"<", max(pos, len(buf) - len(_RECORD_STARTS[1])))  # a start tag's name may be cut short
        tail = buf[at:] if at >= 0 else b""
        self.hold = at if tail and any(s.startswith(tail) for s in _RECORD_STARTS) else len(buf)

    def _flush(self) -> Iterator[ArticleRecord | Deletion]:
        """Feed what has been cut, each whole record as itself or as a stand-in, and what lies
        before `hold`; what follows it is kept back only while the parser sits between items."""
        buf = self.buf
        for start, span in self.cuts:
            end = start + len(span)
            if start >= self.fed:
                yield from self._real(buf[self.fed: start])
                alone = self._alone(span)
                if alone is not None:
                    self.stand_in, self.fed = (*alone, span), end
                    yield from self._feed(self._placeholder(span))
                    continue
            if end > self.fed:
                yield from self._real(buf[self.fed: end])
        self.cuts.clear()
        if self.fed < self.hold:
            yield from self._real(buf[self.fed: self.hold])
        if self.fed < len(buf) and not self._between():
            yield from self._real(buf[self.fed:])
        keep = min(self.fed, self.hold)
        self.buf, self.fed, self.hold = buf[keep:], self.fed - keep, self.hold - keep

    def _real(self, data: bytes) -> Iterator[ArticleRecord | Deletion]:
        if not data:
            return
        self.fed += len(data)
        lines = data.count(b"\n")
        if b"\r" in data:
            lines += data.count(b"\r") - data.count(b"\r\n")
        if self.cr and data[0] == 0x0A:
            lines -= 1
        self.lines, self.cr = self.lines + lines, data[-1] == 0x0D
        if self.tail is not None:
            self._track(data)
        yield from self._feed(data)

    def _placeholder(self, span: bytes) -> bytes:
        """An empty element, fed instead of the span, as many lines long; what its last line falls
        short of the span's (in characters, as expat counts columns) is added back to errors'
        columns on that line."""
        lines = span.count(b"\n")
        if b"\r" in span:
            lines += span.count(b"\r") - span.count(b"\r\n")
        last = len(span[max(span.rfind(b"\n"), span.rfind(b"\r")) + 1:].decode())
        line, short = self.short
        if lines:
            self.lines += lines
            self.short, self.cr = (self.lines + 1, last - 2), False
            return b"<" + _PLACEHOLDER.encode() + b"\n" * lines + b"/>"
        self.short, self.cr = (self.lines + 1, (short if line == self.lines + 1 else 0) + last - 5), False
        return b"<" + _PLACEHOLDER.encode() + b"/>"

    def _alone(self, span: bytes) -> tuple[Element, list[list[str]] | None] | None:
        """The record parsed on its own (see `_parse_record`), when it may stand in for the parser
        reading it in place."""
        if not self._between():
            return None
        try:
            return _parse_record(span)
        except ET.ParseError:
            return None

    def _track(self, data: bytes) -> None:
        """Keep what `_between` needs of the bytes fed since the parser was last between items."""
        if self.prolog is not None:
            self.prolog += data
            if len(self.prolog) > CHUNK:
                self.tail = self.prolog = None
            return
        assert self.tail is not None, "tracking only while `tail` is kept"  # see `_real`, `_anchor`
        tail = self.tail + data
        if b"<!" in tail or b"<?" in tail:  # a comment, CDATA section or PI may swallow a record
            self.tail = None
            return
        at = tail.rfind(b"<")
        self.tail = tail[at:] if at >= 0 else tail
        if len(self.tail) > CHUNK:
            self.tail = None

    def _between(self) -> bool:
        """Whether the parser sits right inside the root between items, with no markup pending.

        From a point where it did, bytes without comments, CDATA or PIs leave it so if every tag
        they open is closed (their last `<` starts a tag that ends, followed by plain text) and the
        depth is back to 1. The first such point is the end of the root's start tag.
        """
        if self.tail is None or self.depth != 1 or self.root is None:
            return False
        if self.prolog is not None and not self._anchor(self.prolog):
            self.tail = self.prolog = None
            return False
        if self.tail is None or not _SETTLED.fullmatch(self.tail):
            return False
        self.tail = b""
        return True

    def _anchor(self, prolog: bytes) -> bool:
        """Check the bytes before the first record (`prolog`): a UTF-8 document, no internal DTD
        declarations, and the root's start tag known (plain, the only one) so tracking can start at
        its end."""
        self.prolog = None
        tag = b"<" + ROOT_TAG.encode()
        at = prolog.find(tag)
        if at < 0 or prolog.find(tag, at + 1) >= 0 or b"<!ENTITY" in prolog or b"<!ATTLIST" in prolog:
            return False
        decl = _XML_DECL.match(prolog)
        encoding = _ENCODING.search(decl.group(1)) if decl else None
        if encoding and encoding.group(1).lower() != b"utf-8":
            return False
        root = _ROOT_START.match(prolog, at)
        if root is None:
            return False
        self.tail = b""
        self._track(prolog[root.end():])
        return self.tail is not None

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
        # Only "start" and "end" were asked for, so every event is (event, Element).
        events = cast("Iterator[tuple[str, Element]]", self.parser.read_events())
        for event, elem in events:
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
        refs, whole = None, None
        if self.stand_in is not None and elem.tag == _PLACEHOLDER:
            (elem, refs, whole), self.stand_in = self.stand_in, None
        if elem.tag in RECORD_KINDS:
            yield self._record(elem, refs, whole)
        elif elem.tag == DELETE_TAG:
            self._payload(elem, "")
            yield Deletion(tuple(_text(p) or "" for p in elem.iter("PMID")))
        if self.root is not None:
            self.root.clear()

    def _record(self, elem: Element, refs: list[list[str]] | None = None,
                whole: bytes | None = None) -> ArticleRecord:
        fields = _fields(elem, self.name, refs)
        payload = self._payload(elem, fields["pmid"], whole if refs else None)
        return ArticleRecord(fields["pmid"], fields["version"], fields["record_kind"], payload, fields)

    def _payload(self, elem: Element, pmid: str, whole: bytes | None = None) -> bytes:
        """The element's verbatim bytes while the cut spans line up with the parser, else re-serialized
        (from `whole`, the record's bytes, when `elem` is its skeleton)."""
        span = self.spans.popleft() if self.spans else None
        if span is not None and _fits(span, elem.tag, pmid):
            return span[1]
        self.spans = None
        if whole is not None:
            elem = ET.fromstring(whole)
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
        message = str(exc)
        if line == self.short[0] and self.short[1]:
            where = f"line {line}, column {column}"
            column += self.short[1]
            if message.endswith(where):
                message = message[: -len(where)] + f"line {line}, column {column}"
        if _HTML.match(self.head):
            return f"got an HTML page instead of PubMed XML (invalid XML at line {line}, column {column})"
        if at_end and self.root is not None:
            return f"truncated XML: the document ends inside an element (line {line}, column {column})"
        return f"invalid XML: {message}"


def _parse_record(data: bytes) -> tuple[Element, list[list[str]] | None]:
    """`ET.fromstring(data)` for a record's bytes, or its skeleton and the reference PMIDs cut out.

    Most of a record's bytes are its reference lists, of which only the PubMed ids are used. Each
    plain `<ReferenceList>` whose ids can be read off its bytes (see `_reference_ids`) is replaced by
    a marked empty `<ReferenceList>`; the skeleton stands in for the record if it parses and every
    mark lands where `_references` reads (directly under PubmedData or BookDocument). Otherwise,
    and for anything else, the record is parsed whole (raising ET.ParseError if it is not XML).
    """
    skeleton, refs = _skeleton(data)
    if refs:
        try:
            elem = ET.fromstring(skeleton)
        except ET.ParseError:
            elem = None
        if elem is not None and elem.tag in RECORD_KINDS:
            parent = elem.find("BookDocument" if elem.tag == "PubmedBookArticle" else "PubmedData")
            marks = [r for r in parent.findall("ReferenceList") if _REFS_MARK in r.attrib] if parent is not None else []
            if len(marks) == len(refs):
                return elem, refs
    return ET.fromstring(data), None


def _skeleton(data: bytes) -> tuple[bytes, list[list[str]] | None]:
    start = data.find(_REFS_OPEN)
    if start < 0 or _REFS_MARK_BYTES in data:
        return data, None
    pieces: list[bytes] = []
    refs: list[list[str]] = []
    pos = 0
    while start >= 0:
        end = data.find(_REFS_CLOSE, start)
        if end < 0:
            return data, None
        end += len(_REFS_CLOSE)
        ids = _reference_ids(data[start:end])
        if ids is None:
            return data, None
        pieces += (data[pos:start], b'<ReferenceList %s="%d"/>' % (_REFS_MARK_BYTES, len(refs)))
        refs.append(ids)
        pos = end
        start = data.find(_REFS_OPEN, pos)
    pieces.append(data[pos:])
    return b"".join(pieces), refs


def _reference_ids(region: bytes) -> list[str] | None:
    """What `_references` takes from this `<ReferenceList>` element's bytes (each pubmed ArticleId's
    text, stripped), or None unless they can be read off the bytes alone: the region is well-formed
    XML on its own (expat without element handlers: C speed), holds no nested list, comment, CDATA
    or PI (so each `<ArticleId` is a start tag), declares no namespace (so each is an `ArticleId`
    to ElementTree), and every ArticleId is `<ArticleId IdType="...">text</ArticleId>`. (A region
    ends at the first end tag, so one holding a nested list that is not empty is not well-formed.)"""
    if b"xmlns" in region:
        return None
    parser = pyexpat.ParserCreate(None, "}")
    parser.CommentHandler = parser.ProcessingInstructionHandler = parser.StartCdataSectionHandler = _markup
    try:
        parser.Parse(region, True)
    except (pyexpat.ExpatError, _Markup):
        return None
    found = _ARTICLE_ID.findall(region)
    if found and not min(found)[0]:  # some ArticleId is not in the plain form
        return None
    texts = [text for _, id_type, text in found if id_type == b"pubmed"]
    if not texts:
        return []
    joined = b"\0".join(texts).decode()  # NUL is not XML, so it cannot be in a text
    if "\r" in joined:
        joined = joined.replace("\r\n", "\n").replace("\r", "\n")
    if "&" in joined:
        joined = _REFERENCE.sub(_dereference, joined)
    return [text.strip() for text in joined.split("\0")]


class _Markup(Exception):
    """A comment, CDATA section or PI in a reference list."""


def _markup(*_: object) -> None:
    raise _Markup


def _dereference(match: re.Match[str]) -> str:
    hex_code, code, name = match.groups()
    if name:
        return _PREDEFINED[name]
    return chr(int(hex_code, 16) if hex_code else int(code))


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


def article_fields(elem: Element, where: str) -> dict[str, Any]:
    """The `fields` dict (see FIELD_NAMES) of a `PubmedArticle` or `PubmedBookArticle` element."""
    return _fields(elem, where, None)


def _fields(elem: Element, where: str, refs: list[list[str]] | None) -> dict[str, Any]:
    """`article_fields`; `refs`: the reference PMIDs of a skeleton's marked lists (`_parse_record`)."""
    doc = elem.find("BookDocument") if elem.tag == "PubmedBookArticle" else elem.find("MedlineCitation")
    pmid_el = doc.find("PMID") if doc is not None else None
    if doc is None or pmid_el is None or not _text(pmid_el):
        raise MalformedResponse(where, f"<{elem.tag}> without a PMID")
    fields = _book_fields(elem, doc, refs) if elem.tag == "PubmedBookArticle" else _article_fields(elem, doc, refs)
    return {"pmid": _text(pmid_el), "version": pmid_el.get("Version") or "1", **fields}


def _article_fields(elem: Element, citation: Element, refs: list[list[str]] | None) -> dict[str, Any]:
    article = _child(citation, "Article")
    data = elem.find("PubmedData")
    return {
        "record_kind": "article",
        "title": _text(article.find("ArticleTitle")),
        **_abstract(article),
        "journal": _text(_find(article, "Journal/Title")),
        "journal_iso": _text(_find(article, "Journal/ISOAbbreviation")),
        "volume": _text(_find(article, "Journal/JournalIssue/Volume")),
        "issue": _text(_find(article, "Journal/JournalIssue/Issue")),
        "pages": _pages(article.find("Pagination")),
        **_pub_date(_find(article, "Journal/JournalIssue/PubDate")),
        "article_date": _iso_date(article.find("ArticleDate")),
        "publication_types": _texts(_findall(article, "PublicationTypeList", "PublicationType")),
        "mesh_terms": _mesh(citation),
        "keywords": _texts(_findall(citation, "KeywordList", "Keyword")),
        **_databanks(article),
        **_ids(article, data),
        "language": _texts(article.findall("Language")),
        "authors": _authors(_findall(article, "AuthorList", "Author")),
        "date_revised": _iso_date(citation.find("DateRevised")),
        "date_completed": _iso_date(citation.find("DateCompleted")),
        "coi_statement": _text(citation.find("CoiStatement")),
        "reference_pmids": _references(data, refs),
    }


def _book_fields(elem: Element, doc: Element, refs: list[list[str]] | None) -> dict[str, Any]:
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
        "publication_types": _texts(doc.findall("PublicationType")),
        "mesh_terms": [],
        "keywords": _texts(_findall(doc, "KeywordList", "Keyword")),
        "nct_ids": [], "other_accessions": [],
        **_ids(doc, elem.find("PubmedBookData")),
        "language": _texts(doc.findall("Language")),
        "authors": _authors(_findall(doc, "AuthorList", "Author")),
        "date_revised": _iso_date(doc.find("DateRevised")),
        "date_completed": None,
        "coi_statement": _text(doc.find("CoiStatement")),
        "reference_pmids": _references(doc, refs),
    }


def _find(parent: Element, path: str) -> Element | None:
    """`parent.find(path)`, stepping down with the C-level `find` (ElementPath runs in Python);
    the first child at each step leads to the path's first match whenever it leads to one."""
    found = parent
    for tag in path.split("/"):
        step = found.find(tag)
        if step is None:
            return parent.find(path)
        found = step
    return found


def _findall(parent: Element, tag: str, child: str) -> list[Element]:
    """`parent.findall(f"{tag}/{child}")` with the C-level `findall` (same elements, same order)."""
    return [found for outer in parent.findall(tag) for found in outer.findall(child)]


def _child(parent: Element, tag: str) -> Element:
    found = parent.find(tag)
    return found if found is not None else Element(tag)


def _text(elem: Element | None) -> str | None:
    """All text inside the element, inline markup (<i>, <sup>, MathML) included, whitespace runs
    collapsed (pretty-printed MathML spreads one symbol over many lines); None when empty."""
    if elem is None:
        return None
    text = "".join(elem.itertext()) if len(elem) else elem.text
    if not text:
        return None
    return " ".join(text.split()) or None


def _texts(elems: Iterable[Element]) -> list[str]:
    return [t for t in map(_text, elems) if t]


def _abstract(parent: Element) -> dict[str, Any]:
    sections = [
        {"label": s.get("Label") or None, "nlm_category": s.get("NlmCategory") or None, "text": _text(s)}
        for s in _findall(parent, "Abstract", "AbstractText")
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


def _pub_date(pub: Element | None) -> dict[str, Any]:
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
    for heading in _findall(citation, "MeshHeadingList", "MeshHeading"):
        name = _text(heading.find("DescriptorName"))
        if not name:
            continue
        major = any(e.get("MajorTopicYN") == "Y" for e in heading)
        terms.append(f"{name}*" if major else name)
    return terms


def _databanks(article: Element) -> dict[str, Any]:
    nct_ids: list[str] = []
    others: list[str] = []
    for bank in _findall(article, "DataBankList", "DataBank"):
        bank_name = _text(bank.find("DataBankName")) or ""
        for accession in _texts(_findall(bank, "AccessionNumberList", "AccessionNumber")):
            if bank_name.lower() == CTGOV:
                nct_ids.append(accession.upper())
            else:
                others.append(f"{bank_name}:{accession}")
    return {"nct_ids": list(dict.fromkeys(nct_ids)), "other_accessions": list(dict.fromkeys(others))}


def _ids(doc: Element, data: Element | None) -> dict[str, Any]:
    """DOI and PMC id from the record's own ArticleIdList (never from its references)."""
    ids: dict[str, str] = {}
    for id_list in (doc.find("ArticleIdList"), data.find("ArticleIdList") if data is not None else None):
        if id_list is None:
            continue
        for article_id in id_list.findall("ArticleId"):
            value = _text(article_id)
            if value:
                ids.setdefault(article_id.get("IdType") or "", value)
    doi = ids.get("doi") or _eloc_doi(doc)
    return {"doi": doi, "pmc_id": ids.get("pmc")}


def _eloc_doi(doc: Element) -> str | None:
    for eloc in doc.findall("ELocationID"):
        if eloc.get("EIdType") == "doi":
            return _text(eloc)
    return None


def _authors(authors: Iterable[Element]) -> list[str]:
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


def _references(parent: Element | None, refs: list[list[str]] | None = None) -> list[str]:
    if parent is None:
        return []
    pmids: list[str] = []
    for reference_list in parent.findall("ReferenceList"):
        if refs and (mark := reference_list.get(_REFS_MARK)) is not None:
            pmids += refs[int(mark)]
        else:
            pmids += [(article_id.text or "").strip() for article_id in reference_list.iter("ArticleId")
                      if article_id.get("IdType") == "pubmed"]
    return list(dict.fromkeys(p for p in pmids if p))
