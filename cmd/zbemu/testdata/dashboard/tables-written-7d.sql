-- Tables that received commits in the last week.
SELECT count(DISTINCT table_name) AS active_tables
FROM system.lakeflow.zerobus_ingest
WHERE commit_time > current_timestamp() - INTERVAL 7 DAYS
  AND (table_name = :p_table OR :p_table = 'All')
