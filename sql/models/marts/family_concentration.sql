-- Per window: concentration of the tracked families' 30-day downloads. The leader (highest 30-day
-- downloads; ties broken by family name), its value and share, the sum of the next eight families
-- (positions 2-9; fewer when fewer families are tracked), leader / next eight, and the
-- Herfindahl-Hirschman index over families on percentage shares (0-10,000; 10,000 = one family has all).
WITH ranked AS (
    SELECT
        window_start,
        family,
        downloads_30d,
        share_30d,
        row_number() OVER (PARTITION BY window_start ORDER BY downloads_30d DESC NULLS LAST, family) AS position,
        families_version
    FROM marts.family_downloads
    WHERE window_start >= $window_start AND window_start < $window_end
),
per_window AS (
    SELECT
        window_start,
        any_value(family) FILTER (WHERE position = 1) AS leader_family,
        any_value(downloads_30d) FILTER (WHERE position = 1) AS leader_downloads_30d,
        any_value(share_30d) FILTER (WHERE position = 1) AS leader_share_30d,
        coalesce(sum(downloads_30d) FILTER (WHERE position BETWEEN 2 AND 9), 0)::BIGINT AS next_eight_downloads_30d,
        count(*) FILTER (WHERE position BETWEEN 2 AND 9) AS n_next_families,
        sum(downloads_30d)::BIGINT AS tracked_downloads_30d,
        count(*) AS n_families,
        sum(power(100 * share_30d, 2)) AS hhi_30d,
        any_value(families_version) AS families_version
    FROM ranked
    GROUP BY window_start
)
SELECT
    window_start,
    leader_family,
    leader_downloads_30d,
    leader_share_30d,
    next_eight_downloads_30d,
    n_next_families,
    leader_downloads_30d / nullif(next_eight_downloads_30d, 0) AS leader_to_next_eight,
    leader_downloads_30d > next_eight_downloads_30d AS leader_exceeds_next_eight,
    tracked_downloads_30d,
    n_families,
    hhi_30d,
    families_version
FROM per_window
