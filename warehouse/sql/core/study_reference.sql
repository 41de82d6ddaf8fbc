-- core.study_reference: literature references listed by each study in core.study.
-- @key nct_id, reference_idx
-- @column nct_id: NCT identifier (references core.study)
-- @column reference_idx: 0-based position in the registration
-- @column pmid: PubMed id, when given
-- @column reference_type: BACKGROUND, RESULT or DERIVED
-- @column citation: citation text
create or replace table core.study_reference as
with source as (
    select distinct reference.*
    from staging.ctgov_reference as reference
    inner join core.study as study
        on reference.nct_id = study.nct_id
        and reference.raw_sha256 is not distinct from study.raw_sha256
),

renamed as (
    select
        nct_id,
        reference_idx,
        nullif(trim(pmid), '') as pmid,
        type as reference_type,
        citation
    from source
)

select * from renamed
order by nct_id, reference_idx
