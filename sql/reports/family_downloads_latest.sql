-- Family downloads in the latest window that has them.
SELECT
    strftime(window_start, '%Y-%m-%d-%H:%M') AS "window",
    rank_30d AS "rank",
    family,
    downloads_all_time AS cumulative_downloads,
    downloads_30d,
    round(100 * share_30d, 1) AS share_30d_pct,
    n_models
FROM marts.family_downloads
WHERE window_start = (SELECT max(window_start) FROM marts.family_downloads)
ORDER BY rank_30d, family
