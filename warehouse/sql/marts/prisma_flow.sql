-- marts.prisma_flow: PRISMA 2020 flow counts in long form, from one query over raw, core.screening, core.study_inclusion and meta.search_log.
-- @key step, source, reason
-- @accepted step: searched_hits, identified, removed_before_screening, screened, excluded, included_reports, included_studies, studies_without_registry_record
-- @accepted source: ctgov, pubmed, all
-- @column step: searched_hits (what the latest successful run's searches reported), identified (distinct records ever retrieved), removed_before_screening, screened, excluded (with its reason; a further report of an included trial is not excluded), included_reports (reports of included studies, further reports among them), included_studies (core.study_inclusion), studies_without_registry_record (included studies whose registry record the warehouse does not hold)
-- @column source: ctgov, pubmed, or all for study-level counts
-- @column reason: exclusion reason for excluded rows, else NULL
-- @column n: count
create or replace view marts.prisma_flow as
with retrieved as (
    select 'ctgov' as source, nct_id as record_id from raw.ctgov_study
    union
    select 'pubmed', pmid from raw.pubmed_article
    union
    select 'pubmed', pmid from raw.pubmed_deletion
),

identified as (
    select source, count(distinct record_id) as n
    from retrieved
    group by source
),

latest_run as (
    select run_id from meta.refresh_run
    where status = 'success'
    order by started_at desc
    limit 1
),

searched as (
    select source, sum(coalesce(hits, 0)) as n
    from meta.search_log
    where run_id in (select run_id from latest_run)
    group by source
),

screened as (
    select source, count(*) as n
    from core.screening
    group by source
),

renamed as (
    select 'searched_hits' as step, source, null as reason, n from searched
    union all
    select 'identified', source, null, n from identified
    union all
    select 'removed_before_screening', i.source, null, i.n - coalesce(s.n, 0)
    from identified as i left join screened as s on s.source = i.source
    union all
    select 'screened', source, null, n from screened
    union all
    select 'excluded', source, exclusion_reason, count(*)
    from core.screening where not included and exclusion_reason <> 'duplicate_report'
    group by source, exclusion_reason
    union all
    select 'included_reports', source, null, count(*)
    from core.screening where included or exclusion_reason = 'duplicate_report' group by source
    union all
    select 'included_studies', 'all', null, count(*)
    from core.study_inclusion where included
    union all
    select 'studies_without_registry_record', 'all', null, count(*)
    from core.study_inclusion where included and not has_registry_record
)

select step, source, reason, n::bigint as n
from renamed
order by
    case step
        when 'searched_hits' then 0 when 'identified' then 1 when 'removed_before_screening' then 2
        when 'screened' then 3 when 'excluded' then 4 when 'included_reports' then 5
        when 'included_studies' then 6 else 7
    end,
    source, reason
