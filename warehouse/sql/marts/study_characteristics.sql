-- marts.study_characteristics: one row per included registered study (core.screening): what was compared, in whom, how, and where its results are.
-- @key nct_id
-- @column nct_id: NCT identifier (core.study)
-- @column acronym: registry acronym, when given
-- @column title: brief title
-- @column drugs: ketamine-class drugs of the interventions (core.drug.ketamine_class), normalized
-- @column routes: routes of those ketamine-class interventions (IV, intranasal, ...)
-- @column comparators: the other normalized drugs of the interventions (placebo, midazolam, oral antidepressants, ...)
-- @column population: trd, mdd, bipolar, suicidal_ideation, perinatal or other (core.screening)
-- @column phase: registered phases joined with '/', e.g. PHASE2/PHASE3
-- @column design: allocation / intervention model / masking as registered
-- @column enrollment: enrollment count
-- @column enrollment_type: ACTUAL or ESTIMATED (an estimate is a target, not a count)
-- @column start_year: year of the start date
-- @column status: overall recruitment status (COMPLETED, RECRUITING, ...)
-- @column main_pmid: the publication chosen as the trial's main report: a registry RESULT reference first, then a PubMed databank link, then an NCT id in the abstract; lowest PMID within a kind
-- @column pmids: every linked PMID held in core.publication
-- @column has_results: results are posted on ClinicalTrials.gov
-- @column results_first_post_date: date results were first posted
-- @column outcome_rows: rows of the study in core.outcome (registry and abstract)
create or replace table marts.study_characteristics as
with included as (
    select distinct record_id as nct_id, population
    from core.screening
    where record_type = 'study' and included
),

interventions as (
    select
        intervention.nct_id,
        list(distinct intervention.drug order by intervention.drug) filter (
            where drug.ketamine_class
        ) as drugs,
        list(distinct intervention.route order by intervention.route) filter (
            where drug.ketamine_class and intervention.route is not null
        ) as routes,
        list(distinct intervention.drug order by intervention.drug) filter (
            where intervention.drug is not null and not coalesce(drug.ketamine_class, false)
        ) as comparators
    from core.intervention as intervention
    left join core.drug as drug on drug.drug = intervention.drug
    group by intervention.nct_id
),

links as (
    select
        nct_id,
        pmid,
        case
            when reference_type = 'RESULT' then 1
            when list_contains(found_by, 'pubmed_databank') then 2
            else 3
        end as preference
    from core.study_publication
    where publication_in_warehouse
),

publications as (
    select
        nct_id,
        list(pmid order by preference, try_cast(pmid as bigint), pmid)[1] as main_pmid,
        list(distinct pmid order by pmid) as pmids
    from links
    group by nct_id
),

outcome_counts as (
    select nct_id, count(*) as outcome_rows
    from core.outcome
    where nct_id is not null
    group by nct_id
),

renamed as (
    select
        study.nct_id,
        study.acronym,
        study.brief_title as title,
        coalesce(interventions.drugs, []) as drugs,
        coalesce(interventions.routes, []) as routes,
        coalesce(interventions.comparators, []) as comparators,
        included.population,
        array_to_string(study.phases, '/') as phase,
        concat_ws(' / ', study.allocation, study.intervention_model, study.masking) as design,
        study.enrollment,
        study.enrollment_type,
        year(study.start_date) as start_year,
        study.overall_status as status,
        publications.main_pmid,
        coalesce(publications.pmids, []) as pmids,
        coalesce(study.has_results, false) as has_results,
        study.results_first_post_date,
        coalesce(outcome_counts.outcome_rows, 0) as outcome_rows
    from core.study as study
    inner join included on included.nct_id = study.nct_id
    left join interventions on interventions.nct_id = study.nct_id
    left join publications on publications.nct_id = study.nct_id
    left join outcome_counts on outcome_counts.nct_id = study.nct_id
)

select * from renamed
order by start_year nulls last, nct_id
