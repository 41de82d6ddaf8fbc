-- marts.claims: the article's numeric claims as data (filled from transform/claims.yaml)
-- @column claim_id: claim id, e.g. C03 (primary key)
-- @column text: the claim in our own words
-- @column quote_hint: a short fragment that locates the claim in the article
-- @column figure_lo: claimed figure, or the low end of a range
-- @column figure_hi: claimed figure, or the high end of a range
-- @column unit: percent, weeks, hours, days, usd_billion, ...
-- @column metric: response, remission, relapse, relapse_reduction, time_to_relapse, duration_of_benefit, onset, peak, prevalence, cost, mechanism, other
-- @column scope_drug: ketamine, esketamine, ketamine_class, conventional_ad or any
-- @column scope_route: IV, intranasal, ... or any
-- @column scope_population: trd, mdd (includes trd) or any
-- @column scope_window: acute, first_week, induction, maintenance or any
-- @column scope_timepoint_days: timepoint the claim refers to, days (used to pick the closest trial figure)
-- @column scope_comparator: placebo, midazolam, active, none or any
-- @column scope_subset: analysis subset the claim refers to (e.g. responders)
-- @column checkable: false for claims trial data cannot test
-- @column reason: why the claim is not checkable
create or replace table marts.claims (
    claim_id VARCHAR,
    text VARCHAR,
    quote_hint VARCHAR,
    figure_lo DOUBLE,
    figure_hi DOUBLE,
    unit VARCHAR,
    metric VARCHAR,
    scope_drug VARCHAR,
    scope_route VARCHAR,
    scope_population VARCHAR,
    scope_window VARCHAR,
    scope_timepoint_days DOUBLE,
    scope_comparator VARCHAR,
    scope_subset VARCHAR,
    checkable BOOLEAN,
    reason VARCHAR
);
