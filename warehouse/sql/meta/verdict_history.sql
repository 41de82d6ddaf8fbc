-- meta.verdict_history: append-only copy of the key columns of marts.claim_check after each successful build, one row per claim per run (written by warehouse.history.record_history).
-- @column run_id: refresh run whose build produced the verdicts (meta.refresh_run)
-- @column recorded_at: when the rows were copied (UTC)
-- @column claim_id: claim id (marts.claims)
-- @column verdict: consistent, overstated, understated, misattributed, contradicted, unsupported or not_checkable
-- @column rationale: the generated rationale of that run
-- @column pooled_estimate: pooled in-scope estimate in the claim's unit
-- @column pooled_ci_lower: lower 95% CI of the pooled estimate
-- @column pooled_ci_upper: upper 95% CI of the pooled estimate
-- @column pooled_k: trials behind the pooled estimate
-- @column trial_figure: closest single-trial figure, claim's unit
-- @column trial_study_key: trial of that figure
create table if not exists meta.verdict_history (
    run_id varchar not null,
    recorded_at timestamp not null,
    claim_id varchar not null,
    verdict varchar,
    rationale varchar,
    pooled_estimate double,
    pooled_ci_lower double,
    pooled_ci_upper double,
    pooled_k integer,
    trial_figure double,
    trial_study_key varchar
);
