-- asset: raw.hub_models
-- severity: warn
-- description: A model's all-time download counter decreased against the previous accepted window (within 7 days).
-- Reads only the checked windows and their previous windows.
WITH checked AS (
    SELECT DISTINCT window_start
    FROM raw.hub_models
    WHERE window_start >= $window_start AND window_start < $window_end
),
accepted AS (
    SELECT window_start
    FROM meta.snapshot_log
    WHERE source = 'hub_models' AND status IN ('observed', 'imported')
        AND window_start >= $window_start - INTERVAL 7 DAYS AND window_start < $window_end
),
pairs AS (
    SELECT c.window_start, a.window_start AS previous_window
    FROM checked AS c
    ASOF JOIN accepted AS a
        ON c.window_start > a.window_start
)
SELECT
    c.window_start,
    c.model_id,
    strftime(p.previous_window, '%Y-%m-%d-%H:%M') AS previous_window,
    b.downloads_all_time AS previous_all_time,
    c.downloads_all_time,
    c.downloads_all_time - b.downloads_all_time AS change
FROM pairs AS p
JOIN raw.hub_models AS c
    ON c.window_start = p.window_start
JOIN raw.hub_models AS b
    ON b.window_start = p.previous_window AND b.model_id = c.model_id
WHERE c.downloads_all_time < b.downloads_all_time
ORDER BY c.window_start, c.model_id
