-- staging.ctgov_outcome_denom: analysed counts per group: measure-level denoms and class-level denoms.
-- @column nct_id: NCT identifier of the study
-- @column outcome_idx: 0-based position of the outcome measure in resultsSection.outcomeMeasuresModule.outcomeMeasures
-- @column class_idx: 0-based class position for class-level denoms; NULL for the measure-level denominator
-- @column denom_idx: 0-based position in the denoms list
-- @column units: what is counted (Participants, Eyes, ...)
-- @column group_id: group id within the measure
-- @column value: count as text
-- @column raw_sha256: SHA-256 of the raw response the row was parsed from
create or replace table staging.ctgov_outcome_denom (
    nct_id      VARCHAR,
    outcome_idx INTEGER,
    class_idx   INTEGER,
    denom_idx   INTEGER,
    units       VARCHAR,
    group_id    VARCHAR,
    value       VARCHAR,
    raw_sha256  VARCHAR
);
