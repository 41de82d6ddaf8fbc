-- staging.ctgov_result_group: groups of each outcome measure (outcomeMeasures[].groups); ids like OG000 are local to the measure.
-- @column nct_id: NCT identifier of the study
-- @column outcome_idx: 0-based position of the outcome measure in resultsSection.outcomeMeasuresModule.outcomeMeasures
-- @column group_id: group id within the measure (OG000, OG001, ...)
-- @column title: group title
-- @column description: group description
-- @column raw_sha256: SHA-256 of the raw response the row was parsed from
create or replace table staging.ctgov_result_group (
    nct_id      VARCHAR,
    outcome_idx INTEGER,
    group_id    VARCHAR,
    title       VARCHAR,
    description VARCHAR,
    raw_sha256  VARCHAR
);
