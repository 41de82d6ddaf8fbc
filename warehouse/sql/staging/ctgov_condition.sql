-- staging.ctgov_condition: conditions, keywords and condition MeSH terms of a study, one per row.
-- @column nct_id: NCT identifier of the study
-- @column kind: condition (conditionsModule.conditions), keyword (conditionsModule.keywords) or mesh (derivedSection.conditionBrowseModule.meshes)
-- @column idx: 0-based position within its kind
-- @column name: condition, keyword or MeSH term as given
-- @column mesh_id: MeSH descriptor id for kind mesh, else NULL
-- @column raw_sha256: SHA-256 of the raw response the row was parsed from
create or replace table staging.ctgov_condition (
    nct_id     VARCHAR,
    kind       VARCHAR,
    idx        INTEGER,
    name       VARCHAR,
    mesh_id    VARCHAR,
    raw_sha256 VARCHAR
);
