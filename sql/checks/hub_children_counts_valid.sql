-- asset: raw.hub_children_counts
-- severity: error
-- quarantine: hub_children_counts
-- description: Unique (window, model_id, relation) and no negative children counts.
SELECT window_start, model_id, relation, 'duplicate' AS problem, count(*) AS n_rows, min(n_children) AS n_children
FROM raw.hub_children_counts
WHERE window_start >= $window_start AND window_start < $window_end
GROUP BY window_start, model_id, relation
HAVING count(*) > 1
UNION ALL
SELECT window_start, model_id, relation, 'negative' AS problem, 1 AS n_rows, n_children
FROM raw.hub_children_counts
WHERE window_start >= $window_start AND window_start < $window_end
    AND n_children < 0
ORDER BY window_start, model_id, relation
