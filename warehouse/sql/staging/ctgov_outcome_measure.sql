-- staging.ctgov_outcome_measure: posted outcome measures (resultsSection.outcomeMeasuresModule.outcomeMeasures), as text.
-- @column nct_id: NCT identifier of the study
-- @column outcome_idx: 0-based position of the outcome measure in resultsSection.outcomeMeasuresModule.outcomeMeasures
-- @column type: PRIMARY, SECONDARY, OTHER_PRE_SPECIFIED or POST_HOC
-- @column title: outcome measure title
-- @column description: outcome measure description
-- @column time_frame: timeFrame
-- @column population_description: populationDescription (analysis population)
-- @column reporting_status: reportingStatus (POSTED or NOT_POSTED)
-- @column anticipated_posting_date: anticipatedPostingDate, for measures not yet posted
-- @column param_type: paramType (MEAN, NUMBER, MEDIAN, LEAST_SQUARES_MEAN, COUNT_OF_PARTICIPANTS, ...)
-- @column dispersion_type: dispersionType (Standard Deviation, 95% Confidence Interval, ...)
-- @column unit_of_measure: unitOfMeasure
-- @column type_units_analyzed: typeUnitsAnalyzed (when units are not participants)
-- @column raw_sha256: SHA-256 of the raw response the row was parsed from
create or replace table staging.ctgov_outcome_measure (
    nct_id                   VARCHAR,
    outcome_idx              INTEGER,
    type                     VARCHAR,
    title                    VARCHAR,
    description              VARCHAR,
    time_frame               VARCHAR,
    population_description   VARCHAR,
    reporting_status         VARCHAR,
    anticipated_posting_date VARCHAR,
    param_type               VARCHAR,
    dispersion_type          VARCHAR,
    unit_of_measure          VARCHAR,
    type_units_analyzed      VARCHAR,
    raw_sha256               VARCHAR
);
