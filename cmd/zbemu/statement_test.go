package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestStatementAPI drives the Statement Execution API through golden
// transcripts (statement_transcript_test.go), checking every answer against
// Databricks' conventions (statement_conventions_test.go).

// allTypesDDL creates a table with a column of every Delta type.
const allTypesDDL = `CREATE TABLE main.types.all_types (
  tiny TINYINT, small SMALLINT, i INT, big BIGINT, f FLOAT, d DOUBLE, dec DECIMAL(10,2),
  b BOOLEAN, s STRING, bin BINARY, day DATE, ts TIMESTAMP, ntz TIMESTAMP_NTZ,
  arr ARRAY<INT>, m MAP<STRING, INT>, st STRUCT<a: INT, b: STRING>, v VARIANT)`

// The complex literals use DuckDB's syntax ([...], MAP {...}, {...}) and
// the binary one unhex(): zbemu does not yet translate Databricks' array(),
// map(), named_struct(), parse_json() or X'..' literals.
const allTypesInsert = `INSERT INTO main.types.all_types VALUES
  (127Y, 32767S, 2147483647, 9223372036854775807L, CAST(0.1 AS FLOAT), 2.25D, -12.34,
   true, 'hello, "world"', unhex('CAFE'), DATE '2024-11-24', TIMESTAMP '2024-11-24 10:00:00.123', '2024-11-24 10:00:00',
   [1, 2, NULL], MAP {'a': 1, 'b': NULL}, {'a': 1, 'b': 'x'}, '{"k": [1, 2], "a": null}'),
  (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`

func TestStatementAPI(t *testing.T) {
	t.Parallel()
	s := startServer(t, "", "--memory")
	s.sql("CREATE SCHEMA main.types")
	s.sql(allTypesDDL)
	s.sql(allTypesInsert)
	s.sql("CREATE TABLE main.types.nested (id INT, a ARRAY<STRUCT<z: INT, a: DATE>>, m MAP<STRING, ARRAY<DECIMAL(5,2)>>, " +
		"s STRUCT<ts: TIMESTAMP, ntz: TIMESTAMP_NTZ, b: BINARY, inner: STRUCT<y: STRING, x: DOUBLE>>, mm MAP<DATE, STRUCT<n: BIGINT>>)")
	s.sql(`INSERT INTO main.types.nested VALUES
	  (1, [{'z': 1, 'a': DATE '2024-11-24'}, NULL], MAP {'p': [1.5, NULL, -2.25]}, {'ts': TIMESTAMP '2024-11-24 10:00:00', 'ntz': '2024-11-24 10:00:00.5', 'b': unhex('00FF'), 'inner': {'y': 'why', 'x': 0.5}}, MAP {DATE '2024-11-24': {'n': 7}}),
	  (2, [], MAP {}, {'ts': NULL, 'ntz': NULL, 'b': NULL, 'inner': NULL}, NULL),
	  (3, NULL, NULL, NULL, NULL)`)
	s.sql("CREATE CATALOG lab")
	s.sql("CREATE SCHEMA lab.iot")
	s.sql("CREATE TABLE lab.iot.readings (device_id STRING NOT NULL COMMENT 'who sent it', ts TIMESTAMP NOT NULL, temp DOUBLE, " +
		"day DATE) PARTITIONED BY (day) COMMENT 'raw readings'")
	s.sql("INSERT INTO lab.iot.readings VALUES ('d1', TIMESTAMP '2024-11-24 10:00:00', 21.5, DATE '2024-11-24'), " +
		"('d2', TIMESTAMP '2024-11-24 10:00:01.250', NULL, DATE '2024-11-24')")

	t.Run("all_types", func(t *testing.T) {
		tr := newTranscript(t, s)
		r := tr.sql("SELECT * FROM main.types.all_types ORDER BY i NULLS LAST")
		wantCols := []string{
			"tiny BYTE TINYINT", "small SHORT SMALLINT", "i INT INT", "big LONG BIGINT", "f FLOAT FLOAT", "d DOUBLE DOUBLE",
			"dec DECIMAL DECIMAL(10,2)", "b BOOLEAN BOOLEAN", "s STRING STRING", "bin BINARY BINARY", "day DATE DATE",
			"ts TIMESTAMP TIMESTAMP", "ntz TIMESTAMP TIMESTAMP_NTZ", "arr ARRAY ARRAY<INT>", "m MAP MAP<STRING, INT>",
			"st STRUCT STRUCT<a: INT, b: STRING>", "v STRING VARIANT",
		}
		if got := columnsOf(r); !equalStrings(got, wantCols) {
			t.Errorf("columns:\n got %q\nwant %q", got, wantCols)
		}
		wantRow := []string{"127", "32767", "2147483647", "9223372036854775807", "0.1", "2.25", "-12.34",
			"true", `hello, "world"`, "yv4=", "2024-11-24", "2024-11-24T10:00:00.123Z", "2024-11-24T10:00:00.000",
			"[1,2,null]", `{"a":1,"b":null}`, `{"a":1,"b":"x"}`, `{"a":null,"k":[1,2]}`}
		rows := rowsOf(r)
		if len(rows) != 2 || !equalStrings(rows[0], wantRow) {
			t.Fatalf("rows:\n got %q\nwant %q", rows, wantRow)
		}
		for j, v := range r.Result.DataArray[1] {
			if v != nil {
				t.Errorf("NULL row: column %d = %q", j, *v)
			}
		}
		tr.check("all_types")
	})

	t.Run("aggregates", func(t *testing.T) {
		tr := newTranscript(t, s)
		r := tr.sql("SELECT count(*) AS n, max(ts) AS latest, min(day) AS first_day FROM main.types.all_types")
		if got, want := columnsOf(r), []string{"n LONG BIGINT", "latest TIMESTAMP TIMESTAMP", "first_day DATE DATE"}; !equalStrings(got, want) {
			t.Errorf("columns %q, want %q", got, want)
		}
		if got := rowsOf(r); len(got) != 1 || !equalStrings(got[0], []string{"2", "2024-11-24T10:00:00.123Z", "2024-11-24"}) {
			t.Errorf("rows %q", got)
		}
		tr.check("aggregates")
	})

	t.Run("nulls", func(t *testing.T) {
		tr := newTranscript(t, s)
		r := tr.sql("SELECT CAST(NULL AS STRING) AS s, CAST(NULL AS INT) AS i, CAST(NULL AS TIMESTAMP) AS ts, " +
			"[1, NULL] AS arr, {'a': NULL} AS st, MAP {'k': NULL} AS m, coalesce(NULL, 'fallback') AS c")
		want := []string{"NULL", "NULL", "NULL", "[1,null]", `{"a":null}`, `{"k":null}`, "fallback"}
		if got := rowsOf(r); len(got) != 1 || !equalStrings(got[0], want) {
			t.Errorf("rows %q, want %q", got, want)
		}
		tr.sql("SELECT * FROM main.types.all_types WHERE i IS NULL")
		tr.sql("SELECT i FROM main.types.all_types WHERE i = -1")
		tr.check("nulls")
	})

	t.Run("nested", func(t *testing.T) {
		tr := newTranscript(t, s)
		r := tr.sql("SELECT * FROM main.types.nested ORDER BY id")
		wantCols := []string{"id INT INT", "a ARRAY ARRAY<STRUCT<z: INT, a: DATE>>", "m MAP MAP<STRING, ARRAY<DECIMAL(5,2)>>",
			"s STRUCT STRUCT<ts: TIMESTAMP, ntz: TIMESTAMP_NTZ, b: BINARY, inner: STRUCT<y: STRING, x: DOUBLE>>",
			"mm MAP MAP<DATE, STRUCT<n: BIGINT>>"}
		if got := columnsOf(r); !equalStrings(got, wantCols) {
			t.Errorf("columns:\n got %q\nwant %q", got, wantCols)
		}
		// Nested values are rendered by their type like top-level ones,
		// struct fields keep their declared order.
		want := [][]string{
			{"1", `[{"z":1,"a":"2024-11-24"},null]`, `{"p":[1.50,null,-2.25]}`,
				`{"ts":"2024-11-24T10:00:00.000Z","ntz":"2024-11-24T10:00:00.500","b":"AP8=","inner":{"y":"why","x":0.5}}`,
				`{"2024-11-24":{"n":7}}`},
			{"2", `[]`, `{}`, `{"ts":null,"ntz":null,"b":null,"inner":null}`, "NULL"},
			{"3", "NULL", "NULL", "NULL", "NULL"},
		}
		got := rowsOf(r)
		if len(got) != len(want) {
			t.Fatalf("rows %q", got)
		}
		for i := range want {
			if !equalStrings(got[i], want[i]) {
				t.Errorf("row %d:\n got %q\nwant %q", i, got[i], want[i])
			}
		}
		r = tr.sql("SELECT s.inner.y AS y, m['p'] AS p, s.ts AS ts, mm AS mm FROM main.types.nested WHERE id = 1")
		if got := rowsOf(r); len(got) != 1 || !equalStrings(got[0], []string{"why", "[1.50,null,-2.25]", "2024-11-24T10:00:00.000Z", `{"2024-11-24":{"n":7}}`}) {
			t.Errorf("field access: %q (columns %q)", got, columnsOf(r))
		}
		tr.check("nested")
	})

	t.Run("parameters", func(t *testing.T) {
		tr := newTranscript(t, s)
		r := tr.exec(map[string]any{
			"statement": "SELECT :n + 1 AS n1, :s AS s, :ts AS ts, :missing_int AS null_int, :untyped_null AS null_string",
			"parameters": []map[string]any{
				{"name": "n", "value": "41", "type": "INT"},
				{"name": "s", "value": "it's"},
				{"name": "ts", "value": "2024-11-24T10:00:00Z", "type": "TIMESTAMP"},
				{"name": "missing_int", "type": "INT"},
				{"name": "untyped_null", "value": nil},
			},
		})
		if got, want := columnsOf(r), []string{"n1 INT INT", "s STRING STRING", "ts TIMESTAMP TIMESTAMP", "null_int INT INT", "null_string STRING STRING"}; !equalStrings(got, want) {
			t.Errorf("columns %q, want %q", got, want)
		}
		if got := rowsOf(r); len(got) != 1 || !equalStrings(got[0], []string{"42", "it's", "2024-11-24T10:00:00.000Z", "NULL", "NULL"}) {
			t.Errorf("rows %q", got)
		}
		// A marker used twice binds once; markers work in WHERE.
		r = tr.exec(map[string]any{
			"statement":  "SELECT device_id FROM lab.iot.readings WHERE device_id = :dev OR device_id = :dev || 'x' ORDER BY 1",
			"parameters": []map[string]any{{"name": "dev", "value": "d2", "type": "STRING"}},
		})
		if got := rowsOf(r); len(got) != 1 || got[0][0] != "d2" {
			t.Errorf("WHERE with a parameter: %q", got)
		}
		r = tr.exec(map[string]any{"statement": "SELECT :nope AS x"})
		if r.Status.State != "FAILED" || r.Status.Error.ErrorCode != "BAD_REQUEST" || !strings.Contains(r.Status.Error.Message, "[UNBOUND_SQL_PARAMETER] ") ||
			!strings.Contains(r.Status.Error.Message, ":nope") {
			t.Errorf("missing parameter: %+v", r.Status)
		}
		tr.check("parameters")
	})

	t.Run("failed", func(t *testing.T) {
		tr := newTranscript(t, s)
		tests := []struct{ stmt, code, contains string }{
			{"SELECT * FROM main.types.missing", "BAD_REQUEST", "[TABLE_OR_VIEW_NOT_FOUND] The table or view `main`.`types`.`missing` cannot be found."},
			{"VACUUM main.types.all_types", "BAD_REQUEST", "[UNSUPPORTED_FEATURE] unsupported statement: VACUUM"},
			{"CREATE TABLE main.types.all_types (a INT)", "BAD_REQUEST", "[TABLE_OR_VIEW_ALREADY_EXISTS] Table 'main.types.all_types' already exists"},
			{"USE CATALOG nope", "BAD_REQUEST", "[CATALOG_NOT_FOUND] Catalog 'nope' does not exist"},
			{"SELECT 1/0", "BAD_REQUEST", "[DIVIDE_BY_ZERO] Division by zero."},
			{"SELECT CAST('abc' AS INT)", "BAD_REQUEST", "[CAST_INVALID_INPUT] The value 'abc'"},
			{"SELECT 2147483647 + 1", "BAD_REQUEST", "[ARITHMETIC_OVERFLOW] integer overflow."},
			{"SELEC 1", "BAD_REQUEST", "[PARSE_SYNTAX_ERROR] "},
			{"SELECT nope FROM main.types.all_types", "BAD_REQUEST", "[UNRESOLVED_COLUMN.WITH_SUGGESTION] A column, variable, or function parameter with name `nope` cannot be resolved."},
		}
		for _, tc := range tests {
			r := tr.sql(tc.stmt)
			if r.Status.State != "FAILED" || r.Status.Error.ErrorCode != tc.code || !strings.Contains(r.Status.Error.Message, tc.contains) {
				t.Errorf("%s: %+v %+v", tc.stmt, r.Status, r.Status.Error)
			}
		}
		tr.check("failed")
	})

	t.Run("ddl", func(t *testing.T) {
		tr := newTranscript(t, s)
		for _, stmt := range []string{
			"CREATE SCHEMA main.ddl_demo COMMENT 'scratch'",
			"CREATE TABLE main.ddl_demo.t (a INT, b STRING) COMMENT 'demo'",
			"ALTER TABLE main.ddl_demo.t ADD COLUMNS (c DOUBLE)",
			"INSERT INTO main.ddl_demo.t VALUES (1, 'x', 0.5), (2, 'y', NULL)",
			"UPDATE main.ddl_demo.t SET c = 1.5 WHERE a = 2",
			"DELETE FROM main.ddl_demo.t WHERE a = 1",
			"DROP TABLE main.ddl_demo.t",
			"DROP SCHEMA main.ddl_demo",
		} {
			r := tr.sql(stmt)
			if r.Status.State != "SUCCEEDED" {
				t.Fatalf("%s: %+v", stmt, r.Status)
			}
			dml := strings.HasPrefix(stmt, "INSERT") || strings.HasPrefix(stmt, "UPDATE") || strings.HasPrefix(stmt, "DELETE")
			if !dml && (r.Manifest.Schema.ColumnCount != 0 || len(r.Result.DataArray) != 0) {
				t.Errorf("%s: DDL returned columns %q rows %q", stmt, columnsOf(r), rowsOf(r))
			}
			if dml && (r.Manifest.Schema.ColumnCount != 1 || r.Manifest.Schema.Columns[0].TypeName != "LONG") {
				t.Errorf("%s: DML returned columns %q", stmt, columnsOf(r))
			}
		}
		tr.check("ddl")
	})

	t.Run("show", func(t *testing.T) {
		tr := newTranscript(t, s)
		checks := []struct {
			stmt string
			cols []string
			rows []string // first cell of each row... or the joined row
		}{
			{"SHOW CATALOGS", []string{"catalog STRING STRING"}, []string{"lab", "main", "system"}},
			{"SHOW CATALOGS LIKE 'l*'", []string{"catalog STRING STRING"}, []string{"lab"}},
			{"SHOW SCHEMAS IN lab", []string{"databaseName STRING STRING"}, []string{"iot"}},
			{"SHOW SCHEMAS", []string{"databaseName STRING STRING"}, []string{"default", "types"}},
			{"SHOW TABLES IN main.types", []string{"database STRING STRING", "tableName STRING STRING", "isTemporary BOOLEAN BOOLEAN"},
				[]string{"types all_types false", "types nested false"}},
			{"SHOW TABLES IN lab.iot LIKE 'read*'", []string{"database STRING STRING", "tableName STRING STRING", "isTemporary BOOLEAN BOOLEAN"},
				[]string{"iot readings false"}},
		}
		for _, c := range checks {
			r := tr.sql(c.stmt)
			if got := columnsOf(r); !equalStrings(got, c.cols) {
				t.Errorf("%s: columns %q, want %q", c.stmt, got, c.cols)
			}
			var got []string
			for _, row := range rowsOf(r) {
				got = append(got, strings.Join(row, " "))
			}
			if !equalSets(got, c.rows) {
				t.Errorf("%s: rows %q, want %q", c.stmt, got, c.rows)
			}
		}
		tr.check("show")
	})

	t.Run("describe", func(t *testing.T) {
		tr := newTranscript(t, s)
		r := tr.sql("DESCRIBE TABLE lab.iot.readings")
		if got, want := columnsOf(r), []string{"col_name STRING STRING", "data_type STRING STRING", "comment STRING STRING"}; !equalStrings(got, want) {
			t.Errorf("columns %q", got)
		}
		rows := rowsOf(r)
		if len(rows) < 4 || !equalStrings(rows[0], []string{"device_id", "string not null", "who sent it"}) ||
			!equalStrings(rows[2], []string{"temp", "double", "NULL"}) {
			t.Errorf("rows %q", rows)
		}
		tr.sql("DESCRIBE main.types.nested")
		tr.check("describe")
	})

	t.Run("catalog_and_schema_fields", func(t *testing.T) {
		tr := newTranscript(t, s)
		r := tr.exec(map[string]any{"statement": "SELECT device_id, temp FROM readings ORDER BY device_id", "catalog": "lab", "schema": "iot"})
		if got := rowsOf(r); len(got) != 2 || !equalStrings(got[0], []string{"d1", "21.5"}) || !equalStrings(got[1], []string{"d2", "NULL"}) {
			t.Errorf("unqualified SELECT in lab.iot: %+v %q", r.Status, got)
		}
		r = tr.exec(map[string]any{"statement": "SHOW TABLES", "catalog": "lab", "schema": "iot"})
		if got := rowsOf(r); len(got) != 1 || got[0][1] != "readings" {
			t.Errorf("SHOW TABLES in lab.iot: %q", got)
		}
		// schema alone is a schema of the default catalog main.
		r = tr.exec(map[string]any{"statement": "SELECT count(*) AS n FROM all_types", "schema": "types"})
		if got := rowsOf(r); len(got) != 1 || got[0][0] != "2" {
			t.Errorf("unqualified SELECT in main.types: %+v %q", r.Status, got)
		}
		// A two-part name is schema.table in the request's catalog.
		r = tr.exec(map[string]any{"statement": "SELECT count(*) AS n FROM iot.readings", "catalog": "lab"})
		if got := rowsOf(r); len(got) != 1 || got[0][0] != "2" {
			t.Errorf("two-part name in lab: %+v %q", r.Status, got)
		}
		// USE inside the statement text changes the namespace for what follows.
		r = tr.exec(map[string]any{"statement": "USE SCHEMA lab.iot; SELECT count(*) AS n FROM readings"})
		if got := rowsOf(r); len(got) != 1 || got[0][0] != "2" {
			t.Errorf("USE then SELECT: %+v %q", r.Status, got)
		}
		// A namespace that does not exist fails instead of resolving names elsewhere.
		r = tr.exec(map[string]any{"statement": "SELECT count(*) FROM all_types", "catalog": "nope"})
		if r.Status.State != "FAILED" || r.Status.Error.ErrorCode != "BAD_REQUEST" || !strings.HasPrefix(r.Status.Error.Message, "[CATALOG_NOT_FOUND] ") {
			t.Errorf("unknown catalog: %+v %+v", r.Status, r.Status.Error)
		}
		r = tr.exec(map[string]any{"statement": "SELECT count(*) FROM all_types", "schema": "nope"})
		if r.Status.State != "FAILED" || r.Status.Error.ErrorCode != "BAD_REQUEST" || !strings.HasPrefix(r.Status.Error.Message, "[SCHEMA_NOT_FOUND] ") {
			t.Errorf("unknown schema: %+v %+v", r.Status, r.Status.Error)
		}
		tr.check("catalog_and_schema_fields")
	})

	t.Run("async", func(t *testing.T) {
		tr := newTranscript(t, s)
		r := tr.exec(map[string]any{"statement": "SELECT device_id FROM lab.iot.readings ORDER BY 1", "wait_timeout": "0s"})
		if r.Status.State != "PENDING" && r.Status.State != "RUNNING" {
			t.Fatalf("wait_timeout 0s: state %s, want PENDING", r.Status.State)
		}
		id := r.StatementID
		// Poll without recording until the statement is done, then
		// record the final GET.
		deadline := time.Now().Add(30 * time.Second)
		for {
			code, body := s.call("GET", statementsPath+"/"+id, devToken, nil)
			if code != 200 {
				t.Fatalf("poll: HTTP %d %s", code, body)
			}
			st := checkStatementConventions(t, body)
			if st.Status.State != "PENDING" && st.Status.State != "RUNNING" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("statement still %s after 30s", st.Status.State)
			}
			time.Sleep(20 * time.Millisecond)
		}
		r = tr.get(id)
		if r.StatementID != id || r.Status.State != "SUCCEEDED" {
			t.Fatalf("GET: %s %+v", r.StatementID, r.Status)
		}
		if got := rowsOf(r); len(got) != 2 || got[0][0] != "d1" || got[1][0] != "d2" {
			t.Errorf("rows %q", got)
		}
		code, body := tr.do("GET", statementsPath+"/"+id+"/result/chunks/0", devToken, nil)
		if code != 200 || !strings.Contains(string(body), `"data_array":[["d1"],["d2"]]`) {
			t.Errorf("chunk 0: %d %s", code, body)
		}
		code, body = tr.do("GET", statementsPath+"/"+id+"/result/chunks/1", devToken, nil)
		if code != 404 {
			t.Errorf("chunk 1: %d %s", code, body)
		}
		tr.check("async")
	})

	t.Run("cancel_finished", func(t *testing.T) {
		tr := newTranscript(t, s)
		r := tr.sql("SELECT 1 AS one")
		code, body := tr.do("POST", statementsPath+"/"+r.StatementID+"/cancel", devToken, nil)
		if code != 200 || strings.TrimSpace(string(body)) != "{}" {
			t.Errorf("cancel: %d %s", code, body)
		}
		// Canceling a finished statement changes nothing.
		r2 := tr.get(r.StatementID)
		if r2.Status.State != "SUCCEEDED" || rowsOf(r2)[0][0] != "1" {
			t.Errorf("after cancel: %+v %q", r2.Status, rowsOf(r2))
		}
		code, body = tr.do("POST", statementsPath+"/no-such-statement/cancel", devToken, nil)
		if code != 404 || !strings.Contains(string(body), "RESOURCE_DOES_NOT_EXIST") {
			t.Errorf("cancel unknown: %d %s", code, body)
		}
		tr.check("cancel_finished")
	})

	t.Run("decimal_precision", func(t *testing.T) {
		tr := newTranscript(t, s)
		r := tr.sql("SELECT dec, CAST(1.5 AS DECIMAL(38, 0)) AS wide, 1 AS i FROM main.types.all_types LIMIT 1")
		c := r.Manifest.Schema.Columns
		if c[0].TypePrecision == nil || *c[0].TypePrecision != 10 || *c[0].TypeScale != 2 || *c[1].TypePrecision != 38 || *c[1].TypeScale != 0 ||
			c[2].TypePrecision != nil {
			t.Errorf("columns %+v", c)
		}
		tr.check("decimal_precision")
	})

	t.Run("intervals", func(t *testing.T) {
		tr := newTranscript(t, s)
		r := tr.sql("SELECT INTERVAL 5 MINUTES AS i, TIMESTAMP'2026-01-02 03:00:00' - TIMESTAMP'2026-01-01 00:00:00' AS d, " +
			"INTERVAL '1-2' YEAR TO MONTH AS ym")
		c := r.Manifest.Schema.Columns
		if got := rowsOf(r); c[0].TypeIntervalType != "DAY TO SECOND" || c[1].TypeIntervalType != "DAY TO SECOND" || c[2].TypeIntervalType != "YEAR TO MONTH" ||
			strings.Join(got[0], ",") != "0 00:05:00.000000000,1 03:00:00.000000000,1-2" {
			t.Errorf("columns %+v, rows %q", c, got)
		}
		tr.check("intervals")
	})

	t.Run("chunks", func(t *testing.T) {
		// About 6 MB of JSON_ARRAY: more than one chunk of
		// engine.ChunkBytes (4 MiB). A client pages as the SDKs do,
		// following next_chunk_internal_link until it is absent.
		const n = 6000
		r := s.statement(fmt.Sprintf("SELECT id, repeat('x', 1000) AS pad FROM range(%d)", n), nil)
		if r.Status.State != "SUCCEEDED" || r.Manifest.TotalChunkCount < 2 || r.Manifest.TotalRowCount != n || r.Result.NextChunkIndex == nil {
			t.Fatalf("state %s, manifest %+v", r.Status.State, r.Manifest)
		}
		rows, chunks := len(r.Result.DataArray), 1
		link := r.Result.NextChunkInternalLink
		for link != "" {
			code, body := s.call("GET", link, devToken, nil)
			var chunk struct {
				ChunkIndex            int         `json:"chunk_index"`
				RowOffset             int         `json:"row_offset"`
				RowCount              int         `json:"row_count"`
				DataArray             [][]*string `json:"data_array"`
				NextChunkIndex        *int        `json:"next_chunk_index"`
				NextChunkInternalLink string      `json:"next_chunk_internal_link"`
			}
			if err := json.Unmarshal(body, &chunk); code != 200 || err != nil {
				t.Fatalf("GET %s: %d %.200s", link, code, body)
			}
			if chunk.ChunkIndex != chunks || chunk.RowOffset != rows || chunk.RowCount != len(chunk.DataArray) ||
				*chunk.DataArray[0][0] != fmt.Sprint(rows) {
				t.Fatalf("chunk %d: index %d, offset %d, %d rows, first id %s; want offset %d", chunks, chunk.ChunkIndex, chunk.RowOffset, chunk.RowCount, *chunk.DataArray[0][0], rows)
			}
			if (chunk.NextChunkIndex == nil) != (chunk.NextChunkInternalLink == "") {
				t.Errorf("chunk %d: next_chunk_index %v with link %q", chunks, chunk.NextChunkIndex, chunk.NextChunkInternalLink)
			}
			rows += chunk.RowCount
			chunks++
			link = chunk.NextChunkInternalLink
		}
		if rows != n || chunks != r.Manifest.TotalChunkCount {
			t.Errorf("paged %d rows in %d chunks; manifest says %d in %d", rows, chunks, n, r.Manifest.TotalChunkCount)
		}
		for _, bad := range []string{fmt.Sprint(chunks), "-1", "x", "99999999999999999999"} {
			code, body := s.call("GET", fmt.Sprintf("%s/%s/result/chunks/%s", statementsPath, r.StatementID, bad), devToken, nil)
			if code != 404 || !strings.Contains(string(body), "RESOURCE_DOES_NOT_EXIST") || !strings.Contains(string(body), "chunk_index 0 to") {
				t.Errorf("chunk %s: %d %s", bad, code, body)
			}
		}
		// byte_limit still truncates before chunking.
		r = s.statement(fmt.Sprintf("SELECT id, repeat('x', 1000) AS pad FROM range(%d)", n), map[string]any{"byte_limit": 10000})
		if !r.Manifest.Truncated || r.Manifest.TotalChunkCount != 1 || r.Manifest.TotalRowCount >= 10 {
			t.Errorf("byte_limit 10000: manifest %+v", r.Manifest)
		}
	})

	t.Run("request_errors", func(t *testing.T) {
		tr := newTranscript(t, s)
		tests := []struct {
			name, method, path, token string
			body                      any
			status                    int
			code, contains            string
		}{
			{"unknown statement", "GET", statementsPath + "/no-such-statement", devToken, nil, 404, "RESOURCE_DOES_NOT_EXIST", "no-such-statement"},
			{"CSV format", "POST", statementsPath, devToken, map[string]any{"statement": "SELECT 1", "warehouse_id": "w", "format": "CSV"}, 400, "INVALID_PARAMETER_VALUE", "Inline disposition only supports JSON_ARRAY format"},
			{"Arrow format", "POST", statementsPath, devToken, map[string]any{"statement": "SELECT 1", "warehouse_id": "w", "format": "ARROW_STREAM", "disposition": "INLINE"}, 400, "INVALID_PARAMETER_VALUE", "Inline disposition only supports JSON_ARRAY format"},
			{"unknown format", "POST", statementsPath, devToken, map[string]any{"statement": "SELECT 1", "warehouse_id": "w", "format": "XML"}, 400, "INVALID_PARAMETER_VALUE", `got "XML"`},
			{"external links", "POST", statementsPath, devToken, map[string]any{"statement": "SELECT 1", "warehouse_id": "w", "disposition": "EXTERNAL_LINKS"}, 501, "NOT_IMPLEMENTED", "ExternalLinks disposition is not yet implemented"},
			{"missing statement", "POST", statementsPath, devToken, map[string]any{"warehouse_id": "w"}, 400, "INVALID_PARAMETER_VALUE", "statement"},
			{"blank statement", "POST", statementsPath, devToken, map[string]any{"statement": "  ", "warehouse_id": "w"}, 400, "INVALID_PARAMETER_VALUE", "statement"},
			{"malformed JSON", "POST", statementsPath, devToken, `{"statement": "SELECT 1"`, 400, "INVALID_PARAMETER_VALUE", "malformed JSON"},
			{"empty body", "POST", statementsPath, devToken, "", 400, "INVALID_PARAMETER_VALUE", "empty"},
			{"bad wait_timeout", "POST", statementsPath, devToken, map[string]any{"statement": "SELECT 1", "wait_timeout": "60s"}, 400, "INVALID_PARAMETER_VALUE", "wait_timeout"},
			{"parameter without name", "POST", statementsPath, devToken, map[string]any{"statement": "SELECT 1", "parameters": []map[string]any{{"value": "1"}}}, 400, "INVALID_PARAMETER_VALUE", "name"},
			{"missing token", "POST", statementsPath, "", map[string]any{"statement": "SELECT 1", "warehouse_id": "w"}, 401, "UNAUTHENTICATED", ""},
			{"wrong token", "POST", statementsPath, "dapi-wrong", map[string]any{"statement": "SELECT 1", "warehouse_id": "w"}, 401, "UNAUTHENTICATED", ""},
			{"GET without token", "GET", statementsPath + "/no-such-statement", "", nil, 401, "UNAUTHENTICATED", ""},
		}
		for _, tc := range tests {
			code, body := tr.do(tc.method, tc.path, tc.token, tc.body)
			var e struct {
				ErrorCode string `json:"error_code"`
				Message   string `json:"message"`
			}
			if err := json.Unmarshal(body, &e); err != nil {
				t.Errorf("%s: body %q is not JSON", tc.name, body)
			}
			if code != tc.status || e.ErrorCode != tc.code || !strings.Contains(e.Message, tc.contains) {
				t.Errorf("%s: got %d %s", tc.name, code, body)
			}
		}
		tr.check("request_errors")
	})
}
