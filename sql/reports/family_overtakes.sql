-- Overtakes (marts.family_overtakes), the 25 most recent, oldest first: who passed whom on which metric,
-- and both values in the previous observed window and in the window of the crossing.
SELECT
    strftime(window_start, '%Y-%m-%d-%H:%M') AS "window",
    metric,
    family,
    overtaken_family AS passed,
    family_before,
    overtaken_before AS passed_before,
    family_after,
    overtaken_after AS passed_after,
    hours_since_prev AS over_hours
FROM (
    SELECT * FROM marts.family_overtakes ORDER BY window_start DESC, metric, family, overtaken_family LIMIT 25
)
ORDER BY window_start, metric, family, overtaken_family
