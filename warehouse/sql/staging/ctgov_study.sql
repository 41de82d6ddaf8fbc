-- staging.ctgov_study: one row per parsed study version, every value as the API's text.
-- @column nct_id: NCT identifier of the study
-- @column brief_title: identificationModule.briefTitle
-- @column official_title: identificationModule.officialTitle
-- @column acronym: identificationModule.acronym
-- @column org_study_id: identificationModule.orgStudyIdInfo.id (sponsor's protocol number)
-- @column organization: identificationModule.organization.fullName
-- @column overall_status: statusModule.overallStatus (e.g. COMPLETED, RECRUITING)
-- @column why_stopped: statusModule.whyStopped
-- @column study_type: designModule.studyType (INTERVENTIONAL, OBSERVATIONAL, EXPANDED_ACCESS)
-- @column phases: designModule.phases as a JSON array text, e.g. ["PHASE2", "PHASE3"]
-- @column allocation: designModule.designInfo.allocation
-- @column intervention_model: designModule.designInfo.interventionModel
-- @column primary_purpose: designModule.designInfo.primaryPurpose
-- @column masking: designModule.designInfo.maskingInfo.masking
-- @column enrollment_count: designModule.enrollmentInfo.count, as text
-- @column enrollment_type: designModule.enrollmentInfo.type (ACTUAL or ESTIMATED)
-- @column start_date: statusModule.startDateStruct.date (YYYY-MM or YYYY-MM-DD)
-- @column start_date_type: statusModule.startDateStruct.type (ACTUAL or ESTIMATED)
-- @column primary_completion_date: statusModule.primaryCompletionDateStruct.date
-- @column primary_completion_date_type: statusModule.primaryCompletionDateStruct.type
-- @column completion_date: statusModule.completionDateStruct.date
-- @column completion_date_type: statusModule.completionDateStruct.type
-- @column study_first_post_date: statusModule.studyFirstPostDateStruct.date
-- @column results_first_post_date: statusModule.resultsFirstPostDateStruct.date
-- @column last_update_post_date: statusModule.lastUpdatePostDateStruct.date
-- @column version_holder: derivedSection.miscInfoModule.versionHolder (date of the registry data version)
-- @column lead_sponsor: sponsorCollaboratorsModule.leadSponsor.name
-- @column lead_sponsor_class: sponsorCollaboratorsModule.leadSponsor.class (INDUSTRY, NIH, OTHER, ...)
-- @column brief_summary: descriptionModule.briefSummary
-- @column has_results: top-level hasResults as text (true or false)
-- @column raw_sha256: SHA-256 of the raw response the row was parsed from
create or replace table staging.ctgov_study (
    nct_id                       VARCHAR,
    brief_title                  VARCHAR,
    official_title               VARCHAR,
    acronym                      VARCHAR,
    org_study_id                 VARCHAR,
    organization                 VARCHAR,
    overall_status               VARCHAR,
    why_stopped                  VARCHAR,
    study_type                   VARCHAR,
    phases                       VARCHAR,
    allocation                   VARCHAR,
    intervention_model           VARCHAR,
    primary_purpose              VARCHAR,
    masking                      VARCHAR,
    enrollment_count             VARCHAR,
    enrollment_type              VARCHAR,
    start_date                   VARCHAR,
    start_date_type              VARCHAR,
    primary_completion_date      VARCHAR,
    primary_completion_date_type VARCHAR,
    completion_date              VARCHAR,
    completion_date_type         VARCHAR,
    study_first_post_date        VARCHAR,
    results_first_post_date      VARCHAR,
    last_update_post_date        VARCHAR,
    version_holder               VARCHAR,
    lead_sponsor                 VARCHAR,
    lead_sponsor_class           VARCHAR,
    brief_summary                VARCHAR,
    has_results                  VARCHAR,
    raw_sha256                   VARCHAR
);
