-- core.study_inclusion: one row per trial (study_key) with a screening decision: is it in the review? A trial whose registry record the warehouse holds is decided by that record; a trial known only from publications is included when one of them is.
-- @key study_key
-- @column study_key: NCT id, or PMID:<pmid> for a trial known only from a publication (as in core.outcome)
-- @column nct_id: the NCT id when the key is one
-- @column included: the trial's rows may enter pools and verdicts
-- @column exclusion_reason: the deciding record's exclusion reason (core.screening); for a trial known only from publications, the most common reason among them; NULL when included
-- @column decided_by: study (its registry record) or publication
-- @column has_registry_record: the warehouse holds the trial's registry record
-- @column population: trd, mdd, bipolar, suicidal_ideation, perinatal or other, from the deciding record(s)
-- @column publications: PMIDs of the trial's publications in core.screening, included or not
-- @column included_publications: PMIDs of its included publications
create or replace table core.study_inclusion as
with registry as (
    select study_key, included, exclusion_reason, population
    from core.screening
    where record_type = 'study'
),

papers as (
    select
        study_key,
        bool_or(included) as included,
        mode(exclusion_reason) filter (where not included) as exclusion_reason,
        coalesce(mode(population) filter (where included), mode(population)) as population,
        list(record_id order by try_cast(record_id as bigint), record_id) as publications,
        coalesce(list(record_id order by try_cast(record_id as bigint), record_id) filter (where included), [])
            as included_publications
    from core.screening
    where record_type = 'publication'
    group by study_key
),

keys as (
    select study_key from registry
    union
    select study_key from papers
),

renamed as (
    select
        keys.study_key,
        case when keys.study_key like 'NCT%' then keys.study_key end as nct_id,
        coalesce(registry.included, papers.included) as included,
        case when not coalesce(registry.included, papers.included)
            then coalesce(registry.exclusion_reason, papers.exclusion_reason) end as exclusion_reason,
        case when registry.study_key is not null then 'study' else 'publication' end as decided_by,
        registry.study_key is not null as has_registry_record,
        coalesce(registry.population, papers.population) as population,
        coalesce(papers.publications, []) as publications,
        coalesce(papers.included_publications, []) as included_publications
    from keys
    left join registry on registry.study_key = keys.study_key
    left join papers on papers.study_key = keys.study_key
)

select * from renamed
order by study_key
