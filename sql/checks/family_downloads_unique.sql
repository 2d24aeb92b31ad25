-- asset: marts.family_downloads
-- severity: error
-- description: Unique (window, family) in the adoption mart, with a model count of at least 1.
SELECT window_start, family, count(*) AS n_rows, min(n_models) AS n_models
FROM marts.family_downloads
WHERE window_start >= $window_start AND window_start < $window_end
GROUP BY window_start, family
HAVING count(*) > 1 OR min(n_models) < 1
ORDER BY window_start, family
