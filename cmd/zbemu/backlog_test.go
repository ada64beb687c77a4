package main

import (
	"testing"

	"github.com/zbemu/zbemu/engine"
)

// TestMetricsBacklog runs the binary with a backlog bound of one request
// and no timed flush: every request after the first waits for the
// materialiser (backpressure), and what is acknowledged but not yet
// queryable shows in /metrics and /zbemu/v1/stats until a query syncs.
func TestMetricsBacklog(t *testing.T) {
	t.Parallel()
	s := startServer(t, "", "--flush-interval", "1h", "--max-backlog-records", "100")
	s.sql("CREATE TABLE main.default.bl " + iotDDL)
	for i := range 3 {
		if code, body := s.call("POST", insertPath("main.default.bl"), devToken, iotRecords(i*100, 100)); code != 200 {
			t.Fatalf("REST insert %d: HTTP %d %s", i, code, body)
		}
	}
	// The last request is acknowledged and not materialised: nothing
	// flushes by time, and only the next request would make room for it.
	got := s.scrape()
	if g := got["zbemu_backlog_records{}"]; g != 100 {
		t.Errorf("zbemu_backlog_records = %v, want 100", g)
	}
	if g := got["zbemu_backlog_bytes{}"]; g <= 0 {
		t.Errorf("zbemu_backlog_bytes = %v, want > 0", g)
	}
	if g := got["zbemu_backpressure_seconds_total{}"]; g <= 0 {
		t.Errorf("zbemu_backpressure_seconds_total = %v, want > 0 (two requests waited)", g)
	}
	if b := s.stats().Backlog; b.Records != 100 || b.Bytes <= 0 || b.BackpressureSecondsTotal <= 0 {
		t.Errorf("stats backlog %+v, want 100 records", b)
	}
	if n := s.count("main.default.bl"); n != 300 {
		t.Errorf("%d rows, want 300", n)
	}
	got = s.scrape()
	if g, b := got["zbemu_backlog_records{}"], got["zbemu_backlog_bytes{}"]; g != 0 || b != 0 {
		t.Errorf("after a query: backlog %v records, %v bytes, want 0", g, b)
	}
}

func TestServeConfigBacklog(t *testing.T) {
	t.Parallel()
	backlog := func(bytes, records int64) func(Config) bool {
		return func(c Config) bool { return c.MaxBacklogBytes == bytes && c.MaxBacklogRecords == records }
	}
	checkServeConfig(t, []serveConfigCase{
		{"defaults", nil, nil, backlog(engine.DefaultMaxBacklogBytes, engine.DefaultMaxBacklogRecords), ""},
		{"flags", []string{"--max-backlog-bytes", "1000", "--max-backlog-records", "10"}, nil, backlog(1000, 10), ""},
		{"env", nil, map[string]string{"ZBEMU_MAX_BACKLOG_BYTES": "2000", "ZBEMU_MAX_BACKLOG_RECORDS": "20"}, backlog(2000, 20), ""},
		{"flag wins over env", []string{"--max-backlog-records", "5"}, map[string]string{"ZBEMU_MAX_BACKLOG_RECORDS": "20"},
			backlog(engine.DefaultMaxBacklogBytes, 5), ""},
		{"bytes not positive", []string{"--max-backlog-bytes", "0"}, nil, nil, "max-backlog-bytes"},
		{"records not positive", nil, map[string]string{"ZBEMU_MAX_BACKLOG_RECORDS": "-1"}, nil, "max-backlog-records"},
		{"bad env number", nil, map[string]string{"ZBEMU_MAX_BACKLOG_BYTES": "256MiB"}, nil, "ZBEMU_MAX_BACKLOG_BYTES"},
	})
}

func TestServeConfigDuckDB(t *testing.T) {
	t.Parallel()
	duck := func(mem string, threads int) func(Config) bool {
		return func(c Config) bool { return c.DuckDBMemory == mem && c.DuckDBThreads == threads }
	}
	checkServeConfig(t, []serveConfigCase{
		{"defaults", nil, nil, duck(engine.DefaultMemoryLimit, engine.DefaultThreads()), ""},
		{"flags", []string{"--duckdb-memory", "1GB", "--duckdb-threads", "2"}, nil, duck("1GB", 2), ""},
		{"env", nil, map[string]string{"ZBEMU_DUCKDB_MEMORY": "512MiB", "ZBEMU_DUCKDB_THREADS": "3"}, duck("512MiB", 3), ""},
		{"flag wins over env", []string{"--duckdb-threads", "1"}, map[string]string{"ZBEMU_DUCKDB_THREADS": "3"}, duck(engine.DefaultMemoryLimit, 1), ""},
		{"memory not a size", []string{"--duckdb-memory", "lots"}, nil, nil, "duckdb-memory"},
		{"threads not positive", []string{"--duckdb-threads", "0"}, nil, nil, "duckdb-threads"},
		{"bad env number", nil, map[string]string{"ZBEMU_DUCKDB_THREADS": "four"}, nil, "ZBEMU_DUCKDB_THREADS"},
	})
}
