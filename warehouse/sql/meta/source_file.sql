-- meta.source_file: every response file a run received or replayed, with its hash, so a run can be audited against its snapshot.
-- @column run_id: refresh run (meta.refresh_run)
-- @column source: ctgov or pubmed
-- @column name: file name inside the snapshot (e.g. ctgov/page-0001.json)
-- @column sha256: SHA-256 of the file's bytes
-- @column bytes: file size
-- @column fetched_at: when it was fetched (UTC), from the manifest when replayed
-- @column request: the request that produced it (URL parameters without credentials), as JSON
-- @column records: records the file held
create table if not exists meta.source_file (
    run_id varchar not null,
    source varchar not null,
    name varchar not null,
    sha256 varchar not null,
    bytes bigint,
    fetched_at timestamp,
    request json,
    records integer
);
