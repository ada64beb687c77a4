-- The latest errors with their messages.
SELECT ev.stream_id, ev.table_name, ev.event_time,
       x.error_code, x.error_message, x.timestamp AS error_timestamp
FROM system.lakeflow.zerobus_stream ev
LATERAL VIEW EXPLODE(ev.errors) errs AS x
WHERE (ev.table_name = :p_table OR :p_table = 'All')
ORDER BY ev.event_time DESC
LIMIT 100
