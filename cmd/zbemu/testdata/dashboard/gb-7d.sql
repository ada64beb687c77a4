-- Gigabytes committed in the last week.
SELECT round(sum(committed_bytes) / power(1024, 3), 2) AS total_gb_7d
FROM system.lakeflow.zerobus_ingest
WHERE commit_time > now() - INTERVAL 7 DAYS AND (table_name = :p_table OR :p_table = 'All')
