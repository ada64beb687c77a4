SELECT SUM(`temperature`) AS `sum(temperature)`
FROM (
SELECT * FROM main.iot.sensor_readings
WHERE (:status = 'All' OR status = :status)
  AND ts BETWEEN :window__min AND :window__max
  AND (size(array(:devices__0, :devices__1)) = 0 OR array_contains(array(:devices__0, :devices__1), device_id))
) AS `r`
-- :status STRING = "FAULT' OR 1=1 --"
-- :window__min TIMESTAMP = "2026-11-01T00:00:00Z"
-- :window__max TIMESTAMP = "2026-12-02T08:00:00.000000Z"
-- :devices__0 STRING = "d1"
-- :devices__1 STRING = "d2"
