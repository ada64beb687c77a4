package engine

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/zbemu/zbemu/engine/delta"
	"github.com/zbemu/zbemu/engine/delta/deltatest"
)

func openDeltaEngine(t *testing.T, dir string) *Engine {
	t.Helper()
	e, err := Open(context.Background(), Options{DataDir: dir, Delta: true, DevClientSecret: "s",
		// Only syncDelta writes versions, so each is a step of the test.
		DeltaInterval: 1 << 40})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close(context.Background()) })
	return e
}

var deltaAdmin = &Identity{ClientID: "zbemu-dev", Admin: true}

func runSQL(t *testing.T, e *Engine, q string) *Result {
	t.Helper()
	r, err := e.Execute(context.Background(), StatementRequest{SQL: q, Identity: deltaAdmin})
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return r
}

// sqlRows is the table's rows as SQL returns them, canonical and sorted.
func sqlRows(t *testing.T, e *Engine, table string) []string {
	r := runSQL(t, e, "SELECT * FROM "+table)
	kinds := map[int]string{}
	for i, c := range r.Columns {
		switch {
		case strings.HasPrefix(c.TypeText, "ARRAY") || strings.HasPrefix(c.TypeText, "MAP") || strings.HasPrefix(c.TypeText, "STRUCT") || c.TypeText == "VARIANT":
			kinds[i] = "nested"
		case c.TypeText == "FLOAT" || c.TypeText == "DOUBLE":
			kinds[i] = strings.ToLower(c.TypeText)
		}
	}
	out := make([]string, 0, len(r.Rows))
	for _, row := range r.Rows {
		out = append(out, deltatest.CanonicalSQLRow(row, kinds))
	}
	sort.Strings(out)
	return out
}

// deltaSteps runs SQL steps, mirroring after each and keeping what SQL
// returned at each version, then checks every version with the
// independent reader.
type deltaSteps struct {
	t     *testing.T
	e     *Engine
	table string // c.s.t
	dir   string
	want  map[int64][]string
	last  int64
}

func newDeltaSteps(t *testing.T, e *Engine, table string) *deltaSteps {
	p := strings.Split(table, ".")
	return &deltaSteps{t: t, e: e, table: table, dir: filepath.Join(e.deltaRoot(), p[0], p[1], p[2]), want: map[int64][]string{}, last: -1}
}

// step runs qs, mirrors, and returns the versions the mirror wrote.
func (s *deltaSteps) step(qs ...string) []int64 {
	s.t.Helper()
	for _, q := range qs {
		runSQL(s.t, s.e, q)
	}
	p := strings.Split(s.table, ".")
	v, err := s.e.syncDelta(context.Background(), p[0], p[1], p[2])
	if err != nil {
		s.t.Fatal(err)
	}
	var out []int64
	for i := s.last + 1; i <= v; i++ {
		out = append(out, i)
	}
	s.last = v
	s.want[v] = sqlRows(s.t, s.e, s.table)
	return out
}

func (s *deltaSteps) verifyAll() *deltatest.Snapshot {
	s.t.Helper()
	var snap *deltatest.Snapshot
	for v := int64(0); v <= s.last; v++ {
		if want, ok := s.want[v]; ok {
			snap = deltatest.CheckSnapshot(s.t, s.dir, v, want)
		}
	}
	return snap
}

const allTypesTable = `CREATE TABLE main.default.t (i TINYINT, s SMALLINT, n INT NOT NULL, b BIGINT, f FLOAT, d DOUBLE, dec DECIMAL(10,2), big DECIMAL(38,6),
	str STRING, bin BINARY, bo BOOLEAN, dt DATE, ts TIMESTAMP, ntz TIMESTAMP_NTZ, arr ARRAY<INT>, m MAP<STRING, INT>,
	st STRUCT<a: INT, b: ARRAY<STRING>>, v VARIANT, p STRING) PARTITIONED BY (p)`

const allTypesRows = `(1, 2, 3, 4, 1.5, 2.25, 12.34, -123456789012345678901234.5, 'x', X'0102', true, DATE'2024-01-02',
	TIMESTAMP'2024-01-02 03:04:05.123', TIMESTAMP_NTZ'2024-01-02 03:04:05', array(1, NULL), map('k', 1), named_struct('a', 1, 'b', array('q')),
	parse_json('{"a":[1,2]}'), 'p1'),
	(NULL, NULL, 5, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
	(-1, -2, 6, -4, -0.5, 1e10, -0.01, 0.000001, 'y/z=1', X'', false, DATE'1969-12-31', TIMESTAMP'1960-06-01 00:00:00', TIMESTAMP_NTZ'2100-01-01 00:00:00.001',
	array(), map(), named_struct('a', NULL, 'b', NULL), parse_json('3'), 'p:2')`

// TestDeltaMirrorVersions checks every version the mirror writes for a
// table of every type through inserts, ingest, a schema change, UPDATE,
// DELETE, MERGE, checkpoints and OPTIMIZE, with the independent reader.
func TestDeltaMirrorVersions(t *testing.T) {
	ctx := context.Background()
	e := openDeltaEngine(t, t.TempDir())
	runSQL(t, e, allTypesTable)
	s := newDeltaSteps(t, e, "main.default.t")
	s.step()
	s.step("INSERT INTO main.default.t VALUES " + allTypesRows)
	if err := e.Insert(ctx, deltaAdmin, "main.default.t", [][]byte{[]byte(`{"n": 7, "p": "p1", "ts": 1700000000000000}`), []byte(`{"n": 8}`)}); err != nil {
		t.Fatal(err)
	}
	s.step()
	s.step("ALTER TABLE main.default.t ADD COLUMNS (extra INT COMMENT 'added')")
	s.step("INSERT INTO main.default.t (n, extra, p) VALUES (9, 90, 'p1'), (10, 100, NULL)")
	s.step("UPDATE main.default.t SET b = b * 10 WHERE p = 'p1'")
	s.step("DELETE FROM main.default.t WHERE n = 5")
	s.step(`MERGE INTO main.default.t t USING (SELECT 9 AS n, 1 AS e UNION ALL SELECT 11, 2) src ON t.n = src.n
		WHEN MATCHED THEN UPDATE SET extra = src.e WHEN NOT MATCHED THEN INSERT (n, extra, p) VALUES (src.n, src.e, 'p3')`)
	for s.last < 12 {
		s.step("INSERT INTO main.default.t (n, p) VALUES (100, 'p1')")
	}
	before := len(deltatest.Replay(t, s.dir, s.last, -1).Files)
	r := runSQL(t, e, "OPTIMIZE main.default.t")
	s.step()
	snap := s.verifyAll()
	after := len(snap.Files)
	if after >= before || !strings.Contains(*r.Rows[0][1], `"numFilesRemoved":`) {
		t.Errorf("OPTIMIZE: %d live files before, %d after; metrics %s", before, after, *r.Rows[0][1])
	}
	wantOps := []string{"CREATE TABLE", "WRITE", "STREAMING UPDATE", "ADD COLUMNS", "WRITE", "UPDATE", "DELETE", "MERGE"}
	if !slices.Equal(snap.Ops[:len(wantOps)], wantOps) || snap.Ops[len(snap.Ops)-1] != "OPTIMIZE" {
		t.Errorf("commitInfo operations %v, want %v ... OPTIMIZE", snap.Ops, wantOps)
	}
	// OPTIMIZE changes no data: its adds and removes say so.
	for _, line := range strings.Split(strings.TrimSpace(readFile(t, delta.CommitPath(s.dir, s.last))), "\n") {
		if strings.Contains(line, `"add"`) || strings.Contains(line, `"remove"`) {
			if !strings.Contains(line, `"dataChange":false`) {
				t.Errorf("OPTIMIZE version: %s", line)
			}
		}
	}
	// Protocol: TIMESTAMP_NTZ needs the timestampNtz feature.
	if snap.Protocol["minReaderVersion"] != 3.0 || !slices.Contains(snap.Protocol["readerFeatures"].([]any), any("timestampNtz")) {
		t.Errorf("protocol %v", snap.Protocol)
	}
	// Checkpoint at version 10, and _last_checkpoint naming it; the
	// snapshot from the checkpoint equals the one from the JSON log.
	data, err := os.ReadFile(filepath.Join(s.dir, "_delta_log", "_last_checkpoint"))
	if err != nil || !strings.Contains(string(data), `"version":10`) {
		t.Fatalf("_last_checkpoint: %s, %v", data, err)
	}
	fromJSON, fromCP := deltatest.Replay(t, s.dir, 12, -1), deltatest.Replay(t, s.dir, 12, 10)
	if !slices.Equal(sortedKeys(fromJSON.Files), sortedKeys(fromCP.Files)) || !slices.Equal(fromJSON.Rows(t, s.dir), fromCP.Rows(t, s.dir)) ||
		!reflectEqualTxn(fromJSON.Txn, fromCP.Txn) {
		t.Errorf("snapshot at 12 from the checkpoint differs from the JSON log's:\n%v\n%v", fromJSON.Rows(t, s.dir), fromCP.Rows(t, s.dir))
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func reflectEqualTxn(a, b map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestDeltaMirrorColumnMappingAndRestart: turning column mapping on keeps
// the existing files readable (physical names are the old names), RENAME
// and DROP COLUMN change only the schema, and a restart neither loses nor
// repeats rows: the mirror resumes from the txn actions in its log.
func TestDeltaMirrorColumnMappingAndRestart(t *testing.T) {
	dir := t.TempDir()
	e := openDeltaEngine(t, dir)
	runSQL(t, e, "CREATE TABLE main.default.cm (a INT, b STRING, c DOUBLE)")
	s := newDeltaSteps(t, e, "main.default.cm")
	s.step("INSERT INTO main.default.cm VALUES (1, 'x', 1.5), (2, NULL, 2.5)")
	s.step("ALTER TABLE main.default.cm SET TBLPROPERTIES ('delta.columnMapping.mode' = 'name')")
	s.step("ALTER TABLE main.default.cm RENAME COLUMN b TO bee")
	s.step("INSERT INTO main.default.cm VALUES (3, 'y', 3.5)")
	s.step("ALTER TABLE main.default.cm DROP COLUMN c")
	s.step("INSERT INTO main.default.cm VALUES (4, 'z')")
	snap := s.verifyAll()
	if snap.Config["delta.columnMapping.mode"] != "name" || snap.Protocol["minWriterVersion"] != 5.0 {
		t.Errorf("column mapping: config %v protocol %v", snap.Config, snap.Protocol)
	}
	last := s.last
	e.Close(context.Background())
	e = openDeltaEngine(t, dir)
	s.e = e
	s.step()
	if s.last != last {
		t.Errorf("a restart without changes wrote versions %d..%d", last+1, s.last)
	}
	if err := e.Insert(context.Background(), deltaAdmin, "main.default.cm", [][]byte{[]byte(`{"a": 5, "bee": "w"}`)}); err != nil {
		t.Fatal(err)
	}
	s.step()
	s.verifyAll()
}
