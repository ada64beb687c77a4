package main

import (
	"database/sql"
	"path/filepath"
	"testing"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

// TestFilesOpenInDuckDB checks what the README promises: once the server is
// stopped, a catalog file opens read-only in DuckDB (as the shell opens it)
// with the catalog's schema and table names; catalog main is main_db.
func TestFilesOpenInDuckDB(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	s := startServer(t, data)
	s.sql("CREATE TABLE main.default.events (id BIGINT NOT NULL, v VARIANT)")
	code, body := s.call("POST", "/zerobus/v1/tables/main.default.events/insert", devToken, `[{"id": 1, "v": {"a": [1, 2]}}, {"id": 2}]`)
	if code != 200 {
		t.Fatalf("insert: %d %s", code, body)
	}
	s.sql("CREATE CATALOG lab")
	s.sql("CREATE SCHEMA lab.iot")
	s.sql("CREATE TABLE lab.iot.readings (id INT)")
	s.sql("INSERT INTO lab.iot.readings VALUES (7)")
	s.stop()
	tests := []struct{ file, query, want string }{
		{"main.duckdb", "SELECT count(*) || ':' || max(v::VARCHAR) FROM main_db.default.events", `2:{"a":[1,2]}`},
		{"lab.duckdb", "SELECT max(id)::VARCHAR FROM lab.iot.readings", "7"},
	}
	for _, tc := range tests {
		c, err := duckdb.NewConnector(filepath.Join(data, "catalogs", tc.file)+"?access_mode=READ_ONLY", nil)
		if err != nil {
			t.Fatal(err)
		}
		db := sql.OpenDB(c)
		var got string
		if err := db.QueryRow(tc.query).Scan(&got); err != nil {
			t.Errorf("%s: %v", tc.file, err)
		} else if got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.file, got, tc.want)
		}
		db.Close()
	}
}
