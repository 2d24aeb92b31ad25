-- LiveBench corrections and first appearances across snapshots: one row per (release, model, task) for the
-- snapshot where the cell first appeared (`change` = 'first_seen') and for every later snapshot where its
-- score changed (`corrected`; empty/non-numeric counts as NULL), with the previous value and window, and the
-- model's first and last snapshot in that release (a model dropped from a table has an earlier last_seen).
WITH loaded AS (
    SELECT s.*
    FROM raw.livebench_scores AS s
    JOIN meta.accepted_windows AS l
        ON l.source = 'livebench' AND l.window_start = s.fetched_window
),
seq AS (
    SELECT
        release_date,
        model,
        task,
        fetched_window,
        score,
        lag(score) OVER w AS previous_score,
        lag(fetched_window) OVER w AS previous_window,
        row_number() OVER w AS n
    FROM loaded
    WINDOW w AS (PARTITION BY release_date, model, task ORDER BY fetched_window)
),
seen AS (
    SELECT release_date, model, min(fetched_window) AS first_seen_window, max(fetched_window) AS last_seen_window
    FROM loaded
    GROUP BY release_date, model
)
SELECT
    s.release_date,
    s.model,
    s.task,
    s.fetched_window,
    CASE WHEN s.n = 1 THEN 'first_seen' ELSE 'corrected' END AS change,
    s.score,
    s.previous_score,
    s.previous_window,
    seen.first_seen_window,
    seen.last_seen_window
FROM seq AS s
JOIN seen
    ON seen.release_date = s.release_date
    AND seen.model = s.model
WHERE s.n = 1 OR s.score IS DISTINCT FROM s.previous_score
