-- Insights page, the newest window's derivative models per family and relation.
SELECT strftime(window_start, '%Y-%m-%d-%H:%M') AS window_key, family, relation, n_derivatives
FROM marts.family_derivatives
WHERE window_start = (SELECT max(window_start) FROM marts.family_derivatives)
ORDER BY family, relation
