-- Streams per protocol (GRPC for the SDKs, HTTP for REST).
SELECT protocol, count(DISTINCT stream_id) AS stream_count
FROM system.lakeflow.zerobus_stream
WHERE opened_time > now() - INTERVAL 7 DAYS AND (table_name = :p_table OR :p_table = 'All')
GROUP BY protocol
