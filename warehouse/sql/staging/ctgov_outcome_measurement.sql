-- staging.ctgov_outcome_measurement: outcome values per measure x class x category x group, as text.
-- @column nct_id: NCT identifier of the study
-- @column outcome_idx: 0-based position of the outcome measure in resultsSection.outcomeMeasuresModule.outcomeMeasures
-- @column class_idx: 0-based position in classes
-- @column category_idx: 0-based position in the class's categories
-- @column group_id: group id within the measure
-- @column class_title: class title (often a timepoint or subgroup)
-- @column category_title: category title (often a response category)
-- @column value: value as text (may be NA or NR)
-- @column spread: spread (SD, SE) as text
-- @column lower_limit: lower limit (CI, range, IQR) as text
-- @column upper_limit: upper limit as text
-- @column comment: comment, e.g. why a value is NA
-- @column raw_sha256: SHA-256 of the raw response the row was parsed from
create or replace table staging.ctgov_outcome_measurement (
    nct_id         VARCHAR,
    outcome_idx    INTEGER,
    class_idx      INTEGER,
    category_idx   INTEGER,
    group_id       VARCHAR,
    class_title    VARCHAR,
    category_title VARCHAR,
    value          VARCHAR,
    spread         VARCHAR,
    lower_limit    VARCHAR,
    upper_limit    VARCHAR,
    comment        VARCHAR,
    raw_sha256     VARCHAR
);
