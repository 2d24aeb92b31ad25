-- asset: raw.hub_models
-- severity: warn
-- description: Stalled counter: a model's all-time downloads unchanged over 8 accepted windows in a row (2 days) although its 30-day downloads stayed above zero.
WITH accepted AS (
    SELECT m.window_start, m.model_id, m.downloads_all_time, m.downloads_30d
    FROM raw.hub_models AS m
    JOIN meta.accepted_windows AS l
        ON l.source = 'hub_models' AND l.window_start = m.window_start
    WHERE m.window_start > $window_start - INTERVAL 48 HOURS AND m.window_start < $window_end
        AND m.downloads_all_time IS NOT NULL
),
checked AS (
    SELECT DISTINCT window_start FROM accepted WHERE window_start >= $window_start
)
SELECT
    c.window_start,
    a.model_id,
    strftime(min(a.window_start), '%Y-%m-%d-%H:%M') AS unchanged_since,
    max(a.downloads_all_time) AS downloads_all_time,
    min(a.downloads_30d) AS downloads_30d_at_least
FROM checked AS c
JOIN accepted AS a
    ON a.window_start > c.window_start - INTERVAL 48 HOURS AND a.window_start <= c.window_start
GROUP BY c.window_start, a.model_id
HAVING count(*) = 8 AND min(a.downloads_all_time) = max(a.downloads_all_time) AND min(a.downloads_30d) > 0
ORDER BY c.window_start, a.model_id
