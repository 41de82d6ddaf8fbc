-- core.flow_milestone: participant-flow milestones (STARTED, COMPLETED, ...) per period and group of each study in core.study.
-- @key nct_id, period_idx, milestone_idx, achievement_idx
-- @column nct_id: NCT identifier (references core.study)
-- @column period_idx: 0-based position of the flow period
-- @column milestone_idx: 0-based position of the milestone in its period
-- @column milestone_type: STARTED, COMPLETED, NOT COMPLETED or another milestone as given
-- @column achievement_idx: 0-based position of the group's count in the milestone
-- @column group_id: flow group id (FG000, ...), local to the participant flow
-- @column group_title: title of the flow group (NULL when the id is not among the flow's groups)
-- @column num_subjects_raw: number of participants as given
-- @column num_subjects: number of participants as an integer (NULL when the text is not a whole number)
create or replace table core.flow_milestone as
with source as (
    select distinct milestone.*
    from staging.ctgov_flow_milestone as milestone
    inner join core.study as study
        on milestone.nct_id = study.nct_id
        and milestone.raw_sha256 is not distinct from study.raw_sha256
),

renamed as (
    select
        nct_id,
        period_idx,
        milestone_idx,
        milestone_type,
        achievement_idx,
        group_id,
        group_title,
        num_subjects as num_subjects_raw,
        try_cast(num_subjects as integer) as num_subjects
    from source
)

select * from renamed
order by nct_id, period_idx, milestone_idx, achievement_idx
