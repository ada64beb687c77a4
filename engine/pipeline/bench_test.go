package pipeline_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/zbemu/zbemu/engine"
	"github.com/zbemu/zbemu/engine/pipeline"
)

// BenchmarkBronzeToSilver measures rows/s through a bronze → silver
// streaming pipeline (expectations, a stream-static join) against DuckDB
// running the same two queries as plain INSERT ... SELECT statements over
// the same new rows, in the same run; ratio is pipeline time over raw
// time (1 would be no overhead).
func BenchmarkBronzeToSilver(b *testing.B) {
	const rows = 20000
	ctx := context.Background()
	e, err := engine.Open(ctx, engine.Options{DataDir: b.TempDir(), DevClientSecret: "s"})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close(ctx)
	m, err := pipeline.Open(ctx, e, pipeline.Options{WorkDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close(ctx)
	run := func(q string) {
		if _, err := e.Execute(ctx, engine.StatementRequest{SQL: q, Identity: admin}); err != nil {
			b.Fatalf("%s: %v", q, err)
		}
	}
	run("CREATE SCHEMA main.lab")
	run("CREATE TABLE main.lab.raw (device_id STRING, temp DOUBLE, n BIGINT)")
	run("CREATE TABLE main.lab.thresholds (device_id STRING, critical_temp DOUBLE)")
	run("INSERT INTO main.lab.thresholds VALUES ('d0', 20.0), ('d1', 30.0), ('d2', 40.0)")
	run("CREATE TABLE main.lab.raw_bronze (device_id STRING, temp DOUBLE, n BIGINT)")
	run("CREATE TABLE main.lab.raw_silver (device_id STRING, temp DOUBLE, n BIGINT, status STRING)")
	const bronze = "SELECT device_id, temp, n FROM %s WHERE (temp IS NOT NULL) IS TRUE AND (temp < 200) IS TRUE"
	const silver = `SELECT b.device_id, b.temp, b.n, CASE WHEN b.temp >= t.critical_temp THEN 'CRITICAL' ELSE 'NORMAL' END AS status
FROM %s b JOIN main.lab.thresholds t ON b.device_id = t.device_id`
	p, err := m.Create(ctx, admin, pipeline.Spec{Name: "bench", Catalog: "main", Schema: "lab", SQL: `
CREATE OR REFRESH STREAMING TABLE bronze (
  CONSTRAINT has_temp EXPECT (temp IS NOT NULL) ON VIOLATION DROP ROW,
  CONSTRAINT sane_temp EXPECT (temp < 200) ON VIOLATION DROP ROW
) AS SELECT device_id, temp, n FROM STREAM(main.lab.raw);
CREATE OR REFRESH STREAMING TABLE silver AS ` + fmt.Sprintf(silver, "STREAM(LIVE.bronze)")})
	if err != nil {
		b.Fatal(err)
	}
	recs := make([][]byte, rows)
	var pipeTime, rawTime time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		for j := range recs {
			n := i*rows + j
			recs[j] = fmt.Appendf(nil, `{"device_id": "d%d", "temp": %d, "n": %d}`, n%3, n%250, n)
		}
		if err := e.Insert(ctx, admin, "main.lab.raw", recs); err != nil {
			b.Fatal(err)
		}
		if err := e.Sync(ctx); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		u, err := m.StartUpdate(ctx, admin, p.ID, false)
		if err != nil {
			b.Fatal(err)
		}
		for u.State != pipeline.UpdateCompleted {
			if u.State == pipeline.UpdateFailed || u.State == pipeline.UpdateCanceled {
				b.Fatalf("update %s: %s", u.State, u.Error)
			}
			time.Sleep(time.Millisecond)
			if u, err = m.GetUpdate(ctx, admin, p.ID, u.ID); err != nil {
				b.Fatal(err)
			}
		}
		pipeTime += time.Since(start)
		start = time.Now()
		lo := fmt.Sprintf("(SELECT * FROM main.lab.raw WHERE n >= %d)", i*rows)
		run("INSERT INTO main.lab.raw_bronze " + fmt.Sprintf(bronze, lo))
		run("INSERT INTO main.lab.raw_silver " + fmt.Sprintf(silver, fmt.Sprintf("(SELECT * FROM main.lab.raw_bronze WHERE n >= %d)", i*rows)))
		rawTime += time.Since(start)
	}
	b.StopTimer()
	total := float64(b.N * rows)
	b.ReportMetric(total/pipeTime.Seconds(), "pipeline_rows/s")
	b.ReportMetric(total/rawTime.Seconds(), "raw_rows/s")
	b.ReportMetric(pipeTime.Seconds()/rawTime.Seconds(), "ratio")
}
