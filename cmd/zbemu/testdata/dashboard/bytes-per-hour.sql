-- Bytes committed per hour over the last week.
SELECT date_trunc('hour', commit_time) AS hour, sum(committed_bytes) AS bytes_ingested
FROM system.lakeflow.zerobus_ingest
WHERE commit_time >= now() - INTERVAL '7' DAY
  AND (table_name = :p_table OR :p_table = 'All')
GROUP BY ALL
ORDER BY hour
