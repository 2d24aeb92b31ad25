-- asset: raw.hub_models
-- severity: warn
-- description: Schema drift: fields appeared in or disappeared from the raw Hub listing records against the previous accepted window.
-- meta.raw_fields holds the top-level keys of every loaded window's records (written by the load).
WITH fields AS (
    SELECT window_start, list_sort(list(field)) AS fields
    FROM meta.raw_fields
    WHERE source = 'hub_models'
        AND window_start >= $window_start - INTERVAL 7 DAYS AND window_start < $window_end
    GROUP BY window_start
),
accepted AS (
    SELECT f.*
    FROM fields AS f
    JOIN meta.snapshot_log AS l
        ON l.source = 'hub_models' AND l.window_start = f.window_start AND l.status IN ('observed', 'imported')
),
compared AS (
    SELECT
        c.window_start,
        a.window_start AS previous_window,
        list_filter(c.fields, x -> NOT list_contains(a.fields, x)) AS appeared,
        list_filter(a.fields, x -> NOT list_contains(c.fields, x)) AS disappeared
    FROM fields AS c
    ASOF JOIN accepted AS a
        ON c.window_start > a.window_start
    WHERE c.window_start >= $window_start
)
SELECT
    window_start,
    strftime(previous_window, '%Y-%m-%d-%H:%M') AS previous_window,
    array_to_string(appeared, ', ') AS fields_appeared,
    array_to_string(disappeared, ', ') AS fields_disappeared
FROM compared
WHERE len(appeared) > 0 OR len(disappeared) > 0
ORDER BY window_start
