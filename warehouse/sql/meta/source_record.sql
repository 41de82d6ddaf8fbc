-- meta.source_record: the record versions each landed response file held, so a file landed before is not parsed again when all its records are unchanged.
-- @column source: ctgov or pubmed
-- @column file_sha256: SHA-256 of the file's bytes (meta.source_file.sha256)
-- @column run_id: the run that landed the file (meta.refresh_run)
-- @column record_id: NCT id or PMID of a record in the file
-- @column sha256: that record version's hash (raw.ctgov_study.sha256 or raw.pubmed_article.sha256)
create table if not exists meta.source_record (
    source varchar not null,
    file_sha256 varchar not null,
    run_id varchar not null,
    record_id varchar not null,
    sha256 varchar not null
);
