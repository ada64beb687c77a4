-- Streams opened but not closed yet (an open row without a close row).
WITH opened AS (SELECT DISTINCT stream_id, table_name FROM system.lakeflow.zerobus_stream WHERE opened_time IS NOT NULL),
     closed AS (SELECT DISTINCT stream_id FROM system.lakeflow.zerobus_stream WHERE closed_time IS NOT NULL)
SELECT count(*) AS active_streams
FROM opened
WHERE stream_id NOT IN (SELECT stream_id FROM closed)
  AND (:p_table = 'All' OR table_name = :p_table)
