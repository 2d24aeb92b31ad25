-- asset: raw.hub_models
-- severity: warn
-- description: Windows of the run that are quarantined (kept in the landing zone, excluded from marts), and why.
SELECT
    window_start,
    window_key,
    message
FROM meta.snapshot_log
WHERE source = 'hub_models' AND status = 'quarantined'
    AND window_start >= $window_start AND window_start < $window_end
ORDER BY window_start
