-- Insights page, cumulative downloads per family over time (families with counters).
SELECT window_start, family, downloads_all_time
FROM marts.family_downloads
WHERE downloads_all_time IS NOT NULL
ORDER BY window_start, family
