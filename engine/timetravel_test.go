package engine_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zbemu/zbemu/engine"
	"github.com/zbemu/zbemu/engine/delta/deltatest"
)

// plantHistory gives main.default.t (id BIGINT, name STRING, p STRING) a
// Delta log of three versions written by package deltatest, at commit
// times 1000, 2000 and 3000 ms:
//
//	0: CREATE TABLE, no rows
//	1: WRITE (1, x, a), (2, NULL, NULL)
//	2: DELETE id 2 (copy-on-write)
func plantHistory(t *testing.T, e *engine.Engine, dataDir string) {
	t.Helper()
	exec(t, e, "CREATE TABLE main.default.t (id BIGINT, name STRING, p STRING) PARTITIONED BY (p)")
	dt, err := deltatest.Create(filepath.Join(dataDir, "delta", "main", "default", "t"), 1000)
	if err != nil {
		t.Fatal(err)
	}
	if err := dt.Write(2000, "WRITE", false, map[string][]deltatest.Row{"a": {{ID: 1, Name: deltatest.Str("x")}}, "": {{ID: 2}}}); err != nil {
		t.Fatal(err)
	}
	if err := dt.Write(3000, "DELETE", true, map[string][]deltatest.Row{"a": {{ID: 1, Name: deltatest.Str("x")}}}); err != nil {
		t.Fatal(err)
	}
}

func TestTimeTravelQueries(t *testing.T) {
	dir := t.TempDir()
	e := openEngine(t, "disk", dir)
	plantHistory(t, e, dir)
	exec(t, e, "CREATE VIEW main.default.v AS SELECT * FROM main.default.t")
	cases := []struct{ sql, want string }{
		{"SELECT count(*) FROM t VERSION AS OF 0", "0"},
		{"SELECT id, name, p FROM t VERSION AS OF 1 ORDER BY id", "1|x|a;2|NULL|NULL"},
		{"SELECT id, name, p FROM main.default.t@v2", "1|x|a"},
		{"SELECT t.id FROM t@v1 WHERE t.p IS NULL", "2"},
		{"SELECT id FROM t TIMESTAMP AS OF '1970-01-01 00:00:02.500' AS old ORDER BY id", "1;2"},
		{"SELECT id FROM t TIMESTAMP AS OF timestamp_millis(3000)", "1"},
		{"SELECT id FROM t@19700101000002000 ORDER BY id", "1;2"},
		{"SELECT a.id, b.id FROM t VERSION AS OF 1 a LEFT JOIN t VERSION AS OF 2 b ON a.id = b.id ORDER BY a.id", "1|1;2|NULL"},
		{"SELECT count(*) FROM (SELECT id FROM t VERSION AS OF 1 WHERE id IN (SELECT id FROM t@v2))", "1"},
		{"SELECT typeof(id), typeof(p) FROM t VERSION AS OF 2", "bigint|string"},
	}
	for _, c := range cases {
		if got := strings.Join(rowsText(exec(t, e, c.sql)), ";"); got != c.want {
			t.Errorf("%s = %q, want %q", c.sql, got, c.want)
		}
	}
	refused := []struct{ sql, class string }{
		{"SELECT * FROM t VERSION AS OF 3", "DELTA_VERSION_NOT_FOUND"},
		{"SELECT * FROM t VERSION AS OF 99999999999999999999999", "DELTA_VERSION_NOT_FOUND"},
		{"SELECT * FROM t TIMESTAMP AS OF '1970-01-01'", "DELTA_TIMESTAMP_EARLIER_THAN_COMMIT_RETENTION"},
		{"SELECT * FROM t TIMESTAMP AS OF '2100-01-01'", "DELTA_TIMESTAMP_GREATER_THAN_COMMIT"},
		{"SELECT * FROM t TIMESTAMP AS OF 'not a time'", "DELTA_TIMESTAMP_INVALID"},
		{"SELECT * FROM t TIMESTAMP AS OF read_text('/etc/passwd')", "INSUFFICIENT_PERMISSIONS"},
		{"SELECT * FROM t@v1 VERSION AS OF 1", "DELTA_UNSUPPORTED_TIME_TRAVEL_MULTIPLE_FORMATS"},
		{"SELECT * FROM v VERSION AS OF 1", "DELTA_UNSUPPORTED_TIME_TRAVEL_VIEWS"},
		{"SELECT * FROM nope VERSION AS OF 1", "TABLE_OR_VIEW_NOT_FOUND"},
		{"CREATE VIEW main.default.w AS SELECT * FROM t VERSION AS OF 1", "UNSUPPORTED_FEATURE"},
		{"SELECT * FROM read_parquet('x.parquet'), t VERSION AS OF 1", "INSUFFICIENT_PERMISSIONS"},
	}
	for _, c := range refused {
		_, err := e.Execute(context.Background(), engine.StatementRequest{SQL: c.sql, Identity: admin})
		if err == nil {
			t.Errorf("%s: accepted, want class %s", c.sql, c.class)
		} else if engine.ErrorClass(err) != c.class {
			t.Errorf("%s: %v (class %s), want class %s", c.sql, err, engine.ErrorClass(err), c.class)
		}
	}
	exec(t, e, "CREATE TABLE main.default.nolog (id INT)")
	_, err := e.Execute(context.Background(), engine.StatementRequest{SQL: "SELECT * FROM nolog VERSION AS OF 0", Identity: admin})
	if err == nil || engine.ErrorClass(err) != "DELTA_MISSING_DELTA_TABLE" || strings.Contains(err.Error(), dir) {
		t.Errorf("time travel of a table without a log: %v (class %s); want DELTA_MISSING_DELTA_TABLE without the server's folder", err, engine.ErrorClass(err))
	}
}

// A principal without SELECT on the table learns nothing of its versions:
// the refusal is the same for a version that exists and one that does not.
func TestTimeTravelAuthorization(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	e := openEngine(t, "disk", dir)
	plantHistory(t, e, dir)
	p, _, err := e.CreatePrincipal(ctx, "reader")
	if err != nil {
		t.Fatal(err)
	}
	id := &engine.Identity{ClientID: p.ClientID}
	run := func(sql string) error {
		_, err := e.Execute(ctx, engine.StatementRequest{SQL: sql, Identity: id})
		return err
	}
	exec(t, e, "GRANT USE CATALOG ON CATALOG main TO `"+p.ClientID+"`")
	exec(t, e, "GRANT USE SCHEMA ON SCHEMA main.default TO `"+p.ClientID+"`")
	for _, sql := range []string{"SELECT * FROM t VERSION AS OF 1", "SELECT * FROM t VERSION AS OF 7", "SELECT * FROM t TIMESTAMP AS OF '2100-01-01'"} {
		if err := run(sql); engine.ErrorClass(err) != "INSUFFICIENT_PERMISSIONS" || strings.Contains(err.Error(), "Available versions") {
			t.Errorf("%s without SELECT: %v", sql, err)
		}
	}
	exec(t, e, "GRANT SELECT ON TABLE main.default.t TO `"+p.ClientID+"`")
	if err := run("SELECT * FROM t VERSION AS OF 1"); err != nil {
		t.Errorf("with SELECT: %v", err)
	}
}

func TestDescribeHistoryAndRestore(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	e := openEngine(t, "disk", dir)
	plantHistory(t, e, dir)
	exec(t, e, "INSERT INTO t VALUES (5, 'now', 'b')")
	h := exec(t, e, "DESCRIBE HISTORY t")
	if len(h.Columns) != 15 || h.Columns[0].Name != "version" || h.Columns[5].Name != "operationParameters" || h.Columns[14].Name != "engineInfo" {
		t.Fatalf("history columns = %+v", h.Columns)
	}
	var ops []string
	for _, r := range h.Rows {
		ops = append(ops, *r[0]+" "+*r[1]+" "+*r[4])
	}
	want := "2 1970-01-01T00:00:03.000Z DELETE;1 1970-01-01T00:00:02.000Z WRITE;0 1970-01-01T00:00:01.000Z CREATE TABLE"
	if strings.Join(ops, ";") != want || *h.Rows[0][5] != `{"mode":"Append"}` || h.Rows[0][2] != nil || *h.Rows[0][14] != "deltatest" {
		t.Errorf("DESCRIBE HISTORY = %q / %v, want %q", ops, rowsText(h), want)
	}
	if got := exec(t, e, "DESCRIBE HISTORY t LIMIT 1"); len(got.Rows) != 1 {
		t.Errorf("LIMIT 1: %d rows", len(got.Rows))
	}

	r := exec(t, e, "RESTORE TABLE t TO VERSION AS OF 1")
	if colsText(r) != "table_size_after_restore BIGINT, num_of_files_after_restore BIGINT, num_removed_files BIGINT, num_restored_files BIGINT, removed_files_size BIGINT, restored_files_size BIGINT" {
		t.Errorf("RESTORE columns = %s", colsText(r))
	}
	if m := rowsText(r)[0]; !strings.HasPrefix(strings.SplitN(m, "|", 2)[1], "2|1|2|") {
		t.Errorf("RESTORE metrics = %s, want 2 files after, 1 removed, 2 restored", m)
	}
	if got := strings.Join(rowsText(exec(t, e, "SELECT id, name, p FROM t ORDER BY id")), ";"); got != "1|x|a;2|NULL|NULL" {
		t.Errorf("rows after RESTORE = %q", got)
	}
	exec(t, e, "RESTORE t TO TIMESTAMP AS OF '1970-01-01 00:00:01.5'")
	if got := count(t, e, "t"); got != "0" {
		t.Errorf("rows after RESTORE to version 0 = %s", got)
	}
	for sql, class := range map[string]string{
		"RESTORE TABLE t TO VERSION AS OF 9":              "DELTA_CANNOT_RESTORE_TABLE_VERSION",
		"RESTORE TABLE t TO TIMESTAMP AS OF '2100-01-01'": "DELTA_CANNOT_RESTORE_TIMESTAMP_GREATER",
		"RESTORE TABLE t TO TIMESTAMP AS OF '1960-01-01'": "DELTA_CANNOT_RESTORE_TIMESTAMP_EARLIER",
		"RESTORE TABLE t": "PARSE_SYNTAX_ERROR",
		"RESTORE TABLE t TO VERSION AS OF 1 WHERE x":         "PARSE_SYNTAX_ERROR",
		"RESTORE TABLE nope TO VERSION AS OF 1":              "TABLE_OR_VIEW_NOT_FOUND",
		"RESTORE TABLE t TO TIMESTAMP AS OF read_text('/x')": "INSUFFICIENT_PERMISSIONS",
	} {
		_, err := e.Execute(ctx, engine.StatementRequest{SQL: sql, Identity: admin})
		if err == nil || engine.ErrorClass(err) != class {
			t.Errorf("%s: %v (class %s), want %s", sql, err, engine.ErrorClass(err), class)
		}
	}
}
