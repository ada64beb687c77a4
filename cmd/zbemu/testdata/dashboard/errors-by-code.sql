-- How often each error code occurred this week.
SELECT err.error_code AS error_code, count(*) AS occurrence_count
FROM system.lakeflow.zerobus_stream
LATERAL VIEW explode(errors) exploded AS err
WHERE event_time > now() - INTERVAL 7 DAYS AND (table_name = :p_table OR :p_table = 'All')
GROUP BY err.error_code
ORDER BY occurrence_count DESC
