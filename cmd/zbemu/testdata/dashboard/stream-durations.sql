-- How long streams lived, in buckets, from the close rows.
WITH lived AS (
  SELECT stream_id, unix_timestamp(closed_time) - unix_timestamp(opened_time) AS seconds
  FROM system.lakeflow.zerobus_stream
  WHERE closed_time IS NOT NULL AND opened_time > now() - INTERVAL 7 DAYS
    AND (table_name = :p_table OR :p_table = 'All')
)
SELECT CASE WHEN seconds < 60 THEN '< 1 min' WHEN seconds < 3600 THEN '1-60 min' ELSE '1 hr+' END AS duration_bucket,
       count(*) AS stream_count
FROM lived
GROUP BY 1
ORDER BY min(seconds)
