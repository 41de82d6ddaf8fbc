-- meta.search_log: each search sent to a source (or replayed from a snapshot) with its hit count: the PRISMA "records identified".
-- @column run_id: refresh run (meta.refresh_run)
-- @column source: ctgov, pubmed, or citation (PubMed records cited by registry records that the search missed)
-- @column query: the query as sent (ClinicalTrials.gov parameters or PubMed term), NULL when a snapshot did not record it
-- @column window_start: start of the date window searched, NULL for open
-- @column window_end: end of the date window searched, NULL for open
-- @column hits: records the source reported for this search (or records found in the snapshot files)
-- @column fetched: records actually received
create table if not exists meta.search_log (
    run_id varchar not null,
    source varchar not null,
    query varchar,
    window_start varchar,
    window_end varchar,
    hits integer,
    fetched integer
);
