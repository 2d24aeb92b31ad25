-- asset: raw.legacy_scores
-- severity: warn
-- description: Records the window loaded without: models whose card scores (model_info expand=model-index,evalResults) answer could not be read (meta.record_errors), counted per window.
-- The window itself loaded (status observed); each reason is also in meta.snapshot_log.message.
SELECT
    window_start,
    count(*) AS n_records,
    string_agg(record || ': ' || reason, '; ' ORDER BY record) AS records
FROM meta.record_errors
WHERE source = 'model_card_scores'
    AND window_start >= $window_start AND window_start < $window_end
GROUP BY window_start
ORDER BY window_start
