package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/zbemu/zbemu/engine"
	"github.com/zbemu/zbemu/fixtures/zbclient"
	"github.com/zbemu/zbemu/web/zerobuspb"
)

// The memory figures of zbemu bench: allocations per record on the JSON
// path, RSS after many rows, and a soak at a steady rate that prints RSS
// every minute (issue 16: RSS ≤ 300 MB after 5M rows and after 30 minutes
// at 20k records/s, flat).

// Names of the memory lines in the targets.
const (
	allocsName = "allocations, engine json batch=100"
	rssName    = "RSS after ingest"
	soakName   = "soak"
)

// streamLoad sends the IoT row as JSON to bench0 on one gRPC stream, in
// batches of 100 made as it goes (the client holds only the requests in
// flight): n records, or with n = 0 until dur has passed; at rate
// records/s on an open-loop schedule, or with rate = 0 as fast as the
// window allows. With every > 0 it calls tick at that interval.
//
// The window is the requests in flight. At full speed 256 keep the server
// busy; on a schedule it must cover the ack latency at its worst, or the
// loop waits for acks and the load becomes a closed loop that offers what
// the server acknowledges instead of the rate (what made earlier soaks on
// a loaded machine offer ~6,300 of 20,000 records/s). The official SDKs
// allow up to 1,000,000 requests in flight; soakWindow holds 10 s of a
// 20,000 records/s schedule.
func streamLoad(ctx context.Context, addr, token string, n, rate, window int, dur, every time.Duration, tick func(loadProgress)) (benchFigures, error) {
	const batch = 100
	cc, err := zbclient.Dial(addr)
	if err != nil {
		return benchFigures{}, err
	}
	defer cc.Close()
	st, err := zbclient.OpenStream(ctx, cc, zbclient.StreamOptions{Token: token, Table: "main.default.bench0", RecordType: zerobuspb.RecordType_JSON, Window: window})
	if err != nil {
		return benchFigures{}, err
	}
	var interval time.Duration
	if rate > 0 {
		interval = time.Second * batch / time.Duration(rate)
	}
	var bytesTotal int64
	sent := 0
	cpu0, start := cpuTime(), time.Now()
	nextTick := start.Add(every)
	var buf []byte
	for i := 0; (n == 0 || sent < n) && (n > 0 || time.Since(start) < dur); i++ {
		if err := ctx.Err(); err != nil {
			return benchFigures{}, err
		}
		var at time.Time
		if interval > 0 {
			at = start.Add(time.Duration(i) * interval)
			if d := time.Until(at); d > 0 {
				time.Sleep(d)
			}
		}
		recs := make([]string, 0, batch)
		for k := 0; k < batch && (n == 0 || sent+k < n); k++ {
			buf = benchJSON(buf[:0], sent+k)
			recs = append(recs, string(buf))
			bytesTotal += int64(len(buf))
		}
		if err := st.SendAt(zbclient.Batch{JSON: recs}, at); err != nil {
			return benchFigures{}, err
		}
		sent += len(recs)
		if every > 0 && time.Now().After(nextTick) {
			p := loadProgress{elapsed: time.Since(start), sent: sent, acked: int(st.AckedRecords())}
			if interval > 0 {
				p.behind = int(time.Since(start)/interval)*batch - sent
			}
			tick(p)
			nextTick = nextTick.Add(every)
		}
	}
	if err := st.Finish(); err != nil {
		return benchFigures{}, err
	}
	return benchFigures{recs: int64(sent), bytes: bytesTotal, elapsed: time.Since(start), cpu: cpuTime() - cpu0, lats: st.TakeLatencies()}, nil
}

// loadProgress is what streamLoad reports at each tick: records sent and
// acknowledged so far, and how many records the schedule is ahead of the
// sender (0 while it keeps up).
type loadProgress struct {
	elapsed             time.Duration
	sent, acked, behind int
}

// Requests in flight: at full speed, and on the soak's schedule.
const (
	fullWindow = 256
	soakWindow = 2000
)

// processRSS is the resident set of process pid ("self" for this one).
func processRSS(pid string) (int64, error) {
	data, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%s/status", pid)
}

// selfRSS returns this process's RSS after handing the client's garbage
// back to the OS, so that the figure is about what the server keeps.
func selfRSS() (int64, error) {
	debug.FreeOSMemory()
	return processRSS("self")
}

// benchRSS ingests n rows at full speed into a server as serve runs it and
// prints the RSS once they are queryable.
func benchRSS(ctx context.Context, w io.Writer, root string, n int) error {
	b, err := openBenchEnv(ctx, root, nil)
	if err != nil {
		return err
	}
	defer b.close(ctx)
	if _, err := streamLoad(ctx, b.addr, "dapi-bench", n, 0, fullWindow, 0, 0, nil); err != nil {
		return err
	}
	if err := b.e.Sync(ctx); err != nil {
		return err
	}
	rss, err := selfRSS()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%s of %d rows (server and client in one process): %d MB; targets: %s\n", rssName, n, rss>>20,
		verdicts(rssName, map[string]float64{figRSS: float64(rss >> 20)}))
	return nil
}

// benchSoak offers rate records/s for dur and prints every minute the RSS,
// the records sent and acknowledged and the rate of that minute, then the
// rate achieved, the RSS at the end and its growth: the mean RSS of the
// last third of the minutes against that of the middle third (the first
// third is warm-up, while DuckDB's buffer pool fills).
func benchSoak(ctx context.Context, w io.Writer, root string, rate int, dur time.Duration) error {
	b, err := openBenchEnv(ctx, root, nil)
	if err != nil {
		return err
	}
	defer b.close(ctx)
	fmt.Fprintf(w, "%s: %d records/s offered for %s (batches of 100, one gRPC stream, open loop with up to %d requests in flight), RSS every minute\n", soakName, rate, dur, soakWindow)
	var rss []float64
	var tickErr error
	var last loadProgress
	f, err := streamLoad(ctx, b.addr, "dapi-bench", 0, rate, soakWindow, dur, time.Minute, func(p loadProgress) {
		r, err := selfRSS()
		if err != nil {
			tickErr = err
			return
		}
		rss = append(rss, float64(r>>20))
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		minuteRate := float64(p.acked-last.acked) / (p.elapsed - last.elapsed).Seconds()
		fmt.Fprintf(w, "  %6s  %10d sent  %10d acked  %6.0f acked/s  %8d behind schedule  RSS %4d MB  Go heap %4d MB\n",
			p.elapsed.Round(time.Second), p.sent, p.acked, minuteRate, p.behind, r>>20, ms.HeapAlloc>>20)
		last = p
	})
	if err == nil {
		err = tickErr
	}
	if err != nil {
		return err
	}
	if err := b.e.Sync(ctx); err != nil {
		return err
	}
	end, err := selfRSS()
	if err != nil {
		return err
	}
	growth := soakGrowth(rss)
	fmt.Fprintf(w, "%s achieved: %d records in %s, %.0f records/s of %d offered\n", soakName, f.recs, f.elapsed.Round(time.Second), float64(f.recs)/f.elapsed.Seconds(), rate)
	fmt.Fprintf(w, "%s end: RSS %d MB, max %.0f MB, growth last third ÷ middle third %+.1f%%; targets: %s\n", soakName, end>>20, maxOf(append(rss, float64(end>>20))), growth,
		verdicts(soakName, map[string]float64{figRSS: maxOf(append(rss, float64(end>>20))), figGrowth: growth}))
	return nil
}

// soakGrowth is the growth in percent of the mean of the last third of
// samples over the mean of the middle third; NaN with fewer than 3.
func soakGrowth(samples []float64) float64 {
	third := len(samples) / 3
	if third == 0 {
		return math.NaN()
	}
	mean := func(v []float64) float64 {
		s := 0.0
		for _, x := range v {
			s += x
		}
		return s / float64(len(v))
	}
	mid, last := mean(samples[third:2*third]), mean(samples[len(samples)-third:])
	return 100 * (last - mid) / mid
}

// benchAllocs submits n JSON records in requests of 100 straight to the
// engine (no network, so no client in the figure) and prints the
// allocations per record until every record is queryable: the log
// writer's and the materialiser's included. The records go in rounds of
// allocRound, each waited for until queryable, as from clients that the
// server keeps up with; the first round only warms up (the buffers of
// applied requests are reused, see engine/slicepool.go), so the figure is
// the steady state's.
func benchAllocs(ctx context.Context, w io.Writer, root string, n int) error {
	b, err := openBenchEnv(ctx, root, nil)
	if err != nil {
		return err
	}
	defer b.close(ctx)
	const batch = 100
	reqs := make([][][]byte, 0, n/batch)
	var recBytes int64
	for i := 0; i+batch <= n; i += batch {
		req := make([][]byte, batch)
		for k := range req {
			j, _, _ := benchRow(i + k)
			req[k] = []byte(j)
		}
		reqs = append(reqs, req)
	}
	st, err := b.e.OpenStream(ctx, benchAdmin,
		engine.StreamSpec{Table: "main.default.bench0", Format: engine.FormatJSON, Protocol: "GRPC"})
	if err != nil {
		return err
	}
	defer st.Close()
	var before, after runtime.MemStats
	recs := 0
	for i, req := range reqs {
		if i%(allocRound/batch) == 0 {
			if err := st.Drain(ctx); err != nil {
				return err
			}
			if err := b.e.Sync(ctx); err != nil {
				return err
			}
			if i == allocRound/batch {
				runtime.GC()
				runtime.ReadMemStats(&before)
			}
		}
		if i >= allocRound/batch {
			recs += len(req)
			for _, r := range req {
				recBytes += int64(len(r))
			}
		}
		if err := st.Submit(int64(i), req); err != nil {
			return err
		}
	}
	if err := st.Drain(ctx); err != nil {
		return err
	}
	if err := b.e.Sync(ctx); err != nil {
		return err
	}
	runtime.ReadMemStats(&after)
	if recs == 0 {
		return fmt.Errorf("%s: %d records leave none after the warm-up round of %d", allocsName, n, allocRound)
	}
	allocs := float64(after.Mallocs-before.Mallocs) / float64(recs)
	perRec := float64(after.TotalAlloc-before.TotalAlloc) / float64(recs)
	size := float64(recBytes) / float64(recs)
	fmt.Fprintf(w, "%s (%d records after a warm-up round of %d, in rounds of %d until queryable): %.2f allocations and %.0f B per record of %.0f B (%.2f×); targets: %s\n",
		allocsName, recs, allocRound, allocRound, allocs, perRec, size, perRec/size, verdicts(allocsName, map[string]float64{figAllocs: allocs, figAllocBytes: perRec / size}))
	return nil
}

// allocRound is how many records benchAllocs submits before it waits
// until they are queryable: the materialiser's default flush size.
const allocRound = 50_000
