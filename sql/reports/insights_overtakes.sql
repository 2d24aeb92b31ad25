-- Insights page, overtake events on cumulative downloads, marked on the downloads chart.
SELECT window_start, family, overtaken_family, family_after AS downloads_all_time
FROM marts.family_overtakes
WHERE metric = 'downloads_all_time'
ORDER BY window_start, family
