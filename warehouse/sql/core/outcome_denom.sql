-- core.outcome_denom: analysed counts per outcome measure and group; class_idx NULL is the measure-level denominator.
-- @key nct_id, outcome_idx, class_idx, group_id, units
-- @column nct_id: NCT identifier (references core.study)
-- @column outcome_idx: outcome measure position (references core.outcome_measure)
-- @column class_idx: class position for a class-level (e.g. per-timepoint) count; NULL for the whole measure
-- @column denom_idx: 0-based position of the denominator in its denoms list
-- @column group_id: group id within the measure
-- @column units: what is counted (Participants, Eyes, ...)
-- @column count_raw: count as given
-- @column count: count as an integer (NULL when the text is not a whole number)
create or replace table core.outcome_denom as
with source as (
    select distinct denom.*
    from staging.ctgov_outcome_denom as denom
    inner join core.study as study
        on denom.nct_id = study.nct_id
        and denom.raw_sha256 is not distinct from study.raw_sha256
),

renamed as (
    select
        nct_id,
        outcome_idx,
        class_idx,
        denom_idx,
        group_id,
        units,
        value as count_raw,
        try_cast(value as integer) as "count"
    from source
)

select * from renamed
order by nct_id, outcome_idx, class_idx nulls first, units, group_id
