-- staging.ctgov_reference: literature references of a study (referencesModule.references).
-- @column nct_id: NCT identifier of the study
-- @column reference_idx: 0-based position in references
-- @column pmid: PubMed id, when given
-- @column type: reference type (BACKGROUND, RESULT, DERIVED)
-- @column citation: citation text
-- @column raw_sha256: SHA-256 of the raw response the row was parsed from
create or replace table staging.ctgov_reference (
    nct_id        VARCHAR,
    reference_idx INTEGER,
    pmid          VARCHAR,
    type          VARCHAR,
    citation      VARCHAR,
    raw_sha256    VARCHAR
);
