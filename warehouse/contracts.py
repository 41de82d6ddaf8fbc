"""Column contracts of the tables the build's Python models write, declared once.

Each `Table` gives the DDL the build creates before its model runs, the data dictionary's text and
the key and accepted-value checks (`warehouse.checks`). SQL models declare the same in the comment
block at the top of their `.sql` file (`-- @column`, `-- @key`, `-- @accepted`).
"""

from __future__ import annotations

from dataclasses import replace

from ketamine_evidence.transform.claims import METRICS, PRESENTED_AS
from ketamine_evidence.transform.meta import GROUP_KEYS
from ketamine_evidence.transform.outcomes.classify import KINDS as OUTCOME_KINDS
from ketamine_evidence.transform.outcomes.rows import flag_table
from ketamine_evidence.transform.outcomes.timepoints import WINDOWS as TIME_WINDOWS
from ketamine_evidence.warehouse.schema import Column, Table

FLAG_NAMES = tuple(sorted(flag_table()))


STAGING_CTGOV_ARM = Table(
    "staging.ctgov_arm",
    "arm groups of a study (armsInterventionsModule.armGroups), as text.",
    (
        Column("nct_id", "VARCHAR", "NCT identifier of the study"),
        Column("arm_idx", "INTEGER", "0-based position in armGroups"),
        Column("label", "VARCHAR", "arm group label"),
        Column("type", "VARCHAR", "arm group type (EXPERIMENTAL, PLACEBO_COMPARATOR, ACTIVE_COMPARATOR, ...)"),
        Column("description", "VARCHAR", "arm group description"),
        Column("intervention_names", "VARCHAR", 'interventionNames as a JSON array text ("Drug: Esketamine")'),
        Column("raw_sha256", "VARCHAR", "SHA-256 of the raw response the row was parsed from"),
    ),
)


STAGING_CTGOV_CONDITION = Table(
    "staging.ctgov_condition",
    "conditions, keywords and condition MeSH terms of a study, one per row.",
    (
        Column("nct_id", "VARCHAR", "NCT identifier of the study"),
        Column("kind", "VARCHAR",
               "condition (conditionsModule.conditions), keyword (conditionsModule.keywords) or mesh "
               "(derivedSection.conditionBrowseModule.meshes)"),
        Column("idx", "INTEGER", "0-based position within its kind"),
        Column("name", "VARCHAR", "condition, keyword or MeSH term as given"),
        Column("mesh_id", "VARCHAR", "MeSH descriptor id for kind mesh, else NULL"),
        Column("raw_sha256", "VARCHAR", "SHA-256 of the raw response the row was parsed from"),
    ),
)


STAGING_CTGOV_INTERVENTION = Table(
    "staging.ctgov_intervention",
    "interventions of a study (armsInterventionsModule.interventions), as text plus normalized drug and route.",
    (
        Column("nct_id", "VARCHAR", "NCT identifier of the study"),
        Column("intervention_idx", "INTEGER", "0-based position in interventions"),
        Column("type", "VARCHAR", "intervention type (DRUG, BIOLOGICAL, DEVICE, PROCEDURE, ...)"),
        Column("name", "VARCHAR", "intervention name"),
        Column("description", "VARCHAR", "intervention description"),
        Column("arm_group_labels", "VARCHAR", "armGroupLabels as a JSON array text"),
        Column("other_names", "VARCHAR", "otherNames as a JSON array text (brand names, codes)"),
        Column("drug", "VARCHAR", "derived: transform.drugs.normalize_drug(name, other_names, description)"),
        Column("route", "VARCHAR", "derived: transform.drugs.normalize_route of the name, else of the description"),
        Column("raw_sha256", "VARCHAR", "SHA-256 of the raw response the row was parsed from"),
    ),
)


STAGING_CTGOV_OUTCOME_ANALYSIS = Table(
    "staging.ctgov_outcome_analysis",
    "statistical analyses of each outcome measure (outcomeMeasures[].analyses), as text.",
    (
        Column("nct_id", "VARCHAR", "NCT identifier of the study"),
        Column("outcome_idx", "INTEGER",
               "0-based position of the outcome measure in resultsSection.outcomeMeasuresModule.outcomeMeasures"),
        Column("analysis_idx", "INTEGER", "0-based position in analyses"),
        Column("group_ids", "VARCHAR", "groupIds as a JSON array text"),
        Column("param_type", "VARCHAR", "estimate type (Hazard Ratio (HR), Difference of LS Means, ...)"),
        Column("param_value", "VARCHAR", "estimate as text"),
        Column("dispersion_type", "VARCHAR", "dispersion type of the estimate"),
        Column("dispersion_value", "VARCHAR", "dispersion value as text"),
        Column("ci_pct_value", "VARCHAR", "confidence level in percent as text"),
        Column("ci_num_sides", "VARCHAR", "ONE_SIDED or TWO_SIDED"),
        Column("ci_lower_limit", "VARCHAR", "CI lower limit as text"),
        Column("ci_upper_limit", "VARCHAR", "CI upper limit as text"),
        Column("ci_upper_limit_comment", "VARCHAR", "comment on the CI upper limit"),
        Column("p_value", "VARCHAR", "p-value as text, possibly with an operator (<0.001, =0.020)"),
        Column("p_value_comment", "VARCHAR", "p-value comment"),
        Column("statistical_method", "VARCHAR", "statistical method"),
        Column("statistical_comment", "VARCHAR", "statistical comment"),
        Column("non_inferiority_type", "VARCHAR", "SUPERIORITY, NON_INFERIORITY, EQUIVALENCE, OTHER, ..."),
        Column("non_inferiority_comment", "VARCHAR", "non-inferiority comment"),
        Column("estimate_comment", "VARCHAR", "estimation comment"),
        Column("group_description", "VARCHAR", "description of the compared groups"),
        Column("other_analysis_description", "VARCHAR", "description of another analysis"),
        Column("raw_sha256", "VARCHAR", "SHA-256 of the raw response the row was parsed from"),
    ),
)


STAGING_CTGOV_OUTCOME_DENOM = Table(
    "staging.ctgov_outcome_denom",
    "analysed counts per group: measure-level denoms and class-level denoms.",
    (
        Column("nct_id", "VARCHAR", "NCT identifier of the study"),
        Column("outcome_idx", "INTEGER",
               "0-based position of the outcome measure in resultsSection.outcomeMeasuresModule.outcomeMeasures"),
        Column("class_idx", "INTEGER",
               "0-based class position for class-level denoms; NULL for the measure-level denominator"),
        Column("denom_idx", "INTEGER", "0-based position in the denoms list"),
        Column("units", "VARCHAR", "what is counted (Participants, Eyes, ...)"),
        Column("group_id", "VARCHAR", "group id within the measure"),
        Column("value", "VARCHAR", "count as text"),
        Column("raw_sha256", "VARCHAR", "SHA-256 of the raw response the row was parsed from"),
    ),
)


STAGING_CTGOV_FLOW_MILESTONE = Table(
    "staging.ctgov_flow_milestone",
    "participant-flow milestones per period and group (participantFlowModule), as text.",
    (
        Column("nct_id", "VARCHAR", "NCT identifier of the study"),
        Column("period_idx", "INTEGER", "0-based position in participantFlowModule.periods"),
        Column("milestone_idx", "INTEGER", "0-based position in the period's milestones"),
        Column("milestone_type", "VARCHAR", "milestone type (STARTED, COMPLETED, ...)"),
        Column("achievement_idx", "INTEGER", "0-based position in the milestone's achievements"),
        Column("group_id", "VARCHAR", "flow group id (FG000, ...)"),
        Column("group_title", "VARCHAR", "title of the flow group with that id (NULL when the group is not listed)"),
        Column("num_subjects", "VARCHAR", "number of participants as text"),
        Column("raw_sha256", "VARCHAR", "SHA-256 of the raw response the row was parsed from"),
    ),
)


STAGING_CTGOV_OUTCOME_MEASURE = Table(
    "staging.ctgov_outcome_measure",
    "posted outcome measures (resultsSection.outcomeMeasuresModule.outcomeMeasures), as text.",
    (
        Column("nct_id", "VARCHAR", "NCT identifier of the study"),
        Column("outcome_idx", "INTEGER",
               "0-based position of the outcome measure in resultsSection.outcomeMeasuresModule.outcomeMeasures"),
        Column("type", "VARCHAR", "PRIMARY, SECONDARY, OTHER_PRE_SPECIFIED or POST_HOC"),
        Column("title", "VARCHAR", "outcome measure title"),
        Column("description", "VARCHAR", "outcome measure description"),
        Column("time_frame", "VARCHAR", "timeFrame"),
        Column("population_description", "VARCHAR", "populationDescription (analysis population)"),
        Column("reporting_status", "VARCHAR", "reportingStatus (POSTED or NOT_POSTED)"),
        Column("anticipated_posting_date", "VARCHAR", "anticipatedPostingDate, for measures not yet posted"),
        Column("param_type", "VARCHAR",
               "paramType (MEAN, NUMBER, MEDIAN, LEAST_SQUARES_MEAN, COUNT_OF_PARTICIPANTS, ...)"),
        Column("dispersion_type", "VARCHAR", "dispersionType (Standard Deviation, 95% Confidence Interval, ...)"),
        Column("unit_of_measure", "VARCHAR", "unitOfMeasure"),
        Column("type_units_analyzed", "VARCHAR", "typeUnitsAnalyzed (when units are not participants)"),
        Column("raw_sha256", "VARCHAR", "SHA-256 of the raw response the row was parsed from"),
    ),
)


STAGING_CTGOV_OUTCOME_MEASUREMENT = Table(
    "staging.ctgov_outcome_measurement",
    "outcome values per measure x class x category x group, as text.",
    (
        Column("nct_id", "VARCHAR", "NCT identifier of the study"),
        Column("outcome_idx", "INTEGER",
               "0-based position of the outcome measure in resultsSection.outcomeMeasuresModule.outcomeMeasures"),
        Column("class_idx", "INTEGER", "0-based position in classes"),
        Column("category_idx", "INTEGER", "0-based position in the class's categories"),
        Column("measurement_idx", "INTEGER", "0-based position in the category's measurements"),
        Column("group_id", "VARCHAR", "group id within the measure"),
        Column("class_title", "VARCHAR", "class title (often a timepoint or subgroup)"),
        Column("category_title", "VARCHAR", "category title (often a response category)"),
        Column("value", "VARCHAR", "value as text (may be NA or NR)"),
        Column("spread", "VARCHAR", "spread (SD, SE) as text"),
        Column("lower_limit", "VARCHAR", "lower limit (CI, range, IQR) as text"),
        Column("upper_limit", "VARCHAR", "upper limit as text"),
        Column("comment", "VARCHAR", "comment, e.g. why a value is NA"),
        Column("raw_sha256", "VARCHAR", "SHA-256 of the raw response the row was parsed from"),
    ),
)


STAGING_CTGOV_REFERENCE = Table(
    "staging.ctgov_reference",
    "literature references of a study (referencesModule.references).",
    (
        Column("nct_id", "VARCHAR", "NCT identifier of the study"),
        Column("reference_idx", "INTEGER", "0-based position in references"),
        Column("pmid", "VARCHAR", "PubMed id, when given"),
        Column("type", "VARCHAR", "reference type (BACKGROUND, RESULT, DERIVED)"),
        Column("citation", "VARCHAR", "citation text"),
        Column("raw_sha256", "VARCHAR", "SHA-256 of the raw response the row was parsed from"),
    ),
)


STAGING_CTGOV_RESULT_GROUP = Table(
    "staging.ctgov_result_group",
    "groups of each outcome measure (outcomeMeasures[].groups); ids like OG000 are local to the measure.",
    (
        Column("nct_id", "VARCHAR", "NCT identifier of the study"),
        Column("outcome_idx", "INTEGER",
               "0-based position of the outcome measure in resultsSection.outcomeMeasuresModule.outcomeMeasures"),
        Column("group_id", "VARCHAR", "group id within the measure (OG000, OG001, ...)"),
        Column("title", "VARCHAR", "group title"),
        Column("description", "VARCHAR", "group description"),
        Column("raw_sha256", "VARCHAR", "SHA-256 of the raw response the row was parsed from"),
    ),
)


STAGING_CTGOV_STUDY = Table(
    "staging.ctgov_study",
    "one row per parsed study version, every value as the API's text.",
    (
        Column("nct_id", "VARCHAR", "NCT identifier of the study"),
        Column("brief_title", "VARCHAR", "identificationModule.briefTitle"),
        Column("official_title", "VARCHAR", "identificationModule.officialTitle"),
        Column("acronym", "VARCHAR", "identificationModule.acronym"),
        Column("org_study_id", "VARCHAR", "identificationModule.orgStudyIdInfo.id (sponsor's protocol number)"),
        Column("organization", "VARCHAR", "identificationModule.organization.fullName"),
        Column("overall_status", "VARCHAR", "statusModule.overallStatus (e.g. COMPLETED, RECRUITING)"),
        Column("why_stopped", "VARCHAR", "statusModule.whyStopped"),
        Column("study_type", "VARCHAR", "designModule.studyType (INTERVENTIONAL, OBSERVATIONAL, EXPANDED_ACCESS)"),
        Column("phases", "VARCHAR", 'designModule.phases as a JSON array text, e.g. ["PHASE2", "PHASE3"]'),
        Column("allocation", "VARCHAR", "designModule.designInfo.allocation"),
        Column("intervention_model", "VARCHAR", "designModule.designInfo.interventionModel"),
        Column("primary_purpose", "VARCHAR", "designModule.designInfo.primaryPurpose"),
        Column("masking", "VARCHAR", "designModule.designInfo.maskingInfo.masking"),
        Column("enrollment_count", "VARCHAR", "designModule.enrollmentInfo.count, as text"),
        Column("enrollment_type", "VARCHAR", "designModule.enrollmentInfo.type (ACTUAL or ESTIMATED)"),
        Column("start_date", "VARCHAR", "statusModule.startDateStruct.date (YYYY-MM or YYYY-MM-DD)"),
        Column("start_date_type", "VARCHAR", "statusModule.startDateStruct.type (ACTUAL or ESTIMATED)"),
        Column("primary_completion_date", "VARCHAR", "statusModule.primaryCompletionDateStruct.date"),
        Column("primary_completion_date_type", "VARCHAR", "statusModule.primaryCompletionDateStruct.type"),
        Column("completion_date", "VARCHAR", "statusModule.completionDateStruct.date"),
        Column("completion_date_type", "VARCHAR", "statusModule.completionDateStruct.type"),
        Column("study_first_post_date", "VARCHAR", "statusModule.studyFirstPostDateStruct.date"),
        Column("results_first_post_date", "VARCHAR", "statusModule.resultsFirstPostDateStruct.date"),
        Column("last_update_post_date", "VARCHAR", "statusModule.lastUpdatePostDateStruct.date"),
        Column("version_holder", "VARCHAR",
               "derivedSection.miscInfoModule.versionHolder (date of the registry data version)"),
        Column("lead_sponsor", "VARCHAR", "sponsorCollaboratorsModule.leadSponsor.name"),
        Column("lead_sponsor_class", "VARCHAR",
               "sponsorCollaboratorsModule.leadSponsor.class (INDUSTRY, NIH, OTHER, ...)"),
        Column("brief_summary", "VARCHAR", "descriptionModule.briefSummary"),
        Column("has_results", "VARCHAR", "top-level hasResults as text (true or false)"),
        Column("raw_sha256", "VARCHAR", "SHA-256 of the raw response the row was parsed from"),
    ),
)


STAGING_PUBMED_ARTICLE = Table(
    "staging.pubmed_article",
    "one row per PubMed record payload (PubmedArticle or PubmedBookArticle) as parsed by extract.pubmed.parse.",
    (
        Column("pmid", "VARCHAR NOT NULL", "PubMed identifier, as text"),
        Column("version", "VARCHAR", "PMID version attribute (usually '1')"),
        Column("record_kind", "VARCHAR", "'article' (PubmedArticle) or 'book' (PubmedBookArticle)"),
        Column("title", "VARCHAR",
               "article title (book chapters: chapter title, else book title), inline markup flattened"),
        Column("abstract", "VARCHAR", "plain-text abstract; structured sections joined as 'LABEL: text', one per line"),
        Column("abstract_sections", "STRUCT(label VARCHAR, nlm_category VARCHAR, text VARCHAR)[]",
               "abstract sections as given, each {label, nlm_category, text}"),
        Column("journal", "VARCHAR", "journal title (book chapters: the book title)"),
        Column("journal_iso", "VARCHAR", "ISO journal abbreviation"),
        Column("volume", "VARCHAR", "journal volume"),
        Column("issue", "VARCHAR", "journal issue"),
        Column("pages", "VARCHAR", "MedlinePgn, else StartPage-EndPage"),
        Column("pub_year", "INTEGER", "publication year from PubDate (first year of a MedlineDate)"),
        Column("pub_date", "VARCHAR",
               "publication date as ISO text, as precise as given: 'YYYY', 'YYYY-MM' or 'YYYY-MM-DD'"),
        Column("medline_date", "VARCHAR",
               "raw MedlineDate text when PubDate has no Year/Month/Day (e.g. '1998 Dec-1999 Jan')"),
        Column("article_date", "VARCHAR", "electronic publication date (ArticleDate) as ISO text"),
        Column("publication_types", "VARCHAR[]", "all PublicationType values, in order"),
        Column("mesh_terms", "VARCHAR[]", "MeSH descriptor names; a trailing '*' marks a major topic"),
        Column("keywords", "VARCHAR[]", "author and NLM keywords"),
        Column("nct_ids", "VARCHAR[]",
               "ClinicalTrials.gov accession numbers from DataBankList, uppercased, deduplicated"),
        Column("other_accessions", "VARCHAR[]", "other DataBankList accessions as 'DataBankName:Accession'"),
        Column("doi", "VARCHAR", "DOI from ArticleIdList, else from ELocationID"),
        Column("pmc_id", "VARCHAR", "PubMed Central id (PMC...)"),
        Column("language", "VARCHAR[]", "language codes (e.g. 'eng')"),
        Column("authors", "VARCHAR[]", "authors as 'Last Initials', or the group's CollectiveName"),
        Column("date_revised", "VARCHAR", "DateRevised as ISO text"),
        Column("date_completed", "VARCHAR", "DateCompleted as ISO text"),
        Column("coi_statement", "VARCHAR", "conflict-of-interest statement text"),
        Column("reference_pmids", "VARCHAR[]", "PMIDs cited in the record's ReferenceList"),
        Column("raw_sha256", "VARCHAR", "sha256 of the raw record payload the row was parsed from"),
        Column("fetched_at", "TIMESTAMP", "when the raw response holding the record was fetched"),
    ),
)


CORE_OUTCOME = Table(
    "core.outcome",
    "one row per (trial, source, publication, measure or sentence, outcome kind, timepoint, arm, subset): "
    "response, remission and relapse as comparable numbers, each traceable to its JSON path or text span",
    (
        Column("outcome_id", "VARCHAR NOT NULL",
               "stable id: first 16 hex of sha1(source, nct_id, pmid, json_path or span offsets)"),
        Column("nct_id", "VARCHAR", "trial (NULL only for abstract rows of publications with no registry link)"),
        Column("study_key", "VARCHAR NOT NULL", "nct_id, or PMID:<pmid> for a publication with no registry record"),
        Column("pmid", "VARCHAR", "publication (NULL for registry rows)"),
        Column("source", "VARCHAR NOT NULL", "registry (posted results) or abstract"),
        Column("outcome_kind", "VARCHAR NOT NULL",
               "response, remission, relapse (events) or time_to_relapse (hazard ratio)"),
        Column("instrument", "VARCHAR",
               "rating scale of the definition (MADRS, HAM-D17, HAM-D24, HAM-D, QIDS-SR, CGI-I, BDI, PHQ-9, SDS) or "
               "NULL"),
        Column("threshold", "DOUBLE", "threshold of the definition, e.g. 50 (percent reduction) or 12 (score)"),
        Column("operator", "VARCHAR", "comparison of the threshold: >=, <=, < or >"),
        Column("threshold_unit", "VARCHAR", "pct_reduction or score"),
        Column("consecutive_visits", "INTEGER", "consecutive visits required, where stated"),
        Column("definition_text", "VARCHAR",
               "the definition as given (measure title, description sentence or abstract sentence)"),
        Column("population", "VARCHAR", "trd, mdd, bipolar, suicidal_ideation, perinatal or other"),
        Column("analysis_subset", "VARCHAR",
               "analysis subset such as stable remitters or stable responders, else NULL"),
        Column("measure_type", "VARCHAR",
               "the registered measure's type: primary, secondary, other_pre_specified or post_hoc "
               "(NULL for abstracts)"),
        Column("analysis_population", "VARCHAR",
               "analysis population named by the measure (data/analysis_readings.csv): itt, full_analysis_set, "
               "per_protocol, completers, else NULL"),
        Column("analysis_method", "VARCHAR",
               "how missing values were handled, named by the measure: nonresponder_imputation, "
               "multiple_imputation, locf, bocf, observed, else NULL"),
        Column("timepoint_raw", "VARCHAR", "timepoint as given (class title or time frame; abstract phrase)"),
        Column("timepoint_days", "DOUBLE", "timepoint in days (24 hours -> 1.0)"),
        Column("timepoint_hours", "DOUBLE", "timepoint in hours for sub-day points, else NULL"),
        Column("time_window", "VARCHAR", "acute (<=1 day), first_week (2-7), induction (8-42) or maintenance (>42)"),
        Column("arm_label", "VARCHAR", "arm or result-group label as given"),
        Column("group_id", "VARCHAR", "registry result group id (OG000) or NULL"),
        Column("drug", "VARCHAR",
               "ketamine, esketamine, arketamine or the comparator (placebo, oral_ad_placebo, midazolam, ect, "
               "quetiapine, ...)"),
        Column("route", "VARCHAR", "IV, intranasal, oral, IM, SC or NULL"),
        Column("dose", "VARCHAR", "dose as given, e.g. 0.5 mg/kg, 56 mg, 56 or 84 mg, flexible"),
        Column("arm_role", "VARCHAR", "active (ketamine class) or control"),
        Column("comparator", "VARCHAR",
               "for active rows, the control arms' drugs in the same measure or abstract (a|b when several)"),
        Column("comparator_type", "VARCHAR",
               "placebo (placebo, saline, AD plus placebo), midazolam, active (ECT, quetiapine, ...) or none; control "
               "rows carry their own type"),
        Column("n_randomized", "INTEGER",
               "participants who started the arm (registry participant flow; abstract n = N), where known"),
        Column("events", "INTEGER",
               "participants with the event (relapse rows from a relapse-free figure hold the complement)"),
        Column("total", "INTEGER",
               "denominator (registry denoms, class denoms first; abstract n/N or derived from n and %)"),
        Column("proportion", "DOUBLE", "events over total, 0 to 1"),
        Column("rounding_note", "VARCHAR", "how a number was derived, e.g. events derived from 26.7% of 90, rounded"),
        Column("effect_type", "VARCHAR",
               "HR, OR, RR or RD (on the active arm row, vs its control); RD on the 0-1 scale"),
        Column("effect", "DOUBLE", "estimate of the between-arm effect"),
        Column("ci_lower", "DOUBLE", "lower confidence limit of the effect"),
        Column("ci_upper", "DOUBLE", "upper confidence limit of the effect"),
        Column("p_value", "DOUBLE", 'p-value as a number ("<0.001" -> 0.001)'),
        Column("p_value_raw", "VARCHAR", "p-value as given"),
        Column("median_days", "DOUBLE",
               "time_to_relapse rows: the arm's posted median time to relapse in days (NULL when not reached or not "
               "posted)"),
        Column("json_path", "VARCHAR",
               "registry rows: path of the measurement in the study JSON, e.g. "
               "resultsSection.outcomeMeasuresModule.outcomeMeasures[3].classes[0].categories[0].measurements[1]"),
        Column("effect_json_path", "VARCHAR",
               "registry rows with a between-arm effect: JSON path of the posted analysis it came from (e.g. "
               "...outcomeMeasures[0].analyses[0])"),
        Column("span_start", "INTEGER", "abstract rows: start offset of the supporting text in the abstract string"),
        Column("span_end", "INTEGER", "abstract rows: end offset (exclusive)"),
        Column("span_text", "VARCHAR",
               "abstract rows: the text at those offsets; registry rows: the posted value string (median with CI for "
               "time to relapse)"),
        Column("confidence", "VARCHAR", "high, medium (a number was derived) or low (flagged)"),
        Column("rule", "VARCHAR", "the extraction rule that fired"),
        Column("flag", "VARCHAR[] NOT NULL",
               "list of tags, [] when none: problems (pct_over_100, zero_denominator, missing_denom, "
               "unparsed_timepoint, na_value, registry_abstract_disagree, ...) and notes (complement, "
               "onset_sustained, ...), each described in transform/outcomes/data/flags.csv",
               accepted=FLAG_NAMES),
        Column("flag_reason", "VARCHAR", "one sentence per tag"),
        Column("needs_review", "BOOLEAN NOT NULL",
               "a flag holds the row for a person (transform/outcomes/data/flags.csv needs_review); "
               "such rows stay out of pools and verdicts"),
    ),
)


CORE_DRUG = Table(
    "core.drug",
    "the drug vocabulary (transform/data/drugs.csv): every normalized drug value once",
    (
        Column("drug", "VARCHAR NOT NULL", "normalized drug value, as in core.intervention.drug and core.outcome.drug"),
        Column("ketamine_class", "BOOLEAN NOT NULL", "ketamine, esketamine or arketamine"),
        Column("comparator", "BOOLEAN NOT NULL", "an inert comparator (placebo, sham, saline)"),
    ),
)


CORE_SCREENING = Table(
    "core.screening",
    "one row per study and per publication: is it ketamine-class efficacy evidence in depression, and if not, why",
    (
        Column("record_type", "VARCHAR NOT NULL", "study or publication"),
        Column("record_id", "VARCHAR NOT NULL", "NCT id (study) or PMID (publication)"),
        Column("source", "VARCHAR NOT NULL", "ctgov or pubmed"),
        Column("study_key", "VARCHAR NOT NULL",
               "the trial the record belongs to: an NCT id, or PMID:<pmid> for a publication with no registry record"),
        Column("included", "BOOLEAN NOT NULL",
               "true when the record is ketamine-class efficacy evidence in depression"),
        Column("exclusion_reason", "VARCHAR",
               "why the record is excluded (NULL when included); duplicate_report is a further report of an "
               "included trial, notice an erratum, comment, retraction notice or retracted publication"),
        Column("reason_detail", "VARCHAR", "the text that decided the reason"),
        Column("population", "VARCHAR", "trd, mdd, bipolar, suicidal_ideation, perinatal or other"),
        Column("is_registered", "BOOLEAN NOT NULL", "true for registry records and for publications with an NCT link"),
    ),
)


MARTS_CLAIMS = Table(
    "marts.claims",
    "the article's numeric claims as data",
    (
        Column("claim_id", "VARCHAR", "claim id, e.g. C03 (primary key)"),
        Column("text", "VARCHAR", "the claim in our own words"),
        Column("quote_hint", "VARCHAR", "a short fragment that locates the claim in the article"),
        Column("figure_lo", "DOUBLE", "claimed figure, or the low end of a range"),
        Column("figure_hi", "DOUBLE", "claimed figure, or the high end of a range"),
        Column("unit", "VARCHAR", "percent, weeks, hours, days, usd_billion, ..."),
        Column("metric", "VARCHAR",
               "response, remission, relapse, relapse_reduction, time_to_relapse, duration_of_benefit, onset, peak, "
               "prevalence, cost, mechanism, other"),
        Column("scope_drug", "VARCHAR", "ketamine, esketamine, ketamine_class, conventional_ad or any"),
        Column("scope_route", "VARCHAR", "IV, intranasal, ... or any"),
        Column("scope_population", "VARCHAR", "trd, mdd (includes trd) or any"),
        Column("scope_window", "VARCHAR", "acute, first_week, induction, maintenance or any"),
        Column("scope_timepoint_days", "DOUBLE",
               "timepoint the claim refers to, days (used to pick the closest trial figure)"),
        Column("scope_comparator", "VARCHAR", "placebo, midazolam, active, none or any"),
        Column("scope_subset", "VARCHAR", "analysis subset the claim refers to (e.g. responders)"),
        Column("checkable", "BOOLEAN", "false for claims trial data cannot test"),
        Column("reason", "VARCHAR", "why the claim is not checkable"),
        Column("presented_as", "VARCHAR",
               "general (the article presents the figure as the general picture) or one_trial (as one trial's result)"),
    ),
)


MARTS_EVIDENCE_SUMMARY = Table(
    "marts.evidence_summary",
    "pooled evidence per drug x route x population x outcome kind x time window x comparator type",
    (
        Column("drug", "VARCHAR", "active-arm drug (ketamine, esketamine, ...)"),
        Column("route", "VARCHAR", "route of the active arm (IV, intranasal, ...)"),
        Column("population", "VARCHAR", "trial population (trd, mdd, ...)"),
        Column("outcome_kind", "VARCHAR", "response, remission or relapse"),
        Column("time_window", "VARCHAR", "acute, first_week, induction or maintenance"),
        Column("comparator_type", "VARCHAR", "placebo, midazolam, active or none"),
        Column("status", "VARCHAR", "pooled-proportion status: pooled, single_study, no_events, no_data"),
        Column("k_trials", "INTEGER", "trials in the group (one reading per trial)"),
        Column("n_participants", "INTEGER", "participants in the chosen readings, active plus control arms"),
        Column("n_active", "INTEGER", "participants in the active arms"),
        Column("events_active", "INTEGER", "participants with the event in the active arms"),
        Column("prop_estimate", "DOUBLE",
               "pooled proportion in active arms (0..1), DL random effects on the logit scale"),
        Column("prop_ci_lower", "DOUBLE", "lower 95% CI of the pooled proportion"),
        Column("prop_ci_upper", "DOUBLE", "upper 95% CI of the pooled proportion"),
        Column("prop_pi_lower", "DOUBLE", "lower 95% prediction interval of the proportion (k >= 3)"),
        Column("prop_pi_upper", "DOUBLE", "upper 95% prediction interval of the proportion (k >= 3)"),
        Column("prop_tau2", "DOUBLE", "between-trial variance on the logit scale (DL)"),
        Column("prop_i2", "DOUBLE", "I2 of the logit proportions, percent"),
        Column("prop_reml", "DOUBLE",
               "pooled proportion in active arms (0..1), REML random effects on the logit scale"),
        Column("prop_reml_ci_lower", "DOUBLE", "lower 95% CI of the REML pooled proportion (normal)"),
        Column("prop_reml_ci_upper", "DOUBLE", "upper 95% CI of the REML pooled proportion (normal)"),
        Column("prop_reml_pi_lower", "DOUBLE", "lower 95% prediction interval, REML (t, k-2 df; k >= 3)"),
        Column("prop_reml_pi_upper", "DOUBLE", "upper 95% prediction interval, REML (t, k-2 df; k >= 3)"),
        Column("prop_tau2_reml", "DOUBLE", "between-trial variance on the logit scale (REML)"),
        Column("rr_status", "VARCHAR", "RR pooling status (DL): pooled, single_study, no_events, no_data"),
        Column("rr_k", "INTEGER", "trials with a control arm entering the RR pool (double-zero trials excluded)"),
        Column("rr_dl", "DOUBLE", "pooled RR, DerSimonian-Laird random effects"),
        Column("rr_dl_ci_lower", "DOUBLE", "lower 95% CI of the DL RR (normal)"),
        Column("rr_dl_ci_upper", "DOUBLE", "upper 95% CI of the DL RR (normal)"),
        Column("rr_dl_hk_ci_lower", "DOUBLE", "lower 95% CI of the DL RR, Hartung-Knapp (t, k-1 df)"),
        Column("rr_dl_hk_ci_upper", "DOUBLE", "upper 95% CI of the DL RR, Hartung-Knapp (t, k-1 df)"),
        Column("rr_pm", "DOUBLE", "pooled RR, Paule-Mandel random effects"),
        Column("rr_pm_ci_lower", "DOUBLE", "lower 95% CI of the PM RR (normal)"),
        Column("rr_pm_ci_upper", "DOUBLE", "upper 95% CI of the PM RR (normal)"),
        Column("rr_pm_hk_ci_lower", "DOUBLE", "lower 95% CI of the PM RR, Hartung-Knapp"),
        Column("rr_pm_hk_ci_upper", "DOUBLE", "upper 95% CI of the PM RR, Hartung-Knapp"),
        Column("rr_reml", "DOUBLE", "pooled RR, REML random effects (PyMetaAnalysis)"),
        Column("rr_reml_ci_lower", "DOUBLE", "lower 95% CI of the REML RR (normal)"),
        Column("rr_reml_ci_upper", "DOUBLE", "upper 95% CI of the REML RR (normal)"),
        Column("rr_reml_hk_ci_lower", "DOUBLE", "lower 95% CI of the REML RR, Hartung-Knapp (t, k-1 df)"),
        Column("rr_reml_hk_ci_upper", "DOUBLE", "upper 95% CI of the REML RR, Hartung-Knapp (t, k-1 df)"),
        Column("rr_pi_lower", "DOUBLE", "lower 95% prediction interval of the DL RR (t, k-2 df; k >= 3)"),
        Column("rr_pi_upper", "DOUBLE", "upper 95% prediction interval of the DL RR (t, k-2 df; k >= 3)"),
        Column("rr_tau2_dl", "DOUBLE", "between-trial variance of log RR, DerSimonian-Laird (truncated at 0)"),
        Column("rr_tau2_pm", "DOUBLE", "between-trial variance of log RR, Paule-Mandel"),
        Column("rr_tau2_reml", "DOUBLE", "between-trial variance of log RR, REML"),
        Column("rr_pm_pi_lower", "DOUBLE", "lower 95% prediction interval of the PM RR (t, k-2 df; k >= 3)"),
        Column("rr_pm_pi_upper", "DOUBLE", "upper 95% prediction interval of the PM RR (t, k-2 df; k >= 3)"),
        Column("rr_reml_pi_lower", "DOUBLE", "lower 95% prediction interval of the REML RR (t, k-2 df; k >= 3)"),
        Column("rr_reml_pi_upper", "DOUBLE", "upper 95% prediction interval of the REML RR (t, k-2 df; k >= 3)"),
        Column("rr_i2", "DOUBLE", "I2 of the log RR (percent, Higgins (Q-df)/Q, truncated at 0)"),
        Column("rr_dropped", "INTEGER", "trials left out of the RR pool for zero events in both arms"),
        Column("or_status", "VARCHAR", "OR pooling status (DL): pooled, single_study, no_events, no_data"),
        Column("or_k", "INTEGER", "trials with a control arm entering the OR pool (double-zero trials excluded)"),
        Column("or_dl", "DOUBLE", "pooled OR, DerSimonian-Laird random effects"),
        Column("or_dl_ci_lower", "DOUBLE", "lower 95% CI of the DL OR (normal)"),
        Column("or_dl_ci_upper", "DOUBLE", "upper 95% CI of the DL OR (normal)"),
        Column("or_dl_hk_ci_lower", "DOUBLE", "lower 95% CI of the DL OR, Hartung-Knapp (t, k-1 df)"),
        Column("or_dl_hk_ci_upper", "DOUBLE", "upper 95% CI of the DL OR, Hartung-Knapp (t, k-1 df)"),
        Column("or_pm", "DOUBLE", "pooled OR, Paule-Mandel random effects"),
        Column("or_pm_ci_lower", "DOUBLE", "lower 95% CI of the PM OR (normal)"),
        Column("or_pm_ci_upper", "DOUBLE", "upper 95% CI of the PM OR (normal)"),
        Column("or_pm_hk_ci_lower", "DOUBLE", "lower 95% CI of the PM OR, Hartung-Knapp"),
        Column("or_pm_hk_ci_upper", "DOUBLE", "upper 95% CI of the PM OR, Hartung-Knapp"),
        Column("or_reml", "DOUBLE", "pooled OR, REML random effects (PyMetaAnalysis)"),
        Column("or_reml_ci_lower", "DOUBLE", "lower 95% CI of the REML OR (normal)"),
        Column("or_reml_ci_upper", "DOUBLE", "upper 95% CI of the REML OR (normal)"),
        Column("or_reml_hk_ci_lower", "DOUBLE", "lower 95% CI of the REML OR, Hartung-Knapp (t, k-1 df)"),
        Column("or_reml_hk_ci_upper", "DOUBLE", "upper 95% CI of the REML OR, Hartung-Knapp (t, k-1 df)"),
        Column("or_pi_lower", "DOUBLE", "lower 95% prediction interval of the DL OR (t, k-2 df; k >= 3)"),
        Column("or_pi_upper", "DOUBLE", "upper 95% prediction interval of the DL OR (t, k-2 df; k >= 3)"),
        Column("or_tau2_dl", "DOUBLE", "between-trial variance of log OR, DerSimonian-Laird (truncated at 0)"),
        Column("or_tau2_pm", "DOUBLE", "between-trial variance of log OR, Paule-Mandel"),
        Column("or_tau2_reml", "DOUBLE", "between-trial variance of log OR, REML"),
        Column("or_pm_pi_lower", "DOUBLE", "lower 95% prediction interval of the PM OR (t, k-2 df; k >= 3)"),
        Column("or_pm_pi_upper", "DOUBLE", "upper 95% prediction interval of the PM OR (t, k-2 df; k >= 3)"),
        Column("or_reml_pi_lower", "DOUBLE", "lower 95% prediction interval of the REML OR (t, k-2 df; k >= 3)"),
        Column("or_reml_pi_upper", "DOUBLE", "upper 95% prediction interval of the REML OR (t, k-2 df; k >= 3)"),
        Column("or_i2", "DOUBLE", "I2 of the log OR (percent, Higgins (Q-df)/Q, truncated at 0)"),
        Column("or_dropped", "INTEGER", "trials left out of the OR pool for zero events in both arms"),
        Column("study_keys", "VARCHAR[]", "study keys (nct_id or PMID:...) of the contributing trials"),
        Column("outcome_ids", "VARCHAR[]", "core.outcome ids of the arm rows that entered the pools"),
        Column("passed_over_ids", "VARCHAR[]",
               "core.outcome ids of the active arm rows of readings the pools passed over "
               "(README: one reading per trial)"),
        Column("reading_choices", "VARCHAR[]",
               "per trial, the reading taken (source, measure type, analysis population and method, day, n) "
               "and those passed over"),
        Column("n_rows", "INTEGER", "arm rows that entered the pools"),
        Column("n_rows_checked", "INTEGER", "of those, rows a person accepted, corrected or added"),
    ),
)


MARTS_CLAIM_CHECK = Table(
    "marts.claim_check",
    "one verdict per article claim with the matching pooled and single-trial evidence",
    (
        Column("claim_id", "VARCHAR", "claim id (marts.claims)"),
        Column("metric", "VARCHAR", "metric of the claim"),
        Column("claim_text", "VARCHAR", "the claim, paraphrased"),
        Column("claim_lo", "DOUBLE", "claimed figure, or the low end of the claimed range"),
        Column("claim_hi", "DOUBLE", "claimed figure, or the high end of the claimed range"),
        Column("unit", "VARCHAR", "unit of the claimed figure"),
        Column("scope", "VARCHAR", "the claim's scope as searched (drug, route, population, window, comparator)"),
        Column("verdict", "VARCHAR",
               "consistent, overstated, understated, misattributed, contradicted, unsupported or not_checkable"),
        Column("rationale", "VARCHAR", "one or two generated sentences with the numbers behind the verdict"),
        Column("evidence_measure", "VARCHAR",
               "what the evidence figures measure: proportion (percent), relapse_reduction (percent), median_days, "
               "max_followup_<unit>, response_by_hour (onset: the risk ratio is in the rationale)"),
        Column("pooled_estimate", "DOUBLE",
               "pooled in-scope estimate in the claim's unit (percent for proportions and reductions)"),
        Column("pooled_ci_lower", "DOUBLE", "lower 95% CI of the pooled estimate, claim's unit"),
        Column("pooled_ci_upper", "DOUBLE", "upper 95% CI of the pooled estimate, claim's unit"),
        Column("pooled_k", "INTEGER", "trials behind the pooled estimate"),
        Column("pooled_n", "INTEGER", "participants behind the pooled estimate"),
        Column("pooled_status", "VARCHAR", "pooled, single_study, no_events or no_data"),
        Column("pooled_study_keys", "VARCHAR[]", "study keys behind the pooled estimate"),
        Column("trial_figure", "DOUBLE",
               "closest single-trial figure (or the matched one for misattributed), claim's unit"),
        Column("trial_study_key", "VARCHAR", "trial of that figure"),
        Column("trial_nct_id", "VARCHAR", "its NCT id"),
        Column("trial_pmid", "VARCHAR", "its PMID for abstract rows"),
        Column("trial_source", "VARCHAR", "registry or abstract"),
        Column("trial_outcome_id", "VARCHAR", "core.outcome id of the row"),
        Column("trial_locator", "VARCHAR", "registry json_path, or abstract[start:end] character offsets"),
        Column("trial_span_text", "VARCHAR", "supporting abstract text, when from an abstract"),
        Column("trial_drug", "VARCHAR", "drug of the trial row"),
        Column("trial_route", "VARCHAR", "route of the trial row"),
        Column("trial_population", "VARCHAR", "population of the trial row"),
        Column("trial_outcome_kind", "VARCHAR", "outcome kind of the trial row"),
        Column("trial_time_window", "VARCHAR", "time window of the trial row"),
        Column("trial_timepoint_days", "DOUBLE", "timepoint of the trial row, days"),
        Column("trial_comparator_type", "VARCHAR", "comparator type of the trial row"),
        Column("mismatch", "VARCHAR", "for misattributed: how the matching evidence differs from the claim's scope"),
        Column("pooled_rows", "INTEGER", "core.outcome_curated rows behind the pooled estimate (or the trial figure)"),
        Column("pooled_rows_checked", "INTEGER", "of those, rows a person accepted, corrected or added"),
        Column("trial_checked_by", "VARCHAR",
               "reviewers who checked the trial figure's row, comma-separated; NULL when machine-extracted"),
    ),
)


REVIEW_STATUSES = ("machine", "accepted", "corrected", "rejected", "added", "conflict")
DECISION_STATES = ("applied", "superseded", "settled", "conflict", "orphaned")

REVIEW_COLUMNS = (
    Column("review_status", "VARCHAR NOT NULL",
           "machine (no settled decision), accepted, corrected, rejected, added (by a person) or conflict (reviewers "
           "disagree, not yet adjudicated: counts as machine)"),
    Column("reviewed_by", "VARCHAR[] NOT NULL", "reviewers whose decision is applied to the row, [] when none"),
    Column("corrected_columns", "VARCHAR[] NOT NULL", "columns whose value a person corrected, [] when none"),
    Column("machine_values", "JSON", "corrected rows: the corrected columns as extracted, else NULL"),
    Column("checked", "BOOLEAN NOT NULL", "a person accepted, corrected or added the row"),
    Column("in_synthesis", "BOOLEAN NOT NULL",
           "the row may enter pools and verdicts: not rejected, and not held for review unless checked"),
)

CORE_OUTCOME_CURATED = Table(
    "core.outcome_curated",
    "core.outcome with the settled review decisions applied (meta.review_decision): corrected values, rejected rows "
    "marked, added figures; pools and verdicts read the rows with in_synthesis",
    (*CORE_OUTCOME.columns, *REVIEW_COLUMNS),
)

CORE_REVIEW_DECISION = Table(
    "core.review_decision",
    "every stored review decision and what became of it in this build: applied, superseded, settled, in conflict "
    "or orphaned",
    (
        Column("decision_id", "VARCHAR NOT NULL", "meta.review_decision id"),
        Column("decided_at", "TIMESTAMP", "when it was applied"),
        Column("reviewer", "VARCHAR", "who decided"),
        Column("decision", "VARCHAR", "accept, reject, correct or add"),
        Column("adjudicated", "BOOLEAN", "applied with --adjudicate"),
        Column("record_id", "VARCHAR", "NCT id or PMID of the decided figure"),
        Column("outcome_kind", "VARCHAR", "outcome kind of the decided figure"),
        Column("arm_label", "VARCHAR", "arm label of the decided figure"),
        Column("evidence", "VARCHAR", "json_path, or the span text"),
        Column("outcome_id", "VARCHAR",
               "core.outcome_curated row the decision finds in this build, NULL when orphaned"),
        Column("state", "VARCHAR NOT NULL",
               "applied (it decides the row), superseded (the same reviewer decided again later), settled (an "
               "adjudication overrules it), conflict (reviewers disagree, no adjudication yet) or orphaned (no "
               "current row matches its key: it is kept and never applied to another figure)"),
        Column("detail", "VARCHAR", "why it is orphaned or in conflict"),
    ),
)



def _declare(table: Table, key: tuple[str, ...], **accepted: tuple[str, ...]) -> Table:
    """The table with its key and accepted values (checked by warehouse.checks)."""
    unknown = set(accepted) - set(table.column_names)
    assert not unknown, f"{table.qualified} has no column {unknown}"
    columns = tuple(replace(c, accepted=accepted.get(c.name, c.accepted)) for c in table.columns)
    return replace(table, columns=columns, key=key)


WINDOWS = tuple(name for name, _ in TIME_WINDOWS)
STATUSES = ("pooled", "single_study", "no_data", "no_events")
VERDICTS = ("not_checkable", "contradicted", "consistent", "misattributed", "overstated", "understated",
            "unsupported")

CORE_OUTCOME = _declare(
    CORE_OUTCOME, ("outcome_id",), source=("registry", "abstract"), outcome_kind=OUTCOME_KINDS,
    arm_role=("active", "control"), confidence=("high", "medium", "low"), time_window=WINDOWS,
    threshold_unit=("pct_reduction", "score"), operator=(">=", "<=", "<", ">"), effect_type=("HR", "OR", "RR", "RD"),
)
CORE_SCREENING = _declare(
    CORE_SCREENING, ("record_type", "record_id"), record_type=("study", "publication"), source=("ctgov", "pubmed"),
    exclusion_reason=("no_ketamine_arm", "not_depression", "other_indication", "review_or_protocol",
                      "duplicate_report", "notice"),
)
CORE_DRUG = _declare(CORE_DRUG, ("drug",))
MARTS_CLAIMS = _declare(MARTS_CLAIMS, ("claim_id",), metric=tuple(sorted(METRICS)),
                        presented_as=tuple(sorted(PRESENTED_AS)))
MARTS_EVIDENCE_SUMMARY = _declare(
    MARTS_EVIDENCE_SUMMARY, GROUP_KEYS, outcome_kind=OUTCOME_KINDS, time_window=WINDOWS, status=STATUSES,
    rr_status=STATUSES, or_status=STATUSES,
)
MARTS_CLAIM_CHECK = _declare(MARTS_CLAIM_CHECK, ("claim_id",), metric=tuple(sorted(METRICS)), verdict=VERDICTS)
CORE_OUTCOME_CURATED = _declare(
    CORE_OUTCOME_CURATED, CORE_OUTCOME.key, review_status=REVIEW_STATUSES,
    **{c.name: c.accepted for c in CORE_OUTCOME.columns if c.accepted},
)
CORE_REVIEW_DECISION = _declare(CORE_REVIEW_DECISION, ("decision_id",), state=DECISION_STATES)


def _verified(table: Table, qualified: str) -> Table:
    return replace(table, qualified=qualified, summary=f"{table.summary}, from checked rows only (--verified-only)")


MARTS_EVIDENCE_SUMMARY_VERIFIED = _verified(MARTS_EVIDENCE_SUMMARY, "marts.evidence_summary_verified")
MARTS_CLAIM_CHECK_VERIFIED = _verified(MARTS_CLAIM_CHECK, "marts.claim_check_verified")
