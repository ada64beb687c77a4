package systables_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/zbemu/zbemu/engine"
	"github.com/zbemu/zbemu/systables"
)

var t0 = time.Date(2026, 3, 4, 5, 6, 7, 123456000, time.UTC)

// mustOpen opens a store in memory or at a file in a temp dir and closes it
// at the end of the test.
func mustOpen(t *testing.T, mode string, opts systables.Options) *systables.Store {
	t.Helper()
	if mode == "memory" {
		opts.Memory = true
	} else if opts.Path == "" {
		opts.Path = filepath.Join(t.TempDir(), "system.db")
	}
	s, err := systables.Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(context.Background()) })
	return s
}

// readAll reads a whole table through the engine's read contract.
func readAll(t *testing.T, s *systables.Store, table string) [][]any {
	t.Helper()
	ctx := context.Background()
	upTo, err := s.SystemSnapshot(ctx, table)
	if err != nil {
		t.Fatal(err)
	}
	var all [][]any
	after := int64(0)
	for {
		page, last, err := s.SystemRows(ctx, table, after, upTo, 3)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, page...)
		if len(page) < 3 {
			return all
		}
		after = last
	}
}

func TestStoreRoundTrip(t *testing.T) {
	errs := []engine.StreamError{{Code: "INVALID_PARAMETER_VALUE", Message: "record 0: bad", Time: t0.Add(time.Second)}}
	tests := []struct {
		name  string
		event func(s *systables.Store)
		table string
		want  []any
	}{
		{"stream open", func(s *systables.Store) {
			s.StreamEvent(engine.StreamEvent{StreamID: "s1", Time: t0, OpenedTime: t0, TableID: "tid", TableName: "main.default.t", Protocol: "GRPC", DataFormat: "JSON"})
		}, "lakeflow.zerobus_stream", []any{"acc", "ws", "s1", t0, nil, t0, nil, "tid", "main.default.t", "GRPC", "JSON", []engine.StreamError{}}},
		{"stream close with errors", func(s *systables.Store) {
			s.StreamEvent(engine.StreamEvent{StreamID: "s1", Time: t0.Add(2 * time.Second), OpenedTime: t0, ClosedTime: t0.Add(2 * time.Second), TableID: "tid",
				TableName: "main.default.t", Protocol: "HTTP", DataFormat: "PROTOBUF", Errors: errs})
		}, "lakeflow.zerobus_stream", []any{"acc", "ws", "s1", t0.Add(2 * time.Second), nil, t0, t0.Add(2 * time.Second), "tid", "main.default.t", "HTTP", "PROTOBUF", errs}},
		{"commit", func(s *systables.Store) {
			s.CommitEvent(engine.CommitEvent{StreamID: "s1", TableID: "tid", TableName: "main.default.t", CommitVersion: 7, CommitTime: t0, CommittedRecords: 3, CommittedBytes: 99})
		}, "lakeflow.zerobus_ingest", []any{"acc", "ws", "s1", "tid", "main.default.t", int64(7), t0, int64(3), int64(99), []engine.StreamError{}}},
		{"rejected JSON", func(s *systables.Store) {
			s.RejectedRecord(engine.RejectedRecord{Time: t0, TableName: "main.default.t", StreamID: "s1", Protocol: "GRPC", Offset: 4, Index: 2,
				Column: "temp", Reason: "type", Hint: "send a number", Message: "record at offset 4, index 2: ...", Raw: []byte(`{"temp":"x"}`)})
		}, "zbemu.rejected_records", []any{t0, "main.default.t", "s1", "GRPC", int64(4), int64(2), "temp", "type", "send a number", "record at offset 4, index 2: ...", `{"temp":"x"}`}},
		{"rejected protobuf is base64", func(s *systables.Store) {
			s.RejectedRecord(engine.RejectedRecord{Time: t0, TableName: "main.default.t", StreamID: "s2", Protocol: "GRPC", Offset: -1, Message: "m", Raw: []byte{0xff, 0x01}})
		}, "zbemu.rejected_records", []any{t0, "main.default.t", "s2", "GRPC", int64(-1), int64(0), nil, nil, nil, "m", "/wE="}},
	}
	for _, mode := range []string{"memory", "disk"} {
		for _, tc := range tests {
			t.Run(mode+"/"+tc.name, func(t *testing.T) {
				s := mustOpen(t, mode, systables.Options{AccountID: "acc", WorkspaceID: "ws", BatchInterval: time.Hour})
				tc.event(s)
				// BatchInterval is an hour: the read itself must flush the queue.
				rows := readAll(t, s, tc.table)
				if len(rows) != 1 {
					t.Fatalf("%d rows, want 1", len(rows))
				}
				if !reflect.DeepEqual(rows[0], tc.want) {
					t.Errorf("row\n got %#v\nwant %#v", rows[0], tc.want)
				}
				defs := map[string]int{}
				for _, d := range engine.SystemTableDefs() {
					defs[d.Key()] = len(d.Columns)
				}
				if len(rows[0]) != defs[tc.table] {
					t.Errorf("%d values, the engine defines %d columns", len(rows[0]), defs[tc.table])
				}
			})
		}
	}
}

func TestStoreCloseDrainsQueue(t *testing.T) {
	path := filepath.Join(t.TempDir(), "system.db")
	s, err := systables.Open(context.Background(), systables.Options{Path: path, BatchInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 1000; i++ {
		s.CommitEvent(engine.CommitEvent{StreamID: fmt.Sprint(i), CommitTime: t0, CommitVersion: int64(i)})
	}
	if err := s.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	s.CommitEvent(engine.CommitEvent{StreamID: "after close"}) // dropped, must not panic
	s = mustOpen(t, "disk", systables.Options{Path: path})
	if n := len(readAll(t, s, "lakeflow.zerobus_ingest")); n != 1000 {
		t.Errorf("%d rows after reopening, want 1000", n)
	}
}

func TestStoreBounds(t *testing.T) {
	now := t0.Add(400 * 24 * time.Hour)
	tests := []struct {
		name  string
		opts  systables.Options
		write func(s *systables.Store)
		table string
		want  int
	}{
		{"rejected keeps the newest", systables.Options{MaxRejected: 10}, func(s *systables.Store) {
			for i := 0; i < 25; i++ {
				s.RejectedRecord(engine.RejectedRecord{Time: now, Index: i, Message: "m"})
			}
		}, "zbemu.rejected_records", 10},
		{"queue overflow drops, never blocks", systables.Options{QueueSize: 5, BatchInterval: time.Hour}, func(s *systables.Store) {
			for i := 0; i < 8; i++ {
				s.StreamEvent(engine.StreamEvent{StreamID: fmt.Sprint(i), Time: now})
			}
		}, "lakeflow.zerobus_stream", 5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.Now = func() time.Time { return now }
			s := mustOpen(t, "disk", tc.opts)
			tc.write(s)
			rows := readAll(t, s, tc.table)
			if len(rows) != tc.want {
				t.Fatalf("%d rows, want %d", len(rows), tc.want)
			}
			if tc.table == "zbemu.rejected_records" && rows[0][5] != int64(15) {
				t.Errorf("oldest kept record_index %v, want 15", rows[0][5])
			}
		})
	}
}

func TestStoreRetention(t *testing.T) {
	path := filepath.Join(t.TempDir(), "system.db")
	s := mustOpen(t, "disk", systables.Options{Path: path, Now: func() time.Time { return t0 }})
	for _, days := range []int{400, 366, 364, 1} {
		at, age := t0.Add(-time.Duration(days)*24*time.Hour), days
		s.StreamEvent(engine.StreamEvent{StreamID: fmt.Sprint(age), Time: at})
		s.CommitEvent(engine.CommitEvent{StreamID: fmt.Sprint(age), CommitTime: at})
	}
	if err := s.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Pruning runs at Open (and every PruneInterval).
	s = mustOpen(t, "disk", systables.Options{Path: path, Now: func() time.Time { return t0 }})
	for _, table := range []string{"lakeflow.zerobus_stream", "lakeflow.zerobus_ingest"} {
		rows := readAll(t, s, table)
		var ids []any
		for _, r := range rows {
			ids = append(ids, r[2])
		}
		if !reflect.DeepEqual(ids, []any{"364", "1"}) {
			t.Errorf("%s keeps %v, want the rows of 364 and 1 days ago", table, ids)
		}
	}
}

// TestStoreReadableWhileWriting opens system.db read-only, as the sqlite3
// shell would, while the store writes.
func TestStoreReadableWhileWriting(t *testing.T) {
	path := filepath.Join(t.TempDir(), "system.db")
	s := mustOpen(t, "disk", systables.Options{Path: path, BatchInterval: 5 * time.Millisecond})
	ro, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			s.CommitEvent(engine.CommitEvent{StreamID: "w", CommitTime: time.Now(), CommitVersion: int64(i)})
			time.Sleep(50 * time.Microsecond)
		}
	}()
	last := -1
	for i := 0; i < 50; i++ {
		var n int
		if err := ro.QueryRow("SELECT count(*) FROM zerobus_ingest").Scan(&n); err != nil {
			t.Fatalf("read-only read while writing: %v", err)
		}
		if n < last {
			t.Fatalf("count went back from %d to %d", last, n)
		}
		last = n
		time.Sleep(2 * time.Millisecond)
	}
	close(stop)
	<-done
	if last <= 0 {
		t.Errorf("the reader never saw a row (last count %d)", last)
	}
}

// TestStoreCommitVersionsContinue: the engine counts commit versions from 1
// in every process; stored versions continue across restarts.
func TestStoreCommitVersionsContinue(t *testing.T) {
	path := filepath.Join(t.TempDir(), "system.db")
	var got []any
	for run := 0; run < 2; run++ {
		s, err := systables.Open(context.Background(), systables.Options{Path: path})
		if err != nil {
			t.Fatal(err)
		}
		for v := int64(1); v <= 2; v++ {
			s.CommitEvent(engine.CommitEvent{TableID: "a", CommitVersion: v, CommitTime: t0})
		}
		s.CommitEvent(engine.CommitEvent{TableID: fmt.Sprint("b", run), CommitVersion: 1, CommitTime: t0})
		if run == 1 {
			for _, r := range readAll(t, s, "lakeflow.zerobus_ingest") {
				got = append(got, fmt.Sprint(r[3], "@", r[5]))
			}
		}
		if err := s.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	want := []any{"a@1", "a@2", "b0@1", "a@3", "a@4", "b1@1"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("table@version %v, want %v", got, want)
	}
}
