-- asset: raw.hub_models
-- severity: error
-- quarantine: hub_models
-- reads: staging.families
-- description: Partial crawl: a family's model count (by more than 20% and 2+ models) or all-time downloads (by more than 20%) dropped against the previous accepted window.
-- The rule is the partial_crawl macro (sql/ddl/60_shared_rules.sql): families by in_family on the raw rows,
-- only windows we crawled ourselves, compared with the previous accepted one within 7 days. A genuine drop
-- (repos deleted) is accepted once with `hubsignal release`.
SELECT * RENAME (previous_total AS previous_all_time, total AS downloads_all_time)
FROM partial_crawl('hub_models', 'downloads_all_time', $window_start, $window_end)
ORDER BY window_start, family
