-- asset: raw.hub_models
-- severity: warn
-- description: Schema drift: fields appeared in or disappeared from the raw Hub listing records against the previous accepted window.
-- meta.raw_fields holds the top-level keys of every loaded window's records (written by the load);
-- the rule is the schema_drift macro (sql/ddl/60_shared_rules.sql).
SELECT * FROM schema_drift('hub_models', $window_start, $window_end)
ORDER BY window_start
