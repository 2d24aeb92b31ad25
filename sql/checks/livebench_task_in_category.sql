-- asset: raw.livebench_scores
-- severity: error
-- quarantine: livebench
-- description: Every LiveBench task belongs to a category of its release's categories file (else it silently drops out of the averages).
SELECT
    fetched_window AS window_start,
    release_date,
    task,
    any_value(categories_file) AS categories_file,
    count(*) AS n_cells
FROM raw.livebench_scores
WHERE fetched_window >= $window_start AND fetched_window < $window_end
    AND category IS NULL
GROUP BY fetched_window, release_date, task
ORDER BY fetched_window, release_date, task
