package engine_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zbemu/zbemu/engine"
)

// testSegmentBytes is the ingest log segment size of these tests: the
// default 64 MiB would not fit the 24 MiB tmpfs of the disk-full tests, and
// small segments make the log start new ones, the writes a full disk fails.
const testSegmentBytes = 1 << 20

// durableOpts keeps every acknowledged entry pending until a query syncs, so
// that the entries of one test land in one materialiser round.
func durableOpts(dir string) engine.Options {
	return engine.Options{DataDir: dir, DevClientSecret: "s", FlushInterval: time.Hour, FlushRows: 1 << 30, LogGenerationBytes: testSegmentBytes}
}

// A record whose value DuckDB cannot hold must be refused at ingest; if it
// were acknowledged, the catalog's commit would fail and take the rows of
// every other table in the same round with it (issue 9, "Data loss").
func TestOutOfRangeTimestampLosesNothing(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	e := openDurable(t, dir)
	exec(t, e, "CREATE TABLE main.default.victim (id BIGINT)")
	exec(t, e, "CREATE TABLE main.default.t (id BIGINT, ts TIMESTAMP, tss ARRAY<TIMESTAMP>)")
	insert := func(table, rec string) error {
		return e.Insert(ctx, admin, "main.default."+table, [][]byte{[]byte(rec)})
	}
	for _, rec := range []string{`{"id":1}`, `{"id":2}`, `{"id":3}`} {
		if err := insert("victim", rec); err != nil {
			t.Fatal(err)
		}
	}
	for _, rec := range []string{`{"id":10,"ts":9223372036854775807}`, `{"id":11,"tss":[0,-9223372036854775807]}`} {
		err := insert("t", rec)
		if !errors.Is(err, engine.ErrInvalidRecord) || !strings.Contains(err.Error(), "0001-01-01") {
			t.Errorf("%s: got %v, want a refusal naming the range", rec, err)
		}
	}
	if err := insert("victim", `{"id":4}`); err != nil {
		t.Fatal(err)
	}
	const want = "[1,2,3,4]"
	if got := ids(t, e, "main.default.victim"); got != want {
		t.Errorf("victim = %s, want %s", got, want)
	}
	if err := e.Close(ctx); err != nil {
		t.Fatal(err)
	}
	e2 := openDurable(t, dir)
	defer e2.Close(ctx)
	if got := ids(t, e2, "main.default.victim"); got != want {
		t.Errorf("after restart victim = %s, want %s", got, want)
	}
}

// ids lists a table's id column in order, "NULL" for no rows.
func ids(t *testing.T, e *engine.Engine, table string) string {
	t.Helper()
	if v := exec(t, e, "SELECT list(id ORDER BY id) FROM "+table).Rows[0][0]; v != nil {
		return *v
	}
	return "NULL"
}

// quarantined lists table_name:log_index:record_index of the quarantine.
func quarantined(t *testing.T, e *engine.Engine) string {
	t.Helper()
	r := exec(t, e, "SELECT string_agg(table_name || ':' || record_index || ':' || (reason <> '') || ':' || raw, ',' ORDER BY log_index, record_index) FROM system.zbemu.quarantined_records")
	if v := r.Rows[0][0]; v != nil {
		return *v
	}
	return ""
}

// An acknowledged entry DuckDB refuses (defence behind validation) costs
// only itself: it goes to the quarantine with its reason and raw record in
// the transaction that moves the applied index, and every other entry of
// the round is applied, once, also after a restart.
func TestPoisonedEntryIsQuarantined(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	e := openDurable(t, dir)
	exec(t, e, "CREATE TABLE main.default.victim (id BIGINT)")
	exec(t, e, "CREATE TABLE main.default.t (id BIGINT, ts TIMESTAMP)")
	for _, rec := range []string{`{"id":1}`, `{"id":2}`, `{"id":3}`} {
		if err := e.Insert(ctx, admin, "main.default.victim", [][]byte{[]byte(rec)}); err != nil {
			t.Fatal(err)
		}
	}
	// Year 300000: DuckDB's appender refuses it.
	poison := [][]any{{int64(10), time.Date(300000, 1, 1, 0, 0, 0, 0, time.UTC)}, {int64(11), nil}}
	raw := [][]byte{[]byte(`{"id":10,"ts":9223372036854775807}`), []byte(`{"id":11}`)}
	if err := engine.InsertUnchecked(ctx, e, admin, "main.default.t", poison, raw); err != nil {
		t.Fatal(err)
	}
	if err := e.Insert(ctx, admin, "main.default.victim", [][]byte{[]byte(`{"id":4}`)}); err != nil {
		t.Fatal(err)
	}
	const want = "[1,2,3,4]"
	const wantQ = `main.default.t:0:true:{"id":10,"ts":9223372036854775807},main.default.t:1:true:{"id":11}`
	check := func(e *engine.Engine, when string) {
		if got := ids(t, e, "main.default.victim"); got != want {
			t.Errorf("%s: victim = %s, want %s", when, got, want)
		}
		if got := ids(t, e, "main.default.t"); got != "NULL" {
			t.Errorf("%s: t = %s, want no rows (the entry is quarantined whole)", when, got)
		}
		if got := quarantined(t, e); got != wantQ {
			t.Errorf("%s: quarantine = %s, want %s", when, got, wantQ)
		}
		if err := e.Health(); err != nil {
			t.Errorf("%s: health: %v", when, err)
		}
	}
	check(e, "live")
	if got := len(exec(t, e, "DESCRIBE TABLE system.zbemu.quarantined_records").Rows); got != 7 {
		t.Errorf("DESCRIBE system.zbemu.quarantined_records: %d columns, want 7", got)
	}
	if e.Quarantined() != 1 {
		t.Errorf("Quarantined() = %d, want 1", e.Quarantined())
	}
	if err := e.Close(ctx); err != nil {
		t.Fatal(err)
	}
	e2 := openDurable(t, dir)
	defer e2.Close(ctx)
	check(e2, "after restart")
}

// An entry in the ingest log that can no longer be decoded (written before
// validation was tightened) never keeps the server from starting: replay
// quarantines it and applies everything else.
func TestReplayQuarantinesUndecodableEntry(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	e := openDurable(t, dir)
	exec(t, e, "CREATE TABLE main.default.victim (id BIGINT)")
	exec(t, e, "CREATE TABLE main.default.t (id BIGINT, ts TIMESTAMP)")
	if err := e.Insert(ctx, admin, "main.default.victim", [][]byte{[]byte(`{"id":1}`)}); err != nil {
		t.Fatal(err)
	}
	// No rows: the live materialiser skips the entry, so the catalog's
	// applied index stays below it and the next start replays it.
	if err := engine.InsertUnchecked(ctx, e, admin, "main.default.t", nil, [][]byte{[]byte(`{"id":10,"ts":9223372036854775807}`)}); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(ctx); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		e2, err := engine.Open(ctx, durableOpts(dir))
		if err != nil {
			t.Fatalf("start %d: %v", i, err)
		}
		if i == 0 && e2.Quarantined() != 1 {
			t.Errorf("Quarantined() = %d, want 1", e2.Quarantined())
		}
		if got := ids(t, e2, "main.default.victim"); got != "[1]" {
			t.Errorf("start %d: victim = %s", i, got)
		}
		if got := quarantined(t, e2); !strings.HasPrefix(got, `main.default.t:0:true:{"id":10`) || strings.Count(got, "main.default.t") != 1 {
			t.Errorf("start %d: quarantine = %s", i, got)
		}
		e2.Close(ctx)
	}
}

// mountTmpfs mounts a small tmpfs at a new directory (root only).
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "disk")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := osexec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("disk-full test needs root to mount a tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { osexec.Command("umount", "-l", dir).Run() })
	return dir
}

// fillDisk writes a file until the file system is full.
func fillDisk(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		return // already full
	}
	defer f.Close()
	chunk := make([]byte, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			break
		}
	}
	for _, n := range []int{4096, 512, 1} { // the last pages
		for {
			if _, err := f.Write(chunk[:n]); err != nil {
				break
			}
		}
	}
}

// A full disk makes the engine degraded, never lossy: ingest is refused with
// ErrUnavailable naming the cause, queries never answer without acknowledged
// rows, and once space is freed the engine recovers by itself with every
// acknowledged record present exactly once. Either the ingest log fails
// first (it starts a segment; DuckDB writes nothing while rows wait for a
// flush) or DuckDB does (the materialiser writes often; the log's segment is
// preallocated).
func TestDiskFullDegradesAndRecovers(t *testing.T) {
	for _, tc := range []struct {
		name      string
		opts      func(dir string) engine.Options
		syncEvery int // Sync every n inserts while the disk is full; 0: never
		wantCause string
	}{
		{
			name:      "ingest log",
			opts:      durableOpts,
			wantCause: "the ingest log cannot be written",
		},
		{
			name: "DuckDB",
			opts: func(dir string) engine.Options {
				return engine.Options{DataDir: dir, DevClientSecret: "s", MemoryLimit: "64MB", LogGenerationBytes: testSegmentBytes}
			},
			syncEvery: 10,
			wantCause: "cannot be written to DuckDB",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			dir := mountTmpfs(t, "24m")
			opts := tc.opts(filepath.Join(dir, "data"))
			e, err := engine.Open(ctx, opts)
			if err != nil {
				t.Fatal(err)
			}
			exec(t, e, "CREATE TABLE main.default.ev (id BIGINT NOT NULL, pad STRING)")
			acked := 0
			insert := func() error {
				err := insertPadded(ctx, e, acked)
				if err == nil {
					acked += paddedBatch
				}
				return err
			}
			for i := 0; i < 20; i++ {
				if err := insert(); err != nil {
					t.Fatal(err)
				}
			}
			filler := filepath.Join(dir, "filler")
			fillDisk(t, filler)
			var refused error
			for i := 0; i < 2000 && refused == nil; i++ {
				if err := insert(); err != nil {
					refused = err
				} else if tc.syncEvery > 0 && i%tc.syncEvery == 0 {
					e.Sync(ctx) // make the materialiser write too
				}
			}
			if !errors.Is(refused, engine.ErrUnavailable) || !strings.Contains(refused.Error(), tc.wantCause) ||
				!strings.Contains(strings.ToLower(refused.Error()), "no space left on device") {
				t.Fatalf("ingest on a full disk: %v; want ErrUnavailable naming %q and the disk", refused, tc.wantCause)
			}
			t.Logf("refused after %d acknowledged records: %v", acked, refused)
			if err := e.Health(); !errors.Is(err, engine.ErrUnavailable) {
				t.Errorf("health on a full disk: %v", err)
			}
			// A query either sees every acknowledged row or fails loudly.
			if r, err := e.Execute(ctx, engine.StatementRequest{SQL: "SELECT count(*) FROM main.default.ev", Identity: admin}); err == nil {
				if got := *r.Rows[0][0]; got != fmt.Sprint(acked) {
					t.Errorf("query while degraded: count %s, want %d (or an error)", got, acked)
				}
			} else if !errors.Is(err, engine.ErrUnavailable) {
				t.Errorf("query while degraded: %v, want ErrUnavailable", err)
			}
			if err := os.Remove(filler); err != nil {
				t.Fatal(err)
			}
			waitRecovered(t, e)
			for i := 0; i < 5; i++ {
				if err := insert(); err != nil {
					t.Fatalf("ingest after recovery: %v", err)
				}
			}
			want := fmt.Sprintf("%d %d", acked, acked)
			r := exec(t, e, "SELECT count(*), count(DISTINCT id) FROM main.default.ev")
			if got := *r.Rows[0][0] + " " + *r.Rows[0][1]; got != want {
				t.Errorf("after recovery: rows/distinct %s, want %s", got, want)
			}
			if err := e.Close(ctx); err != nil {
				t.Fatal(err)
			}
			e2, err := engine.Open(ctx, opts)
			if err != nil {
				t.Fatal(err)
			}
			defer e2.Close(ctx)
			r = exec(t, e2, "SELECT count(*), count(DISTINCT id) FROM main.default.ev")
			if got := *r.Rows[0][0] + " " + *r.Rows[0][1]; got != want {
				t.Errorf("after restart: rows/distinct %s, want %s", got, want)
			}
		})
	}
}

// Records acknowledged before the disk filled up cannot be written to
// DuckDB: the applied index stays, queries fail loudly instead of missing
// them, ingest is refused, and the materialiser's retries apply them once
// space is freed.
func TestDiskFullDuringFlushKeepsRows(t *testing.T) {
	ctx := context.Background()
	e, _, filler := openFullOfPadded(t)
	defer e.Close(ctx)
	err := e.Sync(ctx)
	t.Logf("sync on a full disk: %v", err)
	if !errors.Is(err, engine.ErrUnavailable) || !strings.Contains(err.Error(), "No space left on device") {
		t.Fatalf("sync on a full disk: %v, want ErrUnavailable naming the cause", err)
	}
	if _, err := e.Execute(ctx, engine.StatementRequest{SQL: "SELECT count(*) FROM main.default.ev", Identity: admin}); !errors.Is(err, engine.ErrUnavailable) {
		t.Errorf("query while acknowledged rows wait: %v, want ErrUnavailable", err)
	}
	if err := e.Insert(ctx, admin, "main.default.ev", [][]byte{[]byte(`{"id":-1}`)}); !errors.Is(err, engine.ErrUnavailable) {
		t.Errorf("ingest while degraded: %v, want ErrUnavailable", err)
	}
	os.Remove(filler)
	waitRecovered(t, e)
	checkPaddedRows(t, e)
}

// A start on a full disk with acknowledged entries still to apply does not
// fail: the engine opens degraded, and applies them once space is freed.
func TestStartOnFullDiskIsDegradedNotDown(t *testing.T) {
	ctx := context.Background()
	e, opts, filler := openFullOfPadded(t)
	e.Close(ctx) // cannot apply: the entries stay in the ingest log
	e2, err := engine.Open(ctx, opts)
	if err != nil {
		t.Fatalf("start on a full disk: %v", err)
	}
	defer e2.Close(ctx)
	t.Logf("health at start: %v", e2.Health())
	os.Remove(filler)
	waitRecovered(t, e2)
	checkPaddedRows(t, e2)
}

// paddedBatch is how many records insertPadded sends in one request.
const paddedBatch = 20

// insertPadded inserts records with ids from … from+paddedBatch-1 into
// main.default.ev, each with a 2 KB pad so that a small disk fills fast.
func insertPadded(ctx context.Context, e *engine.Engine, from int) error {
	pad := strings.Repeat("p", 2000)
	recs := make([][]byte, paddedBatch)
	for i := range recs {
		recs[i] = []byte(fmt.Sprintf(`{"id":%d,"pad":%q}`, from+i, pad))
	}
	return e.Insert(ctx, admin, "main.default.ev", recs)
}

// paddedRows is how many rows openFullOfPadded acknowledges.
const paddedRows = 400

// openFullOfPadded opens an engine on a small tmpfs, acknowledges
// paddedRows padded records into main.default.ev and then fills the disk
// with the file filler; removing it frees the space again.
func openFullOfPadded(t *testing.T) (e *engine.Engine, opts engine.Options, filler string) {
	t.Helper()
	ctx := context.Background()
	dir := mountTmpfs(t, "24m")
	opts = durableOpts(filepath.Join(dir, "data"))
	e, err := engine.Open(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	exec(t, e, "CREATE TABLE main.default.ev (id BIGINT NOT NULL, pad STRING)")
	for i := 0; i < paddedRows; i += paddedBatch {
		if err := insertPadded(ctx, e, i); err != nil {
			t.Fatal(err)
		}
	}
	filler = filepath.Join(dir, "filler")
	fillDisk(t, filler)
	return e, opts, filler
}

// waitRecovered waits until e reports itself healthy again.
func waitRecovered(t *testing.T, e *engine.Engine) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second) // generous: only to avoid hanging
	for e.Health() != nil && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if err := e.Health(); err != nil {
		t.Fatalf("no recovery after freeing space: %v", err)
	}
}

// checkPaddedRows checks that main.default.ev holds the paddedRows rows of
// openFullOfPadded exactly once.
func checkPaddedRows(t *testing.T, e *engine.Engine) {
	t.Helper()
	r := exec(t, e, "SELECT count(*), count(DISTINCT id) FROM main.default.ev")
	if got := *r.Rows[0][0] + " " + *r.Rows[0][1]; got != fmt.Sprintf("%d %d", paddedRows, paddedRows) {
		t.Errorf("after recovery: rows/distinct %s, want %d", got, paddedRows)
	}
}

// openDurable opens an engine with durableOpts on dir, failing the test if
// it cannot.
func openDurable(t *testing.T, dir string) *engine.Engine {
	t.Helper()
	e, err := engine.Open(context.Background(), durableOpts(dir))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// A backlog larger than one materialiser round is applied in the
// background after a restart (start-up does not wait for its DuckDB
// appends), exactly once, before anything acknowledged after the start;
// a query waits for it, and an entry that no longer decodes still goes to
// the quarantine.
func TestReplayLargeBacklogInBackground(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	opts := durableOpts(dir)
	opts.FlushRows = 10 // a backlog of more than 10 records is applied in the background
	e, err := engine.Open(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	exec(t, e, "CREATE TABLE main.default.t (id BIGINT, ts TIMESTAMP)")
	// No rows: the live materialiser skips these entries, so the catalog's
	// applied index stays below them and the next start replays them.
	var want []string
	for b := 0; b < 3; b++ {
		var recs [][]byte
		for i := 0; i < 20; i++ {
			id := b*20 + i
			recs = append(recs, []byte(fmt.Sprintf(`{"id":%d}`, id)))
			want = append(want, fmt.Sprint(id))
		}
		if err := engine.InsertUnchecked(ctx, e, admin, "main.default.t", nil, recs); err != nil {
			t.Fatal(err)
		}
	}
	if err := engine.InsertUnchecked(ctx, e, admin, "main.default.t", nil, [][]byte{[]byte(`{"id":99,"ts":9223372036854775807}`)}); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(ctx); err != nil {
		t.Fatal(err)
	}
	for start := 0; start < 2; start++ {
		// The materialiser logs from its own goroutine while the test reads.
		var logged lockedLog
		opts.Logger = slog.New(slog.NewTextHandler(&logged, nil))
		e2, err := engine.Open(ctx, opts)
		if err != nil {
			t.Fatalf("start %d: %v", start, err)
		}
		if bg := strings.Contains(logged.String(), "in the background"); bg != (start == 0) {
			t.Errorf("start %d: backlog applied in the background: %v, want %v; log:\n%s", start, bg, start == 0, logged.String())
		}
		if start == 0 {
			// Acknowledged after the start: applied after the replayed backlog.
			if err := e2.Insert(ctx, admin, "main.default.t", [][]byte{[]byte(`{"id":1000}`)}); err != nil {
				t.Fatal(err)
			}
		}
		if got := ids(t, e2, "main.default.t"); got != "["+strings.Join(append(want, "1000"), ",")+"]" {
			t.Errorf("start %d: ids = %s", start, got)
		}
		if got := quarantined(t, e2); !strings.HasPrefix(got, `main.default.t:0:true:{"id":99`) || strings.Count(got, "main.default.t") != 1 {
			t.Errorf("start %d: quarantine = %s", start, got)
		}
		if start == 0 && e2.Quarantined() != 1 {
			t.Errorf("Quarantined() = %d after the backlog was applied, want 1", e2.Quarantined())
		}
		e2.Close(ctx)
	}
}

// lockedLog is a log sink that goroutines write while a test reads it.
type lockedLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
