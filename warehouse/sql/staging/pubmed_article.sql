-- staging.pubmed_article: one row per PubMed record payload (PubmedArticle or PubmedBookArticle) as parsed by extract.pubmed.parse.
-- @column pmid: PubMed identifier, as text
-- @column version: PMID version attribute (usually '1')
-- @column record_kind: 'article' (PubmedArticle) or 'book' (PubmedBookArticle)
-- @column title: article title (book chapters: chapter title, else book title), inline markup flattened
-- @column abstract: plain-text abstract; structured sections joined as 'LABEL: text', one per line
-- @column abstract_sections: abstract sections as given, each {label, nlm_category, text}
-- @column journal: journal title (book chapters: the book title)
-- @column journal_iso: ISO journal abbreviation
-- @column volume: journal volume
-- @column issue: journal issue
-- @column pages: MedlinePgn, else StartPage-EndPage
-- @column pub_year: publication year from PubDate (first year of a MedlineDate)
-- @column pub_date: publication date as ISO text, as precise as given: 'YYYY', 'YYYY-MM' or 'YYYY-MM-DD'
-- @column medline_date: raw MedlineDate text when PubDate has no Year/Month/Day (e.g. '1998 Dec-1999 Jan')
-- @column article_date: electronic publication date (ArticleDate) as ISO text
-- @column publication_types: all PublicationType values, in order
-- @column mesh_terms: MeSH descriptor names; a trailing '*' marks a major topic
-- @column keywords: author and NLM keywords
-- @column nct_ids: ClinicalTrials.gov accession numbers from DataBankList, uppercased, deduplicated
-- @column other_accessions: other DataBankList accessions as 'DataBankName:Accession'
-- @column doi: DOI from ArticleIdList, else from ELocationID
-- @column pmc_id: PubMed Central id (PMC...)
-- @column language: language codes (e.g. 'eng')
-- @column authors: authors as 'Last Initials', or the group's CollectiveName
-- @column date_revised: DateRevised as ISO text
-- @column date_completed: DateCompleted as ISO text
-- @column coi_statement: conflict-of-interest statement text
-- @column reference_pmids: PMIDs cited in the record's ReferenceList
-- @column raw_sha256: sha256 of the raw record payload the row was parsed from
-- @column fetched_at: when the raw response holding the record was fetched
create or replace table staging.pubmed_article (
    pmid varchar not null,
    version varchar,
    record_kind varchar,
    title varchar,
    abstract varchar,
    abstract_sections struct(label varchar, nlm_category varchar, text varchar)[],
    journal varchar,
    journal_iso varchar,
    volume varchar,
    issue varchar,
    pages varchar,
    pub_year integer,
    pub_date varchar,
    medline_date varchar,
    article_date varchar,
    publication_types varchar[],
    mesh_terms varchar[],
    keywords varchar[],
    nct_ids varchar[],
    other_accessions varchar[],
    doi varchar,
    pmc_id varchar,
    language varchar[],
    authors varchar[],
    date_revised varchar,
    date_completed varchar,
    coi_statement varchar,
    reference_pmids varchar[],
    raw_sha256 varchar,
    fetched_at timestamp
);
