-- core.condition: conditions, keywords and condition MeSH terms of each study in core.study.
-- @key nct_id, kind, idx
-- @column nct_id: NCT identifier (references core.study)
-- @column kind: condition, keyword or mesh
-- @column idx: 0-based position within its kind
-- @column name: condition, keyword or MeSH term as given
-- @column mesh_id: MeSH descriptor id (kind mesh only)
create or replace table core.condition as
with source as (
    select distinct condition.*
    from staging.ctgov_condition as condition
    inner join core.study as study
        on condition.nct_id = study.nct_id
        and condition.raw_sha256 is not distinct from study.raw_sha256
),

renamed as (
    select
        nct_id,
        kind,
        idx,
        name,
        mesh_id
    from source
)

select * from renamed
order by nct_id, kind, idx
