-- marts.study_characteristics: one row per included study (core.study_inclusion), registered or known only from a publication: what was compared, in whom, how, and where its results are.
-- @key study_key
-- @column study_key: NCT id, or PMID:<pmid> for a study known only from a publication
-- @column nct_id: NCT identifier, when the study has one
-- @column has_registry_record: the warehouse holds the registry record (the design columns come from it; for other studies they are empty)
-- @column acronym: registry acronym, when given
-- @column title: brief title (the main publication's title for a study without a registry record)
-- @column drugs: ketamine-class drugs of the interventions (core.drug.ketamine_class), normalized; for a study without a registry record, those of its outcome rows
-- @column routes: routes of those ketamine-class interventions (IV, intranasal, ...)
-- @column comparators: the other normalized drugs of the interventions (placebo, midazolam, oral antidepressants, ...); for a study without a registry record, those of its outcome rows
-- @column population: trd, mdd, bipolar, suicidal_ideation, perinatal or other (core.study_inclusion)
-- @column phase: registered phases joined with '/', e.g. PHASE2/PHASE3
-- @column design: allocation / intervention model / masking as registered
-- @column enrollment: enrollment count
-- @column enrollment_type: ACTUAL or ESTIMATED (an estimate is a target, not a count)
-- @column start_year: year of the start date
-- @column status: overall recruitment status (COMPLETED, RECRUITING, ...)
-- @column main_pmid: the publication chosen as the trial's main report: a registry RESULT reference first, then a PubMed databank link, then an NCT id in the abstract; lowest PMID within a kind
-- @column pmids: every linked PMID held in core.publication (its publications in core.screening for a study without a registry record)
-- @column has_results: results are posted on ClinicalTrials.gov
-- @column results_first_post_date: date results were first posted
-- @column outcome_rows: rows of the study in core.outcome (registry and abstract), by study_key
create or replace table marts.study_characteristics as
with included as (
    select study_key, nct_id, has_registry_record, population, publications, included_publications
    from core.study_inclusion
    where included
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

outcome_drugs as (
    select
        outcome.study_key,
        list(distinct outcome.drug order by outcome.drug) filter (where drug.ketamine_class) as drugs,
        list(distinct outcome.route order by outcome.route) filter (
            where drug.ketamine_class and outcome.route is not null
        ) as routes,
        list(distinct outcome.drug order by outcome.drug) filter (
            where outcome.drug is not null and not coalesce(drug.ketamine_class, false)
        ) as comparators
    from core.outcome as outcome
    left join core.drug as drug on drug.drug = outcome.drug
    group by outcome.study_key
),

outcome_counts as (
    select study_key, count(*) as outcome_rows
    from core.outcome
    group by study_key
),

renamed as (
    select
        included.study_key,
        included.nct_id,
        included.has_registry_record,
        study.acronym,
        coalesce(study.brief_title, publication.title) as title,
        coalesce(interventions.drugs, outcome_drugs.drugs, []) as drugs,
        coalesce(interventions.routes, outcome_drugs.routes, []) as routes,
        coalesce(interventions.comparators, outcome_drugs.comparators, []) as comparators,
        included.population,
        array_to_string(study.phases, '/') as phase,
        nullif(concat_ws(' / ', study.allocation, study.intervention_model, study.masking), '') as design,
        study.enrollment,
        study.enrollment_type,
        year(study.start_date) as start_year,
        study.overall_status as status,
        coalesce(publications.main_pmid, included.included_publications[1]) as main_pmid,
        coalesce(publications.pmids, included.publications) as pmids,
        coalesce(study.has_results, false) as has_results,
        study.results_first_post_date,
        coalesce(outcome_counts.outcome_rows, 0) as outcome_rows
    from included
    left join core.study as study on study.nct_id = included.nct_id and included.has_registry_record
    left join interventions on interventions.nct_id = study.nct_id
    left join publications on publications.nct_id = study.nct_id
    left join core.publication as publication on publication.pmid = included.included_publications[1]
    left join outcome_drugs on outcome_drugs.study_key = included.study_key and not included.has_registry_record
    left join outcome_counts on outcome_counts.study_key = included.study_key
)

select * from renamed
order by start_year nulls last, study_key
