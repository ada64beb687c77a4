SELECT SUM(`temperature`) AS `sum(temperature)`
FROM (
SELECT * FROM main.iot.sensor_readings
WHERE (:status = 'All' OR status = :status)
  AND ts BETWEEN :window__min AND :window__max
  AND (size(CAST(array() AS ARRAY<STRING>)) = 0 OR array_contains(CAST(array() AS ARRAY<STRING>), device_id))
) AS `r`
-- :status STRING = "All"
-- :window__min TIMESTAMP = "2026-11-25T00:00:00.000000Z"
-- :window__max TIMESTAMP = "2026-12-02T09:30:15.000000Z"
