-- Commits per hour and how many of them failed.
SELECT date_trunc('hour', commit_time) AS hour,
       count(*) AS total_batches,
       sum(CASE WHEN size(errors) > 0 THEN 1 ELSE 0 END) AS batches_with_errors
FROM system.lakeflow.zerobus_ingest
WHERE commit_time > now() - INTERVAL 7 DAYS AND (table_name = :p_table OR :p_table = 'All')
GROUP BY 1
ORDER BY 1
