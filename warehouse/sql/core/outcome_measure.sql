-- core.outcome_measure: posted outcome measures of each study in core.study (AACT outcomes).
-- @key nct_id, outcome_idx
-- @column nct_id: NCT identifier (references core.study)
-- @column outcome_idx: 0-based position in the study's outcomeMeasures (key with nct_id)
-- @column outcome_type: PRIMARY, SECONDARY, OTHER_PRE_SPECIFIED or POST_HOC
-- @column title: outcome measure title
-- @column description: outcome measure description
-- @column time_frame: time frame as registered
-- @column population_description: analysis population as described
-- @column reporting_status: POSTED or NOT_POSTED
-- @column anticipated_posting_date: anticipated posting date as given, for measures not yet posted
-- @column param_type: MEAN, NUMBER, MEDIAN, LEAST_SQUARES_MEAN, COUNT_OF_PARTICIPANTS, ...
-- @column dispersion_type: Standard Deviation, Standard Error, 95% Confidence Interval, Full Range, ...
-- @column unit_of_measure: unit of the values
-- @column type_units_analyzed: unit analysed when not participants (eyes, lesions, ...)
create or replace table core.outcome_measure as
with source as (
    select distinct measure.*
    from staging.ctgov_outcome_measure as measure
    inner join core.study as study
        on measure.nct_id = study.nct_id
        and measure.raw_sha256 is not distinct from study.raw_sha256
),

renamed as (
    select
        nct_id,
        outcome_idx,
        type as outcome_type,
        title,
        description,
        time_frame,
        population_description,
        reporting_status,
        anticipated_posting_date,
        param_type,
        dispersion_type,
        unit_of_measure,
        type_units_analyzed
    from source
)

select * from renamed
order by nct_id, outcome_idx
