-- LiveBench category averages exactly as livebench.ai computes them, from the LATEST snapshot of each release:
-- `average` = plain mean of the category's numeric task cells (empty/non-numeric cells skipped; NULL when no
-- cell is numeric), `n_tasks_numeric` = the cells that entered it. A task in no category is in no average.
-- Latest = the most recent window, among observed/imported ones, in which the release loaded (a window that
-- rejected the release holds no rows for it, so its previous snapshot stands). A view: after a scheduled
-- run it reflects every snapshot up to the window just built.
WITH loaded AS (
    SELECT s.*
    FROM raw.livebench_scores AS s
    JOIN meta.accepted_windows AS l
        ON l.source = 'livebench' AND l.window_start = s.fetched_window
),
latest AS (
    SELECT release_date, max(fetched_window) AS fetched_window
    FROM loaded
    GROUP BY release_date
)
SELECT
    s.release_date,
    s.model,
    s.category,
    avg(s.score) AS average,
    count(s.score) AS n_tasks_numeric,
    s.fetched_window,
    any_value(s.categories_file) AS categories_file
FROM loaded AS s
JOIN latest AS t
    ON t.release_date = s.release_date
    AND t.fetched_window = s.fetched_window
WHERE s.category IS NOT NULL
GROUP BY s.release_date, s.model, s.category, s.fetched_window
