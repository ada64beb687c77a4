-- The ten tables with most bytes this week.
SELECT `table_name`, sum(`committed_bytes`) AS total_bytes
FROM system.lakeflow.zerobus_ingest
WHERE commit_time > now() - INTERVAL 7 DAYS AND (table_name = :p_table OR :p_table = 'All')
GROUP BY 1
ORDER BY 2 DESC
LIMIT 10
