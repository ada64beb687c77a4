package main

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// monitorWatchers is how many browser tabs watch the ingestion monitor in
// the "watched" runs of BenchmarkMonitorWatchers.
const monitorWatchers = 5

// BenchmarkMonitorWatchers measures what watching the live monitor costs
// ingest: ack p99 (open loop, 20,000 records/s in batches of 100) and
// throughput (closed loop, one stream, batches of 100, 256 in flight) of
// the stack zbemu serve runs, with monitorWatchers headless Chromium tabs
// on /ingest and with none. The runs alternate in pairs (which side goes
// first alternates too), each on a fresh stack, so drift of a shared
// machine hits both sides; it prints the medians and the watched/unwatched
// ratios per pair. The target is a difference of at most 5%.
//
//	go test ./cmd/zbemu -run '^$' -bench MonitorWatchers -benchtime 1x
func BenchmarkMonitorWatchers(b *testing.B) {
	ctx := newBrowserFor(b, time.Hour) // a loaded machine takes many minutes
	pairs, records, loadDur := 5, 100000, 3*time.Second
	if testing.Short() {
		pairs, records, loadDur = 2, 30000, 2*time.Second
	}
	const loadRate = 20000
	type figs struct{ rate, p99 float64 }
	measure := func(watched bool) figs {
		root := b.TempDir()
		var out figs
		for i, run := range []func(*benchEnv) (benchFigures, error){
			func(e *benchEnv) (benchFigures, error) {
				return e.grpcRun(context.Background(), 1, records, 100, false, 256)
			},
			func(e *benchEnv) (benchFigures, error) { return e.fixedLoad(context.Background(), loadRate, loadDur) },
		} {
			f, err := withBenchEnv(context.Background(), root, func(e *benchEnv) (benchFigures, error) {
				if watched {
					closeTabs := watchMonitor(b, ctx, "http://"+e.addr+"/ingest", monitorWatchers)
					defer closeTabs()
				}
				return run(e)
			})
			if err != nil {
				b.Fatal(err)
			}
			if i == 0 {
				out.rate = f.rate()
			} else {
				out.p99 = msFloat(percentile(f.lats, 0.99))
			}
		}
		return out
	}
	for b.Loop() {
		var none, with, rateRatio, p99Ratio []float64
		for p := range pairs {
			var w, n figs
			if p%2 == 0 {
				n, w = measure(false), measure(true)
			} else {
				w, n = measure(true), measure(false)
			}
			none, with = append(none, n.rate), append(with, w.rate)
			rateRatio, p99Ratio = append(rateRatio, w.rate/n.rate), append(p99Ratio, w.p99/n.p99)
			fmt.Fprintf(os.Stdout, "pair %d: none %.0f records/s, ack p99 %.2f ms; %d tabs %.0f records/s, ack p99 %.2f ms\n",
				p+1, n.rate, n.p99, monitorWatchers, w.rate, w.p99)
		}
		fmt.Fprintf(os.Stdout, "monitor watched by %d tabs vs none: throughput %.0f vs %.0f records/s, ratio %.3f [%.3f-%.3f]; ack p99 (%d records/s open loop) ratio %.3f [%.3f-%.3f]; target: within 5%%\n",
			monitorWatchers, median(with), median(none), median(rateRatio), minOf(rateRatio), maxOf(rateRatio),
			loadRate, median(p99Ratio), minOf(p99Ratio), maxOf(p99Ratio))
		b.ReportMetric(median(rateRatio), "throughput-ratio")
		b.ReportMetric(median(p99Ratio), "ack-p99-ratio")
	}
}

// watchMonitor opens n tabs of the browser in ctx on the monitor at url
// and waits until each has received live updates; the returned function
// closes them.
func watchMonitor(b *testing.B, ctx context.Context, url string, n int) func() {
	b.Helper()
	var cancels []context.CancelFunc
	closeAll := func() {
		for _, c := range cancels {
			c()
		}
	}
	for range n {
		tab, cancel := chromedp.NewContext(ctx)
		cancels = append(cancels, cancel)
		if err := chromedp.Do(tab, chromedp.Navigate(url)); err != nil {
			closeAll()
			b.Fatalf("open %s: %v", url, err)
		}
		if _, err := chromedp.Run(tab, chromedp.Poll[chromedp.Void](`Number(document.body.dataset.statsEvents || 0) >= 2`,
			chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(time.Minute))); err != nil {
			closeAll()
			b.Fatalf("the monitor at %s got no live updates: %v", url, err)
		}
	}
	return closeAll
}
