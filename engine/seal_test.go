package engine_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zbemu/zbemu/engine"
)

// TestSQLSealed sends, as the admin, SQL that reaches outside zbemu or into
// its hidden metadata by every path found, and expects a refusal that names
// the construct; then checks that ordinary SQL, catalog DDL and a restart
// still work with DuckDB sealed.
func TestSQLSealed(t *testing.T) {
	dir := t.TempDir()
	e := openEngine(t, "disk", dir)
	exec(t, e, "CREATE TABLE main.default.t (id BIGINT, tags ARRAY<STRING>)")
	exec(t, e, "INSERT INTO main.default.t VALUES (1, array('a', 'b')), (2, array('c'))")
	// A file zbemu's own directories could hold: DuckDB may open files
	// there (it attaches catalogs from there), users may not.
	csv := filepath.Join(dir, "catalogs", "planted.csv")
	if err := os.WriteFile(csv, []byte("a,b\n1,2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	catalog := filepath.Join(dir, "catalogs", "main.duckdb")
	outside := filepath.Join(t.TempDir(), "out.csv")
	tests := []struct {
		name, sql string
		is        error
		want      string // part of the message
	}{
		{"read_csv outside", "SELECT * FROM read_csv('/etc/passwd')", engine.ErrPermissionDenied, "function read_csv"},
		{"read_csv inside", "SELECT * FROM read_csv('" + csv + "')", engine.ErrPermissionDenied, "function read_csv"},
		{"read_text", "SELECT * FROM read_text('/etc/hostname')", engine.ErrPermissionDenied, "function read_text"},
		{"read_blob catalog", "SELECT * FROM read_blob('" + catalog + "')", engine.ErrPermissionDenied, "function read_blob"},
		{"read_blob upper case", "SELECT * FROM READ_BLOB('" + catalog + "')", engine.ErrPermissionDenied, "function read_blob"},
		{"read_blob backticks", "SELECT * FROM `read_blob`('" + catalog + "')", engine.ErrPermissionDenied, "function read_blob"},
		{"read_blob qualified", "SELECT * FROM system.main.read_blob('" + catalog + "')", engine.ErrPermissionDenied, "function read_blob"},
		{"read_blob in subquery", "SELECT (SELECT count(*) FROM read_blob('" + catalog + "'))", engine.ErrPermissionDenied, "function read_blob"},
		{"read_blob in insert", "INSERT INTO main.default.t SELECT size, NULL FROM read_blob('" + catalog + "')", engine.ErrPermissionDenied, "function read_blob"},
		{"replacement scan", "SELECT * FROM '" + csv + "'", engine.ErrPermissionDenied, "reading a file by its path"},
		{"replacement scan double quotes", `SELECT * FROM "` + csv + `"`, engine.ErrPermissionDenied, "reading a file by its path"},
		{"replacement scan backticks", "SELECT * FROM `" + csv + "`", engine.ErrPermissionDenied, "reading a file by its path"},
		// Past the name checks, DuckDB's plan shows the scan.
		{"replacement scan after a comma", "SELECT * FROM main.default.t, '" + csv + "'", engine.ErrPermissionDenied, "table function read_csv"},
		{"replacement scan in a subquery", "SELECT (SELECT count(*) FROM range(1), '" + csv + "')", engine.ErrPermissionDenied, "table function read_csv"},
		{"glob", "SELECT * FROM glob('/etc/*')", engine.ErrPermissionDenied, "function glob"},
		{"duckdb_databases", "SELECT * FROM duckdb_databases()", engine.ErrPermissionDenied, "function duckdb_databases"},
		{"duckdb_settings", "SELECT * FROM duckdb_settings()", engine.ErrPermissionDenied, "function duckdb_settings"},
		{"duckdb_tables view", "SELECT * FROM duckdb_tables", engine.ErrPermissionDenied, "table function duckdb_tables"},
		{"information_schema", "SELECT * FROM information_schema.tables", engine.ErrPermissionDenied, "information_schema"},
		{"pg_catalog", "SELECT * FROM pg_catalog.pg_class", engine.ErrPermissionDenied, "pg_catalog"},
		{"sqlite_master", "SELECT * FROM sqlite_master", engine.ErrPermissionDenied, "table function"},
		{"pragma function", "SELECT * FROM pragma_database_list()", engine.ErrPermissionDenied, "function pragma_database_list"},
		{"query", "SELECT * FROM query('SELECT * FROM main_db.__zbemu.tables')", engine.ErrPermissionDenied, "function query"},
		{"query_table", "SELECT * FROM query_table('t')", engine.ErrPermissionDenied, "function query_table"},
		{"json_execute_serialized_sql", "SELECT * FROM json_execute_serialized_sql(json_serialize_sql('SELECT 1'))", engine.ErrPermissionDenied, "function json_execute_serialized_sql"},
		{"getenv", "SELECT getenv('HOME')", engine.ErrPermissionDenied, "function getenv"},
		{"current_setting", "SELECT current_setting('temp_directory')", engine.ErrPermissionDenied, "function current_setting"},
		{"getvariable", "SELECT getvariable('x')", engine.ErrPermissionDenied, "function getvariable"},
		{"which_secret", "SELECT which_secret('s3://x', 's3')", engine.ErrPermissionDenied, "function which_secret"},
		{"system table function", "SELECT * FROM __zbemu_system_table('lakeflow.zerobus_stream')", engine.ErrPermissionDenied, "function __zbemu_system_table"},
		{"hidden schema read", "SELECT * FROM main.__zbemu.tables", engine.ErrPermissionDenied, "__zbemu"},
		{"hidden schema quoted", "SELECT * FROM main.`__ZBEMU`.tables", engine.ErrPermissionDenied, "the name __zbemu"},
		{"hidden schema write", "INSERT INTO main.__zbemu.tables VALUES ('default', 'ghost', 'not json')", engine.ErrPermissionDenied, "__zbemu"},
		{"hidden history delete", "DELETE FROM main_db.__zbemu.history", engine.ErrPermissionDenied, "main_db"},
		{"duckdb alias", "SELECT * FROM main_db.default.t", engine.ErrPermissionDenied, "main_db"},
		{"current schema hidden", "SELECT * FROM __zbemu.tables", engine.ErrPermissionDenied, "__zbemu"},
		// The event log is read through event_log(...), never by its table.
		{"pipeline events", "SELECT * FROM main.__zbemu.pipeline_events", engine.ErrPermissionDenied, "__zbemu"},
		{"pipeline events in a subquery", "SELECT count(*) FROM (SELECT * FROM main_db.__zbemu.pipeline_events)", engine.ErrPermissionDenied, "main_db"},
		{"pipeline offsets write", "DELETE FROM main.__zbemu.pipeline_offsets", engine.ErrPermissionDenied, "__zbemu"},
		{"memory database", "SELECT * FROM memory.main.x", engine.ErrSQL, "The table or view `memory`.`main`.`x` cannot be found"},
		{"E-string escape", "SELECT E'\\\\\\'; COPY (SELECT 42) TO '" + outside + "'; SELECT 1; --'", engine.ErrInvalidArgument, "E'...' strings"},
		{"dollar quoting", "SELECT $$, '$$; COPY (SELECT 42) TO '" + outside + "'; --'", engine.ErrInvalidArgument, `unexpected "$"`},
		{"U& string", `SELECT U&'\0061'`, engine.ErrInvalidArgument, "U&'...'"},
		{"copy", "COPY (SELECT 42) TO '" + outside + "'", engine.ErrUnsupported, "COPY"},
		{"attach", "ATTACH '" + outside + "' AS x", engine.ErrUnsupported, "ATTACH"},
		{"set", "SET enable_external_access = true", engine.ErrUnsupported, "SET"},
		{"set variable", "SET VARIABLE x = 1", engine.ErrUnsupported, "SET"},
		{"pragma", "PRAGMA database_list", engine.ErrUnsupported, "PRAGMA"},
		{"install", "INSTALL httpfs", engine.ErrUnsupported, "INSTALL"},
		{"explain analyze", "EXPLAIN ANALYZE SELECT * FROM main.default.t, '" + csv + "'", engine.ErrPermissionDenied, "table function read_csv"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.Execute(context.Background(), engine.StatementRequest{SQL: tc.sql, Identity: admin})
			if !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("%s\n got %v\nwant %v containing %q", tc.sql, err, tc.is, tc.want)
			}
		})
	}
	// A parameter's type is spliced into the SQL text: only a type name.
	v := "1"
	_, err := e.Execute(context.Background(), engine.StatementRequest{SQL: "SELECT :p", Identity: admin,
		Params: []engine.Param{{Name: "p", Value: &v, Type: "INT) + length(current_setting('temp_directory')) + CAST(1 AS INT"}}})
	if !errors.Is(err, engine.ErrInvalidArgument) || !strings.Contains(err.Error(), `parameter "p": type`) {
		t.Fatalf("parameter type with SQL in it: got %v, want ErrInvalidArgument naming the parameter", err)
	}
	if r, err := e.Execute(context.Background(), engine.StatementRequest{SQL: "SELECT :p", Identity: admin,
		Params: []engine.Param{{Name: "p", Value: &v, Type: "DECIMAL(10, 2)"}}}); err != nil || *r.Rows[0][0] != "1.00" {
		t.Fatalf("DECIMAL(10, 2) parameter: %v", err)
	}
	if _, err := os.Stat(outside); !os.IsNotExist(err) {
		t.Fatalf("%s was written (stat: %v)", outside, err)
	}

	// Ordinary SQL still works: joins, CTEs, Spark functions, UNNEST,
	// range, EXPLAIN, catalogs created and dropped at run
	// time (DuckDB attaches their files), a restart.
	for _, q := range []string{
		"WITH x AS (SELECT id FROM main.default.t) SELECT count(*) FROM x JOIN main.default.t USING (id)",
		"SELECT id, tag FROM main.default.t LATERAL VIEW explode(tags) e AS tag",
		"SELECT size(tags), collect_list(id) FROM main.default.t GROUP BY 1",
		"SELECT count(*) FROM range(10)",
		"SELECT unnest(tags) FROM main.default.t",
		"SELECT * FROM generate_series(1, 3)",
		"EXPLAIN SELECT * FROM main.default.t",
		"UPDATE main.default.t SET id = id + 10 WHERE id = 2",
		"DELETE FROM main.default.t WHERE id = 12",
		"CREATE CATALOG lab",
		"CREATE SCHEMA lab.s",
		"CREATE TABLE lab.s.u (id INT)",
		"INSERT INTO lab.s.u VALUES (1)",
		"USE CATALOG lab; SELECT count(*) FROM s.u",
		"DROP CATALOG lab CASCADE",
	} {
		exec(t, e, q)
	}
	if err := e.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	e = openEngine(t, "disk", dir)
	if got := count(t, e, "main.default.t"); got != "1" {
		t.Fatalf("after restart: %s rows, want 1", got)
	}
}
