package metrics

import (
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/zbemu/zbemu/engine"
)

// Metrics measures ingest for GET /metrics (Prometheus text format, on a
// registry of its own) and GET /zbemu/v1/stats. It implements
// engine.Observer; package web adds the errors it returns to ingest
// clients (CountError). Hot-path cost is one lookup of cached metric children per
// stream and a few atomic adds plus one short lock per request.
type Metrics struct {
	reg *prometheus.Registry

	records     *prometheus.CounterVec   // table, protocol
	bytes       *prometheus.CounterVec   // table, protocol
	ackLatency  *prometheus.HistogramVec // table, protocol
	openStreams *prometheus.GaugeVec     // table, protocol
	rejected    *prometheus.CounterVec   // table
	tsWarnings  *prometheus.CounterVec   // table, unit
	commitTime  *prometheus.HistogramVec // table
	commitRows  *prometheus.HistogramVec // table
	errors      *prometheus.CounterVec   // code, protocol

	// The materialiser's backlog (engine.Observer.Backlog, Throttled),
	// also kept as atomics for the stats endpoint.
	backlogRecordsG, backlogBytesG prometheus.Gauge
	throttledC                     prometheus.Counter
	backlogRecords, backlogBytes   atomic.Int64
	throttled                      atomic.Int64 // nanoseconds

	streams sync.Map // stream id → *streamObserver, open gRPC streams

	// mu guards series and tables; entries are created once and never removed.
	mu     sync.RWMutex
	series map[seriesKey]*series
	tables map[string]*tableStats

	pipelines *pipelineMetrics

	// errMu guards errs.
	errMu sync.Mutex
	errs  map[errorKey]*errorCount
}

var _ engine.Observer = (*Metrics)(nil)

// Bucket bounds in seconds: ack latency from 0.5 ms to 1 s, commits up to 2.5 s.
var (
	ackBuckets    = []float64{.0005, .001, .002, .005, .01, .025, .05, .1, .25, .5, 1}
	commitBuckets = []float64{.0005, .001, .002, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}
	rowsBuckets   = prometheus.ExponentialBuckets(1, 4, 10) // 1 … 262,144
)

// New creates the metrics on a fresh registry with the Go runtime
// and process collectors.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		records: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "zbemu_ingest_records_total",
			Help: "Records acknowledged (durable), by table and protocol."}, []string{"table", "protocol"}),
		bytes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "zbemu_ingest_bytes_total",
			Help: "Bytes of acknowledged records as sent (JSON text or protobuf), by table and protocol."}, []string{"table", "protocol"}),
		ackLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "zbemu_ack_latency_seconds",
			Help:    "Time from receiving an ingest request to its durable ack, one observation per request.",
			Buckets: ackBuckets}, []string{"table", "protocol"}),
		openStreams: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "zbemu_open_streams",
			Help: "Open ingest streams (a REST request is a stream while it runs), by table and protocol."}, []string{"table", "protocol"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "zbemu_rejected_records_total",
			Help: "Records refused by validation (as in system.zbemu.rejected_records), by table."}, []string{"table"}),
		tsWarnings: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "zbemu_timestamp_warnings_total",
			Help: "Records accepted with a TIMESTAMP that looks like seconds or milliseconds rather than microseconds (as in system.zbemu.warnings), by table and unit; counted per column."}, []string{"table", "unit"}),
		commitTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "zbemu_commit_duration_seconds",
			Help:    "DuckDB transaction time of each materialiser commit, observed for every table it covers.",
			Buckets: commitBuckets}, []string{"table"}),
		commitRows: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "zbemu_commit_rows",
			Help: "Rows of a table per materialiser commit.", Buckets: rowsBuckets}, []string{"table"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "zbemu_errors_total",
			Help: "Errors returned to ingest clients, by Databricks error_code and protocol."}, []string{"code", "protocol"}),
		backlogRecordsG: prometheus.NewGauge(prometheus.GaugeOpts{Name: "zbemu_backlog_records",
			Help: "Acknowledged records not yet materialised into DuckDB (bounded by --max-backlog-records)."}),
		backlogBytesG: prometheus.NewGauge(prometheus.GaugeOpts{Name: "zbemu_backlog_bytes",
			Help: "Memory of the acknowledged records not yet materialised into DuckDB: their logged bytes and decoded rows (bounded by --max-backlog-bytes)."}),
		throttledC: prometheus.NewCounter(prometheus.CounterOpts{Name: "zbemu_backpressure_seconds_total",
			Help: "Time the ingest log writer held acks back because the backlog was at its bound."}),
		series:    map[seriesKey]*series{},
		tables:    map[string]*tableStats{},
		errs:      map[errorKey]*errorCount{},
		pipelines: newPipelineMetrics(),
	}
	m.reg.MustRegister(m.pipelines.collectors()...)
	m.reg.MustRegister(m.records, m.bytes, m.ackLatency, m.openStreams, m.rejected, m.tsWarnings, m.commitTime, m.commitRows, m.errors,
		m.backlogRecordsG, m.backlogBytesG, m.throttledC,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Registry is the registry behind /metrics, for adding collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

type seriesKey struct{ table, protocol string }

// series caches the metric children of one table and protocol.
type series struct {
	tab        *tableStats
	records    prometheus.Counter
	bytes      prometheus.Counter
	ackLatency prometheus.Observer
	open       prometheus.Gauge
}

// tableStats holds one table's window, totals and per-table children.
type tableStats struct {
	name       string
	win        *window
	open       atomic.Int64
	records    atomic.Int64
	bytes      atomic.Int64
	rejectedN  atomic.Int64
	rejected   prometheus.Counter
	commitTime prometheus.Observer
	commitRows prometheus.Observer
}

func (m *Metrics) seriesFor(table, protocol string) *series {
	k := seriesKey{table, protocol}
	m.mu.RLock()
	s := m.series[k]
	m.mu.RUnlock()
	if s != nil {
		return s
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if s := m.series[k]; s != nil {
		return s
	}
	s = &series{tab: m.tableLocked(table), records: m.records.WithLabelValues(table, protocol),
		bytes: m.bytes.WithLabelValues(table, protocol), ackLatency: m.ackLatency.WithLabelValues(table, protocol),
		open: m.openStreams.WithLabelValues(table, protocol)}
	m.series[k] = s
	return s
}

func (m *Metrics) tableFor(table string) *tableStats {
	m.mu.RLock()
	t := m.tables[table]
	m.mu.RUnlock()
	if t != nil {
		return t
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.tableLocked(table)
}

func (m *Metrics) tableLocked(table string) *tableStats {
	if t := m.tables[table]; t != nil {
		return t
	}
	t := &tableStats{name: table, win: newWindow(time.Now(), true), rejected: m.rejected.WithLabelValues(table),
		commitTime: m.commitTime.WithLabelValues(table), commitRows: m.commitRows.WithLabelValues(table)}
	m.tables[table] = t
	return t
}

// tableList returns the tables seen so far, sorted by name.
func (m *Metrics) tableList() []*tableStats {
	m.mu.RLock()
	out := make([]*tableStats, 0, len(m.tables))
	for _, t := range m.tables {
		out = append(out, t)
	}
	m.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// StreamOpened implements engine.Observer.
func (m *Metrics) StreamOpened(info engine.StreamInfo) engine.StreamObserver {
	s := m.seriesFor(info.Table, info.Protocol)
	s.open.Inc()
	s.tab.open.Add(1)
	so := &streamObserver{m: m, s: s, info: info}
	// A REST request is a stream too, but a per-request window would cost
	// more than the request; REST is summarised per table. A gRPC stream's
	// window keeps its ack latencies (about 29 KB) for the monitor's
	// per-stream p50/p99.
	if info.Protocol != "HTTP" {
		so.win = newWindow(info.Opened, true)
		m.streams.Store(info.ID, so)
	}
	return so
}

// Commit implements engine.Observer.
func (m *Metrics) Commit(table string, rows int, d time.Duration) {
	t := m.tableFor(table)
	t.commitTime.Observe(d.Seconds())
	t.commitRows.Observe(float64(rows))
}

// Backlog implements engine.Observer.
func (m *Metrics) Backlog(records, bytes int64) {
	m.backlogRecords.Store(records)
	m.backlogBytes.Store(bytes)
	m.backlogRecordsG.Set(float64(records))
	m.backlogBytesG.Set(float64(bytes))
}

// Throttled implements engine.Observer.
func (m *Metrics) Throttled(d time.Duration) {
	m.throttled.Add(int64(d))
	m.throttledC.Add(d.Seconds())
}

// streamObserver measures one stream.
type streamObserver struct {
	m              *Metrics
	s              *series
	info           engine.StreamInfo
	win            *window // nil for REST requests
	records, bytes atomic.Int64
	rejected       atomic.Int64
	closed         atomic.Bool
}

// Acked implements engine.StreamObserver.
func (so *streamObserver) Acked(records, bytes int, latency time.Duration) {
	s := so.s
	s.records.Add(float64(records))
	s.bytes.Add(float64(bytes))
	s.ackLatency.Observe(latency.Seconds())
	s.tab.records.Add(int64(records))
	s.tab.bytes.Add(int64(bytes))
	now := time.Now()
	s.tab.win.add(now, records, bytes, latency)
	if so.win != nil {
		so.records.Add(int64(records))
		so.bytes.Add(int64(bytes))
		so.win.add(now, records, bytes, latency)
	}
}

// Rejected implements engine.StreamObserver.
func (so *streamObserver) Rejected(records int) {
	so.s.tab.rejected.Add(float64(records))
	so.s.tab.rejectedN.Add(int64(records))
	so.rejected.Add(int64(records))
}

// TimestampWarnings implements engine.StreamObserver. It is called once
// per request with warnings, so the label lookup is off the common path.
func (so *streamObserver) TimestampWarnings(unit string, records int) {
	so.m.tsWarnings.WithLabelValues(so.info.Table, unit).Add(float64(records))
}

// Closed implements engine.StreamObserver.
func (so *streamObserver) Closed() {
	if so.closed.Swap(true) {
		return
	}
	so.s.open.Dec()
	so.s.tab.open.Add(-1)
	if so.win != nil {
		so.m.streams.Delete(so.info.ID)
	}
}

type errorKey struct{ code, protocol string }

type errorCount struct {
	total int64
	win   *window // records counts errors
}

// CountError counts one error returned to an ingest client, by its
// Databricks error_code and the protocol (GRPC or HTTP) it went over.
func (m *Metrics) CountError(code, protocol string) {
	m.errors.WithLabelValues(code, protocol).Inc()
	now := time.Now()
	k := errorKey{code, protocol}
	m.errMu.Lock()
	defer m.errMu.Unlock()
	e := m.errs[k]
	if e == nil {
		e = &errorCount{win: newWindow(now, false)}
		m.errs[k] = e
	}
	e.total++
	e.win.add(now, 1, 0, 0)
}
