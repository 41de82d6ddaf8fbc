-- core.study: one row per registered study, from its latest parsed version (last update posted, then version holder).
-- @key nct_id
-- @column nct_id: NCT identifier (primary key)
-- @column brief_title: brief title
-- @column official_title: official title
-- @column acronym: registry acronym (e.g. SUSTAIN-1 style names, when given)
-- @column org_study_id: sponsor's protocol number
-- @column organization: organization that registered the study
-- @column overall_status: overall recruitment status (COMPLETED, RECRUITING, ...)
-- @column why_stopped: reason a study stopped early
-- @column study_type: INTERVENTIONAL, OBSERVATIONAL or EXPANDED_ACCESS
-- @column phases: phases as a list (PHASE2, PHASE3, NA, ...)
-- @column allocation: RANDOMIZED, NON_RANDOMIZED or NA
-- @column intervention_model: PARALLEL, CROSSOVER, SINGLE_GROUP, ...
-- @column primary_purpose: TREATMENT, PREVENTION, ...
-- @column masking: NONE, SINGLE, DOUBLE, TRIPLE or QUADRUPLE
-- @column enrollment: enrollment count as an integer
-- @column enrollment_type: ACTUAL or ESTIMATED (an estimate is a target, not a count)
-- @column start_date: start date; a month-only date becomes the first of that month
-- @column start_date_raw: start date as registered (YYYY-MM or YYYY-MM-DD)
-- @column start_date_type: ACTUAL or ESTIMATED
-- @column primary_completion_date: primary completion date; month-only dates become the first of the month
-- @column primary_completion_date_raw: primary completion date as registered
-- @column primary_completion_date_type: ACTUAL or ESTIMATED
-- @column completion_date: study completion date; month-only dates become the first of the month
-- @column completion_date_raw: completion date as registered
-- @column completion_date_type: ACTUAL or ESTIMATED
-- @column study_first_post_date: date the registration was first posted
-- @column results_first_post_date: date results were first posted
-- @column last_update_post_date: date the latest version was posted
-- @column version_holder: date of the registry data version the record came from
-- @column lead_sponsor: lead sponsor name
-- @column lead_sponsor_class: INDUSTRY, NIH, FED, OTHER, ...
-- @column brief_summary: brief summary
-- @column has_results: whether results are posted
-- @column raw_sha256: SHA-256 of the raw response this version came from (child tables join on it)
create or replace table core.study as
with source as (
    select *
    from staging.ctgov_study
    qualify row_number() over (
        partition by nct_id
        order by try_cast(last_update_post_date as date) desc nulls last,
                 try_cast(version_holder as date) desc nulls last,
                 raw_sha256 desc nulls last
    ) = 1
),

renamed as (
    select
        nct_id,
        brief_title,
        official_title,
        acronym,
        org_study_id,
        organization,
        overall_status,
        why_stopped,
        study_type,
        from_json(phases, '["VARCHAR"]') as phases,
        allocation,
        intervention_model,
        primary_purpose,
        masking,
        try_cast(enrollment_count as integer) as enrollment,
        enrollment_type,
        coalesce(try_cast(start_date as date), try_strptime(start_date, '%Y-%m')::date) as start_date,
        start_date as start_date_raw,
        start_date_type,
        coalesce(
            try_cast(primary_completion_date as date), try_strptime(primary_completion_date, '%Y-%m')::date
        ) as primary_completion_date,
        primary_completion_date as primary_completion_date_raw,
        primary_completion_date_type,
        coalesce(
            try_cast(completion_date as date), try_strptime(completion_date, '%Y-%m')::date
        ) as completion_date,
        completion_date as completion_date_raw,
        completion_date_type,
        try_cast(study_first_post_date as date) as study_first_post_date,
        try_cast(results_first_post_date as date) as results_first_post_date,
        try_cast(last_update_post_date as date) as last_update_post_date,
        try_cast(version_holder as date) as version_holder,
        lead_sponsor,
        lead_sponsor_class,
        brief_summary,
        try_cast(has_results as boolean) as has_results,
        raw_sha256
    from source
)

select * from renamed
