package engine

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// backlogObserver records the largest backlog the engine reported and how
// often the log writer was held back.
type backlogObserver struct {
	nopObserver
	mu        sync.Mutex
	peak      int64
	throttled int
}

func (o *backlogObserver) Backlog(records, _ int64) {
	o.mu.Lock()
	o.peak = max(o.peak, records)
	o.mu.Unlock()
}

func (o *backlogObserver) Throttled(time.Duration) {
	o.mu.Lock()
	o.throttled++
	o.mu.Unlock()
}

const (
	bpBound    = 1000 // MaxBacklogRecords
	bpPerReq   = 10   // records per request
	bpRequests = 300  // 3× the bound
)

// openBackpressured opens an engine in dir with a tiny backlog bound and a
// materialiser that flushes only when poked, and one stream on a fresh table.
func openBackpressured(t *testing.T, dir string, obs Observer) (*Engine, *Stream) {
	t.Helper()
	e, err := Open(context.Background(), Options{DataDir: dir, DevClientSecret: "s", NoSync: true, Observer: obs,
		FlushInterval: time.Hour, FlushRows: 1 << 30, MaxBacklogRecords: bpBound})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close(context.Background()) })
	admin := &Identity{ClientID: "zbemu-dev", Admin: true}
	if _, err := e.Execute(context.Background(), StatementRequest{SQL: "CREATE TABLE main.default.bp (id BIGINT NOT NULL)", Identity: admin}); err != nil {
		t.Fatal(err)
	}
	s, err := e.OpenStream(context.Background(), admin, StreamSpec{Table: "main.default.bp", Format: FormatJSON, Protocol: "GRPC"})
	if err != nil {
		t.Fatal(err)
	}
	return e, s
}

// pauseMaterializer holds the materialiser (as DDL does) until the
// returned func or the test's end, whichever comes first.
func pauseMaterializer(t *testing.T, e *Engine) func() {
	unpause := sync.OnceFunc(e.mat.pause())
	t.Cleanup(unpause) // runs before the engine's Close
	return unpause
}

// produce submits bpRequests requests one at a time, each after the
// previous one's ack (so every group-commit batch is one request), and
// returns when one is refused or all are acknowledged.
func produce(s *Stream) <-chan error {
	out := make(chan error, 1)
	go func() {
		for off := int64(0); off < bpRequests; off++ {
			recs := make([][]byte, bpPerReq)
			for i := range recs {
				recs[i] = fmt.Appendf(nil, `{"id":%d}`, off*bpPerReq+int64(i))
			}
			if err := s.Submit(off, recs); err != nil {
				out <- err
				return
			}
			for s.Acked() < off && s.Err() == nil {
				<-s.AckNotify()
			}
			if err := s.Err(); err != nil {
				out <- err
				return
			}
		}
		out <- nil
	}()
	return out
}

// waitHeldBack waits until the log writer is held back: the backlog is at
// the bound, every record in it is acknowledged, and the writer waits in
// waitRoom. It fails at once if every request is acknowledged while the
// materialiser is paused (no bound); the deadline only guards a hang.
func waitHeldBack(t *testing.T, e *Engine, s *Stream) {
	t.Helper()
	guard := time.Now().Add(2 * time.Minute)
	buf := make([]byte, 1<<20)
	for {
		acked := (s.Acked() + 1) * bpPerReq
		if acked == bpRequests*bpPerReq {
			t.Fatalf("all %d records acknowledged while the materialiser was paused: the backlog is not bounded", acked)
		}
		e.mat.mu.Lock()
		backlog := e.mat.backlogRecords
		e.mat.mu.Unlock()
		if backlog >= bpBound && acked == backlog && strings.Contains(string(buf[:runtime.Stack(buf, true)]), "(*materializer).waitRoom") {
			return
		}
		if time.Now().After(guard) {
			t.Fatalf("hang: backlog %d, acked %d", backlog, acked)
		}
		runtime.Gosched()
	}
}

func TestBackpressureHoldsAcksAtTheBound(t *testing.T) {
	ctx := context.Background()
	obs := &backlogObserver{}
	e, s := openBackpressured(t, t.TempDir(), obs)
	unpause := pauseMaterializer(t, e)
	done := produce(s)
	waitHeldBack(t, e, s)
	// Held back: the acks stopped at the bound, not a record more.
	if acked := (s.Acked() + 1) * bpPerReq; acked != bpBound {
		t.Errorf("acknowledged %d records while the materialiser was paused, want the bound %d", acked, bpBound)
	}
	unpause()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := s.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	res, err := e.Execute(ctx, StatementRequest{SQL: "SELECT count(*), count(DISTINCT id), min(id), max(id) FROM main.default.bp",
		Identity: &Identity{ClientID: "zbemu-dev", Admin: true}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range res.Rows[0] {
		got = append(got, *c)
	}
	if want := fmt.Sprintf("%d %d 0 %d", bpRequests*bpPerReq, bpRequests*bpPerReq, bpRequests*bpPerReq-1); strings.Join(got, " ") != want {
		t.Errorf("count, distinct, min, max = %v, want %s (every acknowledged record exactly once)", got, want)
	}
	e.mat.mu.Lock()
	backlog := e.mat.backlogRecords
	e.mat.mu.Unlock()
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if obs.peak > bpBound+bpPerReq || obs.peak < bpBound {
		t.Errorf("peak backlog %d records, want between the bound %d and the bound plus one batch", obs.peak, bpBound)
	}
	if obs.throttled == 0 {
		t.Error("Observer.Throttled never called")
	}
	if backlog != 0 {
		t.Errorf("backlog %d records after everything was applied, want 0", backlog)
	}
}

// Close while the log writer is held back finishes: the queued request is
// written and applied, and every acknowledged record is there after reopen.
func TestBackpressureCloseDoesNotHang(t *testing.T) {
	dir := t.TempDir()
	e, s := openBackpressured(t, dir, nil)
	unpause := pauseMaterializer(t, e)
	done := produce(s)
	waitHeldBack(t, e, s)
	closed := make(chan error, 1)
	go func() { closed <- e.Close(context.Background()) }()
	for !e.closed.Load() {
		runtime.Gosched()
	}
	unpause()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(2 * time.Minute): // hang guard only
		t.Fatal("Close hangs while the log writer is held back")
	}
	if err := <-done; err == nil {
		t.Fatal("every request acknowledged although the engine closed")
	}
	acked := (s.Acked() + 1) * bpPerReq
	if acked <= bpBound {
		t.Errorf("acknowledged %d records, want the held-back request too (> %d)", acked, bpBound)
	}
	e2, err := Open(context.Background(), Options{DataDir: dir, DevClientSecret: "s", NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer e2.Close(context.Background())
	res, err := e2.Execute(context.Background(), StatementRequest{SQL: "SELECT count(*), count(DISTINCT id) FROM main.default.bp",
		Identity: &Identity{ClientID: "zbemu-dev", Admin: true}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := *res.Rows[0][0]+" "+*res.Rows[0][1], fmt.Sprintf("%d %d", acked, acked); got != want {
		t.Errorf("after reopen: count, distinct = %s, want %s", got, want)
	}
}

// TestBacklogCountsDecodedRows checks that the backlog's bytes are what an
// entry holds: its logged payload and its decoded rows, or only the
// payload for tiny records, whose rows are not kept (decodeRows).
func TestBacklogCountsDecodedRows(t *testing.T) {
	e, s := openBackpressured(t, t.TempDir(), nil)
	pauseMaterializer(t, e)
	for off, tc := range []struct {
		pad      int
		wantRows bool
	}{{20, true}, {0, false}} {
		recs := make([][]byte, bpPerReq)
		var size int64
		for i := range recs {
			recs[i] = fmt.Appendf(nil, `{"id":%d%s}`, i, strings.Repeat(" ", tc.pad))
			size += int64(len(recs[i]))
		}
		e.mat.mu.Lock()
		before := e.mat.backlogBytes
		e.mat.mu.Unlock()
		if err := s.Submit(int64(off), recs); err != nil {
			t.Fatal(err)
		}
		for s.Acked() < int64(off) {
			<-s.AckNotify()
		}
		e.mat.mu.Lock()
		grew, ent := e.mat.backlogBytes-before, e.mat.pending[len(e.mat.pending)-1]
		e.mat.mu.Unlock()
		want := int64(len(ent.payload))
		if tc.wantRows {
			want += size + bpPerReq*(rowHeaderBytes+16) // one slot per row
		}
		if (ent.rows != nil) != tc.wantRows || grew != want {
			t.Errorf("records padded by %d: rows kept %v, backlog grew by %d bytes, want %d (payload %d)", tc.pad, ent.rows != nil, grew, want, len(ent.payload))
		}
	}
}
