//go:build linux

package engine_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/zbemu/zbemu/engine"
	"github.com/zbemu/zbemu/engine/lowprio/lowpriotest"
)

// ticksAt sums the CPU ticks of the threads at nice value nice.
func ticksAt(t *testing.T, nice int) int64 {
	var n int64
	for _, th := range lowpriotest.Threads(t) {
		if th.Nice == nice {
			n += th.Ticks
		}
	}
	return n
}

// waitThreadsAt polls until want threads (the main thread left out) run at
// nice value nice.
func waitThreadsAt(t *testing.T, nice, want int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for lowpriotest.At(t, nice) != want {
		if time.Now().After(deadline) {
			t.Fatalf("%d threads at nice %d, want %d", lowpriotest.At(t, nice), nice, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// The materialiser — the DuckDB appends, commits and checkpoints of every
// acknowledged record — and the ingest log's zero-ahead run on threads at
// Options.BackgroundNice, which end with the engine; with the off switch
// nothing runs at another nice value.
func TestMaterialiserRunsOnABackgroundThread(t *testing.T) {
	tests := []struct {
		name     string
		nice     int // Options.BackgroundNice
		wantNice int
		threads  int // background threads while the engine is open
	}{
		// The materialiser and the ingest log's zero-ahead.
		{"default", 0, engine.DefaultBackgroundNice, 2},
		{"nice 17", 17, 17, 2},
		{"off", -1, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			watch := tt.wantNice
			if watch == 0 {
				watch = engine.DefaultBackgroundNice // none may appear
			}
			base := lowpriotest.At(t, watch)
			e, err := engine.Open(ctx, engine.Options{DataDir: t.TempDir(), DevClientSecret: "s", BackgroundNice: tt.nice})
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close(ctx)
			waitThreadsAt(t, watch, base+tt.threads)
			if got := e.Options().BackgroundNice; got != tt.nice && tt.nice != 0 {
				t.Errorf("Options().BackgroundNice = %d, want %d", got, tt.nice)
			}
			if tt.threads == 0 {
				return
			}
			exec(t, e, "CREATE TABLE main.default.ev (id BIGINT NOT NULL, name STRING)")
			st, err := e.OpenStream(ctx, admin, engine.StreamSpec{Table: "main.default.ev", Format: engine.FormatJSON, Protocol: "GRPC"})
			if err != nil {
				t.Fatal(err)
			}
			before := ticksAt(t, tt.wantNice)
			// Enough rows that applying them costs DuckDB many clock
			// ticks, in rounds of up to FlushRows.
			const batches, per = 400, 1000
			for off := range int64(batches) {
				recs := make([][]byte, per)
				for i := range recs {
					recs[i] = fmt.Appendf(nil, `{"id":%d,"name":"record %d of batch %d"}`, off*per+int64(i), i, off)
				}
				if err := st.Submit(off, recs); err != nil {
					t.Fatal(err)
				}
			}
			if err := st.Drain(ctx); err != nil {
				t.Fatal(err)
			}
			st.Close()
			if n := count(t, e, "main.default.ev"); n != fmt.Sprint(batches*per) {
				t.Fatalf("count %s, want %d", n, batches*per)
			}
			if after := ticksAt(t, tt.wantNice); after <= before {
				t.Errorf("the threads at nice %d used %d clock ticks while %d rows were applied, want some", tt.wantNice, after-before, batches*per)
			}
			e.Close(ctx)
			waitThreadsAt(t, watch, base)
		})
	}
}

// A round that a query waits for runs at the ordinary priority (priority
// inheritance): with rounds started only by queries, the materialiser's
// low-priority thread does next to none of the work of applying the rows.
func TestWaitedForRoundsRunAtTheOrdinaryPriority(t *testing.T) {
	ctx := context.Background()
	const nice = 19
	e, err := engine.Open(ctx, engine.Options{DataDir: t.TempDir(), DevClientSecret: "s", BackgroundNice: nice,
		FlushInterval: time.Hour, FlushRows: 1 << 30})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close(ctx)
	exec(t, e, "CREATE TABLE main.default.ev (id BIGINT NOT NULL, name STRING)")
	st, err := e.OpenStream(ctx, admin, engine.StreamSpec{Table: "main.default.ev", Format: engine.FormatJSON, Protocol: "GRPC"})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	const batches, per = 40, 1000
	var low, all int64
	for round := range 10 {
		for off := range int64(batches) {
			recs := make([][]byte, per)
			for i := range recs {
				recs[i] = fmt.Appendf(nil, `{"id":%d,"name":"record %d of batch %d"}`, off*per+int64(i), i, off)
			}
			if err := st.Submit(int64(round*batches)+off, recs); err != nil {
				t.Fatal(err)
			}
		}
		if err := st.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		low0, all0 := ticksAt(t, nice), processTicks(t)
		if n := count(t, e, "main.default.ev"); n != fmt.Sprint((round+1)*batches*per) {
			t.Fatalf("count %s, want %d", n, (round+1)*batches*per)
		}
		low, all = low+ticksAt(t, nice)-low0, all+processTicks(t)-all0
	}
	if all == 0 {
		t.Skip("the rounds cost no measurable clock ticks")
	}
	if 10*low > all {
		t.Errorf("the thread at nice %d used %d of the %d clock ticks spent while queries waited for rounds, want under a tenth", nice, low, all)
	}
}

// processTicks sums the CPU ticks of all the process's threads.
func processTicks(t *testing.T) int64 {
	var n int64
	for _, th := range lowpriotest.Threads(t) {
		n += th.Ticks
	}
	return n
}
