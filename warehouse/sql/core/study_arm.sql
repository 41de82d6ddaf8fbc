-- core.study_arm: arm groups of each study in core.study.
-- @key nct_id, arm_idx
-- @column nct_id: NCT identifier (references core.study)
-- @column arm_idx: 0-based position of the arm in the registration
-- @column label: arm group label
-- @column arm_type: EXPERIMENTAL, PLACEBO_COMPARATOR, ACTIVE_COMPARATOR, SHAM_COMPARATOR, NO_INTERVENTION, OTHER
-- @column description: arm group description
-- @column intervention_names: intervention names of the arm ("Drug: Esketamine")
create or replace table core.study_arm as
with source as (
    select distinct arm.*
    from staging.ctgov_arm as arm
    inner join core.study as study
        on arm.nct_id = study.nct_id and arm.raw_sha256 is not distinct from study.raw_sha256
),

renamed as (
    select
        nct_id,
        arm_idx,
        label,
        type as arm_type,
        description,
        from_json(intervention_names, '["VARCHAR"]') as intervention_names
    from source
)

select * from renamed
order by nct_id, arm_idx
