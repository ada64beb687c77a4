package engine

import (
	"database/sql"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/zbemu/zbemu/engine/dialect"
)

// openPipelineSQLTest opens an in-memory DuckDB with an event log shaped
// as Databricks documents it (origin a struct, details JSON text) holding
// two updates of pipeline p1, and a readings table.
func openPipelineSQLTest(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(1)
	progress := func(dataset string, exps ...string) string {
		return `{"flow_progress": {"status": "COMPLETED", "data_quality": {"dropped_records": 1, "expectations": [` +
			strings.Join(exps, ", ") + `]}}, "dataset": "` + dataset + `"}`
	}
	exp := func(name, dataset string, passed, failed int) string {
		return fmt.Sprintf(`{"name": %q, "dataset": %q, "passed_records": %d, "failed_records": %d, "extra": true}`, name, dataset, passed, failed)
	}
	setup := []string{
		`CREATE TABLE events (id VARCHAR, sequence VARCHAR, origin STRUCT(pipeline_id VARCHAR, update_id VARCHAR, flow_name VARCHAR),
			"timestamp" TIMESTAMPTZ, message VARCHAR, level VARCHAR, maturity_level VARCHAR, error VARCHAR, details VARCHAR, event_type VARCHAR)`,
		`INSERT INTO events VALUES
			('1', '{}', {'pipeline_id': 'p1', 'update_id': 'u1', 'flow_name': NULL}, '2026-01-01 10:00:00Z', 'start', 'INFO', 'STABLE', NULL, '{}', 'create_update'),
			('2', '{}', {'pipeline_id': 'p1', 'update_id': 'u1', 'flow_name': 'bronze'}, '2026-01-01 10:00:01Z', 'done', 'METRICS', 'STABLE', NULL, '` +
			progress("bronze", exp("valid_id", "bronze", 9, 1), exp("valid_temp", "bronze", 10, 0)) + `', 'flow_progress'),
			('3', '{}', {'pipeline_id': 'p1', 'update_id': 'u2', 'flow_name': NULL}, '2026-01-01 11:00:00Z', 'start', 'INFO', 'STABLE', NULL, '{}', 'create_update'),
			('4', '{}', {'pipeline_id': 'p1', 'update_id': 'u2', 'flow_name': 'bronze'}, '2026-01-01 11:00:01Z', 'done', 'METRICS', 'STABLE', NULL, '` +
			progress("bronze", exp("valid_id", "bronze", 4, 2), exp("valid_temp", "bronze", 5, 1)) + `', 'flow_progress'),
			('5', '{}', {'pipeline_id': 'p1', 'update_id': 'u2', 'flow_name': 'silver'}, '2026-01-01 11:00:02Z', 'done', 'METRICS', 'STABLE', NULL, '` +
			progress("silver", exp("known_type", "silver", 3, 1)) + `', 'flow_progress'),
			('6', '{}', {'pipeline_id': 'p1', 'update_id': 'u2', 'flow_name': 'gold'}, '2026-01-01 11:00:03Z', 'failed', 'ERROR', 'STABLE', NULL, '{"flow_progress": {"status": "FAILED"}}', 'flow_progress')`,
		`CREATE TABLE readings (machine_type VARCHAR, temperature DOUBLE)`,
		`INSERT INTO readings VALUES ('press', 85), ('press', 99), ('lathe', 60)`,
	}
	for _, s := range setup {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	return db
}

// pipelineSQLOptions translate event_log('p1') as a subquery of the test's
// events table, as the engine splices its own event log.
var pipelineSQLOptions = dialect.TranslateOptions{
	EventLog: func(ref dialect.EventLogRef) (string, error) {
		if ref.PipelineID != "p1" && ref.Table.String() != "main.lab.bronze" {
			return "", fmt.Errorf("no pipeline %q", ref.PipelineID)
		}
		return "(SELECT * FROM events)", nil
	},
}

// queryRows runs sql and returns its rows formatted with %v, one string a
// row.
func queryRows(t *testing.T, db *sql.DB, text string) []string {
	t.Helper()
	rows, err := db.Query(text)
	if err != nil {
		t.Fatalf("%s: %v", text, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		out = append(out, strings.TrimSuffix(fmt.Sprintln(vals...), "\n"))
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", text, err)
	}
	return out
}

// TestDataQualityQueryOnDuckDB runs Databricks' data-quality query over
// the event log (https://docs.databricks.com/aws/en/ldp/monitor-event-logs,
// "Query data quality from the event log"), in the spellings the docs and
// Databricks' own notebooks use, translated, on DuckDB.
func TestDataQualityQueryOnDuckDB(t *testing.T) {
	db := openPipelineSQLTest(t)
	const outer = `SELECT
  row_expectations.dataset as dataset,
  row_expectations.name as expectation,
  SUM(row_expectations.passed_records) as passing_records,
  SUM(row_expectations.failed_records) as failing_records
FROM
  (
    SELECT
      explode(
        from_json(
          %s,
          %s
        )
      ) row_expectations
    FROM
      %s
    WHERE
      event_type = 'flow_progress'
      AND origin.update_id = %s
  )
GROUP BY
  row_expectations.dataset,
  row_expectations.name
ORDER BY 1, 2`
	const (
		path     = "details:flow_progress:data_quality:expectations"
		bigint   = "'array<struct<name: string, dataset: string, passed_records: bigint, failed_records: bigint>>'"
		latest   = "(SELECT origin.update_id FROM event_log('p1') WHERE event_type = 'create_update' ORDER BY timestamp DESC LIMIT 1)"
		latestU2 = "[bronze valid_id 4 2 bronze valid_temp 5 1 silver known_type 3 1]"
	)
	tests := []struct {
		name                    string
		path, schema, from, upd string
		with                    string
		want                    string
	}{
		{"update id literal", path, bigint, "event_log('p1')", "'u2'", "", latestU2},
		{"latest update subquery", path, bigint, "event_log('p1')", latest, "", latestU2},
		{"first update", path, bigint, `event_log("p1")`, "'u1'", "", "[bronze valid_id 9 1 bronze valid_temp 10 0]"},
		{"spaced colons and int schema", "details :flow_progress :data_quality :expectations",
			`"array<struct<name: string, dataset: string, passed_records: int, failed_records: int>>"`, "event_log(TABLE(main.lab.bronze))", latest, "", latestU2},
		{"dotted path", "details:flow_progress.data_quality.expectations", bigint, "event_log(TABLE main.lab.bronze)", latest, "", latestU2},
		{"latest update view as a CTE", path, bigint, "event_log('p1'), latest_update", "latest_update.id",
			"WITH latest_update AS (SELECT origin.update_id AS id FROM event_log('p1') WHERE event_type = 'create_update' ORDER BY timestamp DESC LIMIT 1)\n", latestU2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			text := tc.with + fmt.Sprintf(outer, tc.path, tc.schema, tc.from, tc.upd)
			st, err := dialect.ParseWith(text, pipelineSQLOptions)
			if err != nil {
				t.Fatal(err)
			}
			q := st.(*dialect.Query)
			if err := checkNames(q); err != nil {
				t.Fatalf("checkNames: %v", err)
			}
			if got := fmt.Sprint(queryRows(t, db, q.SQL)); got != tc.want {
				t.Errorf("%s\nran as\n%s\ngot  %s\nwant %s", text, q.SQL, got, tc.want)
			}
		})
	}
}

// TestPipelineSQLOnDuckDB runs the other translations of pipeline SQL on
// DuckDB: inline tables, from_json's NULL semantics, and a dataset query
// with its references resolved.
func TestPipelineSQLOnDuckDB(t *testing.T) {
	db := openPipelineSQLTest(t)
	tests := []struct {
		name, sql, want string
	}{
		{"values with alias and columns", "SELECT * FROM VALUES ('press', 80.0), ('lathe', 70.0) AS t(machine_type, warning_temp) ORDER BY 1",
			"[lathe 70 press 80]"},
		{"values without AS", "SELECT b, a FROM VALUES (1, 'x') t(a, b)", "[x 1]"},
		{"values without alias", "SELECT col2, col1 FROM VALUES (1, 'x'), (2, 'y') ORDER BY 1", "[x 1 y 2]"},
		{"values rows without parentheses", "SELECT sum(x) FROM VALUES 1, 2, 3 AS t(x)", "[6]"},
		{"values alias without columns", "SELECT t.col1 FROM VALUES ('a') t", "[a]"},
		{"values joined", "SELECT r.machine_type, count(*) FROM readings r JOIN VALUES ('press', 90) AS th(machine_type, critical) ON r.machine_type = th.machine_type WHERE r.temperature < th.critical GROUP BY 1",
			"[press 1]"},
		{"from_json missing and extra fields", `SELECT from_json('{"a": 1, "z": 2}', 'a INT, b STRING')`, "[map[a:1 b:<nil>]]"},
		{"from_json wrong type", `SELECT from_json('{"a": "x", "b": [1, "y"]}', 'struct<a: int, b: array<int>>')`, "[map[a:<nil> b:[1 <nil>]]]"},
		{"from_json not json", `SELECT from_json('not json', 'array<int>') IS NULL`, "[true]"},
		{"from_json map", `SELECT from_json('{"k": 2}', 'map<string, bigint>')['k']`, "[2]"},
		{"from_json of a varchar column", "SELECT count(from_json(details, 'struct<flow_progress: struct<status: string>>')) FROM events", "[6]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, err := dialect.ParseWith(tc.sql, pipelineSQLOptions)
			if err != nil {
				t.Fatal(err)
			}
			q := st.(*dialect.Query)
			if got := fmt.Sprint(queryRows(t, db, q.SQL)); got != tc.want {
				t.Errorf("%s\nran as\n%s\ngot  %s\nwant %s", tc.sql, q.SQL, got, tc.want)
			}
		})
	}

	d, err := dialect.ParseDataset(`CREATE OR REFRESH STREAMING TABLE silver AS
SELECT r.*, CASE WHEN r.temperature >= t.critical THEN 'CRITICAL' WHEN r.temperature >= t.warning THEN 'WARNING' ELSE 'NORMAL' END AS status
FROM STREAM(LIVE.bronze) r JOIN LIVE.thresholds t ON r.machine_type = t.machine_type ORDER BY r.temperature`, pipelineSQLOptions)
	if err != nil {
		t.Fatal(err)
	}
	text, err := d.TranslateQuery(pipelineSQLOptions, func(ref dialect.DatasetRef) (string, error) {
		switch ref.Name.String() {
		case "bronze":
			return "(SELECT * FROM readings WHERE temperature > 70)", nil
		case "thresholds":
			return "(SELECT * FROM (VALUES ('press', 80.0, 95.0)) AS v(machine_type, warning, critical))", nil
		}
		return "", fmt.Errorf("no dataset %s", ref.Name)
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"press 85 WARNING", "press 99 CRITICAL"}
	if got := queryRows(t, db, text); !reflect.DeepEqual(got, want) {
		t.Errorf("dataset query ran as\n%s\ngot  %q\nwant %q", text, got, want)
	}
}
