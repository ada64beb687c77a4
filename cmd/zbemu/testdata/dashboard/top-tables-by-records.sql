-- The ten tables with most records this week.
SELECT table_name, sum(committed_records) AS total_records
FROM system.lakeflow.zerobus_ingest
WHERE commit_time > now() - INTERVAL 7 DAYS AND (table_name = :p_table OR :p_table = 'All')
GROUP BY table_name
ORDER BY total_records DESC
LIMIT 10
