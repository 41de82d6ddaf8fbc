-- marts.evidence_summary: pooled evidence per drug x route x population x outcome kind x time window x comparator type (filled from transform.meta.evidence_summary)
-- @column drug: active-arm drug (ketamine, esketamine, ...)
-- @column route: route of the active arm (IV, intranasal, ...)
-- @column population: trial population (trd, mdd, ...)
-- @column outcome_kind: response, remission or relapse
-- @column time_window: acute, first_week, induction or maintenance
-- @column comparator_type: placebo, midazolam, active or none
-- @column status: pooled-proportion status: pooled, single_study, no_events, no_data
-- @column k_trials: trials in the group (one reading per trial)
-- @column n_participants: participants in the chosen readings, active plus control arms
-- @column n_active: participants in the active arms
-- @column events_active: participants with the event in the active arms
-- @column prop_estimate: pooled proportion in active arms (0..1), DL random effects on the logit scale
-- @column prop_ci_lower: lower 95% CI of the pooled proportion
-- @column prop_ci_upper: upper 95% CI of the pooled proportion
-- @column prop_pi_lower: lower 95% prediction interval of the proportion (k >= 3)
-- @column prop_pi_upper: upper 95% prediction interval of the proportion (k >= 3)
-- @column prop_tau2: between-trial variance on the logit scale (DL)
-- @column prop_i2: I2 of the logit proportions, percent
-- @column rr_status: RR pooling status (DL): pooled, single_study, no_events, no_data
-- @column rr_k: trials with a control arm entering the RR pool (double-zero trials excluded)
-- @column rr_dl: pooled RR, DerSimonian-Laird random effects
-- @column rr_dl_ci_lower: lower 95% CI of the DL RR (normal)
-- @column rr_dl_ci_upper: upper 95% CI of the DL RR (normal)
-- @column rr_dl_hk_ci_lower: lower 95% CI of the DL RR, Hartung-Knapp (t, k-1 df)
-- @column rr_dl_hk_ci_upper: upper 95% CI of the DL RR, Hartung-Knapp (t, k-1 df)
-- @column rr_pm: pooled RR, Paule-Mandel random effects
-- @column rr_pm_ci_lower: lower 95% CI of the PM RR (normal)
-- @column rr_pm_ci_upper: upper 95% CI of the PM RR (normal)
-- @column rr_pm_hk_ci_lower: lower 95% CI of the PM RR, Hartung-Knapp
-- @column rr_pm_hk_ci_upper: upper 95% CI of the PM RR, Hartung-Knapp
-- @column rr_pi_lower: lower 95% prediction interval of the DL RR (t, k-2 df; k >= 3)
-- @column rr_pi_upper: upper 95% prediction interval of the DL RR (t, k-2 df; k >= 3)
-- @column rr_tau2_dl: between-trial variance of log RR, DerSimonian-Laird (truncated at 0)
-- @column rr_tau2_pm: between-trial variance of log RR, Paule-Mandel
-- @column rr_i2: I2 of the log RR (percent, Higgins (Q-df)/Q, truncated at 0)
-- @column rr_dropped: trials left out of the RR pool for zero events in both arms
-- @column or_status: OR pooling status (DL): pooled, single_study, no_events, no_data
-- @column or_k: trials with a control arm entering the OR pool (double-zero trials excluded)
-- @column or_dl: pooled OR, DerSimonian-Laird random effects
-- @column or_dl_ci_lower: lower 95% CI of the DL OR (normal)
-- @column or_dl_ci_upper: upper 95% CI of the DL OR (normal)
-- @column or_dl_hk_ci_lower: lower 95% CI of the DL OR, Hartung-Knapp (t, k-1 df)
-- @column or_dl_hk_ci_upper: upper 95% CI of the DL OR, Hartung-Knapp (t, k-1 df)
-- @column or_pm: pooled OR, Paule-Mandel random effects
-- @column or_pm_ci_lower: lower 95% CI of the PM OR (normal)
-- @column or_pm_ci_upper: upper 95% CI of the PM OR (normal)
-- @column or_pm_hk_ci_lower: lower 95% CI of the PM OR, Hartung-Knapp
-- @column or_pm_hk_ci_upper: upper 95% CI of the PM OR, Hartung-Knapp
-- @column or_pi_lower: lower 95% prediction interval of the DL OR (t, k-2 df; k >= 3)
-- @column or_pi_upper: upper 95% prediction interval of the DL OR (t, k-2 df; k >= 3)
-- @column or_tau2_dl: between-trial variance of log OR, DerSimonian-Laird (truncated at 0)
-- @column or_tau2_pm: between-trial variance of log OR, Paule-Mandel
-- @column or_i2: I2 of the log OR (percent, Higgins (Q-df)/Q, truncated at 0)
-- @column or_dropped: trials left out of the OR pool for zero events in both arms
-- @column study_keys: study keys (nct_id or PMID:...) of the contributing trials
-- @column outcome_ids: core.outcome ids of the arm rows that entered the pools
create or replace table marts.evidence_summary (
    drug VARCHAR,
    route VARCHAR,
    population VARCHAR,
    outcome_kind VARCHAR,
    time_window VARCHAR,
    comparator_type VARCHAR,
    status VARCHAR,
    k_trials INTEGER,
    n_participants INTEGER,
    n_active INTEGER,
    events_active INTEGER,
    prop_estimate DOUBLE,
    prop_ci_lower DOUBLE,
    prop_ci_upper DOUBLE,
    prop_pi_lower DOUBLE,
    prop_pi_upper DOUBLE,
    prop_tau2 DOUBLE,
    prop_i2 DOUBLE,
    rr_status VARCHAR,
    rr_k INTEGER,
    rr_dl DOUBLE,
    rr_dl_ci_lower DOUBLE,
    rr_dl_ci_upper DOUBLE,
    rr_dl_hk_ci_lower DOUBLE,
    rr_dl_hk_ci_upper DOUBLE,
    rr_pm DOUBLE,
    rr_pm_ci_lower DOUBLE,
    rr_pm_ci_upper DOUBLE,
    rr_pm_hk_ci_lower DOUBLE,
    rr_pm_hk_ci_upper DOUBLE,
    rr_pi_lower DOUBLE,
    rr_pi_upper DOUBLE,
    rr_tau2_dl DOUBLE,
    rr_tau2_pm DOUBLE,
    rr_i2 DOUBLE,
    rr_dropped INTEGER,
    or_status VARCHAR,
    or_k INTEGER,
    or_dl DOUBLE,
    or_dl_ci_lower DOUBLE,
    or_dl_ci_upper DOUBLE,
    or_dl_hk_ci_lower DOUBLE,
    or_dl_hk_ci_upper DOUBLE,
    or_pm DOUBLE,
    or_pm_ci_lower DOUBLE,
    or_pm_ci_upper DOUBLE,
    or_pm_hk_ci_lower DOUBLE,
    or_pm_hk_ci_upper DOUBLE,
    or_pi_lower DOUBLE,
    or_pi_upper DOUBLE,
    or_tau2_dl DOUBLE,
    or_tau2_pm DOUBLE,
    or_i2 DOUBLE,
    or_dropped INTEGER,
    study_keys VARCHAR[],
    outcome_ids VARCHAR[]
);
