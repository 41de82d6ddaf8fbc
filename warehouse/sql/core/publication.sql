-- core.publication: one row per PubMed record (the latest version of each PMID), with design flags for screening.
-- @key pmid
-- @column pmid: PubMed identifier (primary key)
-- @column title: article title (book chapters: chapter or book title)
-- @column abstract: plain-text abstract, structured sections as 'LABEL: text' lines
-- @column journal: journal title (book chapters: the book title)
-- @column pub_year: publication year
-- @column pub_date: publication date when PubDate gives year, month and day; else NULL
-- @column pub_date_text: publication date as given: 'YYYY', 'YYYY-MM' or 'YYYY-MM-DD'
-- @column publication_types: all PubMed publication types
-- @column is_review: a publication type is Review, Systematic Review or Meta-Analysis
-- @column is_trial_report: a publication type reports a trial: Randomized Controlled Trial, Clinical Trial (any phase), Controlled/Pragmatic/Adaptive Clinical Trial or Equivalence Trial; Clinical Trial Protocol excluded
-- @column mesh_terms: MeSH descriptors, '*' marking major topics
-- @column keywords: author and NLM keywords
-- @column nct_ids: ClinicalTrials.gov ids from the record's DataBankList
-- @column doi: DOI
-- @column pmc_id: PubMed Central id
-- @column record_kind: 'article' or 'book'
-- @column authors: authors as 'Last Initials' or group names, in order
-- @column first_author: the first author, when there is one
-- @column language: language codes
-- @column date_revised: date NLM last revised the record (ISO text)
create or replace table core.publication as
with source as (
    select * from staging.pubmed_article
),

latest as (
    select *
    from source
    qualify row_number() over (
        partition by pmid
        order by try_cast(version as integer) desc nulls last, date_revised desc nulls last,
            fetched_at desc nulls last
    ) = 1
),

renamed as (
    select
        pmid,
        title,
        abstract,
        journal,
        pub_year,
        case when length(pub_date) = 10 then try_cast(pub_date as date) end as pub_date,
        pub_date as pub_date_text,
        coalesce(publication_types, []) as publication_types,
        coalesce(
            list_has_any(publication_types, ['Review', 'Systematic Review', 'Meta-Analysis']), false
        ) as is_review,
        coalesce(len(list_filter(
            publication_types,
            lambda t: t in ('Randomized Controlled Trial', 'Controlled Clinical Trial', 'Pragmatic Clinical Trial',
                'Equivalence Trial', 'Adaptive Clinical Trial')
            or (t like 'Clinical Trial%' and t <> 'Clinical Trial Protocol')
        )) > 0, false) as is_trial_report,
        coalesce(mesh_terms, []) as mesh_terms,
        coalesce(keywords, []) as keywords,
        coalesce(nct_ids, []) as nct_ids,
        doi,
        pmc_id,
        record_kind,
        coalesce(authors, []) as authors,
        authors[1] as first_author,
        coalesce(language, []) as language,
        date_revised
    from latest
)

select * from renamed
