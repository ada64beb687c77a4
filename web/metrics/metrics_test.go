package metrics

import (
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/zbemu/zbemu/engine"
)

func TestMetricsObserver(t *testing.T) {
	m := New()
	opened := time.Now()
	grpcA := m.StreamOpened(engine.StreamInfo{ID: "s1", Table: "main.default.a", Protocol: "GRPC", DataFormat: "JSON", Opened: opened})
	for range 3 {
		grpcA.Acked(100, 1000, 2*time.Millisecond)
	}
	grpcA.Rejected(1)
	rest := m.StreamOpened(engine.StreamInfo{ID: "r1", Table: "main.default.a", Protocol: "HTTP", DataFormat: "JSON", Opened: opened})
	rest.Acked(10, 50, 300*time.Microsecond)
	rest.Closed()
	rest.Closed() // twice is once
	grpcB := m.StreamOpened(engine.StreamInfo{ID: "s2", Table: "main.default.b", Protocol: "GRPC", DataFormat: "PROTOBUF", Opened: opened})
	grpcB.Acked(7, 70, time.Millisecond)
	m.Commit("main.default.a", 310, 4*time.Millisecond)
	m.CountError("INVALID_PARAMETER_VALUE", "GRPC")
	m.CountError("INVALID_PARAMETER_VALUE", "GRPC")
	m.CountError("UNAUTHENTICATED", "HTTP")
	m.Backlog(5000, 64000)
	m.Backlog(1200, 15000) // the latest report wins
	m.Throttled(1500 * time.Millisecond)
	m.Throttled(500 * time.Millisecond)

	counters := []struct {
		name string
		c    prometheus.Collector
		want float64
	}{
		{"records GRPC a", m.records.WithLabelValues("main.default.a", "GRPC"), 300},
		{"bytes GRPC a", m.bytes.WithLabelValues("main.default.a", "GRPC"), 3000},
		{"records HTTP a", m.records.WithLabelValues("main.default.a", "HTTP"), 10},
		{"bytes HTTP a", m.bytes.WithLabelValues("main.default.a", "HTTP"), 50},
		{"records GRPC b", m.records.WithLabelValues("main.default.b", "GRPC"), 7},
		{"open GRPC a", m.openStreams.WithLabelValues("main.default.a", "GRPC"), 1},
		{"open HTTP a", m.openStreams.WithLabelValues("main.default.a", "HTTP"), 0},
		{"rejected a", m.rejected.WithLabelValues("main.default.a"), 1},
		{"errors INVALID_PARAMETER_VALUE GRPC", m.errors.WithLabelValues("INVALID_PARAMETER_VALUE", "GRPC"), 2},
		{"errors UNAUTHENTICATED HTTP", m.errors.WithLabelValues("UNAUTHENTICATED", "HTTP"), 1},
		{"backlog records", m.backlogRecordsG, 1200},
		{"backlog bytes", m.backlogBytesG, 15000},
		{"backpressure seconds", m.throttledC, 2},
	}
	for _, tc := range counters {
		if got := testutil.ToFloat64(tc.c); got != tc.want {
			t.Errorf("%s = %v, want %v", tc.name, got, tc.want)
		}
	}
	// Histograms: one series per table and protocol (ack latency) or per
	// table (commits, from the table's first stream on).
	for name, want := range map[string]int{"zbemu_ack_latency_seconds": 3, "zbemu_commit_duration_seconds": 2, "zbemu_commit_rows": 2} {
		if n, err := testutil.GatherAndCount(m.Registry(), name); err != nil || n != want {
			t.Errorf("%s: %d series (%v), want %d", name, n, err, want)
		}
	}
	if problems, err := testutil.GatherAndLint(m.Registry()); err != nil || len(problems) > 0 {
		t.Errorf("promlint: %v %+v", err, problems)
	}

	st := m.Snapshot(time.Now())
	if st.OpenStreams != 2 || len(st.Tables) != 2 || len(st.Streams) != 2 {
		t.Fatalf("open %d, tables %+v, streams %+v", st.OpenStreams, st.Tables, st.Streams)
	}
	a := st.Tables[0]
	if a.Table != "main.default.a" || a.RecordsTotal != 310 || a.BytesTotal != 3050 || a.RejectedRecordsTotal != 1 ||
		a.RecordsPerSecond <= 0 || a.RecordsPerSecond > 310 || a.OpenStreams != 1 || a.AckLatencyMs == nil || a.AckLatencyMs.Acks != 4 {
		t.Errorf("table a: %+v latency %+v", a, a.AckLatencyMs)
	}
	// Rates are over the window's age, at least a second.
	if st.RecordsPerSecond <= 0 || st.RecordsPerSecond > 317 || st.AckLatencyMs == nil || st.AckLatencyMs.Acks != 5 {
		t.Errorf("totals: %v records/s, latency %+v", st.RecordsPerSecond, st.AckLatencyMs)
	}
	if p := st.AckLatencyMs.P50; p < 1.75 || p > 2.25 {
		t.Errorf("p50 = %v ms, want about 2", p)
	}
	if s := st.Streams[0]; s.StreamID != "s1" || s.RecordsTotal != 300 || s.BytesTotal != 3000 || s.Protocol != "GRPC" ||
		s.RejectedRecordsTotal != 1 || s.AckLatencyMs == nil || s.AckLatencyMs.Acks != 3 || s.AckLatencyMs.P50 < 1.75 || s.AckLatencyMs.P50 > 2.25 {
		t.Errorf("stream s1: %+v latency %+v", s, s.AckLatencyMs)
	}
	if s := st.Streams[1]; s.StreamID != "s2" || s.RejectedRecordsTotal != 0 || s.AckLatencyMs == nil || s.AckLatencyMs.Acks != 1 {
		t.Errorf("stream s2: %+v latency %+v", s, s.AckLatencyMs)
	}
	wantErrs := []ErrorStats{{"INVALID_PARAMETER_VALUE", "GRPC", 2, 2}, {"UNAUTHENTICATED", "HTTP", 1, 1}}
	if fmt.Sprint(st.Errors) != fmt.Sprint(wantErrs) {
		t.Errorf("errors = %+v, want %+v", st.Errors, wantErrs)
	}

	if want := (Backlog{Records: 1200, Bytes: 15000, BackpressureSecondsTotal: 2}); st.Backlog != want {
		t.Errorf("backlog = %+v, want %+v", st.Backlog, want)
	}
	for _, name := range []string{"zbemu_backlog_records", "zbemu_backlog_bytes", "zbemu_backpressure_seconds_total"} {
		if n, err := testutil.GatherAndCount(m.Registry(), name); err != nil || n != 1 {
			t.Errorf("%s: %d series (%v), want 1", name, n, err)
		}
	}

	grpcA.Closed()
	grpcB.Closed()
	st = m.Snapshot(time.Now())
	if st.OpenStreams != 0 || len(st.Streams) != 0 {
		t.Errorf("after close: open %d, streams %+v", st.OpenStreams, st.Streams)
	}
	if g := testutil.ToFloat64(m.openStreams.WithLabelValues("main.default.a", "GRPC")); g != 0 {
		t.Errorf("open streams gauge %v after close", g)
	}
}

// BenchmarkStreamObserverAcked is the metrics' cost per acknowledged
// request (one per batch, not per record) on the ack path.
func BenchmarkStreamObserverAcked(b *testing.B) {
	m := New()
	so := m.StreamOpened(engine.StreamInfo{ID: "s", Table: "main.default.t", Protocol: "GRPC", DataFormat: "JSON", Opened: time.Now()})
	b.ReportAllocs()
	for b.Loop() {
		so.Acked(100, 11100, 3*time.Millisecond)
	}
}

// BenchmarkRESTRequestObserved is the metrics' cost of one REST request:
// open, ack and close of its stream.
func BenchmarkRESTRequestObserved(b *testing.B) {
	m := New()
	info := engine.StreamInfo{ID: "r", Table: "main.default.t", Protocol: "HTTP", DataFormat: "JSON", Opened: time.Now()}
	b.ReportAllocs()
	for b.Loop() {
		so := m.StreamOpened(info)
		so.Acked(1000, 111000, 3*time.Millisecond)
		so.Closed()
	}
}
