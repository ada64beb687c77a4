-- Records committed in the last week.
SELECT sum(committed_records) AS total_records_7d
FROM system.lakeflow.zerobus_ingest
WHERE commit_time BETWEEN DATEADD(DAY, -7, now()) AND now() AND (table_name = :p_table OR :p_table = 'All')
