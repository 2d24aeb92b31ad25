-- One row per window: the cards a reader wants first. The leading family on cumulative downloads (ties
-- broken by family name; NULL when no family has all-time counters) with its cumulative downloads and its
-- derivatives (sum over relations of marts.family_derivatives; NULL when the window has no children
-- counts), the top family on 30-day downloads with its share of the tracked families' 30-day total, the
-- concentration figures, and the number of overtake events in the window.
--
-- The contamination cards: the overall disclosure rate of the window's model cards (marts.disclosure_rate,
-- scope 'overall'; NULL when the window has no card snapshot) and the mean legacy-minus-LiveBench gap of the
-- newest LiveBench release published on or before the window (marts.benchmark_gap), with that release's date.
--
-- The derivative-inclusive cards (whole-Hub graph; NULL when the window has no accepted hub_graph snapshot):
-- the top family on own + derivative 30-day downloads (marts.family_concentration), its share of the families'
-- inclusive sum, its derivatives' 30-day downloads and their share of its inclusive total
-- (marts.family_derivative_tree), and the derivative 30-day downloads of all tracked families (a model in two
-- families' trees counts in each).
WITH downloads AS (
    SELECT *
    FROM marts.family_downloads
    WHERE window_start >= $window_start AND window_start < $window_end
),
leaders AS (
    SELECT
        window_start,
        family,
        downloads_all_time,
        row_number() OVER (PARTITION BY window_start ORDER BY downloads_all_time DESC, family) AS position
    FROM downloads
    WHERE downloads_all_time IS NOT NULL
),
derivatives AS (
    SELECT window_start, family, sum(n_derivatives)::BIGINT AS n_derivatives
    FROM marts.family_derivatives
    WHERE window_start >= $window_start AND window_start < $window_end
    GROUP BY window_start, family
),
overtakes AS (
    SELECT window_start, count(*) AS n_overtakes
    FROM marts.family_overtakes
    WHERE window_start >= $window_start AND window_start < $window_end
    GROUP BY window_start
),
derivative_totals AS (
    SELECT window_start, sum(n_derivatives)::BIGINT AS tracked_derivatives
    FROM derivatives
    GROUP BY window_start
),
graph_totals AS (
    SELECT window_start, sum(derivative_downloads_30d)::BIGINT AS tracked_derivative_downloads_30d
    FROM marts.family_derivative_tree
    WHERE window_start >= $window_start AND window_start < $window_end
    GROUP BY window_start
),
gap_by_release AS (
    SELECT release_date, avg(gap_pp) AS mean_gap_pp
    FROM marts.benchmark_gap
    GROUP BY release_date
),
windows AS (
    SELECT
        window_start,
        sum(downloads_all_time)::BIGINT AS tracked_downloads_all_time,
        any_value(families_version) AS families_version
    FROM downloads
    GROUP BY window_start
)
SELECT
    w.window_start,
    l.family AS leader_family,
    l.downloads_all_time AS leader_downloads_all_time,
    d.n_derivatives AS leader_derivatives,
    w.tracked_downloads_all_time,
    t.tracked_derivatives,
    c.leader_family AS top_family_30d,
    c.leader_share_30d AS top_family_share_30d,
    c.leader_to_next_eight AS top_family_to_next_eight,
    c.hhi_30d,
    c.leader_family_incl_derivatives AS top_family_incl_derivatives,
    c.leader_share_30d_incl_derivatives AS top_family_incl_derivatives_share_30d,
    dt.derivative_downloads_30d AS top_family_derivative_downloads_30d,
    dt.derivative_share_30d AS top_family_derivative_share_30d,
    gt.tracked_derivative_downloads_30d,
    coalesce(o.n_overtakes, 0) AS n_overtakes,
    dr.disclosure_rate AS contamination_disclosure_rate,
    g.mean_gap_pp,
    g.release_date AS mean_gap_release_date,
    w.families_version
FROM windows AS w
LEFT JOIN leaders AS l ON l.window_start = w.window_start AND l.position = 1
LEFT JOIN derivatives AS d ON d.window_start = w.window_start AND d.family = l.family
LEFT JOIN derivative_totals AS t ON t.window_start = w.window_start
LEFT JOIN marts.family_concentration AS c
    ON c.window_start = w.window_start AND c.window_start >= $window_start AND c.window_start < $window_end
LEFT JOIN marts.family_derivative_tree AS dt
    ON dt.window_start = w.window_start AND dt.family = c.leader_family_incl_derivatives
    AND dt.window_start >= $window_start AND dt.window_start < $window_end
LEFT JOIN graph_totals AS gt ON gt.window_start = w.window_start
LEFT JOIN overtakes AS o ON o.window_start = w.window_start
LEFT JOIN marts.disclosure_rate AS dr ON dr.window_start = w.window_start AND dr.scope = 'overall'
ASOF LEFT JOIN gap_by_release AS g ON w.window_start >= g.release_date
