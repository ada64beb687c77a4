SELECT COUNT(*) AS `count(*)`
FROM (
SELECT device_id, ts, temperature FROM main.iot.sensor_readings
) AS `plain`
-- catalog main, schema iot
