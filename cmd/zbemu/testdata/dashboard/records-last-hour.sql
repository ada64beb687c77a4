SELECT sum(committed_records) AS records_last_hour
FROM system.lakeflow.zerobus_ingest
WHERE commit_time > now() - INTERVAL 60 MINUTES AND (table_name = :p_table OR :p_table = 'All')
