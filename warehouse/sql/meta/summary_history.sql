-- meta.summary_history: append-only copy of the key columns of marts.evidence_summary after each successful build, one set of rows per run (written by warehouse.history.record_history).
-- @column run_id: refresh run whose build produced the rows (meta.refresh_run)
-- @column recorded_at: when the rows were copied (UTC)
-- @column drug: active-arm drug
-- @column route: route of the active arm
-- @column population: trial population
-- @column outcome_kind: response, remission or relapse
-- @column time_window: acute, first_week, induction or maintenance
-- @column comparator_type: placebo, midazolam, active or none
-- @column status: pooled-proportion status: pooled, single_study, no_events, no_data
-- @column k_trials: trials in the group
-- @column n_participants: participants, active plus control arms
-- @column prop_estimate: pooled proportion in active arms (0..1)
-- @column prop_ci_lower: lower 95% CI of the pooled proportion
-- @column prop_ci_upper: upper 95% CI of the pooled proportion
-- @column rr_status: RR pooling status (DL)
-- @column rr_k: trials in the RR pool
-- @column rr_dl: pooled RR, DerSimonian-Laird
-- @column rr_dl_ci_lower: lower 95% CI of the DL RR
-- @column rr_dl_ci_upper: upper 95% CI of the DL RR
-- @column or_dl: pooled OR, DerSimonian-Laird
-- @column study_keys: study keys of the contributing trials
create table if not exists meta.summary_history (
    run_id varchar not null,
    recorded_at timestamp not null,
    drug varchar,
    route varchar,
    population varchar,
    outcome_kind varchar,
    time_window varchar,
    comparator_type varchar,
    status varchar,
    k_trials integer,
    n_participants integer,
    prop_estimate double,
    prop_ci_lower double,
    prop_ci_upper double,
    rr_status varchar,
    rr_k integer,
    rr_dl double,
    rr_dl_ci_lower double,
    rr_dl_ci_upper double,
    or_dl double,
    study_keys varchar[]
);
