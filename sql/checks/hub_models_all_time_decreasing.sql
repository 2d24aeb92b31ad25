-- asset: raw.hub_models
-- severity: warn
-- description: A model's all-time download counter decreased against the previous accepted window (within 7 days).
-- Reads only the checked windows and their previous windows (previous_accepted_windows macro).
SELECT
    c.window_start,
    c.model_id,
    strftime(p.previous_window, '%Y-%m-%d-%H:%M') AS previous_window,
    b.downloads_all_time AS previous_all_time,
    c.downloads_all_time,
    c.downloads_all_time - b.downloads_all_time AS change
FROM previous_accepted_windows('hub_models', $window_start, $window_end, false) AS p
JOIN raw.hub_models AS c
    ON c.window_start = p.window_start
JOIN raw.hub_models AS b
    ON b.window_start = p.previous_window AND b.model_id = c.model_id
WHERE c.downloads_all_time < b.downloads_all_time
ORDER BY c.window_start, c.model_id
