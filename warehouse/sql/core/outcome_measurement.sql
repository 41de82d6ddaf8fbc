-- core.outcome_measurement: outcome values per measure x class x category x group, raw text beside parsed numbers.
-- @key nct_id, outcome_idx, class_idx, category_idx, group_id
-- @column nct_id: NCT identifier (references core.study)
-- @column outcome_idx: outcome measure position (references core.outcome_measure)
-- @column class_idx: 0-based class position (class: timepoint, subgroup, ...)
-- @column category_idx: 0-based category position within the class
-- @column measurement_idx: 0-based position of the value in its category's measurements
-- @column group_id: group id within the measure (references core.result_group)
-- @column class_title: class title (NULL when the measure has a single untitled class)
-- @column category_title: category title (e.g. a response category)
-- @column value_raw: value as given (may be NA or NR)
-- @column value_num: value as a number; NULL for NA, NR and any non-numeric text
-- @column spread_raw: spread (SD, SE, ...) as given
-- @column spread_num: spread as a number
-- @column lower_limit_raw: lower limit (CI, range, IQR) as given
-- @column lower_limit_num: lower limit as a number
-- @column upper_limit_raw: upper limit as given
-- @column upper_limit_num: upper limit as a number
-- @column comment: comment, e.g. why a value is NA
create or replace table core.outcome_measurement as
with source as (
    select distinct measurement.*
    from staging.ctgov_outcome_measurement as measurement
    inner join core.study as study
        on measurement.nct_id = study.nct_id
        and measurement.raw_sha256 is not distinct from study.raw_sha256
),

renamed as (
    select
        nct_id,
        outcome_idx,
        class_idx,
        category_idx,
        measurement_idx,
        group_id,
        class_title,
        category_title,
        value as value_raw,
        case when isfinite(try_cast(value as double)) then try_cast(value as double) end as value_num,
        spread as spread_raw,
        case when isfinite(try_cast(spread as double)) then try_cast(spread as double) end as spread_num,
        lower_limit as lower_limit_raw,
        case when isfinite(try_cast(lower_limit as double)) then try_cast(lower_limit as double) end
            as lower_limit_num,
        upper_limit as upper_limit_raw,
        case when isfinite(try_cast(upper_limit as double)) then try_cast(upper_limit as double) end
            as upper_limit_num,
        comment
    from source
)

select * from renamed
