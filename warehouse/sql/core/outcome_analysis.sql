-- core.outcome_analysis: statistical analyses of outcome measures, raw text beside parsed numbers.
-- @key nct_id, outcome_idx, analysis_idx
-- @column nct_id: NCT identifier (references core.study)
-- @column outcome_idx: outcome measure position (references core.outcome_measure)
-- @column analysis_idx: 0-based position in the measure's analyses
-- @column group_ids: compared group ids (OG000, ...)
-- @column param_type: estimate type (Hazard Ratio (HR), Odds Ratio (OR), Difference of LS Means, ...)
-- @column param_value_raw: estimate as given
-- @column param_value_num: estimate as a number
-- @column dispersion_type: dispersion type of the estimate (Standard Error of the mean, ...)
-- @column dispersion_value_raw: dispersion value as given
-- @column dispersion_value_num: dispersion value as a number
-- @column ci_pct_value: confidence level in percent
-- @column ci_num_sides: ONE_SIDED or TWO_SIDED
-- @column ci_lower_raw: CI lower limit as given
-- @column ci_lower_num: CI lower limit as a number
-- @column ci_upper_raw: CI upper limit as given
-- @column ci_upper_num: CI upper limit as a number
-- @column ci_upper_limit_comment: comment on the CI upper limit
-- @column p_value_raw: p-value as given (<0.001, =0.020, ≤0.05, ...)
-- @column p_value_operator: comparison of the p-value with p_value_num: <, <=, >, >= or = (NULL when unparsed)
-- @column p_value_num: the number in the p-value text (NULL when unparsed)
-- @column p_value_comment: p-value comment
-- @column statistical_method: statistical method (ANCOVA, Cox proportional hazards, ...)
-- @column statistical_comment: statistical comment
-- @column non_inferiority_type: SUPERIORITY, NON_INFERIORITY, EQUIVALENCE, OTHER, ...
-- @column non_inferiority_comment: non-inferiority comment
-- @column estimate_comment: estimation comment
-- @column group_description: description of the compared groups
-- @column other_analysis_description: description of another analysis
create or replace table core.outcome_analysis as
with source as (
    select distinct
        analysis.*,
        regexp_extract(
            analysis.p_value,
            '^\s*(<=|>=|≤|≥|<|>|=)?\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*$',
            ['op', 'num']
        ) as p_parts
    from staging.ctgov_outcome_analysis as analysis
    inner join core.study as study
        on analysis.nct_id = study.nct_id
        and analysis.raw_sha256 is not distinct from study.raw_sha256
),

renamed as (
    select
        nct_id,
        outcome_idx,
        analysis_idx,
        from_json(group_ids, '["VARCHAR"]') as group_ids,
        param_type,
        param_value as param_value_raw,
        case when isfinite(try_cast(param_value as double)) then try_cast(param_value as double) end
            as param_value_num,
        dispersion_type,
        dispersion_value as dispersion_value_raw,
        case when isfinite(try_cast(dispersion_value as double)) then try_cast(dispersion_value as double) end
            as dispersion_value_num,
        try_cast(ci_pct_value as double) as ci_pct_value,
        ci_num_sides,
        ci_lower_limit as ci_lower_raw,
        case when isfinite(try_cast(ci_lower_limit as double)) then try_cast(ci_lower_limit as double) end
            as ci_lower_num,
        ci_upper_limit as ci_upper_raw,
        case when isfinite(try_cast(ci_upper_limit as double)) then try_cast(ci_upper_limit as double) end
            as ci_upper_num,
        ci_upper_limit_comment,
        p_value as p_value_raw,
        case
            when p_parts.num = '' then null
            when p_parts.op = '' then '='
            when p_parts.op = '≤' then '<='
            when p_parts.op = '≥' then '>='
            else p_parts.op
        end as p_value_operator,
        case when p_parts.num <> '' then try_cast(p_parts.num as double) end as p_value_num,
        p_value_comment,
        statistical_method,
        statistical_comment,
        non_inferiority_type,
        non_inferiority_comment,
        estimate_comment,
        group_description,
        other_analysis_description
    from source
)

select * from renamed
order by nct_id, outcome_idx, analysis_idx
