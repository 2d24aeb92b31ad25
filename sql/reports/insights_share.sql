-- Insights page, the newest window's 30-day share per family.
SELECT strftime(window_start, '%Y-%m-%d-%H:%M') AS window_key, family, downloads_30d, share_30d, rank_30d
FROM marts.family_downloads
WHERE window_start = (SELECT max(window_start) FROM marts.family_downloads) AND downloads_30d IS NOT NULL
ORDER BY rank_30d, family
