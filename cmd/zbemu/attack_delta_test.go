package main

import (
	"net/url"
	"strings"
	"testing"
)

// TestAttackDeltaExportOptimize: OPTIMIZE asks MODIFY and the Delta export
// SELECT on the table; a grant-less principal gets neither, one with
// SELECT on one table exports that table only and cannot OPTIMIZE it;
// bad and oversized names are refused naming what was expected; nothing
// of the refused tables leaks.
func TestAttackDeltaExportOptimize(t *testing.T) {
	t.Parallel()
	s := startServer(t, "", "--delta")
	seedSecret(s)
	s.sql("CREATE TABLE main.default.other (id INT, note STRING)")
	s.sql("INSERT INTO main.default.other VALUES (1, 'hidden')")
	noneID, noneSecret := s.newPrincipal("delta-none")
	none := s.workspaceToken(noneID, noneSecret)
	tblID, tblSecret := s.newPrincipal("delta-table")
	for _, g := range []string{"GRANT USE CATALOG ON CATALOG main TO `" + tblID + "`", "GRANT USE SCHEMA ON SCHEMA main.default TO `" + tblID + "`",
		"GRANT SELECT ON TABLE main.default.secret TO `" + tblID + "`"} {
		s.sql(g)
	}
	tbl := s.workspaceToken(tblID, tblSecret)
	export := func(table string) string { return "/zbemu/v1/tables/" + url.PathEscape(table) + "/delta" }
	for _, tc := range []struct {
		name, token, path string
		code              int
		want              string
	}{
		{"admin exports", devToken, export("main.default.secret"), 200, ""},
		{"grant-less", none, export("main.default.secret"), 403, "PERMISSION_DENIED"},
		{"table-scoped, its table", tbl, export("main.default.secret"), 200, ""},
		{"table-scoped, another table", tbl, export("main.default.other"), 403, "PERMISSION_DENIED"},
		{"no token", "", export("main.default.secret"), 401, "UNAUTHENTICATED"},
		{"two parts", devToken, export("main.secret"), 400, "3"},
		{"missing table", devToken, export("main.default.nope"), 404, "nope"},
		{"oversized name", devToken, export("main.default." + strings.Repeat("x", 5000)), 404, ""},
		{"path traversal", devToken, "/zbemu/v1/tables/..%2F..%2Fetc/delta", 400, "3"},
	} {
		code, body := s.call("GET", tc.path, tc.token, nil)
		if code != tc.code || !strings.Contains(string(body), tc.want) {
			t.Errorf("%s: HTTP %d %.300s, want %d with %q", tc.name, code, body, tc.code, tc.want)
		}
		if code != 200 && (strings.Contains(string(body), "classified") || strings.Contains(string(body), "hidden")) {
			t.Errorf("%s: a refused export shows rows: %s", tc.name, body)
		}
		if code == 200 && !strings.Contains(string(body), "_delta_log/00000000000000000000.json") {
			t.Errorf("%s: the archive has no commit file", tc.name)
		}
	}
	for _, tc := range []struct {
		name, token, stmt, want string
	}{
		{"admin", devToken, "OPTIMIZE main.default.secret", ""},
		{"grant-less", none, "OPTIMIZE main.default.secret", "PERMISSION_DENIED"},
		{"SELECT is not MODIFY", tbl, "OPTIMIZE main.default.secret", "PERMISSION_DENIED"},
		{"another table", tbl, "OPTIMIZE main.default.other", "PERMISSION_DENIED"},
		{"bad name", devToken, "OPTIMIZE main.default.", "table name"},
		{"missing", devToken, "OPTIMIZE main.default.nope", "nope"},
		{"ZORDER", devToken, "OPTIMIZE main.default.secret ZORDER BY (id)", "ZORDER"},
		{"oversized", devToken, "OPTIMIZE main.default." + strings.Repeat("y", 300), "TABLE_OR_VIEW_NOT_FOUND"},
	} {
		state, code, msg := s.sqlAs(tc.token, tc.stmt)
		if tc.want == "" && state != "SUCCEEDED" || tc.want != "" && !strings.Contains(code+" "+msg, tc.want) {
			t.Errorf("%s: %s %s %s, want %q", tc.name, state, code, msg, tc.want)
		}
	}
	s.sql("GRANT MODIFY ON TABLE main.default.secret TO `" + tblID + "`")
	if state, code, msg := s.sqlAs(tbl, "OPTIMIZE main.default.secret"); state != "SUCCEEDED" {
		t.Errorf("OPTIMIZE with MODIFY: %s %s %s", state, code, msg)
	}
	// The refusals changed nothing.
	if n := s.count("main.default.secret"); n != 2 {
		t.Errorf("secret has %d rows, want 2", n)
	}
}
