package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zbemu/zbemu/web"
)

// sqlAs runs stmt with token and returns the final state and, when it
// failed, the error code and message (from a FAILED status or an HTTP
// error body).
func (s *server) sqlAs(token, stmt string) (state, code, msg string) {
	s.t.Helper()
	status, body := s.call("POST", "/api/2.0/sql/statements", token, map[string]any{"statement": stmt, "warehouse_id": "w", "wait_timeout": "50s"})
	if status != 200 {
		code, msg = apiErr(s.t, body)
		return "HTTP " + fmt.Sprint(status), code, msg
	}
	var r web.StatementResponse
	if err := json.Unmarshal(body, &r); err != nil {
		s.t.Fatal(err)
	}
	if r.Status.Error != nil {
		code, msg = statementCode(r.Status.Error.ErrorCode, r.Status.Error.Message), r.Status.Error.Message
	}
	return r.Status.State, code, msg
}

// TestAttackSQLSealed sends SQL that escapes DuckDB's sandbox or reaches
// zbemu's hidden metadata by every path found (file functions on the data
// directory's secrets, replacement scans, engine inspection functions,
// string forms DuckDB reads differently, the __zbemu schema), as a
// principal with ordinary grants and as the admin. Each is refused with a
// message that names the construct; nothing is written; the server then
// restarts and ordinary SQL works.
func TestAttackSQLSealed(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	s := startServer(t, data)
	s.sql("CREATE TABLE main.default.t (id BIGINT, name STRING, tags ARRAY<STRING>)")
	s.sql("INSERT INTO main.default.t VALUES (1, 'a', array('x', 'y')), (2, 'b', array('z'))")
	pid, psecret := s.newPrincipal("attacker")
	for _, g := range []string{"GRANT USE CATALOG ON CATALOG main TO `%s`", "GRANT USE SCHEMA ON SCHEMA main.default TO `%[1]s`",
		"GRANT SELECT ON TABLE main.default.t TO `%[1]s`", "GRANT MODIFY ON TABLE main.default.t TO `%[1]s`"} {
		s.sql(fmt.Sprintf(g, pid))
	}
	user := s.workspaceToken(pid, psecret)

	outside := filepath.Join(os.TempDir(), fmt.Sprintf("zbemu-attack-%d.csv", os.Getpid()))
	os.Remove(outside)
	ws := filepath.Join(data, "workspace.db")
	cat := filepath.Join(data, "catalogs", "main.duckdb")
	attacks := []struct{ name, sql, want string }{
		{"read_csv /etc/passwd", "SELECT * FROM read_csv('/etc/passwd')", "function read_csv is not allowed"},
		{"read_text", "SELECT * FROM read_text('/etc/hostname')", "function read_text is not allowed"},
		{"read_blob workspace.db", "SELECT * FROM read_blob('" + ws + "')", "function read_blob is not allowed"},
		{"read_blob workspace.db-wal", "SELECT content FROM read_blob('" + ws + "-wal')", "function read_blob is not allowed"},
		{"read_blob catalog", "SELECT content FROM read_blob('" + cat + "')", "function read_blob is not allowed"},
		{"read_blob catalog wal", "SELECT content FROM read_blob('" + cat + ".wal')", "function read_blob is not allowed"},
		{"read_blob quoted name", "SELECT content FROM `READ_BLOB`('" + cat + "')", "function read_blob is not allowed"},
		{"replacement scan", "SELECT * FROM '" + cat + "'", "reading a file by its path is not allowed"},
		{"replacement scan in join", "SELECT * FROM main.default.t JOIN '" + cat + "' ON true", "reading a file by its path is not allowed"},
		{"replacement scan identifier", "SELECT * FROM `" + filepath.Join(data, "catalogs", "x.csv") + "`", "reading a file by its path is not allowed"},
		{"glob", "SELECT * FROM glob('" + data + "/*')", "function glob is not allowed"},
		{"duckdb_databases", "SELECT * FROM duckdb_databases()", "function duckdb_databases is not allowed"},
		{"duckdb_settings", "SELECT * FROM duckdb_settings()", "function duckdb_settings is not allowed"},
		{"duckdb_tables view", "SELECT * FROM duckdb_tables", "table function duckdb_tables is not allowed"},
		{"information_schema", "SELECT * FROM information_schema.tables", "information_schema is reserved"},
		{"pragma_ function", "SELECT * FROM pragma_database_list()", "function pragma_database_list is not allowed"},
		{"query()", "SELECT * FROM query('SELECT * FROM main_db.__zbemu.tables')", "function query is not allowed"},
		{"query_table()", "SELECT * FROM query_table('t')", "function query_table is not allowed"},
		{"json_execute_serialized_sql", "SELECT * FROM json_execute_serialized_sql(json_serialize_sql('SELECT 1'))", "function json_execute_serialized_sql is not allowed"},
		{"getenv", "SELECT getenv('HOME')", "function getenv is not allowed"},
		{"current_setting", "SELECT current_setting('temp_directory')", "function current_setting is not allowed"},
		{"getvariable", "SELECT getvariable('x')", "function getvariable is not allowed"},
		{"which_secret", "SELECT which_secret('s3://b/x', 's3')", "function which_secret is not allowed"},
		{"system table function", "SELECT * FROM __zbemu_system_table('lakeflow.zerobus_stream')", "function __zbemu_system_table is not allowed"},
		{"hidden metadata insert", "INSERT INTO main.__zbemu.tables VALUES ('default', 'ghost', 'not json')", "the name __zbemu is reserved"},
		{"hidden metadata delete", "DELETE FROM main_db.__zbemu.history", "the name main_db is reserved"},
		{"hidden metadata read", "SELECT * FROM main.`__zbemu`.catalog", "the name __zbemu is reserved"},
		{"DuckDB database name", "SELECT * FROM main_db.default.t", "the name main_db is reserved"},
		{"E-string escape", "SELECT E'\\\\\\'; COPY (SELECT 42) TO '" + outside + "'; SELECT 1; --'", "E'...' strings are not Databricks SQL"},
		{"E-string insert", "SELECT E'\\\\\\'; INSERT INTO main.default.t VALUES (99, NULL, NULL); SELECT 1; --'", "E'...' strings are not Databricks SQL"},
		{"dollar quoting", "SELECT $$, '$$; COPY (SELECT 42) TO '" + outside + "'; --'", `unexpected "$"`},
		{"tagged dollar quoting", "SELECT $q$, '$q$; COPY (SELECT 42) TO '" + outside + "'; --'", `unexpected "$"`},
		{"U& string", `SELECT U&'\0061'`, "U&'...' strings are not Databricks SQL"},
		{"comment hides nothing", "SELECT 1 /* ; COPY (SELECT 42) TO '" + outside + "' */", ""},
		{"nested comment", "SELECT 1 /* /* */ ; COPY (SELECT 42) TO '" + outside + "' */", ""},
		{"carriage return ends a comment", "SELECT 1 -- x\r; COPY (SELECT 42) TO '" + outside + "'", "COPY"},
		{"unicode look-alike", "SELECT * FROM \uff52ead_blob('" + cat + "')", "UNRESOLVED_ROUTINE"},
		{"string escapes hide a quote", `SELECT '\u0027; COPY (SELECT 42) TO ''` + outside + `''; --'`, ""},
		{"copy", "COPY (SELECT 42) TO '" + outside + "'", "COPY"},
		{"attach", "ATTACH '" + outside + "' AS x", "ATTACH"},
		{"detach", "DETACH main_db", "DETACH"},
		{"export", "EXPORT DATABASE '" + outside + "'", "EXPORT"},
		{"set", "SET enable_external_access = true", "SET"},
		{"set variable", "SET VARIABLE x = 1", "SET"},
		{"pragma", "PRAGMA database_list", "PRAGMA"},
		{"install", "INSTALL httpfs", "INSTALL"},
		{"load", "LOAD httpfs", "LOAD"},
		{"explain analyze", "EXPLAIN ANALYZE SELECT * FROM '" + cat + "'", "reading a file by its path is not allowed"},
	}
	parent := t
	for _, who := range []struct{ name, token string }{{"grant-holder", user}, {"admin", devToken}} {
		for _, a := range attacks {
			t.Run(who.name+"/"+a.name, func(t *testing.T) {
				s.t = t
				defer func() { s.t = parent }()
				state, code, msg := s.sqlAs(who.token, a.sql)
				if a.want == "" {
					// Harmless as sent (a comment, a missing table): it
					// may run or fail, but must not reach anything.
					return
				}
				if state == "SUCCEEDED" || code == "INTERNAL_ERROR" || !strings.Contains(msg, a.want) {
					t.Errorf("%s\n got %s %s %q\nwant a refusal containing %q", a.sql, state, code, msg, a.want)
				}
			})
		}
	}
	if _, err := os.Stat(outside); !os.IsNotExist(err) {
		os.Remove(outside)
		t.Fatalf("%s was written (stat: %v)", outside, err)
	}
	if n := s.count("main.default.t"); n != 2 {
		t.Fatalf("main.default.t has %d rows, want 2 (an injected statement ran)", n)
	}

	// The metadata is untouched: the server restarts, and ordinary SQL
	// (DDL, DML, joins, CTEs, Spark functions, system tables) works.
	s.stop()
	s = startServer(t, data)
	s.sql("CREATE TABLE main.default.u (id BIGINT, v DOUBLE)")
	s.sql("INSERT INTO main.default.u VALUES (1, 1.5), (2, 2.5)")
	rows := s.sql("WITH j AS (SELECT t.id, u.v, size(t.tags) AS n FROM main.default.t t JOIN main.default.u u ON t.id = u.id) " +
		"SELECT collect_list(id), sum(v), max(n) FROM j")
	if got := *rows[0][0] + " " + *rows[0][1] + " " + *rows[0][2]; got != "[1,2] 4.0 2" {
		t.Errorf("join/CTE result %q, want %q", got, "[1,2] 4.0 2")
	}
	s.sql("SELECT id, tag FROM main.default.t LATERAL VIEW explode(tags) e AS tag")
	s.sql("SELECT count(*) FROM system.lakeflow.zerobus_stream")
	s.sql("CREATE CATALOG lab")
	s.sql("CREATE SCHEMA lab.s")
	s.sql("DROP CATALOG lab CASCADE")
}
