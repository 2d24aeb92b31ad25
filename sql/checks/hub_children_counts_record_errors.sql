-- asset: raw.hub_children_counts
-- severity: warn
-- description: Records the window loaded without: models whose children counts (model_info expand=childrenModelCount) answer could not be read (meta.record_errors), counted per window.
-- The window itself loaded (status observed); each reason is also in meta.snapshot_log.message.
SELECT * FROM record_errors_per_window('hub_children_counts', $window_start, $window_end)
