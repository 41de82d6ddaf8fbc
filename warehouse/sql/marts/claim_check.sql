-- marts.claim_check: one verdict per article claim with the matching pooled and single-trial evidence (filled from transform.verdicts.check_claims)
-- @column claim_id: claim id (marts.claims)
-- @column metric: metric of the claim
-- @column claim_text: the claim, paraphrased
-- @column claim_lo: claimed figure, or the low end of the claimed range
-- @column claim_hi: claimed figure, or the high end of the claimed range
-- @column unit: unit of the claimed figure
-- @column scope: the claim's scope as searched (drug, route, population, window, comparator)
-- @column verdict: consistent, overstated, understated, misattributed, contradicted, unsupported or not_checkable
-- @column rationale: one or two generated sentences with the numbers behind the verdict
-- @column evidence_measure: what the evidence figures measure: proportion (percent), relapse_reduction (percent), median_days, max_followup_<unit>
-- @column pooled_estimate: pooled in-scope estimate in the claim's unit (percent for proportions and reductions)
-- @column pooled_ci_lower: lower 95% CI of the pooled estimate, claim's unit
-- @column pooled_ci_upper: upper 95% CI of the pooled estimate, claim's unit
-- @column pooled_k: trials behind the pooled estimate
-- @column pooled_n: participants behind the pooled estimate
-- @column pooled_status: pooled, single_study, no_events or no_data
-- @column pooled_study_keys: study keys behind the pooled estimate
-- @column trial_figure: closest single-trial figure (or the matched one for misattributed), claim's unit
-- @column trial_study_key: trial of that figure
-- @column trial_nct_id: its NCT id
-- @column trial_pmid: its PMID for abstract rows
-- @column trial_source: registry or abstract
-- @column trial_outcome_id: core.outcome id of the row
-- @column trial_locator: registry json_path, or abstract[start:end] character offsets
-- @column trial_span_text: supporting abstract text, when from an abstract
-- @column trial_drug: drug of the trial row
-- @column trial_route: route of the trial row
-- @column trial_population: population of the trial row
-- @column trial_outcome_kind: outcome kind of the trial row
-- @column trial_time_window: time window of the trial row
-- @column trial_timepoint_days: timepoint of the trial row, days
-- @column trial_comparator_type: comparator type of the trial row
-- @column mismatch: for misattributed: how the matching evidence differs from the claim's scope
create or replace table marts.claim_check (
    claim_id VARCHAR,
    metric VARCHAR,
    claim_text VARCHAR,
    claim_lo DOUBLE,
    claim_hi DOUBLE,
    unit VARCHAR,
    scope VARCHAR,
    verdict VARCHAR,
    rationale VARCHAR,
    evidence_measure VARCHAR,
    pooled_estimate DOUBLE,
    pooled_ci_lower DOUBLE,
    pooled_ci_upper DOUBLE,
    pooled_k INTEGER,
    pooled_n INTEGER,
    pooled_status VARCHAR,
    pooled_study_keys VARCHAR[],
    trial_figure DOUBLE,
    trial_study_key VARCHAR,
    trial_nct_id VARCHAR,
    trial_pmid VARCHAR,
    trial_source VARCHAR,
    trial_outcome_id VARCHAR,
    trial_locator VARCHAR,
    trial_span_text VARCHAR,
    trial_drug VARCHAR,
    trial_route VARCHAR,
    trial_population VARCHAR,
    trial_outcome_kind VARCHAR,
    trial_time_window VARCHAR,
    trial_timepoint_days DOUBLE,
    trial_comparator_type VARCHAR,
    mismatch VARCHAR
);
