-- asset: raw.hub_models
-- severity: error
-- quarantine: hub_models
-- description: Unique (window, model_id): a model appears at most once in a window's snapshot.
SELECT
    window_start,
    model_id,
    count(*) AS n_rows
FROM raw.hub_models
WHERE window_start >= $window_start AND window_start < $window_end
GROUP BY window_start, model_id
HAVING count(*) > 1
ORDER BY window_start, model_id
