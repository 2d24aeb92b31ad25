-- Insights page, contamination gap per model for the newest LiveBench release that has gaps: legacy MMLU
-- (with who reported it) beside the LiveBench global average.
SELECT
    strftime(release_date, '%Y-%m-%d') AS release,
    coalesce(hf_repo_id, model_key) AS model,
    family,
    legacy_score,
    livebench_global_average AS livebench_score,
    gap_pp,
    legacy_self_reported AS self_reported,
    legacy_source,
    legacy_source_url
FROM marts.benchmark_gap
WHERE gap_pp IS NOT NULL
    AND release_date = (SELECT max(release_date) FROM marts.benchmark_gap WHERE gap_pp IS NOT NULL)
ORDER BY gap_pp DESC, model
