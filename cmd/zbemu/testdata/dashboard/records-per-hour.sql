-- Records committed per hour over the last week.
SELECT date_trunc('HOUR', commit_time) AS hour, sum(committed_records) AS records_ingested
FROM system.lakeflow.zerobus_ingest
WHERE commit_time > date_sub(current_date(), 7)
  AND (table_name = :p_table OR :p_table = 'All')
GROUP BY date_trunc('HOUR', commit_time)
ORDER BY hour
