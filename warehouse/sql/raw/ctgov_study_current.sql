-- raw.ctgov_study_current: the current version of each study: the one fetched last (ties: later version date, then hash).
-- @column nct_id: NCT identifier of the study
-- @column version_date: the record's last update post date (or versionHolder) as given by the source
-- @column sha256: SHA-256 of the canonical JSON of the record
-- @column payload: the study object as received (API v2 JSON)
-- @column run_id: refresh run that received this version
-- @column fetched_at: when the response holding this version was fetched (UTC)
-- @column source_file: response file name inside the run's snapshot
create or replace view raw.ctgov_study_current as
select nct_id, version_date, sha256, payload, run_id, fetched_at, source_file
from raw.ctgov_study
qualify row_number() over (
    partition by nct_id order by fetched_at desc, version_date desc nulls last, sha256) = 1
