-- meta.pubmed_parsed: the fields of each PubMed record version as the parser read them when it landed, so a build copies them instead of parsing the XML again.
-- @column sha256: the record version's hash (raw.pubmed_article.sha256)
-- @column parser_version: SHA-256 of extract/pubmed/parse.py when the fields were read; fields of another version are not used
-- @column fields: the parser's fields (extract.pubmed.parse.FIELD_NAMES) as JSON
create table if not exists meta.pubmed_parsed (
    sha256 varchar not null,
    parser_version varchar not null,
    fields json not null
);
