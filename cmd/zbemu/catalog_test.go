package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// The walking skeleton: DDL by SQL, read back by UC REST and DESCRIBE,
// survive a restart on the same data directory.
func TestCatalogRoundTripSurvivesRestart(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	s := startServer(t, data)
	s.sql("CREATE CATALOG IF NOT EXISTS lab")
	s.sql("CREATE SCHEMA lab.iot COMMENT 'sensors'")
	s.sql("CREATE TABLE lab.iot.readings (device_id STRING NOT NULL COMMENT 'who', ts TIMESTAMP NOT NULL, temp DOUBLE, tags ARRAY<STRING>, " +
		"`loc` STRUCT<lat: DOUBLE, lon: DOUBLE>, attrs MAP<STRING, INT>, price DECIMAL(10,2), raw BINARY, day DATE, ntz TIMESTAMP_NTZ, v VARIANT, " +
		"b BOOLEAN, t TINYINT, sm SMALLINT, i INT, f FLOAT) USING DELTA PARTITIONED BY (day) COMMENT 'raw readings' TBLPROPERTIES ('quality' = 'bronze')")
	s.sql("INSERT INTO lab.iot.readings (device_id, ts, temp, day) VALUES ('d1', TIMESTAMP '2024-11-24 10:00:00', 21.5, DATE '2024-11-24')")

	check := func(s *server) {
		t.Helper()
		code, body := s.call("GET", "/api/2.1/unity-catalog/tables/lab.iot.readings", devToken, nil)
		if code != 200 {
			t.Fatalf("get table: %d %s", code, body)
		}
		var ti struct {
			FullName   string            `json:"full_name"`
			TableID    string            `json:"table_id"`
			TableType  string            `json:"table_type"`
			Comment    string            `json:"comment"`
			Properties map[string]string `json:"properties"`
			Columns    []struct {
				Name     string `json:"name"`
				TypeName string `json:"type_name"`
				TypeText string `json:"type_text"`
				TypeJSON string `json:"type_json"`
				Position int    `json:"position"`
				Nullable bool   `json:"nullable"`
				Comment  string `json:"comment"`
			} `json:"columns"`
		}
		if err := json.Unmarshal(body, &ti); err != nil {
			t.Fatal(err)
		}
		if ti.FullName != "lab.iot.readings" || ti.TableType != "MANAGED" || ti.Comment != "raw readings" || ti.Properties["quality"] != "bronze" || len(ti.TableID) != 36 {
			t.Errorf("table info: %+v", ti)
		}
		if len(ti.Columns) != 16 {
			t.Fatalf("columns: %d", len(ti.Columns))
		}
		c0 := ti.Columns[0]
		if c0.Name != "device_id" || c0.TypeName != "STRING" || c0.Nullable || c0.Comment != "who" || c0.Position != 0 {
			t.Errorf("column 0: %+v", c0)
		}
		if c := ti.Columns[4]; c.TypeName != "STRUCT" || c.TypeText != "struct<lat:double,lon:double>" || !strings.Contains(c.TypeJSON, `"type":"struct"`) {
			t.Errorf("struct column: %+v", c)
		}
		if c := ti.Columns[6]; c.TypeText != "decimal(10,2)" || c.TypeName != "DECIMAL" {
			t.Errorf("decimal column: %+v", c)
		}
		rows := s.sql("DESCRIBE TABLE lab.iot.readings")
		if *rows[0][0] != "device_id" || *rows[0][1] != "string not null" {
			t.Errorf("describe row 0: %v %v", *rows[0][0], *rows[0][1])
		}
		if n := s.count("lab.iot.readings"); n != 1 {
			t.Errorf("count = %d", n)
		}
		tables := s.sql("SHOW TABLES IN lab.iot")
		if len(tables) != 1 || *tables[0][1] != "readings" {
			t.Errorf("show tables: %v", tables)
		}
	}
	check(s)
	s.stop()
	s2 := startServer(t, data)
	check(s2)
	// main.default exists from the first start.
	if rows := s2.sql("SHOW SCHEMAS IN main"); len(rows) != 1 || *rows[0][0] != "default" {
		t.Errorf("main schemas: %v", rows)
	}
}

func TestUnityCatalogErrors(t *testing.T) {
	t.Parallel()
	s := startServer(t, "", "--memory")
	tests := []struct {
		name, method, path, token string
		body                      any
		status                    int
		code, contains            string
	}{
		{"unknown table", "GET", "/api/2.1/unity-catalog/tables/main.default.nope", devToken, nil, 404, "TABLE_DOES_NOT_EXIST", "main.default.nope"},
		{"unknown catalog", "GET", "/api/2.1/unity-catalog/catalogs/nope", devToken, nil, 404, "CATALOG_DOES_NOT_EXIST", "nope"},
		{"duplicate catalog", "POST", "/api/2.1/unity-catalog/catalogs", devToken, map[string]string{"name": "main"}, 409, "RESOURCE_ALREADY_EXISTS", "main"},
		{"malformed JSON", "POST", "/api/2.1/unity-catalog/catalogs", devToken, "{nope", 400, "INVALID_PARAMETER_VALUE", "malformed JSON"},
		{"missing token", "GET", "/api/2.1/unity-catalog/catalogs", "", nil, 401, "UNAUTHENTICATED", "bearer"},
		{"bad token", "GET", "/api/2.1/unity-catalog/catalogs", "dapi-wrong", nil, 401, "UNAUTHENTICATED", "token"},
		{"two-part table name", "GET", "/api/2.1/unity-catalog/tables/main.t", devToken, nil, 400, "INVALID_PARAMETER_VALUE", "3 dot-separated parts"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, body := s.call(tc.method, tc.path, tc.token, tc.body)
			var e struct {
				ErrorCode string `json:"error_code"`
				Message   string `json:"message"`
			}
			json.Unmarshal(body, &e)
			if code != tc.status || e.ErrorCode != tc.code || !strings.Contains(e.Message, tc.contains) {
				t.Errorf("got %d %s", code, body)
			}
		})
	}
}

func TestStatementErrors(t *testing.T) {
	t.Parallel()
	s := startServer(t, "", "--memory")
	tests := []struct {
		name, stmt, code, contains string
	}{
		{"unknown table", "SELECT * FROM main.default.missing", "BAD_REQUEST", "TABLE_OR_VIEW_NOT_FOUND"},
		{"unbalanced type text", "CREATE TABLE main.default.x (a ARRAY<INT)", "BAD_REQUEST", `unbalanced "<"`},
		{"unknown type", "CREATE TABLE main.default.x (a INTEGR)", "BAD_REQUEST", "column a"},
		{"unsupported type", "CREATE TABLE main.default.x (a INTERVAL DAY)", "BAD_REQUEST", "INTERVAL"},
		{"duplicate table", "CREATE TABLE main.default.dup (a INT)", "BAD_REQUEST", "[TABLE_OR_VIEW_ALREADY_EXISTS] Table 'main.default.dup' already exists"},
		{"unsupported statement", "VACUUM main.default.dup", "BAD_REQUEST", "[UNSUPPORTED_FEATURE] unsupported statement: VACUUM"},
	}
	s.sql("CREATE TABLE main.default.dup (a INT)")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := s.sqlResult(tc.stmt)
			if r.Status.State != "FAILED" || r.Status.Error == nil || r.Status.Error.ErrorCode != tc.code || !strings.Contains(r.Status.Error.Message, tc.contains) {
				t.Errorf("got %+v %+v", r.Status, r.Status.Error)
			}
		})
	}
}

// The system catalog is listed and browsable like in a workspace.
func TestSystemCatalogIsBrowsable(t *testing.T) {
	t.Parallel()
	s := startServer(t, "", "--memory")
	flat := func(rows [][]*string, col int) string {
		var out []string
		for _, r := range rows {
			out = append(out, *r[col])
		}
		return strings.Join(out, ",")
	}
	if got := flat(s.sql("SHOW CATALOGS"), 0); got != "main,system" {
		t.Errorf("SHOW CATALOGS = %s", got)
	}
	if got := flat(s.sql("SHOW SCHEMAS IN system"), 0); got != "lakeflow,zbemu" {
		t.Errorf("SHOW SCHEMAS IN system = %s", got)
	}
	if got := flat(s.sql("SHOW TABLES IN system.lakeflow"), 1); got != "zerobus_ingest,zerobus_stream" && got != "zerobus_stream,zerobus_ingest" {
		t.Errorf("SHOW TABLES IN system.lakeflow = %s", got)
	}
}
