package metrics

import (
	"math"
	"math/bits"
	"sort"
	"sync"
	"time"
)

// GET /zbemu/v1/stats summarises the last minute of ingest for a UI:
// throughput per table and per open stream, ack latency percentiles and
// error counts. The figures come from sliding windows of one-second slots
// that the ack path fills (one lock per request, never per record).

// windowSeconds is the length of the sliding window.
const windowSeconds = 60

// Ack latencies are counted in quarter-octave buckets of microseconds:
// 0–3 µs exactly, then four buckets per power of two (±12% around the
// bucket's midpoint) up to about half an hour.
const latBuckets = 120

// latIndex returns the latency bucket of d.
func latIndex(d time.Duration) int {
	if d < 0 {
		d = 0
	}
	us := uint64(d / time.Microsecond)
	if us < 4 {
		return int(us)
	}
	k := bits.Len64(us) - 1 // us in [2^k, 2^(k+1)), k >= 2
	i := k*4 + int((us>>(k-2))&3) - 4
	return min(i, latBuckets-1)
}

// latBounds returns the range [lo, hi) of bucket i in microseconds.
func latBounds(i int) (lo, hi float64) {
	if i < 8 {
		return float64(i), float64(i + 1)
	}
	k, sub := (i+4)/4, (i+4)%4
	step := math.Ldexp(1, k-2)
	return float64(4+sub) * step, float64(5+sub) * step
}

// slot is one second of a window.
type slot struct {
	unix           int64 // the second the counts belong to
	records, bytes int64
}

// window counts records, bytes and (optionally) ack latencies per second
// over the last windowSeconds. Writers take mu once per request.
type window struct {
	created time.Time

	mu    sync.Mutex // guards slots and lat
	slots [windowSeconds]slot
	lat   *[windowSeconds][latBuckets]uint32 // nil: latencies not kept
}

func newWindow(now time.Time, latencies bool) *window {
	w := &window{created: now}
	if latencies {
		w.lat = new([windowSeconds][latBuckets]uint32)
	}
	return w
}

// add counts one request at now.
func (w *window) add(now time.Time, records, bytes int, latency time.Duration) {
	sec := now.Unix()
	i := int(uint64(sec) % windowSeconds)
	w.mu.Lock()
	s := &w.slots[i]
	if s.unix != sec {
		*s = slot{unix: sec}
		if w.lat != nil {
			w.lat[i] = [latBuckets]uint32{}
		}
	}
	s.records += int64(records)
	s.bytes += int64(bytes)
	if w.lat != nil {
		w.lat[i][latIndex(latency)]++
	}
	w.mu.Unlock()
}

// windowSum is what a window holds for the last windowSeconds before now.
type windowSum struct {
	records, bytes int64
	span           float64 // seconds covered: the window, or less if it was created within it
	lat            [latBuckets]uint64
	acks           uint64
}

// sum adds up the slots of the seconds (now-windowSeconds, now].
func (w *window) sum(now time.Time) windowSum {
	var out windowSum
	sec := now.Unix()
	full := float64(windowSeconds-1) + float64(now.Nanosecond())/1e9
	out.span = min(full, now.Sub(w.created).Seconds())
	w.mu.Lock()
	defer w.mu.Unlock()
	for i := range w.slots {
		s := &w.slots[i]
		if s.unix <= sec-windowSeconds || s.unix > sec {
			continue
		}
		out.records += s.records
		out.bytes += s.bytes
		if w.lat != nil {
			for j, n := range w.lat[i] {
				out.lat[j] += uint64(n)
				out.acks += uint64(n)
			}
		}
	}
	return out
}

// rate is n per second over span; a window younger than a second counts as one second.
func rate(n int64, span float64) float64 {
	return float64(n) / max(span, 1)
}

// merge adds o's latencies to s (for the totals across tables).
func (s *windowSum) merge(o *windowSum) {
	for i, n := range o.lat {
		s.lat[i] += n
	}
	s.acks += o.acks
}

// quantile returns the q-quantile (0 < q <= 1) of the latencies in
// milliseconds, as the midpoint of the bucket that holds it.
func (s *windowSum) quantile(q float64) float64 {
	if s.acks == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(s.acks)))
	var seen uint64
	for i, n := range s.lat {
		seen += n
		if seen >= max(rank, 1) {
			lo, hi := latBounds(i)
			return math.Round((lo+hi)/2) / 1000
		}
	}
	return 0
}

func (s *windowSum) latency() *Latency {
	if s.acks == 0 {
		return nil
	}
	return &Latency{P50: s.quantile(0.50), P99: s.quantile(0.99), Acks: int64(s.acks)}
}

// Stats is the body of GET /zbemu/v1/stats. Rates are per second over the
// last WindowSeconds (or since a table or stream first appeared, if later);
// totals count since the server started.
type Stats struct {
	Time             time.Time     `json:"time"`
	WindowSeconds    int           `json:"window_seconds"`
	OpenStreams      int64         `json:"open_streams"`
	RecordsPerSecond float64       `json:"records_per_second"`
	BytesPerSecond   float64       `json:"bytes_per_second"`
	AckLatencyMs     *Latency      `json:"ack_latency_ms"` // null without acks in the window
	Backlog          Backlog       `json:"backlog"`
	Errors           []ErrorStats  `json:"errors"`
	Tables           []TableStats  `json:"tables"`
	Streams          []StreamStats `json:"streams"` // open gRPC streams; REST requests count under their table
	// Pipelines are the datasets pipeline flows wrote since the start.
	Pipelines []DatasetStats `json:"pipelines"`
}

// Latency is ack latency (request received to durable ack) in milliseconds
// over the window; Acks is how many requests it covers.
type Latency struct {
	P50  float64 `json:"p50"`
	P99  float64 `json:"p99"`
	Acks int64   `json:"acks"`
}

// Backlog is what is acknowledged but not yet queryable: the records and
// their logged bytes, and how long acks were held back in total because it
// was at its bound.
type Backlog struct {
	Records                  int64   `json:"records"`
	Bytes                    int64   `json:"bytes"`
	BackpressureSecondsTotal float64 `json:"backpressure_seconds_total"`
}

// ErrorStats counts ingest errors returned to clients with one error_code
// over one protocol.
type ErrorStats struct {
	Code       string `json:"error_code"`
	Protocol   string `json:"protocol"`
	Total      int64  `json:"total"`
	LastMinute int64  `json:"last_minute"`
}

// TableStats is the ingest of one table.
type TableStats struct {
	Table                string   `json:"table"`
	OpenStreams          int64    `json:"open_streams"`
	RecordsPerSecond     float64  `json:"records_per_second"`
	BytesPerSecond       float64  `json:"bytes_per_second"`
	AckLatencyMs         *Latency `json:"ack_latency_ms"`
	RecordsTotal         int64    `json:"records_total"`
	BytesTotal           int64    `json:"bytes_total"`
	RejectedRecordsTotal int64    `json:"rejected_records_total"`
}

// StreamStats is the ingest of one open stream, with its ack latency over
// the window and the records it had refused.
type StreamStats struct {
	StreamID             string    `json:"stream_id"`
	Table                string    `json:"table"`
	Protocol             string    `json:"protocol"`
	DataFormat           string    `json:"data_format"`
	OpenedTime           time.Time `json:"opened_time"`
	RecordsPerSecond     float64   `json:"records_per_second"`
	BytesPerSecond       float64   `json:"bytes_per_second"`
	AckLatencyMs         *Latency  `json:"ack_latency_ms"`
	RecordsTotal         int64     `json:"records_total"`
	BytesTotal           int64     `json:"bytes_total"`
	RejectedRecordsTotal int64     `json:"rejected_records_total"`
}

// Snapshot summarises the windows as of now.
func (m *Metrics) Snapshot(now time.Time) Stats {
	st := Stats{Time: now.UTC(), WindowSeconds: windowSeconds, Errors: []ErrorStats{}, Tables: []TableStats{}, Streams: []StreamStats{},
		Backlog: Backlog{Records: m.backlogRecords.Load(), Bytes: m.backlogBytes.Load(), BackpressureSecondsTotal: time.Duration(m.throttled.Load()).Seconds()}}
	var all windowSum
	for _, t := range m.tableList() {
		sum := t.win.sum(now)
		all.merge(&sum)
		ts := TableStats{Table: t.name, OpenStreams: t.open.Load(), RecordsPerSecond: rate(sum.records, sum.span),
			BytesPerSecond: rate(sum.bytes, sum.span), AckLatencyMs: sum.latency(), RecordsTotal: t.records.Load(),
			BytesTotal: t.bytes.Load(), RejectedRecordsTotal: t.rejectedN.Load()}
		st.OpenStreams += ts.OpenStreams
		st.RecordsPerSecond += ts.RecordsPerSecond
		st.BytesPerSecond += ts.BytesPerSecond
		st.Tables = append(st.Tables, ts)
	}
	st.AckLatencyMs = all.latency()
	st.Pipelines = m.pipelines.snapshot()
	m.streams.Range(func(_, v any) bool {
		so := v.(*streamObserver)
		sum := so.win.sum(now)
		st.Streams = append(st.Streams, StreamStats{StreamID: so.info.ID, Table: so.info.Table, Protocol: so.info.Protocol,
			DataFormat: so.info.DataFormat, OpenedTime: so.info.Opened.UTC(), RecordsPerSecond: rate(sum.records, sum.span),
			BytesPerSecond: rate(sum.bytes, sum.span), AckLatencyMs: sum.latency(), RecordsTotal: so.records.Load(), BytesTotal: so.bytes.Load(),
			RejectedRecordsTotal: so.rejected.Load()})
		return true
	})
	sort.Slice(st.Streams, func(i, j int) bool {
		a, b := st.Streams[i], st.Streams[j]
		return a.Table < b.Table || a.Table == b.Table && a.OpenedTime.Before(b.OpenedTime)
	})
	m.errMu.Lock()
	for k, e := range m.errs {
		st.Errors = append(st.Errors, ErrorStats{Code: k.code, Protocol: k.protocol, Total: e.total, LastMinute: e.win.sum(now).records})
	}
	m.errMu.Unlock()
	sort.Slice(st.Errors, func(i, j int) bool {
		a, b := st.Errors[i], st.Errors[j]
		return a.Code < b.Code || a.Code == b.Code && a.Protocol < b.Protocol
	})
	return st
}
