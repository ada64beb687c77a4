-- Streams that reported at least one error in the last week.
SELECT count(DISTINCT stream_id) AS error_streams
FROM system.lakeflow.zerobus_stream
WHERE size(errors) > 0
  AND event_time > DATEADD(DAY, -7, CURRENT_TIMESTAMP())
  AND (table_name = :p_table OR :p_table = 'All')
