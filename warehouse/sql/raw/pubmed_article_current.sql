-- raw.pubmed_article_current: the current version of each PubMed record (fetched last), unless PubMed deleted it afterwards.
-- @column pmid: PubMed identifier
-- @column pmid_version: the PMID Version attribute
-- @column date_revised: DateRevised of the record (ISO)
-- @column sha256: SHA-256 of the payload
-- @column payload: the record's XML element as received
-- @column run_id: refresh run that received this version
-- @column fetched_at: when the response holding this version was fetched (UTC)
-- @column source_file: response file name inside the run's snapshot
create or replace view raw.pubmed_article_current as
with latest as (
    select * from raw.pubmed_article
    qualify row_number() over (
        partition by pmid order by fetched_at desc, date_revised desc nulls last, sha256) = 1
)

select pmid, pmid_version, date_revised, sha256, payload, run_id, fetched_at, source_file
from latest
where not exists (
    select 1 from raw.pubmed_deletion as d where d.pmid = latest.pmid and d.fetched_at >= latest.fetched_at
)
