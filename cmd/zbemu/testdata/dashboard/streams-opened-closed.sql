-- Streams opened and closed per hour.
SELECT hour, sum(o) AS streams_opened, sum(c) AS streams_closed
FROM (
  SELECT date_trunc('hour', opened_time) AS hour, 1 AS o, 0 AS c
  FROM system.lakeflow.zerobus_stream
  WHERE opened_time IS NOT NULL AND (table_name = :p_table OR :p_table = 'All')
  UNION ALL
  SELECT date_trunc('hour', closed_time), 0, 1
  FROM system.lakeflow.zerobus_stream
  WHERE closed_time IS NOT NULL AND (table_name = :p_table OR :p_table = 'All')
) events
GROUP BY hour
ORDER BY hour
