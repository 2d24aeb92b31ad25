-- LiveBench: the newest release's top models by global average (its latest snapshot), with provenance.
SELECT
    release_date,
    model,
    global_average,
    strftime(fetched_window, '%Y-%m-%d-%H:%M') AS snapshot,
    categories_file
FROM staging.livebench_averages
WHERE release_date = (SELECT max(release_date) FROM staging.livebench_averages)
ORDER BY global_average DESC NULLS LAST, model
LIMIT 10
