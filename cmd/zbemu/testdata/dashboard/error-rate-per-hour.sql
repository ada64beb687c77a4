-- Share of stream events that carry errors, per hour.
SELECT date_trunc('hour', event_time) AS hour,
       count(*) AS total_events,
       count_if(size(errors) > 0) AS error_events,
       round(100.0 * count_if(size(errors) > 0) / count(*), 2) AS error_rate_pct
FROM system.lakeflow.zerobus_stream
WHERE event_time > now() - INTERVAL 7 DAYS AND (table_name = :p_table OR :p_table = 'All')
GROUP BY 1
ORDER BY 1
