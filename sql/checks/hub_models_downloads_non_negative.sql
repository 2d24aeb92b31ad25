-- asset: raw.hub_models
-- severity: error
-- quarantine: hub_models
-- description: Downloads (30-day and all-time) and likes are never negative.
SELECT
    window_start,
    model_id,
    downloads_30d,
    downloads_all_time,
    likes
FROM raw.hub_models
WHERE window_start >= $window_start AND window_start < $window_end
    AND (downloads_30d < 0 OR downloads_all_time < 0 OR likes < 0)
ORDER BY window_start, model_id
