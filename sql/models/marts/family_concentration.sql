-- Per window: concentration of the tracked families' 30-day downloads. The leader (highest 30-day
-- downloads; ties broken by family name), its value and share, the sum of the next eight families
-- (positions 2-9; fewer when fewer families are tracked), leader / next eight, and the
-- Herfindahl-Hirschman index over families on percentage shares (0-10,000; 10,000 = one family has all).
--
-- Derivative-inclusive view (*_incl_derivatives), from marts.family_derivative_tree: each family's official
-- models' plus its transitive derivatives' 30-day downloads in the whole-Hub graph (own_downloads_30d +
-- derivative_downloads_30d): the leader (ties by name), its value, its share of the families' inclusive sum,
-- and the HHI over those shares. A model in the trees of two families (or official in one, derivative of
-- another) counts in each, so the denominator is the sum of the families' inclusive totals, not the distinct
-- downloads. NULL when the window has no accepted hub_graph snapshot.
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
),
inclusive AS (
    SELECT
        window_start,
        family,
        own_downloads_30d + derivative_downloads_30d AS downloads_30d,
        (own_downloads_30d + derivative_downloads_30d)
            / nullif(sum(own_downloads_30d + derivative_downloads_30d) OVER (PARTITION BY window_start), 0) AS share_30d,
        row_number() OVER (
            PARTITION BY window_start ORDER BY own_downloads_30d + derivative_downloads_30d DESC, family
        ) AS position
    FROM marts.family_derivative_tree
    WHERE window_start >= $window_start AND window_start < $window_end
),
inclusive_per_window AS (
    SELECT
        window_start,
        any_value(family) FILTER (WHERE position = 1) AS leader_family,
        any_value(downloads_30d) FILTER (WHERE position = 1) AS leader_downloads_30d,
        any_value(share_30d) FILTER (WHERE position = 1) AS leader_share_30d,
        sum(power(100 * share_30d, 2)) AS hhi_30d
    FROM inclusive
    GROUP BY window_start
)
SELECT
    p.window_start,
    p.leader_family,
    p.leader_downloads_30d,
    p.leader_share_30d,
    p.next_eight_downloads_30d,
    p.n_next_families,
    p.leader_downloads_30d / nullif(p.next_eight_downloads_30d, 0) AS leader_to_next_eight,
    p.leader_downloads_30d > p.next_eight_downloads_30d AS leader_exceeds_next_eight,
    p.tracked_downloads_30d,
    p.n_families,
    p.hhi_30d,
    i.leader_family AS leader_family_incl_derivatives,
    i.leader_downloads_30d::BIGINT AS leader_downloads_30d_incl_derivatives,
    i.leader_share_30d AS leader_share_30d_incl_derivatives,
    i.hhi_30d AS hhi_30d_incl_derivatives,
    p.families_version
FROM per_window AS p
LEFT JOIN inclusive_per_window AS i ON i.window_start = p.window_start
