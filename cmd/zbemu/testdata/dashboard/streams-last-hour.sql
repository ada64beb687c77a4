SELECT count(DISTINCT stream_id) AS streams_last_hour
FROM system.lakeflow.zerobus_stream
WHERE event_time > timestampadd(HOUR, -1, current_timestamp()) AND (table_name = :p_table OR :p_table = 'All')
