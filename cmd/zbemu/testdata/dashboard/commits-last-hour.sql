SELECT count(*) AS commits_last_hour
FROM system.lakeflow.zerobus_ingest
WHERE commit_time > now() - INTERVAL 1 HOUR AND (table_name = :p_table OR :p_table = 'All')
