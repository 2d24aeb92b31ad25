-- Insights page, contamination gap per family for the newest LiveBench release that has one.
SELECT strftime(release_date, '%Y-%m-%d') AS release, family, n_models, mean_gap_pp
FROM marts.family_gap
WHERE release_date = (SELECT max(release_date) FROM marts.family_gap)
ORDER BY mean_gap_pp DESC, family
