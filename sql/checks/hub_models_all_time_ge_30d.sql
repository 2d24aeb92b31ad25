-- asset: raw.hub_models
-- severity: error
-- quarantine: hub_models
-- description: A model's all-time downloads are at least its 30-day downloads (the gauge is part of the counter).
SELECT
    window_start,
    model_id,
    downloads_all_time,
    downloads_30d
FROM raw.hub_models
WHERE window_start >= $window_start AND window_start < $window_end
    AND downloads_all_time < downloads_30d
ORDER BY window_start, model_id
