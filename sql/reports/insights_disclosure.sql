-- Insights page, the newest card window's disclosure rate per family.
SELECT
    strftime(window_start, '%Y-%m-%d-%H:%M') AS window_key,
    family,
    models_with_card,
    models_disclosing,
    disclosure_rate
FROM marts.disclosure_rate
WHERE scope = 'family' AND window_start = (SELECT max(window_start) FROM marts.disclosure_rate)
ORDER BY family
