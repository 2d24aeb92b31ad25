-- asset: raw.model_cards
-- severity: warn
-- description: Records the window loaded without: models whose model cards (model_info expand=sha, then README.md) answer could not be read (meta.record_errors), counted per window.
-- The window itself loaded (status observed); each reason is also in meta.snapshot_log.message.
SELECT * FROM record_errors_per_window('model_cards', $window_start, $window_end)
