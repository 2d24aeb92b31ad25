-- Every window of every source with its status (observed / imported / missing / quarantined) and why.
SELECT
    source,
    window_key AS "window",
    status,
    coalesce(origin, '-') AS origin,
    n_records AS records,
    left(coalesce(message, ''), 120) AS message
FROM meta.snapshot_log
ORDER BY source, window_start
