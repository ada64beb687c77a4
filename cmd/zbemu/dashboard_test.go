package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/zbemu/zbemu/fixtures/golden"
	"github.com/zbemu/zbemu/web"
)

// Monitoring queries over the system tables, as learners and Databricks'
// Zerobus Ingest monitoring dashboard write them, must run against zbemu as
// they run in a workspace: Spark SQL with SIZE, LATERAL VIEW EXPLODE,
// UNIX_TIMESTAMP, DATEADD, NOW() - INTERVAL 7 DAYS and a :p_table parameter
// whose default is 'All'. testdata/dashboard holds zbemu's own queries, one
// per panel of that dashboard (throughput, top tables, error rate, error
// codes, protocols, stream durations, ...). The dashboard's own query text
// is not redistributed here; TestDashboardOriginals runs each of its dataset
// queries (*.sql) from ZBEMU_DASHBOARD_SQL, or from shared/zerobus-dashboard
// beside the repository when the steering side provides them there.

// dashboardParam is the dashboard's one parameter and its default value.
const dashboardParam, dashboardDefault = "p_table", "All"

// dashboardQuery is one dataset query.
type dashboardQuery struct{ name, sql string }

func dashboardQueries(t *testing.T) []dashboardQuery {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "dashboard", "*.sql"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no dashboard queries in testdata/dashboard: %v", err)
	}
	var out []dashboardQuery
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, dashboardQuery{strings.TrimSuffix(filepath.Base(f), ".sql"), string(b)})
	}
	return out
}

// runDashboard runs q with :p_table bound to table, as the dashboard's
// table filter does, and fails the test unless the statement succeeds.
func (s *server) runDashboard(q dashboardQuery, table string) web.StatementResponse {
	s.t.Helper()
	code, body := s.call("POST", "/api/2.0/sql/statements", devToken, map[string]any{
		"statement": q.sql, "warehouse_id": "w", "wait_timeout": "50s",
		"parameters": []map[string]any{{"name": dashboardParam, "value": table, "type": "STRING"}},
	})
	if code != 200 {
		s.t.Fatalf("%s: HTTP %d %s", q.name, code, body)
	}
	var r web.StatementResponse
	if err := json.Unmarshal(body, &r); err != nil {
		s.t.Fatal(err)
	}
	if r.Status.State != "SUCCEEDED" {
		s.t.Fatalf("%s (p_table=%s): %s %+v", q.name, table, r.Status.State, r.Status.Error)
	}
	return r
}

// dashboardRows is a result as rows of column name to value ("" for NULL).
type dashboardRows []map[string]string

func rowsByName(r web.StatementResponse) dashboardRows {
	var out dashboardRows
	if r.Result == nil {
		return out
	}
	for _, row := range r.Result.DataArray {
		m := map[string]string{}
		for i, c := range r.Manifest.Schema.Columns {
			if row[i] != nil {
				m[c.Name] = *row[i]
			}
		}
		out = append(out, m)
	}
	return out
}

// num parses a numeric column value (0 for NULL).
func num(t *testing.T, v string) float64 {
	t.Helper()
	if v == "" {
		return 0
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		t.Fatalf("%q is not a number", v)
	}
	return f
}

// sum adds up a numeric column.
func (rows dashboardRows) sum(t *testing.T, col string) float64 {
	t.Helper()
	total := 0.0
	for _, r := range rows {
		total += num(t, r[col])
	}
	return total
}

// values lists a column's values, sorted.
func (rows dashboardRows) values(col string) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r[col])
	}
	sort.Strings(out)
	return out
}

var numericTypes = map[string]bool{
	"BYTE": true, "SHORT": true, "INT": true, "LONG": true, "FLOAT": true, "DOUBLE": true, "DECIMAL": true,
}

// TestDashboardQueries seeds two tables (REST inserts into one, the
// official SDK into the other, with a failing request and a failing
// stream) and runs every dashboard query through the Statement API, with
// the table filter at its default 'All' and at one table. Each query must
// succeed and return what the seeded traffic implies; the result columns
// are in testdata/dashboard/columns.golden.
func TestDashboardQueries(t *testing.T) {
	t.Parallel()
	s := startServer(t, "")
	const restTable, sdkTable = "main.default.dash_rest", "main.default.dash_sdk"
	s.sql("CREATE TABLE " + restTable + " " + iotDDL)
	s.sql("CREATE TABLE " + sdkTable + " " + iotDDL)
	bad := []any{map[string]any{"device_id": "x", "ts": "yesterday"}}
	for i := 0; i < 3; i++ {
		if code, body := s.call("POST", insertPath(restTable), devToken, iotRecords(2*i, 2)); code != 200 {
			t.Fatalf("REST insert: HTTP %d %s", code, body)
		}
	}
	if code, body := s.call("POST", insertPath(restTable), devToken, bad); code != 400 {
		t.Fatalf("bad REST insert: HTTP %d %s, want 400", code, body)
	}
	if r := runSDK(t, s.scenario(map[string]any{"table": sdkTable, "batches": batchesOf(iotRecords(0, 10), 5)})); !r.OK {
		t.Fatalf("SDK: %s", errText(r.Streams[0].Error))
	}
	r := runSDK(t, s.scenario(map[string]any{"table": sdkTable, "batches": append(batchesOf(iotRecords(10, 4), 2), bad),
		"options": map[string]any{"recovery": false}}))
	if st := r.Streams[0]; st.OK || st.AckedRecords != 4 {
		t.Fatalf("failing SDK stream: %+v %s", st, errText(st.Error))
	}
	// Four REST requests and two SDK streams, all closed.
	s.waitSQL("SELECT count(*) FROM system.lakeflow.zerobus_stream WHERE closed_time IS NOT NULL", "6")

	// What the traffic implies, per dataset, with the filter at 'All' and
	// at the SDK table.
	type check func(t *testing.T, rows dashboardRows)
	one := func(col string, want float64) check {
		return func(t *testing.T, rows dashboardRows) {
			if len(rows) != 1 || num(t, rows[0][col]) != want {
				t.Errorf("%s = %v, want %v", col, rows, want)
			}
		}
	}
	total := func(col string, want float64) check {
		return func(t *testing.T, rows dashboardRows) {
			if got := rows.sum(t, col); got != want {
				t.Errorf("sum of %s = %v, want %v (rows %v)", col, got, want, rows)
			}
		}
	}
	atLeast := func(col string, min float64) check {
		return func(t *testing.T, rows dashboardRows) {
			if got := rows.sum(t, col); got < min {
				t.Errorf("sum of %s = %v, want at least %v (rows %v)", col, got, min, rows)
			}
		}
	}
	valuesOf := func(col string, want ...string) check {
		return func(t *testing.T, rows dashboardRows) {
			if got := rows.values(col); strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("%s = %q, want %q", col, got, want)
			}
		}
	}
	all := map[string][]check{
		"active-streams":         {one("active_streams", 0)},
		"streams-with-errors-7d": {one("error_streams", 2)},
		"tables-written-7d":      {one("active_tables", 2)},
		"records-per-hour":       {total("records_ingested", 20)},
		"bytes-per-hour":         {atLeast("bytes_ingested", 20)},
		"throughput-per-table":   {valuesOf("table_name", restTable, sdkTable), atLeast("bytes_per_second", 0.01)},
		// Every row of a stream (open, error, close) has its opened_time.
		"streams-opened-closed": {atLeast("streams_opened", 6), total("streams_closed", 6)},
		"top-tables-by-records": {valuesOf("table_name", restTable, sdkTable), total("total_records", 20)},
		"top-tables-by-bytes":   {valuesOf("table_name", restTable, sdkTable), atLeast("total_bytes", 20)},
		"error-rate-per-hour":   {atLeast("total_events", 12), atLeast("error_events", 2)},
		"errors-by-code":        {valuesOf("error_code", "INVALID_PARAMETER_VALUE"), atLeast("occurrence_count", 2)},
		"error-details": {func(t *testing.T, rows dashboardRows) {
			for _, r := range rows {
				if r["error_code"] != "INVALID_PARAMETER_VALUE" || !strings.Contains(r["error_message"], "yesterday") ||
					!isoTimeRE.MatchString(r["error_timestamp"]) || r["stream_id"] == "" {
					t.Errorf("error detail row %v", r)
				}
			}
			if len(rows) < 2 {
				t.Errorf("error detail: %d rows, want one per error at least for both failing streams", len(rows))
			}
		}},
		"commits-with-errors":     {atLeast("total_batches", 3), total("batches_with_errors", 0)},
		"streams-by-protocol":     {valuesOf("protocol", "GRPC", "HTTP"), total("stream_count", 6)},
		"streams-by-format":       {valuesOf("data_format", "JSON"), total("stream_count", 6)},
		"stream-durations":        {valuesOf("duration_bucket", "< 1 min"), atLeast("stream_count", 6)},
		"records-7d":              {one("total_records_7d", 20)},
		"gb-7d":                   {one("total_gb_7d", 0)},
		"commits-last-hour":       {atLeast("commits_last_hour", 3)},
		"streams-last-hour":       {one("streams_last_hour", 6)},
		"tables-last-hour":        {one("active_tables_last_hour", 2)},
		"gb-last-hour":            {one("gb_ingested_last_hour", 0)},
		"records-last-hour":       {one("records_last_hour", 20)},
		"error-streams-last-hour": {one("error_streams_last_hour", 2)},
		"table-filter":            {valuesOf("full_table_name", restTable, sdkTable)},
	}
	sdkOnly := map[string][]check{
		"streams-with-errors-7d":  {one("error_streams", 1)},
		"tables-written-7d":       {one("active_tables", 1)},
		"top-tables-by-records":   {valuesOf("table_name", sdkTable), total("total_records", 14)},
		"streams-by-protocol":     {valuesOf("protocol", "GRPC"), total("stream_count", 2)},
		"records-7d":              {one("total_records_7d", 14)},
		"streams-last-hour":       {one("streams_last_hour", 2)},
		"error-streams-last-hour": {one("error_streams_last_hour", 1)},
		"table-filter":            {valuesOf("full_table_name", restTable, sdkTable)}, // it ignores the filter
	}

	var colsText strings.Builder
	for _, q := range dashboardQueries(t) {
		t.Run(q.name, func(t *testing.T) {
			if _, ok := all[q.name]; !ok {
				t.Fatalf("no expectations for dashboard dataset %s", q.name)
			}
			res := s.runDashboard(q, dashboardDefault)
			var cols []string
			for _, c := range res.Manifest.Schema.Columns {
				cols = append(cols, c.Name+" "+c.TypeText)
			}
			fmt.Fprintf(&colsText, "%s: %s\n", q.name, strings.Join(cols, ", "))
			rows := rowsByName(res)
			if len(rows) == 0 {
				t.Fatalf("no rows, though every dataset has data")
			}
			for i, c := range res.Manifest.Schema.Columns {
				for _, row := range res.Result.DataArray {
					if numericTypes[c.TypeName] && row[i] != nil {
						num(t, *row[i])
					}
				}
			}
			t.Logf("p_table=%s: %v", dashboardDefault, rows)
			for _, c := range all[q.name] {
				c(t, rows)
			}
			for _, c := range sdkOnly[q.name] {
				c(t, rowsByName(s.runDashboard(q, sdkTable)))
			}
		})
	}
	golden.Check(t, filepath.Join("testdata", "dashboard", "columns.golden"), []byte(colsText.String()))
}

// TestDashboardOriginals runs Databricks' own dashboard queries when a copy
// of them is provided (see above): each must succeed and return rows.
func TestDashboardOriginals(t *testing.T) {
	t.Parallel()
	dir := os.Getenv("ZBEMU_DASHBOARD_SQL")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "zerobus-dashboard")
		if _, err := os.Stat(dir); err != nil {
			t.Skip("no copy of the dashboard's queries: set ZBEMU_DASHBOARD_SQL or provide shared/zerobus-dashboard")
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.sql"))
	if len(files) == 0 {
		t.Fatalf("no *.sql in %s", dir)
	}
	s := startServer(t, "")
	s.sql("CREATE TABLE main.default.dash " + iotDDL)
	if code, body := s.call("POST", insertPath("main.default.dash"), devToken, iotRecords(0, 5)); code != 200 {
		t.Fatalf("REST insert: HTTP %d %s", code, body)
	}
	s.call("POST", insertPath("main.default.dash"), devToken, []any{map[string]any{"device_id": "x", "ts": "yesterday"}})
	s.waitSQL("SELECT count(*) FROM system.lakeflow.zerobus_stream WHERE closed_time IS NOT NULL", "2")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		q := dashboardQuery{strings.TrimSuffix(filepath.Base(f), ".sql"), string(b)}
		t.Run(q.name, func(t *testing.T) {
			if rows := rowsByName(s.runDashboard(q, dashboardDefault)); len(rows) == 0 {
				t.Errorf("no rows")
			}
		})
	}
}

// TestSparkSQLResults runs Spark SQL that DuckDB spells differently through
// the Statement API and checks the values, so the translations of package
// dialect are checked against the engine's own results (types, time zone,
// result rendering) and not only as text.
func TestSparkSQLResults(t *testing.T) {
	t.Parallel()
	s := startServer(t, "")
	s.sql(`CREATE TABLE main.default.spark (id INT, arr ARRAY<INT>, m MAP<STRING, INT>, v VARIANT, ts TIMESTAMP,
		errs ARRAY<STRUCT<code: STRING, n: INT>>)`)
	s.sql(`INSERT INTO main.default.spark VALUES
		(1, array(10, 20, 30), map('a', 1, 'b', 2), parse_json('{"a": {"b": [5, 6]}, "s": "x", "n": 41}'),
		 TIMESTAMP '2024-11-24 10:00:00', array(named_struct('code', 'E1', 'n', 1), named_struct('code', 'E2', 'n', 2))),
		(2, array(), map(), NULL, NULL, NULL)`)
	tests := []struct{ name, sql, want string }{
		{"size", "SELECT SIZE(arr), size(map('x', 1)) FROM main.default.spark WHERE id = 1", "3|1"},
		{"subscripts", "SELECT arr[0], arr[id + 1], m['b'], element_at(arr, 1) FROM main.default.spark WHERE id = 1", "10|30|2|10"},
		{"lateral view", "SELECT sum(e) FROM main.default.spark LATERAL VIEW EXPLODE(arr) t AS e", "60"},
		{"lateral view outer", "SELECT count(*) FROM main.default.spark LATERAL VIEW OUTER EXPLODE(arr) t AS e", "4"},
		{"lateral view struct fields", "SELECT string_agg(e.code, ',' ORDER BY e.n) FROM main.default.spark LATERAL VIEW explode(errs) t AS e", "E1,E2"},
		{"posexplode", "SELECT string_agg(p || ':' || e, ',' ORDER BY p) FROM main.default.spark LATERAL VIEW posexplode(arr) t AS p, e", "0:10,1:20,2:30"},
		{"unix_timestamp", "SELECT UNIX_TIMESTAMP(ts), unix_millis(ts), from_unixtime(1732442400) FROM main.default.spark WHERE id = 1", "1732442400|1732442400000|2024-11-24 10:00:00"},
		{"dateadd", "SELECT DATEADD(HOUR, 2, ts), DATE_ADD(ts, 1), DATEDIFF(DAY, ts, ts + INTERVAL 3 DAYS) FROM main.default.spark WHERE id = 1",
			"2024-11-24T12:00:00.000Z|2024-11-25|3"},
		{"date_trunc and format", "SELECT DATE_TRUNC('HOUR', ts + INTERVAL 30 MINUTES), date_format(ts, 'yyyy/MM/dd HH:mm') FROM main.default.spark WHERE id = 1",
			"2024-11-24T10:00:00.000Z|2024/11/24 10:00"},
		{"intervals", "SELECT NOW() - INTERVAL 7 DAYS < CURRENT_TIMESTAMP(), TIMESTAMP '2024-01-01 00:00:00' + INTERVAL 1 DAY 2 HOURS", "true|2024-01-02T02:00:00.000Z"},
		{"timestamp literal with zone", "SELECT TIMESTAMP '2024-01-01T02:00:00+02:00', CAST('2024-01-01 00:00:00' AS TIMESTAMP)", "2024-01-01T00:00:00.000Z|2024-01-01T00:00:00.000Z"},
		{"variant paths", "SELECT v:a.b[1], v:s::string, v:n::int + 1 FROM main.default.spark WHERE id = 1", "6|x|42"},
		{"aggregates", "SELECT collect_list(ts), COUNT_IF(id > 1), percentile_approx(id, 0.5) FROM main.default.spark", `["2024-11-24T10:00:00.000Z"]|1|1`},
		{"null handling", "SELECT NVL(v:s::string, 'none'), 1 <=> 1, NULL <=> NULL, iff(id = 2, 'two', 'other') FROM main.default.spark WHERE id = 2", "none|true|true|two"},
		{"constructors", "SELECT array(1, 2), map('k', 'v'), named_struct('a', 1), X'0102'", `[1,2]|{"k":"v"}|{"a":1}|AQI=`},
		{"strings", "SELECT split('a,b', ',')[1], regexp_extract('abc', 'b(c)'), 'abc' RLIKE 'b', regexp_replace('ab', '(a)', '$1$1')", "b|c|true|aab"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := s.sqlResult(tc.sql)
			if res.Status.State != "SUCCEEDED" {
				t.Fatalf("%s: %s %+v", tc.sql, res.Status.State, res.Status.Error)
			}
			var got []string
			if res.Result != nil && len(res.Result.DataArray) == 1 {
				for _, v := range res.Result.DataArray[0] {
					if v == nil {
						got = append(got, "NULL")
					} else {
						got = append(got, *v)
					}
				}
			}
			if strings.Join(got, "|") != tc.want {
				t.Errorf("%s\n got: %s\nwant: %s", tc.sql, strings.Join(got, "|"), tc.want)
			}
		})
	}
}
