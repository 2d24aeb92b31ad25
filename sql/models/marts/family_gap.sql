-- The gap per family and LiveBench release: models counted (those with both numbers), mean and median gap in
-- points (median of an even count = mean of the two middle values). Models without a tracked family are
-- grouped as '(untracked)'. A view over marts.benchmark_gap.
SELECT
    release_date,
    coalesce(family, '(untracked)') AS family,
    count(*) AS n_models,
    count(*) FILTER (WHERE open_weight) AS n_open_weight,
    avg(gap_pp) AS mean_gap_pp,
    median(gap_pp) AS median_gap_pp,
    min(gap_pp) AS min_gap_pp,
    max(gap_pp) AS max_gap_pp
FROM marts.benchmark_gap
WHERE gap_pp IS NOT NULL
GROUP BY ALL
