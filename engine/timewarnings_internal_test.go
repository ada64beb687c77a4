package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zbemu/zbemu/schema"
)

// warnRecorder keeps the warnings the engine reported, as the metrics and
// the system tables receive them.
type warnRecorder struct {
	nopObserver
	nopSink
	mu      sync.Mutex
	metric  map[string]int // unit → records
	rows    []TimestampWarning
	rejects []RejectedRecord
}

func (r *warnRecorder) StreamOpened(StreamInfo) StreamObserver { return r }

func (r *warnRecorder) TimestampWarnings(unit string, n int) {
	r.mu.Lock()
	r.metric[unit] += n
	r.mu.Unlock()
}

func (r *warnRecorder) TimestampWarning(ev TimestampWarning) {
	r.mu.Lock()
	r.rows = append(r.rows, ev)
	r.mu.Unlock()
}

func (r *warnRecorder) RejectedRecord(ev RejectedRecord) {
	r.mu.Lock()
	r.rejects = append(r.rejects, ev)
	r.mu.Unlock()
}

func openWarnEngine(t *testing.T, strict bool) (*Engine, *warnRecorder, *Identity) {
	t.Helper()
	rec := &warnRecorder{metric: map[string]int{}}
	e, err := Open(context.Background(), Options{Memory: true, DevClientSecret: "s", Observer: rec, Events: rec, StrictTimestamps: strict})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close(context.Background()) })
	admin := &Identity{ClientID: "zbemu-dev", Admin: true}
	for _, q := range []string{
		"CREATE TABLE main.default.w (ts TIMESTAMP, n BIGINT, pad STRING)",
		"CREATE TABLE main.default.m (ts TIMESTAMP) TBLPROPERTIES ('zbemu.autoMerge' = 'true')",
	} {
		if _, err := e.Execute(context.Background(), StatementRequest{SQL: q, Identity: admin}); err != nil {
			t.Fatal(err)
		}
	}
	return e, rec, admin
}

// Each accepted record with a timestamp in milliseconds is counted once,
// whether its request keeps decoded rows or is decoded again from the
// ingest log when it is materialised (tiny records, lazy), and when a
// request is decoded twice (automatic merge adds a column first).
func TestTimestampWarningsCountedOnce(t *testing.T) {
	ctx := context.Background()
	e, rec, admin := openWarnEngine(t, false)
	ms := time.Date(2024, 11, 24, 12, 0, 0, 0, time.UTC).UnixMilli()
	records := func(n int, format string) [][]byte {
		out := make([][]byte, n)
		for i := range out {
			out[i] = []byte(fmt.Sprintf(format, ms+int64(i)))
		}
		return out
	}
	tiny := records(500, `{"ts":%d}`)                                            // lazy: rows would cost more than 4× the bytes
	wide := records(300, `{"ts":%d,"n":1,"pad":"`+strings.Repeat("x", 200)+`"}`) // rows kept
	s, err := e.OpenStream(ctx, admin, StreamSpec{Table: "main.default.w", Format: FormatJSON, Protocol: "GRPC"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// The two requests take the two paths (decodeWith reports nothing).
	if d, _, err := s.decodeWith(s.version(), tiny); err != nil || d.rows != nil {
		t.Fatalf("tiny records: rows kept %v, err %v; want the lazy path", d.rows != nil, err)
	}
	if d, _, err := s.decodeWith(s.version(), wide); err != nil || d.rows == nil {
		t.Fatalf("wide records: rows kept %v, err %v; want rows", d.rows != nil, err)
	}
	for i, req := range [][][]byte{tiny, wide} {
		if err := s.Submit(int64(i), req); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	ws, err := e.InsertWarn(ctx, admin, "main.default.m", records(7, `{"ts":%d,"extra":1}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(ws) != 1 || ws[0].Records != 7 || ws[0].Unit != schema.Millis || ws[0].Column != "ts" {
		t.Errorf("automatic merge request warnings %+v, want 7 records of ts in milliseconds", ws)
	}
	if err := e.Sync(ctx); err != nil { // materialises, re-decoding the lazy request
		t.Fatal(err)
	}
	r, err := e.Execute(ctx, StatementRequest{SQL: "SELECT count(*) FROM main.default.w", Identity: admin})
	if err != nil || *r.Rows[0][0] != "800" {
		t.Fatalf("rows: %v %v", r, err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if got := rec.metric["milliseconds"]; got != 807 {
		t.Errorf("metric counted %d records, want 807 (500 + 300 + 7)", got)
	}
	var rowRecords int64
	for _, w := range rec.rows {
		rowRecords += w.Records + w.Unsampled
		if w.Column != "ts" || w.Unit != "milliseconds" || !strings.Contains(w.Hint, "multiply by 1000") || len(w.Raw) == 0 || w.Value < ms {
			t.Errorf("row %+v", w)
		}
	}
	if len(rec.rows) != 3 || rowRecords != 807 {
		t.Errorf("%d rows counting %d records, want 3 rows (one per request) counting 807", len(rec.rows), rowRecords)
	}
	if got := s.Warnings(); len(got) != 1 || got[0].Records != 800 {
		t.Errorf("stream totals %+v, want 800", got)
	}
}

// The rows per table and minute are bounded; the records of the rows left
// out are carried by the next row that is written.
func TestWarnSamplerBounds(t *testing.T) {
	var ws warnSampler
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range WarningSamplesPerMinute {
		if ok, _ := ws.take(t0.Add(time.Duration(i)*time.Second), 1); !ok {
			t.Fatalf("row %d refused", i)
		}
	}
	if ok, _ := ws.take(t0.Add(30*time.Second), 5); ok {
		t.Fatal("a row past the bound was taken")
	}
	ws.take(t0.Add(31*time.Second), 2)
	ok, unsampled := ws.take(t0.Add(time.Minute), 1)
	if !ok || unsampled != 7 {
		t.Errorf("next minute: ok %v, unsampled %d, want true and 7", ok, unsampled)
	}
}

// --strict-timestamps refuses the record through the rejected-record
// path, naming the column, the expected unit, the value and the hint; the
// request writes nothing.
func TestStrictTimestampsRefuse(t *testing.T) {
	ctx := context.Background()
	e, rec, admin := openWarnEngine(t, true)
	us := time.Date(2024, 11, 24, 12, 0, 0, 0, time.UTC).UnixMicro()
	_, err := e.InsertWarn(ctx, admin, "main.default.w", [][]byte{
		[]byte(fmt.Sprintf(`{"ts":%d}`, us)), []byte(fmt.Sprintf(`{"ts":%d}`, us/1e6))})
	var re *RecordError
	if !errors.As(err, &re) || re.Index != 1 {
		t.Fatalf("err %v, want record 1 refused", err)
	}
	for _, want := range []string{`column "ts"`, "implausible timestamp", "microseconds since the epoch", fmt.Sprint(us / 1e6), "looks like seconds", "multiply by 1,000,000"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not say %q", err, want)
		}
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.rejects) != 1 || rec.rejects[0].Reason != schema.ReasonImplausibleTime || rec.rejects[0].Column != "ts" || len(rec.rows) != 0 {
		t.Errorf("rejects %+v, warning rows %d", rec.rejects, len(rec.rows))
	}
	r, err := e.Execute(ctx, StatementRequest{SQL: "SELECT count(*) FROM main.default.w", Identity: admin})
	if err != nil || *r.Rows[0][0] != "0" {
		t.Errorf("rows after a refused request: %v %v", r, err)
	}
}
