-- core.outcome: one row per (trial, source, outcome kind, timepoint, arm, subset): response, remission and relapse as comparable numbers, each traceable to its JSON path or text span (filled by transform.outcomes).
-- @column outcome_id: stable id: first 16 hex of sha1(source, nct_id, pmid, json_path or span offsets)
-- @column nct_id: trial (NULL only for abstract rows of publications with no registry link)
-- @column study_key: nct_id, or PMID:<pmid> for a publication with no registry record
-- @column pmid: publication (NULL for registry rows)
-- @column source: registry (posted results) or abstract
-- @column outcome_kind: response, remission, relapse (events) or time_to_relapse (hazard ratio)
-- @column instrument: rating scale of the definition (MADRS, HAM-D17, HAM-D24, HAM-D, QIDS-SR, CGI-I, BDI, PHQ-9, SDS) or NULL
-- @column threshold: threshold of the definition, e.g. 50 (percent reduction) or 12 (score)
-- @column operator: comparison of the threshold: >=, <=, < or >
-- @column threshold_unit: pct_reduction or score
-- @column consecutive_visits: consecutive visits required, where stated
-- @column definition_text: the definition as given (measure title, description sentence or abstract sentence)
-- @column population: trd, mdd, bipolar, suicidal_ideation, perinatal or other
-- @column analysis_subset: analysis subset such as stable remitters or stable responders, else NULL
-- @column timepoint_raw: timepoint as given (class title or time frame; abstract phrase)
-- @column timepoint_days: timepoint in days (24 hours -> 1.0)
-- @column timepoint_hours: timepoint in hours for sub-day points, else NULL
-- @column time_window: acute (<=1 day), first_week (2-7), induction (8-42) or maintenance (>42)
-- @column arm_label: arm or result-group label as given
-- @column group_id: registry result group id (OG000) or NULL
-- @column drug: ketamine, esketamine, arketamine or the comparator (placebo, oral_ad_placebo, midazolam, ect, quetiapine, ...)
-- @column route: IV, intranasal, oral, IM, SC or NULL
-- @column dose: dose as given, e.g. 0.5 mg/kg, 56 mg, 56 or 84 mg, flexible
-- @column arm_role: active (ketamine class) or control
-- @column comparator: for active rows, the control arms' drugs in the same measure or abstract (a|b when several)
-- @column comparator_type: placebo (placebo, saline, AD plus placebo), midazolam, active (ECT, quetiapine, ...) or none; control rows carry their own type
-- @column n_randomized: participants who started the arm (registry participant flow; abstract n = N), where known
-- @column events: participants with the event (relapse rows from a relapse-free figure hold the complement)
-- @column total: denominator (registry denoms, class denoms first; abstract n/N or derived from n and %)
-- @column proportion: events over total, 0 to 1
-- @column rounding_note: how a number was derived, e.g. events derived from 26.7% of 90, rounded
-- @column effect_type: HR, OR, RR or RD (on the active arm row, vs its control); RD on the 0-1 scale
-- @column effect: estimate of the between-arm effect
-- @column ci_lower: lower confidence limit of the effect
-- @column ci_upper: upper confidence limit of the effect
-- @column p_value: p-value as a number ("<0.001" -> 0.001)
-- @column p_value_raw: p-value as given
-- @column median_days: time_to_relapse rows: the arm's posted median time to relapse in days (NULL when not reached or not posted)
-- @column json_path: registry rows: path of the measurement in the study JSON, e.g. resultsSection.outcomeMeasuresModule.outcomeMeasures[3].classes[0].categories[0].measurements[1]
-- @column effect_json_path: registry rows with a between-arm effect: JSON path of the posted analysis it came from (e.g. ...outcomeMeasures[0].analyses[0])
-- @column span_start: abstract rows: start offset of the supporting text in the abstract string
-- @column span_end: abstract rows: end offset (exclusive)
-- @column span_text: abstract rows: the text at those offsets; registry rows: the posted value string (median with CI for time to relapse)
-- @column confidence: high, medium (a number was derived) or low (flagged)
-- @column rule: the extraction rule that fired
-- @column flag: NULL or problem tags joined by ; (pct_over_100, zero_denominator, missing_denom, unparsed_timepoint, na_value, registry_abstract_disagree, complement, onset_sustained, ...)
-- @column flag_reason: one sentence per tag
create or replace table core.outcome (
    outcome_id varchar not null,
    nct_id varchar,
    study_key varchar not null,
    pmid varchar,
    source varchar not null,
    outcome_kind varchar not null,
    instrument varchar,
    threshold double,
    operator varchar,
    threshold_unit varchar,
    consecutive_visits integer,
    definition_text varchar,
    population varchar,
    analysis_subset varchar,
    timepoint_raw varchar,
    timepoint_days double,
    timepoint_hours double,
    time_window varchar,
    arm_label varchar,
    group_id varchar,
    drug varchar,
    route varchar,
    dose varchar,
    arm_role varchar,
    comparator varchar,
    comparator_type varchar,
    n_randomized integer,
    events integer,
    total integer,
    proportion double,
    rounding_note varchar,
    effect_type varchar,
    effect double,
    ci_lower double,
    ci_upper double,
    p_value double,
    p_value_raw varchar,
    median_days double,
    json_path varchar,
    effect_json_path varchar,
    span_start integer,
    span_end integer,
    span_text varchar,
    confidence varchar,
    rule varchar,
    flag varchar,
    flag_reason varchar
);
