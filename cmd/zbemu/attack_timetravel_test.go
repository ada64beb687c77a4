package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zbemu/zbemu/engine/delta/deltatest"
)

// TestAttackTimeTravel reads old versions, restores and imports as a
// principal without grants, as one scoped to another table, and with bad
// versions, timestamps and paths. Every attempt is refused with a message
// naming what was wrong, reveals nothing of tables or files the caller may
// not see, and leaves the rows as they were.
func TestAttackTimeTravel(t *testing.T) {
	s, imports := timeTravelServer(t)
	s.sql("CREATE TABLE main.default.other (id BIGINT)")

	noneID, noneSecret := s.newPrincipal("tt-no-grants")
	none := s.workspaceToken(noneID, noneSecret)
	scopedID, scopedSecret := s.newPrincipal("tt-scoped")
	for _, g := range []string{"GRANT USE CATALOG ON CATALOG main TO `%s`", "GRANT USE SCHEMA ON SCHEMA main.default TO `%s`",
		"GRANT SELECT ON TABLE main.default.other TO `%s`"} {
		s.sql(fmt.Sprintf(g, scopedID))
	}
	scoped := s.workspaceToken(scopedID, scopedSecret)

	denied := []struct {
		who, token, stmt string
	}{
		{"no grants", none, "SELECT * FROM main.default.t VERSION AS OF 1"},
		{"no grants", none, "SELECT * FROM main.default.t VERSION AS OF 99"},
		{"no grants", none, "SELECT * FROM main.default.t TIMESTAMP AS OF '2000-01-01'"},
		{"no grants", none, "DESCRIBE HISTORY main.default.t"},
		{"no grants", none, "RESTORE TABLE main.default.t TO VERSION AS OF 0"},
		{"scoped to other", scoped, "SELECT * FROM main.default.other o JOIN main.default.t@v1 x ON o.id = x.id"},
		{"scoped to other", scoped, "SELECT * FROM main.default.t@v99"},
		{"scoped to other", scoped, "RESTORE TABLE main.default.other TO VERSION AS OF 0"},
	}
	for _, c := range denied {
		state, code, msg := s.sqlAs(c.token, c.stmt)
		if state != "FAILED" || code != "PERMISSION_DENIED" || strings.Contains(msg, "Available versions") || strings.Contains(msg, s.data) {
			t.Errorf("%s: %s = %s %s %q; want PERMISSION_DENIED revealing no versions or paths", c.who, c.stmt, state, code, msg)
		}
	}

	bad := []struct{ stmt, class string }{
		{"SELECT * FROM main.default.t VERSION AS OF 3", "DELTA_VERSION_NOT_FOUND"},
		{"SELECT * FROM main.default.t VERSION AS OF 9223372036854775807", "DELTA_VERSION_NOT_FOUND"},
		{"SELECT * FROM main.default.t VERSION AS OF 123456789012345678901234567890", "DELTA_VERSION_NOT_FOUND"},
		{"SELECT * FROM main.default.t VERSION AS OF -1", "PARSE_SYNTAX_ERROR"},
		{"SELECT * FROM main.default.t VERSION AS OF 'one'", "DELTA_TIME_TRAVEL_INVALID_BEGIN_VALUE"},
		{"SELECT * FROM main.default.t@v", "PARSE_SYNTAX_ERROR"},
		{"SELECT * FROM main.default.t@2024", "PARSE_SYNTAX_ERROR"},
		{"SELECT * FROM main.default.t TIMESTAMP AS OF 'yesterday-ish'", "DELTA_TIMESTAMP_INVALID"},
		{"SELECT * FROM main.default.t TIMESTAMP AS OF '9999-12-31'", "DELTA_TIMESTAMP_GREATER_THAN_COMMIT"},
		{"SELECT * FROM main.default.t TIMESTAMP AS OF '1900-01-01'", "DELTA_TIMESTAMP_EARLIER_THAN_COMMIT_RETENTION"},
		{"SELECT * FROM main.default.t TIMESTAMP AS OF (SELECT now())", "UNSUPPORTED_FEATURE"},
		{"SELECT * FROM main.default.t TIMESTAMP AS OF read_text('" + s.data + "/workspace.db')", "INSUFFICIENT_PERMISSIONS"},
		{"SELECT * FROM main.default.t TIMESTAMP AS OF getenv('HOME')", "INSUFFICIENT_PERMISSIONS"},
		{"SELECT * FROM main.default.t VERSION AS OF 1 VERSION AS OF 2", "DELTA_UNSUPPORTED_TIME_TRAVEL_MULTIPLE_FORMATS"},
		{"SELECT * FROM system.lakeflow.zerobus_stream VERSION AS OF 1", "DELTA_UNSUPPORTED_TIME_TRAVEL_VIEWS"},
		{"CREATE VIEW main.default.v AS SELECT * FROM main.default.t@v1", "UNSUPPORTED_FEATURE"},
		{"RESTORE TABLE main.default.t TO VERSION AS OF 77", "DELTA_CANNOT_RESTORE_TABLE_VERSION"},
		{"SELECT * FROM read_parquet('" + s.data + "/delta/main/default/t/p=a/part-1.parquet')", "INSUFFICIENT_PERMISSIONS"},
		{"SELECT * FROM '" + s.data + "/delta/main/default/t/p=a/part-1.parquet'", "INSUFFICIENT_PERMISSIONS"},
	}
	for _, c := range bad {
		r := s.sqlResult(c.stmt)
		if r.Status.State != "FAILED" || r.Status.Error == nil || !strings.HasPrefix(r.Status.Error.Message, "["+c.class+"]") {
			msg := ""
			if r.Status.Error != nil {
				msg = r.Status.Error.Message
			}
			t.Errorf("%s = %s %q, want [%s]", c.stmt, r.Status.State, msg, c.class)
		}
	}

	// Import: privileges first, then the path, then the log.
	outside := t.TempDir()
	if err := deltatest.CopyDir(filepath.Join(imports, "simple_table_with_checkpoint"), filepath.Join(outside, "tbl")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "tbl"), filepath.Join(imports, "escape")); err != nil {
		t.Fatal(err)
	}
	evil := filepath.Join(imports, "evil")
	if err := deltatest.CopyDir(filepath.Join(imports, "simple_table_with_checkpoint"), evil); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(evil, "_delta_log", "00000000000000000011.json"),
		[]byte(`{"add":{"path":"../../../etc/passwd","partitionValues":{},"size":1,"modificationTime":1,"dataChange":true}}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A data file the log names is a link to a file outside.
	linked := filepath.Join(imports, "linked")
	if err := deltatest.CopyDir(filepath.Join(imports, "simple_table_with_checkpoint"), linked); err != nil {
		t.Fatal(err)
	}
	part := "part-00000-136c36f5-639d-4e95-bb0f-15cde3fb14eb-c000.snappy.parquet"
	if err := os.Remove(filepath.Join(linked, part)); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "tbl", part), filepath.Join(linked, part)); err != nil {
		t.Fatal(err)
	}
	imp := func(token string, body any) (int, string, string) {
		status, resp := s.call("POST", "/zbemu/v1/delta/import", token, body)
		if status == 200 {
			return status, "", string(resp)
		}
		code, msg := apiErr(t, resp)
		return status, code, msg
	}
	good := filepath.Join(imports, "simple_table_with_checkpoint")
	attacks := []struct {
		name, token string
		body        any
		status      int
		text        string
	}{
		{"no grants, new table", none, map[string]string{"path": good, "table": "main.default.n1"}, 403, "lacks USE CATALOG"},
		{"no grants, existing table", none, map[string]string{"path": good, "table": "main.default.t"}, 403, "lacks USE CATALOG"},
		{"no grants, path outside", none, map[string]string{"path": "/etc", "table": "main.default.n1"}, 403, "lacks USE CATALOG"},
		{"scoped, new table", scoped, map[string]string{"path": good, "table": "main.default.n1"}, 403, "CREATE TABLE"},
		{"scoped, SELECT only", scoped, map[string]string{"path": good, "table": "main.default.other"}, 403, "MODIFY"},
		{"traversal", devToken, map[string]string{"path": imports + "/../" + filepath.Base(outside) + "/tbl", "table": "main.default.n2"}, 403, "outside the directories"},
		{"symlink out", devToken, map[string]string{"path": filepath.Join(imports, "escape"), "table": "main.default.n2"}, 403, "outside the directories"},
		{"root", devToken, map[string]string{"path": "/", "table": "main.default.n2"}, 403, "outside the directories"},
		{"relative", devToken, map[string]string{"path": "simple_table_with_checkpoint", "table": "main.default.n2"}, 400, "absolute path"},
		{"a file", devToken, map[string]string{"path": filepath.Join(good, "_delta_log", "_last_checkpoint"), "table": "main.default.n2"}, 400, "is a file"},
		{"not a Delta table", devToken, map[string]string{"path": imports, "table": "main.default.n2"}, 400, "not a Delta table"},
		{"log names a file outside", devToken, map[string]string{"path": evil, "table": "main.default.n2"}, 400, "leaves the table folder"},
		{"data file linked outside", devToken, map[string]string{"path": linked, "table": "main.default.n2"}, 403, "outside the directories"},
		{"deletion vectors", devToken, map[string]string{"path": filepath.Join(imports, "table-with-dv-small"), "table": "main.default.n2"}, 501, "deletionVectors"},
		{"two-part name", devToken, map[string]string{"path": good, "table": "default.n2"}, 400, "three-part name"},
		{"no path", devToken, map[string]string{"table": "main.default.n2"}, 400, `field "path"`},
		{"path not a string", devToken, map[string]any{"path": 7, "table": "main.default.n2"}, 400, "path"},
		{"no table", devToken, map[string]string{"path": good}, 400, `field "table"`},
		{"oversized", devToken, map[string]string{"path": strings.Repeat("a", 70<<10), "table": "main.default.n2"}, 413, "larger than"},
	}
	for _, a := range attacks {
		status, code, msg := imp(a.token, a.body)
		if status != a.status || !strings.Contains(msg, a.text) {
			t.Errorf("import %s: %d %s %q, want %d saying %q", a.name, status, code, msg, a.status, a.text)
		}
		if a.token != devToken && strings.Contains(msg, imports) {
			t.Errorf("import %s: the refusal shows the server's folder: %q", a.name, msg)
		}
	}
	for _, table := range []string{"main.default.n1", "main.default.n2"} {
		if r := s.sqlResult("SELECT 1 FROM " + table); r.Status.State != "FAILED" {
			t.Errorf("a refused import left %s behind", table)
		}
	}
	if got := s.cells("SELECT id, name, p FROM main.default.t ORDER BY id"); got != "1|x|a" {
		t.Errorf("main.default.t after the attacks = %s, want 1|x|a", got)
	}
	if s.count("main.default.other") != 0 {
		t.Error("main.default.other changed")
	}
}
