-- The contamination gap per family for the newest LiveBench release that has one: legacy MMLU (by precedence)
-- minus the LiveBench global average, in points; models counted are those with both numbers.
SELECT
    strftime(release_date, '%Y-%m-%d') AS release,
    family,
    n_models,
    n_open_weight,
    mean_gap_pp,
    median_gap_pp,
    min_gap_pp,
    max_gap_pp
FROM marts.family_gap
WHERE release_date = (SELECT max(release_date) FROM marts.family_gap)
ORDER BY mean_gap_pp DESC, family
