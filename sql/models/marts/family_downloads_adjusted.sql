-- marts.family_downloads without download anomalies: per window and family, the 30-day and all-time downloads
-- minus the excess of the flagged jumps (staging.download_anomalies) they contain, re-shared and re-ranked.
-- A CI pipeline hammering one repo inflates a family's 30-day downloads for 30 days; here it cannot crown it.
WITH family_window AS (
    SELECT *
    FROM marts.family_downloads
    WHERE window_start >= $window_start AND window_start < $window_end
),
excess AS (
    SELECT
        d.window_start,
        d.family,
        sum(a.excess_downloads) FILTER (WHERE a.window_start > d.window_start - INTERVAL 30 DAYS) AS excluded_30d,
        sum(a.excess_downloads) AS excluded_all_time,
        count(*) FILTER (WHERE a.window_start > d.window_start - INTERVAL 30 DAYS) AS n_anomalies_30d
    FROM family_window AS d
    JOIN staging.download_anomalies AS a
        ON a.family = d.family AND a.window_start <= d.window_start AND a.is_anomaly
    GROUP BY d.window_start, d.family
),
adjusted AS (
    SELECT
        d.window_start,
        d.family,
        d.downloads_30d,
        d.downloads_30d - coalesce(e.excluded_30d, 0) AS downloads_30d_adjusted,
        coalesce(e.excluded_30d, 0)::BIGINT AS excluded_30d,
        coalesce(e.n_anomalies_30d, 0) AS n_anomalies_30d,
        d.downloads_all_time,
        d.downloads_all_time - coalesce(e.excluded_all_time, 0) AS downloads_all_time_adjusted,
        d.n_models,
        d.families_version
    FROM family_window AS d
    LEFT JOIN excess AS e
        ON e.window_start = d.window_start AND e.family = d.family
)
SELECT
    window_start,
    family,
    downloads_30d,
    downloads_30d_adjusted::BIGINT AS downloads_30d_adjusted,
    excluded_30d,
    n_anomalies_30d,
    downloads_all_time,
    downloads_all_time_adjusted::BIGINT AS downloads_all_time_adjusted,
    n_models,
    downloads_30d_adjusted / nullif(sum(downloads_30d_adjusted) OVER (PARTITION BY window_start), 0) AS share_30d_adjusted,
    rank() OVER (PARTITION BY window_start ORDER BY downloads_30d_adjusted DESC) AS rank_30d_adjusted,
    rank() OVER (PARTITION BY window_start ORDER BY downloads_all_time_adjusted DESC) AS rank_all_time_adjusted,
    families_version
FROM adjusted
