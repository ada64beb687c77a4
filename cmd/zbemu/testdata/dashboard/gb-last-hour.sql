SELECT round(sum(committed_bytes) / 1073741824.0, 3) AS gb_ingested_last_hour
FROM system.lakeflow.zerobus_ingest
WHERE commit_time > now() - INTERVAL 1 HOUR AND (table_name = :p_table OR :p_table = 'All')
