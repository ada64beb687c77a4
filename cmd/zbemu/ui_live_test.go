package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/heapprofiler"
	"github.com/chromedp/cdproto/performance"
	cdpruntime "github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/zbemu/zbemu/fixtures/zbclient"
)

// liveUpdates is ten minutes of the monitor's one-per-second updates.
const liveUpdates = 10 * 60

// heapSlack is how much the JS heap may grow over liveUpdates updates at a
// steady number of points. Measured after forced garbage collections, the
// monitor's heap still swings by a few MB between samples (detached table
// and chart nodes are freed lazily), so each side is the least of several
// samples. Keeping each update's event alive instead adds about 40 KB per
// update, 25 MB over liveUpdates; this bound catches anything above about
// 10 KB kept per update.
const heapSlack = 6 << 20

// memorySamples is how many measurements, spread over a few seconds,
// each side of the test takes the least of.
const memorySamples = 6

// TestUIMonitorHeap replays ten minutes of live updates into the ingestion
// monitor while a generator runs, at --stats-interval 50ms so it takes
// seconds: once the page holds the server's full history (so its chart data
// has reached its steady size), the JS heap after forced garbage
// collections must not grow by more than heapSlack over liveUpdates further
// updates, nor its event listeners at all, and the rates shown must move.
func TestUIMonitorHeap(t *testing.T) {
	t.Parallel()
	ctx := newBrowser(t)
	s := startServer(t, "", "--memory", "--stats-interval", "50ms")
	s.sql("CREATE TABLE main.default.live (device_id STRING, n BIGINT)")
	gen := startGenerator(t, s, "main.default.live")

	open(t, ctx, s, "/ingest")
	// The hub keeps 900 points; at 50 ms they are there within a minute
	// (the deadline allows for a loaded machine dropping ticks). A few more
	// updates then let the page's caches and the chart reach their size.
	waitForJS(t, ctx, 5*time.Minute, `Number(document.body.dataset.statsPoints || 0) >= 900`)
	warm := eval[int](t, ctx, `Number(document.body.dataset.statsEvents)`) + 100
	waitForJS(t, ctx, 5*time.Minute, fmt.Sprintf(`Number(document.body.dataset.statsEvents) >= %d`, warm))
	start := leastMemory(t, ctx)
	events0 := eval[int](t, ctx, `Number(document.body.dataset.statsEvents)`)
	rates := map[string]bool{}
	deadline := time.Now().Add(10 * time.Minute)
	for {
		rates[text(t, ctx, "#kpi-rate")] = true
		n := eval[int](t, ctx, `Number(document.body.dataset.statsEvents)`)
		if n-events0 >= liveUpdates {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d updates arrived", n-events0, liveUpdates)
		}
		run(t, ctx, "wait between looks", chromedp.Sleep(200*time.Millisecond))
	}
	end := leastMemory(t, ctx)
	if pts := eval[int](t, ctx, `Number(document.body.dataset.statsPoints)`); pts != 900 {
		t.Errorf("the page holds %d points, want the server's 900", pts)
	}
	t.Logf("after GC, before and after %d updates (%d records sent): JS heap %.0f KB, %.0f KB; DOM nodes %.0f, %.0f; listeners %.0f, %.0f; the rate KPI took %d values",
		liveUpdates, gen.AckedRecords(), start.heap/1024, end.heap/1024, start.nodes, end.nodes, start.listeners, end.listeners, len(rates))
	if end.heap > start.heap+heapSlack {
		t.Errorf("JS heap grew from %.0f KB to %.0f KB over %d updates; want at most %d KB more", start.heap/1024, end.heap/1024, liveUpdates, heapSlack/1024)
	}
	// Listeners are added once per page, never per update. (DOM nodes are
	// logged, not checked: detached ones are freed lazily, by thousands.)
	if end.listeners > start.listeners {
		t.Errorf("event listeners %.0f → %.0f over %d updates: something adds them per update", start.listeners, end.listeners, liveUpdates)
	}
	delete(rates, "0")
	delete(rates, "—")
	if len(rates) < 2 {
		t.Errorf("the records/s KPI showed %v while the generator ran; want it to move", rates)
	}
	if gen.Err() != nil {
		t.Errorf("generator: %v", gen.Err())
	}
}

// pageMemory is what a page holds after a forced garbage collection: the
// used JS heap (Runtime.getHeapUsage), DOM nodes and event listeners
// (Performance.getMetrics).
type pageMemory struct{ heap, nodes, listeners float64 }

// memoryAfterGC forces garbage collections in the page and measures it.
func memoryAfterGC(t *testing.T, ctx context.Context) pageMemory {
	t.Helper()
	for range 2 { // the second pass frees what finalizers of the first released
		if _, err := chromedp.Call(ctx, heapprofiler.CollectGarbage, cdp.Empty{}); err != nil {
			t.Fatalf("HeapProfiler.collectGarbage: %v", err)
		}
	}
	u, err := chromedp.Call(ctx, cdpruntime.GetHeapUsage, cdp.Empty{})
	if err != nil || u.UsedSize <= 0 {
		t.Fatalf("Runtime.getHeapUsage: %+v %v", u, err)
	}
	if _, err := chromedp.Call(ctx, performance.Enable, performance.EnableParams{}); err != nil {
		t.Fatalf("Performance.enable: %v", err)
	}
	m, err := chromedp.Call(ctx, performance.GetMetrics, cdp.Empty{})
	if err != nil {
		t.Fatalf("Performance.getMetrics: %v", err)
	}
	out := pageMemory{heap: u.UsedSize}
	for _, x := range m.Metrics {
		switch x.Name {
		case "Nodes":
			out.nodes = x.Value
		case "JSEventListeners":
			out.listeners = x.Value
		}
	}
	if out.nodes == 0 || out.listeners == 0 {
		t.Fatalf("Performance.getMetrics has no Nodes or JSEventListeners: %+v", m.Metrics)
	}
	return out
}

// leastMemory is the least of memorySamples measurements of each figure.
func leastMemory(t *testing.T, ctx context.Context) pageMemory {
	t.Helper()
	out := memoryAfterGC(t, ctx)
	for range memorySamples - 1 {
		run(t, ctx, "space the samples", chromedp.Sleep(400*time.Millisecond))
		m := memoryAfterGC(t, ctx)
		out = pageMemory{heap: min(out.heap, m.heap), nodes: min(out.nodes, m.nodes), listeners: min(out.listeners, m.listeners)}
	}
	return out
}

// waitForJS polls a JavaScript condition until it is true or d has passed.
func waitForJS(t *testing.T, ctx context.Context, d time.Duration, cond string) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](cond, chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(d))); err != nil {
		t.Fatalf("wait for %s: %v", cond, err)
	}
}

// startGenerator sends batches of 20 records to table on one gRPC stream
// every few milliseconds until the test ends; the rate varies with the
// machine's load, which is what the monitor should show.
func startGenerator(t *testing.T, s *server, table string) *zbclient.Stream {
	t.Helper()
	st := wireStream(t, s, table)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done })
	go func() {
		defer close(done)
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			recs := make([]string, 20)
			for k := range recs {
				recs[k] = fmt.Sprintf(`{"device_id":"d%d","n":%d}`, k%4, i*20+k)
			}
			if st.Send(zbclient.Batch{JSON: recs}) != nil {
				return
			}
		}
	}()
	return st
}

func TestServeConfigStatsInterval(t *testing.T) {
	interval := func(d time.Duration) func(Config) bool { return func(c Config) bool { return c.StatsInterval == d } }
	checkServeConfig(t, []serveConfigCase{
		{"default", nil, nil, interval(time.Second), ""},
		{"flag", []string{"--stats-interval", "50ms"}, nil, interval(50 * time.Millisecond), ""},
		{"env", nil, map[string]string{"ZBEMU_STATS_INTERVAL": "250ms"}, interval(250 * time.Millisecond), ""},
		{"too short", []string{"--stats-interval", "1ms"}, nil, nil, "stats-interval"},
		{"bad env duration", nil, map[string]string{"ZBEMU_STATS_INTERVAL": "often"}, nil, "ZBEMU_STATS_INTERVAL"},
	})
}
