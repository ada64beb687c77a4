package web

import (
	"sync"
	"time"
)

// statsHub takes one Snapshot of the metrics per second, whoever watches:
// the live UI's server-sent events (GET /zbemu/v1/stats/stream) read the
// hub's latest sample instead of the metrics, so the ingest path does the
// same work with no browser or with the maximum number of them. It keeps
// historyLen points of throughput and ack latency for the monitor's charts.

const (
	// historyLen is 15 minutes of one point per second.
	historyLen = 15 * 60
	// defaultMaxStatsStreams bounds concurrent SSE clients; each costs a
	// goroutine, a connection and one authorization check per second.
	defaultMaxStatsStreams = 32
)

// StatsPoint is one second of the monitor's history. Records per second
// count the acks of that second (difference of the totals); latencies are
// the ack latency percentiles over the stats window (WindowSeconds) ending
// then, 0 without acks.
type StatsPoint struct {
	Time             time.Time             `json:"time"`
	RecordsPerSecond float64               `json:"records_per_second"`
	P50              float64               `json:"ack_p50_ms"`
	P99              float64               `json:"ack_p99_ms"`
	Errors           int64                 `json:"errors"` // ingest errors returned in that second
	Tables           map[string]TablePoint `json:"tables"`
}

// TablePoint is one table's part of a StatsPoint.
type TablePoint struct {
	RecordsPerSecond float64 `json:"records_per_second"`
	P50              float64 `json:"ack_p50_ms"`
	P99              float64 `json:"ack_p99_ms"`
}

type statsHub struct {
	m       *Metrics
	clients chan struct{} // a slot per connected SSE client

	mu      sync.Mutex
	latest  Stats
	points  []StatsPoint
	tick    chan struct{} // closed when a new sample is taken, then replaced
	prev    map[string]int64
	prevAll int64
	prevErr int64
	prevAt  time.Time

	once, closeOnce sync.Once
	started         bool // set inside once
	stop, done      chan struct{}
}

func newStatsHub(m *Metrics, maxClients int) *statsHub {
	if maxClients <= 0 {
		maxClients = defaultMaxStatsStreams
	}
	return &statsHub{m: m, clients: make(chan struct{}, maxClients), tick: make(chan struct{}),
		stop: make(chan struct{}), done: make(chan struct{})}
}

// start begins sampling (once); close stops it and ends every SSE stream.
// A hub closed before it started never starts.
func (h *statsHub) start() {
	h.once.Do(func() {
		h.started = true
		h.sample(time.Now())
		go h.run()
	})
}

func (h *statsHub) close() {
	h.closeOnce.Do(func() {
		close(h.stop)
		h.once.Do(func() {})
		if h.started {
			<-h.done
		}
	})
}

func (h *statsHub) run() {
	defer close(h.done)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-h.stop:
			return
		case now := <-t.C:
			h.sample(now)
		}
	}
}

// sample takes a snapshot, appends its point and wakes the clients.
func (h *statsHub) sample(now time.Time) {
	st := h.m.Snapshot(now)
	p := StatsPoint{Time: st.Time, Tables: make(map[string]TablePoint, len(st.Tables))}
	p.P50, p.P99 = latencyMs(st.AckLatencyMs)
	var all, errs int64
	for _, e := range st.Errors {
		errs += e.Total
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	secs := now.Sub(h.prevAt).Seconds()
	next := make(map[string]int64, len(st.Tables))
	for _, t := range st.Tables {
		all += t.RecordsTotal
		next[t.Table] = t.RecordsTotal
		tp := TablePoint{}
		tp.P50, tp.P99 = latencyMs(t.AckLatencyMs)
		if h.prev != nil && secs > 0 {
			tp.RecordsPerSecond = float64(t.RecordsTotal-h.prev[t.Table]) / secs
		}
		p.Tables[t.Table] = tp
	}
	if h.prev != nil && secs > 0 {
		p.RecordsPerSecond = float64(all-h.prevAll) / secs
		p.Errors = errs - h.prevErr
	}
	h.prev, h.prevAll, h.prevErr, h.prevAt = next, all, errs, now
	h.latest = st
	if len(h.points) == historyLen {
		copy(h.points, h.points[1:])
		h.points = h.points[:historyLen-1]
	}
	h.points = append(h.points, p)
	close(h.tick)
	h.tick = make(chan struct{})
}

func latencyMs(l *Latency) (p50, p99 float64) {
	if l == nil {
		return 0, 0
	}
	return l.P50, l.P99
}

// current returns the latest sample, its point and the channel closed at
// the next sample. The Stats and points are shared: callers must not
// modify them.
func (h *statsHub) current() (Stats, StatsPoint, <-chan struct{}) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var p StatsPoint
	if n := len(h.points); n > 0 {
		p = h.points[n-1]
	}
	return h.latest, p, h.tick
}

// history returns a copy of the points, oldest first.
func (h *statsHub) history() []StatsPoint {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]StatsPoint(nil), h.points...)
}

// join takes a client slot; false when every slot is taken.
func (h *statsHub) join() bool {
	select {
	case h.clients <- struct{}{}:
		return true
	default:
		return false
	}
}

func (h *statsHub) leave() { <-h.clients }
