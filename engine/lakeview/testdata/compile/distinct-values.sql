SELECT `device_id` AS `device_id`
FROM (
SELECT device_id, ts, temperature FROM main.iot.sensor_readings
) AS `plain`
GROUP BY `device_id`
-- catalog main, schema iot
