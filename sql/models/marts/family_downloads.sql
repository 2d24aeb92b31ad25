-- Per window and family: cumulative (sum of all-time counters) and 30-day downloads of the family's
-- official models, their count, the family's share of the tracked 30-day total and its rank.
WITH per_family AS (
    SELECT
        window_start,
        family,
        any_value(families_version) AS families_version,
        sum(downloads_all_time)::BIGINT AS downloads_all_time,
        sum(downloads_30d)::BIGINT AS downloads_30d,
        count(*) AS n_models
    FROM staging.hub_models
    WHERE window_start >= $window_start AND window_start < $window_end
    GROUP BY window_start, family
)
SELECT
    window_start,
    family,
    downloads_all_time,
    downloads_30d,
    n_models,
    downloads_30d / nullif(sum(downloads_30d) OVER (PARTITION BY window_start), 0) AS share_30d,
    rank() OVER (PARTITION BY window_start ORDER BY downloads_30d DESC) AS rank_30d,
    rank() OVER (PARTITION BY window_start ORDER BY downloads_all_time DESC) AS rank_all_time,
    families_version
FROM per_family
