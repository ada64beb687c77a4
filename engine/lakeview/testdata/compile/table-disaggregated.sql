SELECT `device_id` AS `device_id`, `temperature` AS `temperature`
FROM (
SELECT device_id, ts, temperature FROM main.iot.sensor_readings
) AS `plain`
-- catalog main, schema iot
