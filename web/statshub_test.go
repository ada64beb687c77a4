package web

import (
	"testing"
	"time"

	"github.com/zbemu/zbemu/engine"
)

// TestStatsHubPoints: a point's records/s is the acks of its interval (the
// difference of the totals), per table and in all; errors likewise; the
// history keeps the last historyLen points.
func TestStatsHubPoints(t *testing.T) {
	m := NewMetrics()
	h := newStatsHub(m, 0)
	t0 := time.Now()
	h.sample(t0)
	a := m.StreamOpened(engine.StreamInfo{ID: "s1", Table: "main.default.a", Protocol: "GRPC", DataFormat: "JSON", Opened: t0})
	a.Acked(300, 3000, time.Millisecond)
	b := m.StreamOpened(engine.StreamInfo{ID: "r1", Table: "main.default.b", Protocol: "HTTP", DataFormat: "JSON", Opened: t0})
	b.Acked(100, 500, time.Millisecond)
	m.countError("INVALID_PARAMETER_VALUE", "HTTP")
	h.sample(t0.Add(2 * time.Second))
	_, p, tick := h.current()
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
	if _, p, _ := h.current(); p.RecordsPerSecond != 0 || p.Errors != 0 {
		t.Errorf("a second without acks: %+v", p)
	}
	for i := range historyLen + 10 {
		h.sample(t0.Add(time.Duration(4+i) * time.Second))
	}
	pts := h.history()
	if len(pts) != historyLen || !pts[len(pts)-1].Time.After(pts[0].Time) {
		t.Errorf("history holds %d points, want the newest %d, oldest first", len(pts), historyLen)
	}
}

// TestStatsHubClients: join takes one of the bounded slots; close ends a
// started hub and makes a hub that never started unable to start.
func TestStatsHubClients(t *testing.T) {
	h := newStatsHub(NewMetrics(), 2)
	if !h.join() || !h.join() || h.join() {
		t.Fatal("two slots: the third join must fail")
	}
	h.leave()
	if !h.join() {
		t.Fatal("a freed slot is not reusable")
	}
	h.start()
	h.close()
	select {
	case <-h.done:
	default:
		t.Error("close returned before the sampler stopped")
	}
	idle := newStatsHub(NewMetrics(), 0)
	idle.close()
	idle.start()
	if idle.started {
		t.Error("a closed hub started")
	}
}
