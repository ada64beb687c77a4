package engine_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/zbemu/zbemu/engine"
)

// Benchmarks of the ingest path without the network: validation, the
// durable log with group commit and asynchronous materialisation. Each
// reports records/s; BenchmarkAppenderBaseline is the raw DuckDB appender
// (commit every 1000 rows) to compare against in the same run, e.g.
//   go test -run XXX -bench . -count 5 ./engine/ | benchstat -

func iotJSON(i int) []byte {
	return []byte(fmt.Sprintf(`{"device_id":"device-%05d","ts":%d,"temperature":%g,"humidity":4.2,"status":"ok","seq":%d}`, i%10000, 1795521600000000+int64(i), float64(i%400)/10, i))
}

func BenchmarkStreamJSONBatch100(b *testing.B) {
	ctx := context.Background()
	e, err := engine.Open(ctx, engine.Options{DataDir: b.TempDir(), DevClientSecret: "s"})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close(ctx)
	if _, err := e.Execute(ctx, engine.StatementRequest{SQL: "CREATE TABLE main.default.iot (device_id STRING NOT NULL, ts TIMESTAMP NOT NULL, temperature DOUBLE, humidity DOUBLE, status STRING, seq BIGINT)", Identity: admin}); err != nil {
		b.Fatal(err)
	}
	batches := make([][][]byte, 1000)
	for i := range batches {
		for k := 0; k < 100; k++ {
			batches[i] = append(batches[i], iotJSON(i*100+k))
		}
	}
	var recBytes int
	for _, r := range batches[0] {
		recBytes += len(r)
	}
	st, err := e.OpenStream(ctx, admin, engine.StreamSpec{Table: "main.default.iot", Format: engine.FormatJSON})
	if err != nil {
		b.Fatal(err)
	}
	// Allocations are counted until every record is in DuckDB, so they
	// include the log writer's and the materialiser's (issue 16's target:
	// at most 2 allocations and 1.5× the record's bytes per record).
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if err := st.Submit(int64(i), batches[i%len(batches)]); err != nil {
			b.Fatal(err)
		}
	}
	if err := st.Drain(ctx); err != nil {
		b.Fatal(err)
	}
	if err := e.Sync(ctx); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N*100)/time.Since(start).Seconds(), "records/s")
	b.ReportMetric(float64(recBytes)/100, "record-B")
	st.Close()
}

func BenchmarkAppenderBaseline(b *testing.B) {
	c, err := duckdb.NewConnector(filepath.Join(b.TempDir(), "base.duckdb"), nil)
	if err != nil {
		b.Fatal(err)
	}
	db := sql.OpenDB(c)
	defer db.Close()
	if _, err := db.Exec("CREATE TABLE t (device_id VARCHAR NOT NULL, ts TIMESTAMPTZ NOT NULL, temperature DOUBLE, humidity DOUBLE, status VARCHAR, seq BIGINT)"); err != nil {
		b.Fatal(err)
	}
	conn, _ := db.Conn(context.Background())
	defer conn.Close()
	rows := make([][]driver.Value, 100000)
	for i := range rows {
		rows[i] = []driver.Value{fmt.Sprintf("device-%05d", i%10000), time.UnixMicro(1795521600000000 + int64(i)), 1.5, 4.2, "ok", int64(i)}
	}
	b.ResetTimer()
	start := time.Now()
	err = conn.Raw(func(dc any) error {
		a, err := duckdb.NewAppender(dc.(driver.Conn), "", "", "t")
		if err != nil {
			return err
		}
		for i := 0; i < b.N*100; i++ {
			if err := a.AppendRow(rows[i%len(rows)]...); err != nil {
				return err
			}
			if (i+1)%1000 == 0 {
				if err := a.Flush(); err != nil {
					return err
				}
			}
		}
		return a.Close()
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N*100)/time.Since(start).Seconds(), "records/s")
}
