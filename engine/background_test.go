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
// acknowledged record — runs on one thread at Options.BackgroundNice, which
// ends with the engine; with the off switch nothing runs at another nice
// value.
func TestMaterialiserRunsOnABackgroundThread(t *testing.T) {
	tests := []struct {
		name     string
		nice     int // Options.BackgroundNice
		wantNice int
		threads  int // background threads while the engine is open
	}{
		{"default", 0, engine.DefaultBackgroundNice, 1},
		{"nice 17", 17, 17, 1},
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
