-- The values of the table filter: every table with commits this month.
SELECT DISTINCT table_name AS full_table_name
FROM system.lakeflow.zerobus_ingest
WHERE commit_time > now() - INTERVAL 30 DAYS
ORDER BY full_table_name
