-- core.study_publication: links between trials and publications, with how each link was found.
-- @key pmid, nct_id
-- @column nct_id: NCT identifier of the trial
-- @column pmid: PubMed identifier of the publication
-- @column found_by: how the link was found: pubmed_databank (NLM DataBankList), registry_reference (the registry cites the PMID), abstract_nct (an NCT id in the abstract or title)
-- @column reference_type: the registry's reference type (RESULT, BACKGROUND, DERIVED) when the registry cites the PMID
-- @column link_role: report (the paper reports the trial: its own registration in DataBankList or its abstract, or a RESULT/DERIVED registry reference) or citation (only a BACKGROUND reference: the registry cites the paper, which never makes the paper's rows the trial's)
-- @column link_tier: 1 own registration in DataBankList, 2 RESULT/DERIVED registry reference, 3 NCT id in the abstract only, null for citations; a paper's rows go to its trial when its best tier names one trial
-- @column study_in_warehouse: the trial is in core.study
-- @column publication_in_warehouse: the publication is in core.publication
create or replace table core.study_publication as
with databank as (
    select unnest(nct_ids) as nct_id, pmid, 'pubmed_databank' as how
    from core.publication
),

registry as (
    select nct_id, pmid, 'registry_reference' as how
    from core.study_reference
    where pmid is not null
),

abstract_mentions as (
    select unnest(regexp_extract_all(upper(coalesce(title, '') || ' ' || coalesce(abstract, '')),
                                     'NCT\d{8}')) as nct_id,
           pmid, 'abstract_nct' as how
    from core.publication
),

links as (
    select * from databank
    union all select * from registry
    union all select * from abstract_mentions
),

renamed as (
    select
        links.nct_id,
        links.pmid,
        list(distinct links.how order by links.how) as found_by,
        any_value(reference.reference_type) as reference_type,
        min(case
            when links.how = 'pubmed_databank' then 1
            when links.how = 'registry_reference' and reference.reference_type in ('RESULT', 'DERIVED') then 2
            when links.how = 'abstract_nct' then 3
        end) as link_tier
    from links
    left join core.study_reference as reference
        on reference.nct_id = links.nct_id and reference.pmid = links.pmid
    group by links.nct_id, links.pmid
)

select
    renamed.nct_id,
    renamed.pmid,
    renamed.found_by,
    renamed.reference_type,
    case when renamed.link_tier is null then 'citation' else 'report' end as link_role,
    renamed.link_tier,
    renamed.nct_id in (select nct_id from core.study) as study_in_warehouse,
    renamed.pmid in (select pmid from core.publication) as publication_in_warehouse
from renamed
order by nct_id, pmid
