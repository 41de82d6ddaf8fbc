-- staging.ctgov_intervention: interventions of a study (armsInterventionsModule.interventions), as text plus normalized drug and route.
-- @column nct_id: NCT identifier of the study
-- @column intervention_idx: 0-based position in interventions
-- @column type: intervention type (DRUG, BIOLOGICAL, DEVICE, PROCEDURE, ...)
-- @column name: intervention name
-- @column description: intervention description
-- @column arm_group_labels: armGroupLabels as a JSON array text
-- @column other_names: otherNames as a JSON array text (brand names, codes)
-- @column drug: derived: transform.drugs.normalize_drug(name, other_names, description)
-- @column route: derived: transform.drugs.normalize_route of the name, else of the description
-- @column raw_sha256: SHA-256 of the raw response the row was parsed from
create or replace table staging.ctgov_intervention (
    nct_id           VARCHAR,
    intervention_idx INTEGER,
    type             VARCHAR,
    name             VARCHAR,
    description      VARCHAR,
    arm_group_labels VARCHAR,
    other_names      VARCHAR,
    drug             VARCHAR,
    route            VARCHAR,
    raw_sha256       VARCHAR
);
