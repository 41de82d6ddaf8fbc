-- raw.pubmed_deletion: PMIDs that PubMed announced as deleted (DeleteCitation), as received.
-- @column pmid: the deleted PubMed identifier
-- @column run_id: refresh run that received the deletion
-- @column fetched_at: when the response was fetched (UTC)
-- @column source_file: response file name inside the run's snapshot
create table if not exists raw.pubmed_deletion (
    pmid varchar not null,
    run_id varchar not null,
    fetched_at timestamp not null,
    source_file varchar,
    primary key (pmid, run_id)
);
