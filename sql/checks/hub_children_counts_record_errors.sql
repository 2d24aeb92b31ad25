-- asset: raw.hub_children_counts
-- severity: warn
-- description: Records the window loaded without: models whose children counts (model_info expand=childrenModelCount) answer could not be read (meta.record_errors), counted per window.
-- The window itself loaded (status observed); each reason is also in meta.snapshot_log.message.
SELECT
    window_start,
    count(*) AS n_records,
    string_agg(record || ': ' || reason, '; ' ORDER BY record) AS records
FROM meta.record_errors
WHERE source = 'hub_children_counts'
    AND window_start >= $window_start AND window_start < $window_end
GROUP BY window_start
ORDER BY window_start
