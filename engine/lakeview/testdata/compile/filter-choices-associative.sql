SELECT `device_id` AS `device_id`, COUNT_IF(`associative_filter_predicate_group`) AS `device_id_associativity`
FROM (SELECT *, TRUE AS `associative_filter_predicate_group` FROM (
SELECT device_id, ts, temperature FROM main.iot.sensor_readings
)) AS `plain`
GROUP BY `device_id`
-- catalog main, schema iot
