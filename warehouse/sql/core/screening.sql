-- core.screening: one row per study and per publication: is it ketamine-class efficacy evidence in depression, and if not, why (filled by transform.outcomes.screening).
-- @column record_type: study or publication
-- @column record_id: NCT id (study) or PMID (publication)
-- @column source: ctgov or pubmed
-- @column study_key: the trial the record belongs to: an NCT id, or PMID:<pmid> for a publication with no registry record
-- @column included: true when the record is ketamine-class efficacy evidence in depression
-- @column exclusion_reason: NULL or other_indication, no_ketamine_arm, review_or_protocol, duplicate_report, not_depression
-- @column reason_detail: the text that decided the reason
-- @column population: trd, mdd, bipolar, suicidal_ideation, perinatal or other
-- @column is_registered: true for registry records and for publications with an NCT link
create or replace table core.screening (
    record_type varchar not null,
    record_id varchar not null,
    source varchar not null,
    study_key varchar not null,
    included boolean not null,
    exclusion_reason varchar,
    reason_detail varchar,
    population varchar,
    is_registered boolean not null
);
