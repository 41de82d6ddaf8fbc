-- core.intervention: interventions of each study in core.study, with normalized drug and route.
-- @key nct_id, intervention_idx
-- @column nct_id: NCT identifier (references core.study)
-- @column intervention_idx: 0-based position of the intervention in the registration
-- @column intervention_type: DRUG, BIOLOGICAL, DEVICE, PROCEDURE, BEHAVIORAL, OTHER, ...
-- @column name: intervention name as registered
-- @column description: intervention description
-- @column arm_group_labels: labels of the arms that receive it
-- @column other_names: other names (brands, codes) as registered
-- @column drug: normalized drug (esketamine, ketamine, arketamine, placebo, saline, midazolam, ...), from transform.drugs
-- @column route: normalized route (IV, intranasal, oral, IM, SC, sublingual, inhaled), from transform.drugs
create or replace table core.intervention as
with source as (
    select distinct intervention.*
    from staging.ctgov_intervention as intervention
    inner join core.study as study
        on intervention.nct_id = study.nct_id
        and intervention.raw_sha256 is not distinct from study.raw_sha256
),

renamed as (
    select
        nct_id,
        intervention_idx,
        type as intervention_type,
        name,
        description,
        from_json(arm_group_labels, '["VARCHAR"]') as arm_group_labels,
        from_json(other_names, '["VARCHAR"]') as other_names,
        drug,
        route
    from source
)

select * from renamed
order by nct_id, intervention_idx
