-- Insights page, data quality over time: per day and status, how many (source, window) snapshots there are.
SELECT
    date_trunc('day', window_start)::DATE AS day,
    status,
    count(*) AS snapshots
FROM meta.snapshot_log
GROUP BY ALL
ORDER BY day, status
