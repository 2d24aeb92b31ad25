-- Per source: windows by status, and the latest window of each status.
SELECT
    source,
    status,
    coalesce(origin, '-') AS origin,
    count(*) AS windows,
    strftime(min(window_start), '%Y-%m-%d-%H:%M') AS first_window,
    strftime(max(window_start), '%Y-%m-%d-%H:%M') AS last_window,
    sum(n_records) AS records
FROM meta.snapshot_log
GROUP BY ALL
ORDER BY source, status, origin
