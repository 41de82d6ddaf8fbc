-- meta.build_state: one row per successful build, with the rules it ran, so an incremental build never mixes rule versions.
-- @column built_at: when the build committed (UTC)
-- @column rules_version: SHA-256 of the normalization code, SQL models and mapping tables (warehouse.build.rules_version); a build whose rules differ from the last row's rebuilds everything
-- @column mode: full (every table rebuilt, every current raw version parsed) or incremental (staging kept; only new raw versions parsed)
-- @column parsed_studies: ClinicalTrials.gov study versions this build parsed
-- @column parsed_articles: PubMed article versions this build parsed from their XML (the others' fields came from their landing, meta.pubmed_parsed)
create table if not exists meta.build_state (
    built_at timestamp not null,
    rules_version varchar not null,
    mode varchar not null,
    parsed_studies integer,
    parsed_articles integer
);
