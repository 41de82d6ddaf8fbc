-- staging.ctgov_arm: arm groups of a study (armsInterventionsModule.armGroups), as text.
-- @column nct_id: NCT identifier of the study
-- @column arm_idx: 0-based position in armGroups
-- @column label: arm group label
-- @column type: arm group type (EXPERIMENTAL, PLACEBO_COMPARATOR, ACTIVE_COMPARATOR, ...)
-- @column description: arm group description
-- @column intervention_names: interventionNames as a JSON array text ("Drug: Esketamine")
-- @column raw_sha256: SHA-256 of the raw response the row was parsed from
create or replace table staging.ctgov_arm (
    nct_id             VARCHAR,
    arm_idx            INTEGER,
    label              VARCHAR,
    type               VARCHAR,
    description        VARCHAR,
    intervention_names VARCHAR,
    raw_sha256         VARCHAR
);
