-- Download anomalies: per model and window, the all-time downloads gained since the model's previous
-- observed window (per 6-hour window when windows are missing in between), and whether that gain is an
-- outlier for the model. Robust baseline: the median and the median absolute deviation (MAD) of the model's
-- previous 28 gains, read from at most 8 days back (bounded: the cost does not grow with history).
-- A gain is flagged when the model has at least 8 previous gains and the gain exceeds all of
-- median + 8 x 1.4826 x MAD, 3 x median and median + 1,000 downloads (a CI loop hammering one repo,
-- not a busy day). excess_downloads = what a flagged gain adds above the baseline (0 if not flagged);
-- marts.family_downloads_adjusted leaves it out.
WITH history AS (
    SELECT window_start, model_id, family, downloads_all_time
    FROM staging.hub_models
    WHERE window_start >= $window_start - INTERVAL 8 DAYS AND window_start < $window_end
        AND downloads_all_time IS NOT NULL
),
gains AS (
    SELECT
        window_start,
        model_id,
        family,
        downloads_all_time - lag(downloads_all_time) OVER w AS downloads_gained,
        epoch(window_start - lag(window_start) OVER w) / 21600 AS n_windows
    FROM history
    WINDOW w AS (PARTITION BY model_id ORDER BY window_start)
),
baseline AS (
    SELECT
        *,
        downloads_gained / n_windows AS gain_per_window,
        median(downloads_gained / n_windows) OVER w AS baseline_median,
        mad(downloads_gained / n_windows) OVER w AS baseline_mad,
        count(*) OVER w AS n_history
    FROM gains
    WHERE downloads_gained IS NOT NULL
    WINDOW w AS (PARTITION BY model_id ORDER BY window_start ROWS BETWEEN 28 PRECEDING AND 1 PRECEDING)
),
flagged AS (
    SELECT
        *,
        coalesce(
            n_history >= 8
            AND gain_per_window > baseline_median + 8 * 1.4826 * baseline_mad
            AND gain_per_window > 3 * baseline_median
            AND gain_per_window > baseline_median + 1000,
            false) AS is_anomaly
    FROM baseline
)
SELECT
    window_start,
    model_id,
    family,
    downloads_gained,
    n_windows::INTEGER AS n_windows,
    gain_per_window,
    baseline_median,
    baseline_mad,
    n_history,
    (gain_per_window - baseline_median) / nullif(1.4826 * baseline_mad, 0) AS robust_z,
    is_anomaly,
    CASE WHEN is_anomaly THEN round(downloads_gained - baseline_median * n_windows)::BIGINT ELSE 0 END AS excess_downloads
FROM flagged
WHERE window_start >= $window_start
