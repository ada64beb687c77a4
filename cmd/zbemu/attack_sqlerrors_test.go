package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/zbemu/zbemu/web"
)

// TestAttackSQLErrorsShowNoDuckDB sends statements that fail in DuckDB
// (unknown tables in known and unknown catalogs, unknown columns and
// functions, bad syntax, bad casts, overflow, division by zero, names of
// zbemu's storage) as a principal with grants on one table and as the
// admin. Every failure is a ServiceErrorCode with a Databricks error class
// and the learner's own names; none shows DuckDB's error types, the DuckDB
// names of zbemu's catalogs, its hidden schema or DuckDB's catalog tables.
func TestAttackSQLErrorsShowNoDuckDB(t *testing.T) {
	t.Parallel()
	s := startServer(t, "", "--memory")
	s.sql("CREATE TABLE main.default.t (id BIGINT, name STRING)")
	pid, secret := s.newPrincipal("learner")
	for _, g := range []string{"GRANT USE CATALOG ON CATALOG main TO `%s`", "GRANT USE SCHEMA ON SCHEMA main.default TO `%s`",
		"GRANT SELECT ON TABLE main.default.t TO `%s`"} {
		s.sql(fmt.Sprintf(g, pid))
	}
	tokens := map[string]string{"table": s.workspaceToken(pid, secret), "admin": devToken}
	attacks := []struct{ sql, class, names string }{
		{"SELECT * FROM main.default.missing", "TABLE_OR_VIEW_NOT_FOUND", "`main`.`default`.`missing`"},
		{"SELECT * FROM nope.x.y", "", ""},
		{"SELECT nope FROM main.default.t", "UNRESOLVED_COLUMN.WITH_SUGGESTION", "`nope`"},
		{"SELECT no_such_function(id) FROM main.default.t", "UNRESOLVED_ROUTINE", "`no_such_function`"},
		{"SELECT id FROM main.default.t WHERE", "PARSE_SYNTAX_ERROR", ""},
		{"SELECT CAST(name AS INT) FROM main.default.t UNION ALL SELECT CAST('x' AS INT)", "CAST_INVALID_INPUT", "'x'"},
		{"SELECT 9223372036854775807 * 2", "ARITHMETIC_OVERFLOW", ""},
		{"SELECT count(*) / 0 FROM main.default.t", "DIVIDE_BY_ZERO", ""},
		{"SELECT id, name FROM main.default.t GROUP BY id", "MISSING_AGGREGATION", "`name`"},
		{"SELECT * FROM main.__zbemu.tables", "INSUFFICIENT_PERMISSIONS", "__zbemu"},
		{"SELECT upper(id, id, id) FROM main.default.t", "", ""},
	}
	for who, token := range tokens {
		for _, a := range attacks {
			state, code, msg := rawStatementError(s, token, a.sql)
			if state != "FAILED" || !serviceErrorCodes[code] || !strings.HasPrefix(msg, "[") {
				t.Errorf("%s: %s: %s %s %q, want FAILED with a ServiceErrorCode and an error class", who, a.sql, state, code, msg)
				continue
			}
			if a.class != "" && !strings.HasPrefix(msg, "["+a.class+"] ") || !strings.Contains(msg, a.names) {
				t.Errorf("%s: %s: %q, want [%s] naming %s", who, a.sql, msg, a.class, a.names)
			}
			// The statement's own names may be echoed (__zbemu above);
			// DuckDB's are not.
			if shown := duckNameRE.FindString(strings.ReplaceAll(msg, "__zbemu is reserved", "")); shown != "" {
				t.Errorf("%s: %s: the message shows DuckDB's %q: %q", who, a.sql, shown, msg)
			}
		}
	}
}

// rawStatementError runs stmt with token and returns the state, error_code
// and message exactly as the Statement API answered them.
func rawStatementError(s *server, token, stmt string) (state, code, msg string) {
	s.t.Helper()
	status, body := s.call("POST", statementsPath, token, map[string]any{"statement": stmt, "warehouse_id": "w", "wait_timeout": "50s"})
	var r web.StatementResponse
	if err := json.Unmarshal(body, &r); status != 200 || err != nil {
		s.t.Fatalf("%s: HTTP %d %s", stmt, status, body)
	}
	if r.Status.Error != nil {
		code, msg = r.Status.Error.ErrorCode, r.Status.Error.Message
	}
	return r.Status.State, code, msg
}
