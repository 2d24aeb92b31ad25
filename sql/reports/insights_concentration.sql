-- Insights page, the newest window's leader on 30-day downloads against the next eight families combined.
SELECT
    strftime(window_start, '%Y-%m-%d-%H:%M') AS window_key,
    leader_family,
    leader_downloads_30d,
    next_eight_downloads_30d,
    n_next_families,
    leader_to_next_eight
FROM marts.family_concentration
WHERE window_start = (SELECT max(window_start) FROM marts.family_concentration)
