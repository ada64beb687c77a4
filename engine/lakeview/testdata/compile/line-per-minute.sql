SELECT DATE_TRUNC("MINUTE", `ts`) AS `minute(ts)`, AVG(`temperature`) AS `avg(temperature)`, `device_id` AS `device_id`
FROM (
SELECT device_id, ts, temperature FROM main.iot.sensor_readings
) AS `plain`
GROUP BY DATE_TRUNC("MINUTE", `ts`), `device_id`
-- catalog main, schema iot
