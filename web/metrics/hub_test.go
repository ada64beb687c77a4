package metrics

import (
	"testing"
	"time"

	"github.com/zbemu/zbemu/engine"
)

// TestStatsHubPoints: a point's records/s is the acks of its interval (the
// difference of the totals), per table and in all; errors likewise; the
// history keeps the last HistoryLen points.
func TestStatsHubPoints(t *testing.T) {
	m := New()
	h := NewHub(m, 0, 0)
	t0 := time.Now()
	h.sample(t0)
	a := m.StreamOpened(engine.StreamInfo{ID: "s1", Table: "main.default.a", Protocol: "GRPC", DataFormat: "JSON", Opened: t0})
	a.Acked(300, 3000, time.Millisecond)
	b := m.StreamOpened(engine.StreamInfo{ID: "r1", Table: "main.default.b", Protocol: "HTTP", DataFormat: "JSON", Opened: t0})
	b.Acked(100, 500, time.Millisecond)
	m.CountError("INVALID_PARAMETER_VALUE", "HTTP")
	h.sample(t0.Add(2 * time.Second))
	_, p, tick := h.Current()
	if p.RecordsPerSecond != 200 || p.Tables["main.default.a"].RecordsPerSecond != 150 || p.Tables["main.default.b"].RecordsPerSecond != 50 || p.Errors != 1 {
		t.Errorf("point %+v: want 200 records/s (a 150, b 50) and 1 error over 2 s", p)
	}
	if p.P99 == 0 || p.Tables["main.default.a"].P99 == 0 {
		t.Errorf("point %+v has no ack latency", p)
	}
	h.sample(t0.Add(3 * time.Second))
	select {
	case <-tick:
	default:
		t.Error("a sample did not wake the clients waiting for it")
	}
	if _, p, _ := h.Current(); p.RecordsPerSecond != 0 || p.Errors != 0 {
		t.Errorf("a second without acks: %+v", p)
	}
	for i := range HistoryLen + 10 {
		h.sample(t0.Add(time.Duration(4+i) * time.Second))
	}
	pts := h.History()
	if len(pts) != HistoryLen || !pts[len(pts)-1].Time.After(pts[0].Time) {
		t.Errorf("history holds %d points, want the newest %d, oldest first", len(pts), HistoryLen)
	}
}

// TestStatsHubClients: join takes one of the bounded slots; close ends a
// started hub and makes a hub that never started unable to start.
func TestStatsHubClients(t *testing.T) {
	h := NewHub(New(), 0, 2)
	if !h.Join() || !h.Join() || h.Join() {
		t.Fatal("two slots: the third join must fail")
	}
	h.Leave()
	if !h.Join() {
		t.Fatal("a freed slot is not reusable")
	}
	h.Start()
	h.Close()
	select {
	case <-h.done:
	default:
		t.Error("close returned before the sampler stopped")
	}
	idle := NewHub(New(), 0, 0)
	idle.Close()
	idle.Start()
	if idle.started {
		t.Error("a closed hub started")
	}
}
