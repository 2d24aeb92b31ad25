-- asset: raw.hub_children_counts
-- severity: warn
-- description: Schema drift: fields appeared in or disappeared from the model_info bodies against the previous accepted window.
-- The rule is the schema_drift macro (sql/ddl/60_shared_rules.sql), as for hub_models.
SELECT * FROM schema_drift('hub_children_counts', $window_start, $window_end)
ORDER BY window_start
