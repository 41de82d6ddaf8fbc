-- meta.review_decision: every review decision ever applied (append-only): who decided what about which extracted figure, with the values before and after (written by warehouse.review).
-- @key decision_id
-- @accepted decision: accept, reject, correct, add
-- @column decision_id: stable id: first 16 hex of sha1 of the decision's key, reviewer, time and values
-- @column decided_at: when the decision was applied (UTC)
-- @column reviewer: who decided (the sheet's reviewer column, else --reviewer)
-- @column decision: accept, reject, correct (the edited cells are the corrected values) or add (a figure the extractor missed)
-- @column adjudicated: true for a decision applied with --adjudicate: it settles a conflict between reviewers
-- @column outcome_id: core.outcome id of the row when decided (for add: the id the added row gets)
-- @column source: registry or abstract (the key: with the fields below it finds the row again after re-extraction)
-- @column record_id: NCT id (registry rows, registry adds) or PMID (abstract rows and adds)
-- @column outcome_kind: outcome kind of the row as extracted
-- @column arm_label: arm label of the row as extracted
-- @column json_path: registry rows: JSON path of the measurement
-- @column span_text: the evidence text: abstract span, or the posted value string of a registry row
-- @column span_start: abstract rows: start offset of the span when decided
-- @column span_end: abstract rows: end offset of the span when decided
-- @column before_values: JSON object: the row's reviewable values when decided (empty for add)
-- @column after_values: JSON object: the corrected cells (correct) or the added row's values (add); empty otherwise
-- @column note: the reviewer's note
-- @column sheet: file name of the review sheet or decisions file it came from
create table if not exists meta.review_decision (
    decision_id varchar primary key,
    decided_at timestamp not null,
    reviewer varchar not null,
    decision varchar not null,
    adjudicated boolean not null,
    outcome_id varchar,
    source varchar not null,
    record_id varchar not null,
    outcome_kind varchar not null,
    arm_label varchar,
    json_path varchar,
    span_text varchar,
    span_start integer,
    span_end integer,
    before_values json,
    after_values json,
    note varchar,
    sheet varchar
);
