SELECT COUNT(*) AS `count(*)`
FROM (
SELECT device_id, ts, temperature FROM main.iot.sensor_readings
) AS `plain`
WHERE CAST((`device_id`) AS STRING) IN (:zbemu_filter_0_0, :zbemu_filter_0_1) AND (`ts`) >= :zbemu_filter_1_min
-- catalog main, schema iot
-- :zbemu_filter_0_0 STRING = "d1"
-- :zbemu_filter_0_1 STRING = "d3"
-- :zbemu_filter_1_min TIMESTAMP = "2026-12-01T00:00:00Z"
