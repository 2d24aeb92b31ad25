-- asset: raw.hub_children_counts
-- severity: error
-- quarantine: hub_children_counts
-- reads: staging.families
-- description: Partial crawl: a family's number of counted models (by more than 20% and 2+ models) or its children total (by more than 20%) dropped against the previous accepted window.
-- Same rule as hub_models_partial_crawl (the partial_crawl macro), on the derivative counts (crawled for
-- each family's top models).
SELECT * RENAME (previous_total AS previous_n_children, total AS n_children)
FROM partial_crawl('hub_children_counts', 'n_children', $window_start, $window_end)
ORDER BY window_start, family
