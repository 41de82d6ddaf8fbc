-- marts.prisma_flow: PRISMA 2020 flow counts in long form (one query over core.screening and meta.search_log).
-- @column step: identified, duplicates_removed, screened, excluded, included_reports, included_studies, studies_without_registry_record
-- @column source: ctgov, pubmed, or all for study-level counts
-- @column reason: exclusion reason for excluded rows, else NULL
-- @column n: count
create or replace view marts.prisma_flow as
with searches as (
    select source, sum(coalesce(hits, 0)) as hits
    from meta.search_log
    group by source
),

screened as (
    select source, count(*) as n
    from core.screening
    group by source
),

identified as (
    select s.source, greatest(coalesce(h.hits, 0), s.n) as n
    from screened as s
    left join searches as h on h.source = s.source
),

renamed as (
    select 'identified' as step, source, null as reason, n from identified
    union all
    select 'duplicates_removed', i.source, null, i.n - s.n
    from identified as i join screened as s on s.source = i.source
    union all
    select 'screened', source, null, n from screened
    union all
    select 'excluded', source, exclusion_reason, count(*)
    from core.screening where not included group by source, exclusion_reason
    union all
    select 'included_reports', source, null, count(*)
    from core.screening where included group by source
    union all
    select 'included_studies', 'all', null, count(distinct study_key)
    from core.screening where included
    union all
    select 'studies_without_registry_record', 'all', null, count(distinct study_key)
    from core.screening where included and not is_registered
)

select step, source, reason, n::bigint as n
from renamed
order by
    case step
        when 'identified' then 1 when 'duplicates_removed' then 2 when 'screened' then 3
        when 'excluded' then 4 when 'included_reports' then 5 when 'included_studies' then 6 else 7
    end,
    source, reason
