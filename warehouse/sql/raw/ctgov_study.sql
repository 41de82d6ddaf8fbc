-- raw.ctgov_study: every version of every ClinicalTrials.gov study record as received (append-only).
-- @column nct_id: NCT identifier of the study
-- @column version_date: the record's last update post date (or versionHolder) as given by the source
-- @column sha256: SHA-256 of the canonical JSON of the record (sorted keys); a record identical to the current version adds no row
-- @column payload: the study object as received (API v2 JSON)
-- @column run_id: refresh run that first received this version (meta.refresh_run)
-- @column fetched_at: when the response holding this version was fetched (UTC)
-- @column source_file: response file name inside the run's snapshot (e.g. ctgov/page-0001.json)
create table if not exists raw.ctgov_study (
    nct_id varchar not null,
    version_date varchar,
    sha256 varchar not null,
    payload json not null,
    run_id varchar not null,
    fetched_at timestamp not null,
    source_file varchar,
    primary key (nct_id, sha256, run_id)
);
