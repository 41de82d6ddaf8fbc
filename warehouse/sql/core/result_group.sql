-- core.result_group: groups of each outcome measure; group ids (OG000, ...) are local to the measure.
-- @key nct_id, outcome_idx, group_id
-- @column nct_id: NCT identifier (references core.study)
-- @column outcome_idx: outcome measure position (references core.outcome_measure)
-- @column group_id: group id within the measure (OG000, OG001, ...)
-- @column title: group title
-- @column description: group description
create or replace table core.result_group as
with source as (
    select distinct result_group.*
    from staging.ctgov_result_group as result_group
    inner join core.study as study
        on result_group.nct_id = study.nct_id
        and result_group.raw_sha256 is not distinct from study.raw_sha256
),

renamed as (
    select
        nct_id,
        outcome_idx,
        group_id,
        title,
        description
    from source
)

select * from renamed
order by nct_id, outcome_idx, group_id
