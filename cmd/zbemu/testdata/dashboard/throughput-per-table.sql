-- Average rates per table and hour over the last day.
SELECT table_name,
       date_trunc('hour', commit_time) AS hour,
       round(sum(committed_bytes) / 3600.0, 2) AS bytes_per_second,
       round(sum(committed_records) / 3600.0, 2) AS records_per_second
FROM system.lakeflow.zerobus_ingest
WHERE commit_time >= now() - INTERVAL 24 HOURS
  AND (table_name = :p_table OR :p_table = 'All')
GROUP BY table_name, date_trunc('hour', commit_time)
ORDER BY hour, bytes_per_second DESC
