-- meta.refresh_run: one row per refresh run: what was asked, where the data came from, what changed, how it ended.
-- @column run_id: run identifier (UTC timestamp plus a short random suffix)
-- @column started_at: start time (UTC)
-- @column finished_at: end time (UTC); NULL while running or when the process died
-- @column mode: live, snapshot or offline (the bundled sample)
-- @column snapshot_dir: the snapshot replayed, or the directory a live run recorded to
-- @column since: start of the incremental window (live runs), else NULL
-- @column parameters: all run parameters as JSON (queries, page sizes; never credentials)
-- @column tool_version: ketamine-evidence version that ran
-- @column status: running, success, failed, or abandoned (the process ended before the run was recorded)
-- @column error: one-line error message of a failed run
-- @column ctgov_new: study records seen for the first time
-- @column ctgov_changed: study records whose content changed since the last stored version
-- @column ctgov_unchanged: study records identical to the stored version
-- @column pubmed_new: PubMed records seen for the first time
-- @column pubmed_changed: PubMed records whose content changed
-- @column pubmed_unchanged: PubMed records identical to the stored version
-- @column pubmed_deleted: PMIDs announced as deleted
-- @column studies: studies in core.study after the run
-- @column publications: publications in core.publication after the run
-- @column outcomes: rows in core.outcome after the run
-- @column flagged_outcomes: rows in core.outcome with a problem flag (odd source values, kept with the reason)
-- @column flag_counts: JSON object: rows in core.outcome per flag, problem flags and notes alike
create table if not exists meta.refresh_run (
    run_id varchar primary key,
    started_at timestamp not null,
    finished_at timestamp,
    mode varchar not null,
    snapshot_dir varchar,
    since date,
    parameters json,
    tool_version varchar,
    status varchar not null,
    error varchar,
    ctgov_new integer default 0,
    ctgov_changed integer default 0,
    ctgov_unchanged integer default 0,
    pubmed_new integer default 0,
    pubmed_changed integer default 0,
    pubmed_unchanged integer default 0,
    pubmed_deleted integer default 0,
    studies integer,
    publications integer,
    outcomes integer,
    flagged_outcomes integer,
    flag_counts json
);
