SELECT count(DISTINCT stream_id) AS error_streams_last_hour
FROM system.lakeflow.zerobus_stream
WHERE size(errors) > 0 AND event_time > now() - INTERVAL 1 HOUR AND (table_name = :p_table OR :p_table = 'All')
