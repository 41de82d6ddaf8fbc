-- raw.pubmed_article: every version of every PubMed record (PubmedArticle or PubmedBookArticle) as received (append-only).
-- @column pmid: PubMed identifier
-- @column pmid_version: the PMID Version attribute (usually 1)
-- @column date_revised: DateRevised of the record (ISO), the source's version date
-- @column sha256: SHA-256 of the payload; a record identical to the current version adds no row
-- @column payload: the record's XML element as received (efetch XML)
-- @column run_id: refresh run that first received this version (meta.refresh_run)
-- @column fetched_at: when the response holding this version was fetched (UTC)
-- @column source_file: response file name inside the run's snapshot (e.g. pubmed/efetch-0001.xml)
create table if not exists raw.pubmed_article (
    pmid varchar not null,
    pmid_version varchar,
    date_revised varchar,
    sha256 varchar not null,
    payload varchar not null,
    run_id varchar not null,
    fetched_at timestamp not null,
    source_file varchar,
    primary key (pmid, sha256, run_id)
);
