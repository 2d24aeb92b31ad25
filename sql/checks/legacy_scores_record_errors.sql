-- asset: raw.legacy_scores
-- severity: warn
-- description: Records the window loaded without: models whose card scores (model_info expand=model-index,evalResults) answer could not be read (meta.record_errors), counted per window.
-- The window itself loaded (status observed); each reason is also in meta.snapshot_log.message.
SELECT * FROM record_errors_per_window('model_card_scores', $window_start, $window_end)
