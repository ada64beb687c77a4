-- The workshop's IoT pipeline (lab 6): bronze -> silver -> gold over a
-- Zerobus landing table.
SET pipelines.trigger.interval = '1 second';

CREATE OR REFRESH STREAMING TABLE bronze_readings (
  CONSTRAINT valid_machine EXPECT (machine_id IS NOT NULL) ON VIOLATION DROP ROW,
  CONSTRAINT valid_temperature EXPECT (temperature BETWEEN -40 AND 250) ON VIOLATION DROP ROW,
  CONSTRAINT valid_vibration EXPECT (vibration >= 0) ON VIOLATION DROP ROW,
  CONSTRAINT valid_timestamp EXPECT (event_time IS NOT NULL) ON VIOLATION DROP ROW
)
COMMENT "Sensor readings landed by Zerobus, validated"
AS SELECT * FROM STREAM(main.iot.sensor_readings);

CREATE OR REFRESH LIVE TABLE thresholds
AS SELECT * FROM VALUES
  ('press', 80.0, 95.0),
  ('lathe', 70.0, 90.0),
  ('drill', 60.0, 85.0)
AS t(machine_type, warning_temp, critical_temp);

CREATE OR REFRESH STREAMING TABLE silver_readings
COMMENT 'Readings classified against the thresholds'
AS SELECT
  r.*,
  CASE
    WHEN r.temperature >= t.critical_temp THEN 'CRITICAL'
    WHEN r.temperature >= t.warning_temp THEN 'WARNING'
    ELSE 'NORMAL'
  END AS status
FROM STREAM(LIVE.bronze_readings) r
JOIN LIVE.thresholds t ON r.machine_type = t.machine_type;

CREATE OR REFRESH STREAMING TABLE gold_anomalies
AS SELECT * FROM STREAM(LIVE.silver_readings) WHERE status <> 'NORMAL';

CREATE OR REFRESH MATERIALIZED VIEW gold_machine_health
AS SELECT
  machine_id,
  count(*) AS readings,
  avg(temperature) AS avg_temperature,
  max(temperature) AS max_temperature,
  count_if(status = 'CRITICAL') AS critical_readings
FROM LIVE.silver_readings
WHERE event_time > current_timestamp() - INTERVAL 5 MINUTES
GROUP BY machine_id;

CREATE TEMPORARY VIEW recent_critical
AS SELECT * FROM silver_readings WHERE status = 'CRITICAL';
