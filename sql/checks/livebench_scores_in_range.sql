-- asset: raw.livebench_scores
-- severity: error
-- quarantine: livebench
-- description: LiveBench scores are within 0-100 (NULL = empty or non-numeric cell, allowed).
SELECT
    fetched_window AS window_start,
    release_date,
    model,
    task,
    score,
    raw_value
FROM raw.livebench_scores
WHERE fetched_window >= $window_start AND fetched_window < $window_end
    AND (score < 0 OR score > 100)
ORDER BY fetched_window, release_date, model, task
