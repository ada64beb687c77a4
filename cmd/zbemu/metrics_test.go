package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/zbemu/zbemu/fixtures/zbclient"
	"github.com/zbemu/zbemu/web/metrics"
	"github.com/zbemu/zbemu/web/zerobuspb"
)

// scrape reads GET /metrics (unauthenticated) into "name{label=value,...}"
// → value, histograms as _count and _sum.
func (s *server) scrape() map[string]float64 {
	s.t.Helper()
	code, _, body := s.do("GET", "/metrics", nil, nil)
	if code != 200 {
		s.t.Fatalf("GET /metrics: HTTP %d %s", code, body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		s.t.Fatalf("parse /metrics: %v\n%s", err, body)
	}
	out := map[string]float64{}
	for name, f := range fams {
		for _, m := range f.GetMetric() {
			var ls []string
			for _, l := range m.GetLabel() {
				ls = append(ls, l.GetName()+"="+l.GetValue())
			}
			sort.Strings(ls)
			key := "{" + strings.Join(ls, ",") + "}"
			switch {
			case m.Counter != nil:
				out[name+key] = m.GetCounter().GetValue()
			case m.Gauge != nil:
				out[name+key] = m.GetGauge().GetValue()
			case m.Histogram != nil:
				out[name+"_count"+key] = float64(m.GetHistogram().GetSampleCount())
				out[name+"_sum"+key] = m.GetHistogram().GetSampleSum()
			case m.Untyped != nil:
				out[name+key] = m.GetUntyped().GetValue()
			}
		}
	}
	return out
}

// stats reads GET /zbemu/v1/stats with the dev token.
func (s *server) stats() metrics.Stats {
	s.t.Helper()
	code, body := s.call("GET", "/zbemu/v1/stats", devToken, nil)
	if code != 200 {
		s.t.Fatalf("GET /zbemu/v1/stats: HTTP %d %s", code, body)
	}
	var st metrics.Stats
	if err := json.Unmarshal(body, &st); err != nil {
		s.t.Fatalf("stats body %s: %v", body, err)
	}
	return st
}

func jsonRecords(t *testing.T, recs []any) ([]string, int) {
	t.Helper()
	out := make([]string, len(recs))
	n := 0
	for i, r := range recs {
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = string(b)
		n += len(b)
	}
	return out, n
}

// TestMetricsAndStats ingests over REST and with the official SDK, with one
// failure on each protocol, then checks /metrics and /zbemu/v1/stats.
func TestMetricsAndStats(t *testing.T) {
	t.Parallel()
	s := startServer(t, "")
	for _, tbl := range []string{"rest", "sdk", "bad", "live"} {
		s.sql("CREATE TABLE main.default." + tbl + " " + iotDDL)
	}

	// REST: three requests of 100 records, then one with a bad record.
	restBytes := 0
	for i := range 3 {
		recs := iotRecords(i*100, 100)
		_, n := jsonRecords(t, recs)
		restBytes += n
		if code, body := s.call("POST", insertPath("main.default.rest"), devToken, recs); code != 200 {
			t.Fatalf("REST insert: HTTP %d %s", code, body)
		}
	}
	badRec := []any{map[string]any{"device_id": "x", "ts": "yesterday"}}
	if code, body := s.call("POST", insertPath("main.default.rest"), devToken, badRec); code != 400 {
		t.Fatalf("bad REST insert: HTTP %d %s, want 400", code, body)
	}

	// SDK: 500 records in 10 requests; then a stream that fails on its third request.
	if r := runSDK(t, s.scenario(map[string]any{"table": "main.default.sdk", "batches": batchesOf(iotRecords(0, 500), 50)})); !r.OK {
		t.Fatalf("SDK: %s", errText(r.Streams[0].Error))
	}
	r := runSDK(t, s.scenario(map[string]any{"table": "main.default.bad", "batches": append(batchesOf(iotRecords(0, 20), 10), badRec),
		"options": map[string]any{"recovery": false}}))
	if st := r.Streams[0]; st.OK || st.AckedRecords != 20 {
		t.Fatalf("failing SDK stream: %+v %s", st, errText(st.Error))
	}

	// A gRPC stream shows in the stats (and the gauge) while it is open.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cc, err := zbclient.Dial(s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	live, err := zbclient.OpenStream(ctx, cc, zbclient.StreamOptions{Token: devToken, Table: "main.default.live", RecordType: zerobuspb.RecordType_JSON, Window: 4})
	if err != nil {
		t.Fatal(err)
	}
	liveRecs, liveBytes := jsonRecords(t, iotRecords(0, 5))
	if err := live.Send(zbclient.Batch{JSON: liveRecs}); err != nil {
		t.Fatal(err)
	}
	if err := live.WaitAcked(ctx); err != nil {
		t.Fatalf("no ack on the live stream: %v", err)
	}
	st := s.stats()
	if st.OpenStreams != 1 || len(st.Streams) != 1 {
		t.Fatalf("while open: open_streams %d, streams %+v", st.OpenStreams, st.Streams)
	}
	if ls := st.Streams[0]; ls.Table != "main.default.live" || ls.Protocol != "GRPC" || ls.DataFormat != "JSON" ||
		ls.RecordsTotal != 5 || ls.BytesTotal != int64(liveBytes) || ls.RecordsPerSecond <= 0 || ls.StreamID == "" {
		t.Errorf("live stream stats: %+v", ls)
	}
	if g := s.scrape()["zbemu_open_streams{protocol=GRPC,table=main.default.live}"]; g != 1 {
		t.Errorf("open streams gauge %v while open, want 1", g)
	}
	if err := live.Finish(); err != nil {
		t.Fatal(err)
	}

	// Queries wait for every commit, so the commit metrics are complete.
	for tbl, want := range map[string]int{"rest": 300, "sdk": 500, "bad": 20, "live": 5} {
		if n := s.count("main.default." + tbl); n != want {
			t.Errorf("%s has %d rows, want %d", tbl, n, want)
		}
	}

	got := s.scrape()
	want := map[string]float64{
		"zbemu_ingest_records_total{protocol=HTTP,table=main.default.rest}":      300,
		"zbemu_ingest_bytes_total{protocol=HTTP,table=main.default.rest}":        float64(restBytes),
		"zbemu_ingest_records_total{protocol=GRPC,table=main.default.sdk}":       500,
		"zbemu_ingest_records_total{protocol=GRPC,table=main.default.bad}":       20,
		"zbemu_ingest_records_total{protocol=GRPC,table=main.default.live}":      5,
		"zbemu_ingest_bytes_total{protocol=GRPC,table=main.default.live}":        float64(liveBytes),
		"zbemu_ack_latency_seconds_count{protocol=HTTP,table=main.default.rest}": 3,
		"zbemu_ack_latency_seconds_count{protocol=GRPC,table=main.default.sdk}":  10,
		"zbemu_ack_latency_seconds_count{protocol=GRPC,table=main.default.bad}":  2,
		"zbemu_rejected_records_total{table=main.default.rest}":                  1,
		"zbemu_rejected_records_total{table=main.default.bad}":                   1,
		"zbemu_errors_total{code=INVALID_PARAMETER_VALUE,protocol=HTTP}":         1,
		"zbemu_errors_total{code=INVALID_PARAMETER_VALUE,protocol=GRPC}":         1,
		"zbemu_commit_rows_sum{table=main.default.rest}":                         300,
		"zbemu_commit_rows_sum{table=main.default.sdk}":                          500,
		"zbemu_commit_rows_sum{table=main.default.bad}":                          20,
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%s = %v (present %v), want %v", k, g, ok, v)
		}
	}
	for k, v := range got {
		switch {
		case strings.HasPrefix(k, "zbemu_errors_total") && want[k] == 0:
			t.Errorf("unexpected %s = %v", k, v)
		case strings.HasPrefix(k, "zbemu_open_streams") && v != 0:
			t.Errorf("%s = %v after every stream closed", k, v)
		case strings.HasPrefix(k, "zbemu_ingest_bytes_total") && v <= 0:
			t.Errorf("%s = %v", k, v)
		}
	}
	for _, k := range []string{"zbemu_commit_duration_seconds_count{table=main.default.sdk}", "go_goroutines{}", "process_resident_memory_bytes{}"} {
		if got[k] <= 0 {
			t.Errorf("%s = %v, want > 0", k, got[k])
		}
	}

	st = s.stats()
	if st.WindowSeconds != 60 || st.OpenStreams != 0 || len(st.Streams) != 0 || st.RecordsPerSecond <= 0 || st.AckLatencyMs == nil || st.AckLatencyMs.Acks != 16 {
		t.Errorf("stats: %+v latency %+v", st, st.AckLatencyMs)
	}
	var tables []string
	for _, tb := range st.Tables {
		tables = append(tables, fmt.Sprintf("%s %d/%d", tb.Table, tb.RecordsTotal, tb.RejectedRecordsTotal))
		if tb.RecordsPerSecond <= 0 || tb.BytesPerSecond <= 0 || tb.AckLatencyMs == nil || tb.AckLatencyMs.P50 <= 0 || tb.AckLatencyMs.P99 < tb.AckLatencyMs.P50 {
			t.Errorf("table %s: %+v latency %+v", tb.Table, tb, tb.AckLatencyMs)
		}
	}
	if w := "[main.default.bad 20/1 main.default.live 5/0 main.default.rest 300/1 main.default.sdk 500/0]"; fmt.Sprint(tables) != w {
		t.Errorf("tables %v, want %s", tables, w)
	}
	wantErrs := []metrics.ErrorStats{{Code: "INVALID_PARAMETER_VALUE", Protocol: "GRPC", Total: 1, LastMinute: 1},
		{Code: "INVALID_PARAMETER_VALUE", Protocol: "HTTP", Total: 1, LastMinute: 1}}
	if fmt.Sprint(st.Errors) != fmt.Sprint(wantErrs) {
		t.Errorf("errors %+v, want %+v", st.Errors, wantErrs)
	}

	// /metrics needs no token; the stats API does.
	if code, _, _ := s.do("GET", "/zbemu/v1/stats", nil, nil); code != 401 {
		t.Errorf("stats without a token: HTTP %d, want 401", code)
	}
}
