-- Insights page, pipeline status: per source, its newest window with that window's status and origin, and
-- how many windows it has of each status (observed / imported / missing / quarantined).
SELECT
    source,
    window_key AS latest_window,
    status AS latest_status,
    origin AS latest_origin,
    message AS latest_message,
    n_observed,
    n_imported,
    n_missing,
    n_quarantined,
    synthetic
FROM (
    SELECT
        *,
        count(*) FILTER (WHERE status = 'observed') OVER (PARTITION BY source) AS n_observed,
        count(*) FILTER (WHERE status = 'imported') OVER (PARTITION BY source) AS n_imported,
        count(*) FILTER (WHERE status = 'missing') OVER (PARTITION BY source) AS n_missing,
        count(*) FILTER (WHERE status = 'quarantined') OVER (PARTITION BY source) AS n_quarantined,
        bool_or(origin = 'synthetic_sample') OVER (PARTITION BY source) AS synthetic,
        row_number() OVER (PARTITION BY source ORDER BY window_start DESC) AS newest
    FROM meta.snapshot_log
)
WHERE newest = 1
ORDER BY source
