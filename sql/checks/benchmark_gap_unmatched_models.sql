-- asset: marts.benchmark_gap
-- severity: warn
-- description: Models missing from the gap mart for want of an identity match: a legacy MMLU claim whose name looks like a LiveBench model (similarity >= 0.9) but matches none; add the suggested override.
-- staging.unmatched_models lists them (self-reported claims or tracked families only); the gap mart is a view
-- over every release, so this check looks at all of it, whatever the run's windows.
SELECT
    source,
    source_name,
    model_key,
    best_candidate_key,
    round(best_similarity, 3) AS best_similarity,
    suggested_override
FROM staging.unmatched_models
WHERE kind = 'legacy_without_livebench'
ORDER BY source, source_name
