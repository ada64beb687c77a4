package main

import (
	"io"
	"strings"
	"testing"

	"github.com/zbemu/zbemu/engine"
)

// TestMetricsBacklog runs the binary with a backlog bound of one request
// and no timed flush: every request after the first waits for the
// materialiser (backpressure), and what is acknowledged but not yet
// queryable shows in /metrics and /zbemu/v1/stats until a query syncs.
func TestMetricsBacklog(t *testing.T) {
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
	tests := []struct {
		name           string
		args           []string
		env            map[string]string
		bytes, records int64
		wantErr        string
	}{
		{"defaults", nil, nil, engine.DefaultMaxBacklogBytes, engine.DefaultMaxBacklogRecords, ""},
		{"flags", []string{"--max-backlog-bytes", "1000", "--max-backlog-records", "10"}, nil, 1000, 10, ""},
		{"env", nil, map[string]string{"ZBEMU_MAX_BACKLOG_BYTES": "2000", "ZBEMU_MAX_BACKLOG_RECORDS": "20"}, 2000, 20, ""},
		{"flag wins over env", []string{"--max-backlog-records", "5"}, map[string]string{"ZBEMU_MAX_BACKLOG_RECORDS": "20"},
			engine.DefaultMaxBacklogBytes, 5, ""},
		{"bytes not positive", []string{"--max-backlog-bytes", "0"}, nil, 0, 0, "max-backlog-bytes"},
		{"records not positive", nil, map[string]string{"ZBEMU_MAX_BACKLOG_RECORDS": "-1"}, 0, 0, "max-backlog-records"},
		{"bad env number", nil, map[string]string{"ZBEMU_MAX_BACKLOG_BYTES": "256MiB"}, 0, 0, "ZBEMU_MAX_BACKLOG_BYTES"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parseServeConfig(tc.args, func(k string) string { return tc.env[k] }, io.Discard)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("err = %v, want one naming %s", err, tc.wantErr)
				}
				return
			}
			if err != nil || c.MaxBacklogBytes != tc.bytes || c.MaxBacklogRecords != tc.records {
				t.Errorf("bytes %d records %d (err %v), want %d %d", c.MaxBacklogBytes, c.MaxBacklogRecords, err, tc.bytes, tc.records)
			}
		})
	}
}
