-- staging.ctgov_outcome_analysis: statistical analyses of each outcome measure (outcomeMeasures[].analyses), as text.
-- @column nct_id: NCT identifier of the study
-- @column outcome_idx: 0-based position of the outcome measure in resultsSection.outcomeMeasuresModule.outcomeMeasures
-- @column analysis_idx: 0-based position in analyses
-- @column group_ids: groupIds as a JSON array text
-- @column param_type: estimate type (Hazard Ratio (HR), Difference of LS Means, ...)
-- @column param_value: estimate as text
-- @column dispersion_type: dispersion type of the estimate
-- @column dispersion_value: dispersion value as text
-- @column ci_pct_value: confidence level in percent as text
-- @column ci_num_sides: ONE_SIDED or TWO_SIDED
-- @column ci_lower_limit: CI lower limit as text
-- @column ci_upper_limit: CI upper limit as text
-- @column ci_upper_limit_comment: comment on the CI upper limit
-- @column p_value: p-value as text, possibly with an operator (<0.001, =0.020)
-- @column p_value_comment: p-value comment
-- @column statistical_method: statistical method
-- @column statistical_comment: statistical comment
-- @column non_inferiority_type: SUPERIORITY, NON_INFERIORITY, EQUIVALENCE, OTHER, ...
-- @column non_inferiority_comment: non-inferiority comment
-- @column estimate_comment: estimation comment
-- @column group_description: description of the compared groups
-- @column other_analysis_description: description of another analysis
-- @column raw_sha256: SHA-256 of the raw response the row was parsed from
create or replace table staging.ctgov_outcome_analysis (
    nct_id                     VARCHAR,
    outcome_idx                INTEGER,
    analysis_idx               INTEGER,
    group_ids                  VARCHAR,
    param_type                 VARCHAR,
    param_value                VARCHAR,
    dispersion_type            VARCHAR,
    dispersion_value           VARCHAR,
    ci_pct_value               VARCHAR,
    ci_num_sides               VARCHAR,
    ci_lower_limit             VARCHAR,
    ci_upper_limit             VARCHAR,
    ci_upper_limit_comment     VARCHAR,
    p_value                    VARCHAR,
    p_value_comment            VARCHAR,
    statistical_method         VARCHAR,
    statistical_comment        VARCHAR,
    non_inferiority_type       VARCHAR,
    non_inferiority_comment    VARCHAR,
    estimate_comment           VARCHAR,
    group_description          VARCHAR,
    other_analysis_description VARCHAR,
    raw_sha256                 VARCHAR
);
