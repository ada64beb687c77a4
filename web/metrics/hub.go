package metrics

import (
	"sync"
	"time"
)

// Hub takes one Snapshot of the metrics per interval (a second by
// default), whoever watches: the live UI's server-sent events read the
// hub's latest sample instead of the metrics, so the ingest path does the
// same work with no browser or with the maximum number of them. It keeps
// HistoryLen points of throughput and ack latency for the monitor's charts.

const (
	// HistoryLen is 15 minutes of one point per second.
	HistoryLen = 15 * 60
	// DefaultMaxClients bounds concurrent live clients; each costs a
	// goroutine, a connection and one authorization check per sample.
	DefaultMaxClients = 32
	// DefaultInterval is the time between samples.
	DefaultInterval = time.Second
)

// StatsPoint is one sample of the monitor's history. Records per second
// count the acks since the previous sample (difference of the totals) per
// second; latencies are the ack latency percentiles over the stats window
// (WindowSeconds) ending then, 0 without acks.
type StatsPoint struct {
	Time             time.Time             `json:"time"`
	RecordsPerSecond float64               `json:"records_per_second"`
	P50              float64               `json:"ack_p50_ms"`
	P99              float64               `json:"ack_p99_ms"`
	Errors           int64                 `json:"errors"` // ingest errors returned since the previous sample
	Tables           map[string]TablePoint `json:"tables"`
}

// TablePoint is one table's part of a StatsPoint.
type TablePoint struct {
	RecordsPerSecond float64 `json:"records_per_second"`
	P50              float64 `json:"ack_p50_ms"`
	P99              float64 `json:"ack_p99_ms"`
}

// Hub samples a Metrics for live clients; see NewHub.
type Hub struct {
	m        *Metrics
	interval time.Duration
	clients  chan struct{} // a slot per connected live client

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

// NewHub makes a hub that samples m every interval (0 means
// DefaultInterval) once started, for at most maxClients live clients at a
// time (0 means DefaultMaxClients). A shorter interval lets a test replay
// minutes of updates in seconds; the points are still per-second rates.
func NewHub(m *Metrics, interval time.Duration, maxClients int) *Hub {
	if maxClients <= 0 {
		maxClients = DefaultMaxClients
	}
	if interval <= 0 {
		interval = DefaultInterval
	}
	return &Hub{m: m, interval: interval, clients: make(chan struct{}, maxClients), tick: make(chan struct{}),
		stop: make(chan struct{}), done: make(chan struct{})}
}

// Start begins sampling (once); Close stops it and closes Stopped, which
// ends every live client. A hub closed before it started never starts.
func (h *Hub) Start() {
	h.once.Do(func() {
		h.started = true
		h.sample(time.Now())
		go h.run()
	})
}

func (h *Hub) Close() {
	h.closeOnce.Do(func() {
		close(h.stop)
		h.once.Do(func() {})
		if h.started {
			<-h.done
		}
	})
}

func (h *Hub) run() {
	defer close(h.done)
	t := time.NewTicker(h.interval)
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
func (h *Hub) sample(now time.Time) {
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
	if len(h.points) == HistoryLen {
		copy(h.points, h.points[1:])
		h.points = h.points[:HistoryLen-1]
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

// Current returns the latest sample, its point and the channel closed at
// the next sample. The Stats and points are shared: callers must not
// modify them.
func (h *Hub) Current() (Stats, StatsPoint, <-chan struct{}) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var p StatsPoint
	if n := len(h.points); n > 0 {
		p = h.points[n-1]
	}
	return h.latest, p, h.tick
}

// History returns a copy of the points, oldest first.
func (h *Hub) History() []StatsPoint {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]StatsPoint(nil), h.points...)
}

// Join takes a client slot; false when every slot is taken.
func (h *Hub) Join() bool {
	select {
	case h.clients <- struct{}{}:
		return true
	default:
		return false
	}
}

// Leave frees the slot Join took.
func (h *Hub) Leave() { <-h.clients }

// MaxClients is how many clients may join at once.
func (h *Hub) MaxClients() int { return cap(h.clients) }

// Stopped is closed when the hub closes.
func (h *Hub) Stopped() <-chan struct{} { return h.stop }
