-- The workshop's IoT lab as a Lakeflow Declarative Pipeline: bronze
-- validates the readings the devices stream through Zerobus, silver
-- classifies them against a reference table of thresholds, gold keeps the
-- anomalies and the health of each machine over the last five minutes.

-- Bronze: readings that pass the four data-quality checks.
CREATE OR REFRESH STREAMING TABLE bronze_readings (
  CONSTRAINT valid_device EXPECT (device_id IS NOT NULL AND device_id <> '') ON VIOLATION DROP ROW,
  CONSTRAINT valid_timestamp EXPECT (ts IS NOT NULL) ON VIOLATION DROP ROW,
  CONSTRAINT valid_temperature EXPECT (temperature BETWEEN -50 AND 150) ON VIOLATION DROP ROW,
  CONSTRAINT valid_humidity EXPECT (humidity BETWEEN 0 AND 100) ON VIOLATION DROP ROW
)
COMMENT 'Validated sensor readings from the Zerobus landing table'
TBLPROPERTIES ('quality' = 'bronze')
AS SELECT device_id, ts, temperature, humidity, status, seq
FROM STREAM(main.iot.sensor_readings);

-- Reference: alert thresholds per metric.
CREATE OR REFRESH LIVE TABLE thresholds
AS SELECT * FROM VALUES
  ('temperature', 60.0, 80.0),
  ('humidity', 70.0, 90.0)
AS t(metric, warning_level, critical_level);

-- Silver: each new reading joined with the current thresholds.
CREATE OR REFRESH STREAMING TABLE silver_readings
COMMENT 'Readings classified NORMAL / WARNING / CRITICAL'
AS SELECT r.device_id, r.ts, r.temperature, r.humidity, r.seq,
  CASE
    WHEN r.temperature >= t.critical_level THEN 'CRITICAL'
    WHEN r.temperature >= t.warning_level THEN 'WARNING'
    ELSE 'NORMAL'
  END AS health
FROM STREAM(LIVE.bronze_readings) r
JOIN LIVE.thresholds t ON t.metric = 'temperature';

-- Gold: anomalies only.
CREATE OR REFRESH STREAMING TABLE gold_anomalies
AS SELECT device_id, ts, temperature, health, seq
FROM STREAM(LIVE.silver_readings)
WHERE health <> 'NORMAL';

-- Gold: health of each machine over the last five minutes.
CREATE OR REFRESH MATERIALIZED VIEW gold_machine_health
AS SELECT device_id,
  count(*) AS readings,
  round(avg(temperature), 2) AS avg_temperature,
  max(temperature) AS max_temperature,
  count_if(health = 'CRITICAL') AS critical_readings
FROM LIVE.silver_readings
WHERE ts >= current_timestamp() - INTERVAL 5 MINUTES
GROUP BY device_id;
