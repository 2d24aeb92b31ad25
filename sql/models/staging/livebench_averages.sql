-- LiveBench global average per release and model, as livebench.ai computes it: the plain mean of the
-- category averages (every category weighs the same, whatever its number of tasks); NULL when any category
-- has no value. `category_averages`: category -> average (NULL values kept), since categories differ by release.
SELECT
    release_date,
    model,
    CASE WHEN count(average) = count(*) THEN avg(average) END AS global_average,
    map(list(category ORDER BY category), list(average ORDER BY category)) AS category_averages,
    fetched_window,
    any_value(categories_file) AS categories_file
FROM staging.livebench_category_averages
GROUP BY release_date, model, fetched_window
