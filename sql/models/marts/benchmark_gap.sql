-- The contamination gap per model and LiveBench release: the model's legacy MMLU (staging.legacy_mmlu, with its
-- source and precedence) minus its LiveBench global average (latest snapshot of the release), in points.
-- A model is its canonical key (staging.model_identity); when LiveBench lists several effort/thinking
-- variants of it in a release, the variant with the HIGHEST global average stands for it (vendors claim
-- MMLU at their best setting, and it keeps the gap conservative); `livebench_model`, `livebench_variant` and
-- `n_variants` say which and out of how many. Only names matched with confidence >= 0.5.
-- A view: releases, not windows, are its grain; it always reflects every snapshot loaded so far.
WITH lb AS (
    SELECT
        a.release_date,
        i.model_key,
        a.model AS livebench_model,
        i.variant AS livebench_variant,
        i.match_method AS livebench_match_method,
        i.family,
        i.hf_repo_id,
        a.global_average,
        a.category_averages,
        a.fetched_window
    FROM staging.livebench_averages AS a
    JOIN staging.model_identity AS i
        ON i.source = 'livebench'
        AND i.source_name = a.model
    WHERE i.confidence >= 0.5
),
representative AS (
    SELECT *, count(*) OVER (PARTITION BY release_date, model_key) AS n_variants
    FROM lb
    QUALIFY row_number() OVER (
        PARTITION BY release_date, model_key
        ORDER BY global_average DESC NULLS LAST, livebench_model
    ) = 1
)
SELECT
    r.release_date,
    r.model_key,
    r.family,
    r.hf_repo_id,
    r.hf_repo_id IS NOT NULL AS open_weight,
    r.livebench_model,
    r.livebench_variant,
    r.n_variants,
    r.global_average AS livebench_global_average,
    r.category_averages AS livebench_category_averages,
    r.fetched_window AS livebench_fetched_window,
    l.legacy_benchmark,
    l.legacy_score,
    l.legacy_source,
    l.legacy_source_model,
    l.legacy_protocol,
    l.legacy_self_reported,
    l.legacy_reported_by,
    l.legacy_source_url,
    l.legacy_observed_at,
    l.legacy_precedence,
    l.legacy_precedence_rule,
    l.legacy_candidates,
    l.legacy_score - r.global_average AS gap_pp
FROM representative AS r
JOIN staging.legacy_mmlu AS l ON l.model_key = r.model_key
