-- One row per overtake: in window W, `family` is ahead of `overtaken_family` on `metric` while it was not
-- ahead in the previous observed window (prev_window_start; hours_since_prev is the real interval, so the
-- crossing happened somewhere inside it). Metrics: 'downloads_all_time' (cumulative), 'downloads_30d'
-- (the 30-day gauge) from marts.family_downloads, and 'derivatives' (sum over relations of
-- marts.family_derivatives); from the whole-Hub graph (marts.family_derivative_tree, the previous window being
-- the previous accepted hub_graph window): 'derivative_downloads_30d' (30-day downloads of the family's
-- transitive derivatives) and 'transitive_derivatives' (their number). "Ahead" is strictly greater: a tie is
-- not ahead, so a family that falls back to a tie and pulls ahead again records a new event.
--
-- Each event is a function of W's rows alone (which carry the previous window's values), so re-computing
-- any window or range gives the same events; a crossing that later reverses is a second event
-- (overtaken_family passing family) in the window where it reverses. Families without a value in both
-- windows (no previous observation, no all-time counters) take part in no event.
WITH metric_values AS (
    SELECT window_start, prev_window_start, family, 'downloads_all_time' AS metric,
        downloads_all_time_prev AS value_before, downloads_all_time AS value_after, families_version
    FROM marts.family_downloads
    WHERE window_start >= $window_start AND window_start < $window_end
    UNION ALL
    SELECT window_start, prev_window_start, family, 'downloads_30d' AS metric,
        downloads_30d_prev AS value_before, downloads_30d AS value_after, families_version
    FROM marts.family_downloads
    WHERE window_start >= $window_start AND window_start < $window_end
    UNION ALL
    SELECT window_start, prev_window_start, family, 'derivatives' AS metric,
        sum(n_derivatives_prev)::BIGINT AS value_before, sum(n_derivatives)::BIGINT AS value_after,
        any_value(families_version) AS families_version
    FROM marts.family_derivatives
    WHERE window_start >= $window_start AND window_start < $window_end
    GROUP BY window_start, prev_window_start, family
    UNION ALL
    SELECT window_start, prev_window_start, family, 'derivative_downloads_30d' AS metric,
        derivative_downloads_30d_prev AS value_before, derivative_downloads_30d AS value_after, families_version
    FROM marts.family_derivative_tree
    WHERE window_start >= $window_start AND window_start < $window_end
    UNION ALL
    SELECT window_start, prev_window_start, family, 'transitive_derivatives' AS metric,
        n_transitive_derivatives_prev AS value_before, n_transitive_derivatives AS value_after, families_version
    FROM marts.family_derivative_tree
    WHERE window_start >= $window_start AND window_start < $window_end
)
SELECT
    a.window_start,
    a.metric,
    a.family,
    b.family AS overtaken_family,
    a.prev_window_start,
    date_diff('hour', a.prev_window_start, a.window_start) AS hours_since_prev,
    a.value_before AS family_before,
    b.value_before AS overtaken_before,
    a.value_after AS family_after,
    b.value_after AS overtaken_after,
    a.families_version
FROM metric_values AS a
JOIN metric_values AS b
    ON b.window_start = a.window_start
    AND b.metric = a.metric
    AND b.prev_window_start = a.prev_window_start
    AND b.family <> a.family
WHERE a.value_before <= b.value_before
    AND a.value_after > b.value_after
