package dialect_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/zbemu/zbemu/engine/dialect"
)

// pipelineCases are the statements of pipeline source files; their ASTs
// and TranslateQuery results are in testdata/pipeline.golden.
var pipelineCases = []struct {
	name string
	sql  string
}{
	{"streaming table with expectations", `CREATE OR REFRESH STREAMING TABLE bronze_readings (
  CONSTRAINT valid_id EXPECT (machine_id IS NOT NULL) ON VIOLATION DROP ROW,
  CONSTRAINT valid_temp EXPECT (temperature BETWEEN -50 AND 200) ON VIOLATION DROP ROW,
  CONSTRAINT recent EXPECT (ts > TIMESTAMP '2020-01-01'),
  CONSTRAINT ` + "`has type`" + ` EXPECT (size(tags) > 0 AND kind RLIKE '^m') ON VIOLATION FAIL UPDATE
)
COMMENT "raw readings"
TBLPROPERTIES ('quality' = 'bronze')
PARTITIONED BY (machine_id)
AS SELECT *, current_timestamp() AS ingested_at FROM STREAM(main.lab.raw_events);`},
	{"streaming table with columns", "CREATE OR REFRESH STREAMING TABLE s (id BIGINT NOT NULL COMMENT 'id', v DOUBLE, CONSTRAINT pos EXPECT (v > 0)) CLUSTER BY (id) AS SELECT id, v FROM STREAM raw"},
	{"materialized view", `CREATE OR REFRESH MATERIALIZED VIEW gold_machine_health
COMMENT 'health per machine over the last 5 minutes'
AS SELECT machine_id, avg(temperature) AS avg_temp, count(*) AS readings
FROM silver_readings
WHERE ts > current_timestamp() - INTERVAL 5 MINUTES
GROUP BY machine_id`},
	{"create streaming table without or refresh", "CREATE STREAMING TABLE st AS SELECT * FROM STREAM(main.lab.t)"},
	{"create materialized view", "CREATE MATERIALIZED VIEW mv AS SELECT count(*) AS n FROM main.lab.t"},
	{"private materialized view", "CREATE OR REFRESH PRIVATE MATERIALIZED VIEW mv AS SELECT 1 AS x"},
	{"legacy live table from values", `CREATE OR REFRESH LIVE TABLE thresholds
AS SELECT * FROM VALUES ('press', 80.0, 95.0), ('lathe', 70.0, 90.0) AS t(machine_type, warning_temp, critical_temp)`},
	{"legacy live table over a stream", "CREATE OR REFRESH LIVE TABLE silver AS SELECT * FROM STREAM(LIVE.bronze)"},
	{"legacy temporary live table", "CREATE OR REFRESH TEMPORARY LIVE TABLE tmp AS SELECT * FROM LIVE.silver"},
	{"legacy streaming live table", "CREATE OR REFRESH STREAMING LIVE TABLE bronze AS SELECT * FROM STREAM(main.lab.raw_events)"},
	{"legacy live view", "CREATE LIVE VIEW v AS SELECT * FROM LIVE.bronze WHERE ok"},
	{"legacy temporary live view with expectation", "CREATE TEMPORARY LIVE VIEW v (CONSTRAINT ok EXPECT (a > 0) ON VIOLATION DROP ROW) AS SELECT a FROM STREAM LIVE.bronze"},
	{"stream-static join", `CREATE OR REFRESH STREAMING TABLE silver_readings AS
SELECT r.*, CASE WHEN r.temperature >= t.critical_temp THEN 'CRITICAL'
  WHEN r.temperature >= t.warning_temp THEN 'WARNING' ELSE 'NORMAL' END AS status
FROM STREAM(LIVE.bronze_readings) r
JOIN LIVE.thresholds t ON r.machine_type = t.machine_type`},
	{"stream without alias and qualified columns", "CREATE OR REFRESH STREAMING TABLE gold AS SELECT silver.id FROM STREAM(silver) WHERE silver.status <> 'NORMAL'"},
	{"ctes subqueries and comma joins", `CREATE OR REFRESH MATERIALIZED VIEW m AS
WITH recent AS (SELECT * FROM LIVE.a WHERE extract(DAY FROM ts) = 1), other (x) AS (SELECT 1)
SELECT * FROM recent, ` + "`main`.lab.`b`" + ` AS bb
LEFT JOIN (SELECT id FROM c UNION ALL SELECT id FROM d) s ON s.id = bb.id
WHERE bb.id IN (SELECT id FROM e) AND EXISTS (SELECT 1 FROM other)`},
	{"lateral view and table functions", "CREATE OR REFRESH MATERIALIZED VIEW m AS SELECT e FROM t LATERAL VIEW explode(arr) x AS e, f JOIN range(3) r ON true"},
	{"table named stream", "CREATE MATERIALIZED VIEW m AS SELECT * FROM stream WHERE 1 = 1"},
	{"temporary view in a pipeline", "CREATE TEMPORARY VIEW recent AS SELECT * FROM STREAM(main.lab.raw) WHERE ok"},
	{"or replace temp view in a pipeline", "CREATE OR REPLACE TEMP VIEW v AS SELECT * FROM silver"},
	{"view in a pipeline", "CREATE VIEW published AS SELECT * FROM gold"},
}

// resolveForTest replaces a streaming read by a subquery and any other
// reference by a marked table name, so the golden file shows each.
func resolveForTest(r dialect.DatasetRef) (string, error) {
	name := strings.Join(r.Name.Parts, "_")
	if r.Stream {
		return "(SELECT * FROM new_rows_" + name + ")", nil
	}
	if r.Live {
		return "pipeline." + name, nil
	}
	return "catalog." + name, nil
}

func TestParseDataset(t *testing.T) {
	var golden strings.Builder
	opts := dialect.TranslateOptions{CatalogAlias: alias}
	for _, tc := range pipelineCases {
		t.Run(tc.name, func(t *testing.T) {
			d, err := dialect.ParseDataset(tc.sql, opts)
			if err != nil {
				t.Fatalf("ParseDataset(%q): %v", tc.sql, err)
			}
			// Outside a pipeline, Parse reads the same dataset statements
			// (plain views are the catalog's).
			if st, err := dialect.ParseWith(tc.sql, opts); err == nil && d.Kind != dialect.DatasetView && !reflect.DeepEqual(st, d) {
				t.Errorf("ParseWith(%q) = %s, want what ParseDataset returns", tc.sql, render(reflect.ValueOf(st)))
			}
			sql, err := d.TranslateQuery(opts, resolveForTest)
			if err != nil {
				t.Fatalf("TranslateQuery(%q): %v", tc.sql, err)
			}
			fmt.Fprintf(&golden, "-- %s\n%s\n=> %s\n=> %s\n\n", tc.name, tc.sql, render(reflect.ValueOf(d)), sql)
		})
	}
	checkGolden(t, "pipeline.golden", golden.String())
}

func TestParseDatasetErrors(t *testing.T) {
	tests := []struct {
		name string
		sql  string
		is   error
		want string
	}{
		{"duplicate expectation", "CREATE OR REFRESH STREAMING TABLE s (CONSTRAINT a EXPECT (x > 0), CONSTRAINT A EXPECT (y > 0)) AS SELECT * FROM STREAM(t)", dialect.ErrSyntax,
			"syntax error at line 1, column 78: duplicate expectation A in dataset s (expectation names must be unique within a dataset)"},
		{"unknown violation action", "CREATE OR REFRESH STREAMING TABLE s (CONSTRAINT a EXPECT (x > 0) ON VIOLATION WARN) AS SELECT * FROM STREAM(t)", dialect.ErrSyntax,
			`syntax error at line 1, column 79: expected DROP ROW or FAIL UPDATE after ON VIOLATION, found "WARN" (leave out ON VIOLATION to keep violating rows and count them)`},
		{"drop without row", "CREATE OR REFRESH STREAMING TABLE s (CONSTRAINT a EXPECT (x > 0) ON VIOLATION DROP) AS SELECT * FROM STREAM(t)", dialect.ErrSyntax,
			`syntax error at line 1, column 79: expected DROP ROW or FAIL UPDATE after ON VIOLATION, found "DROP" (leave out ON VIOLATION to keep violating rows and count them)`},
		{"expect without parentheses", "CREATE OR REFRESH STREAMING TABLE s (CONSTRAINT a EXPECT x > 0) AS SELECT * FROM STREAM(t)", dialect.ErrSyntax,
			`syntax error at line 1, column 58: expected "(" before the condition of expectation a, found "x"`},
		{"empty expectation", "CREATE OR REFRESH STREAMING TABLE s (CONSTRAINT a EXPECT ()) AS SELECT 1", dialect.ErrSyntax,
			`syntax error at line 1, column 59: expected a condition in EXPECT (...) of expectation a`},
		{"check constraint", "CREATE OR REFRESH STREAMING TABLE s (CONSTRAINT a CHECK (x > 0)) AS SELECT 1", dialect.ErrUnsupported,
			"unsupported clause: table constraint CHECK (zbemu does not implement it; pipelines check rows with CONSTRAINT name EXPECT (condition))"},
		{"primary key", "CREATE OR REFRESH MATERIALIZED VIEW m (id INT, CONSTRAINT pk PRIMARY KEY (id)) AS SELECT 1 AS id", dialect.ErrUnsupported,
			"unsupported clause: table constraint PRIMARY KEY (zbemu does not implement it; pipelines check rows with CONSTRAINT name EXPECT (condition))"},
		{"streaming table without query", "CREATE OR REFRESH STREAMING TABLE target", dialect.ErrUnsupported,
			"unsupported statement: pipeline dataset without AS query (zbemu does not implement it; zbemu pipelines define each dataset by its query (AS SELECT ...); APPLY CHANGES INTO / AUTO CDC and CREATE FLOW are not implemented)"},
		{"apply changes", "APPLY CHANGES INTO target FROM STREAM(src) KEYS (id) SEQUENCE BY ts", dialect.ErrUnsupported,
			"unsupported statement: APPLY CHANGES INTO (zbemu does not implement it; define the dataset by its query: CREATE OR REFRESH STREAMING TABLE name AS SELECT ... FROM STREAM(source))"},
		{"auto cdc flow", "CREATE FLOW f AS AUTO CDC INTO target FROM STREAM(src) KEYS (id) SEQUENCE BY ts", dialect.ErrUnsupported,
			"unsupported statement: CREATE FLOW (zbemu does not implement it; define the dataset by its query: CREATE OR REFRESH STREAMING TABLE name AS SELECT ... FROM STREAM(source))"},
		{"or refresh table", "CREATE OR REFRESH TABLE t AS SELECT 1", dialect.ErrSyntax,
			`syntax error at line 1, column 19: expected STREAMING TABLE, MATERIALIZED VIEW, LIVE TABLE or LIVE VIEW after CREATE OR REFRESH, found "TABLE"`},
		{"stream of read_files", "CREATE OR REFRESH STREAMING TABLE s AS SELECT * FROM STREAM read_files('/data', format => 'json')", dialect.ErrUnsupported,
			"unsupported function: read_files in a pipeline (zbemu does not implement it; zbemu pipelines read tables; read the Zerobus table with STREAM(catalog.schema.table))"},
		{"stream of cloud_files", "CREATE OR REFRESH STREAMING TABLE s AS SELECT * FROM STREAM(cloud_files('/data', 'json'))", dialect.ErrUnsupported,
			"unsupported function: cloud_files in a pipeline (zbemu does not implement it; zbemu pipelines read tables; read the Zerobus table with STREAM(catalog.schema.table))"},
		{"stream of a function", "CREATE OR REFRESH STREAMING TABLE s AS SELECT * FROM STREAM(range(10))", dialect.ErrUnsupported,
			"unsupported syntax: STREAM over a table-valued function (range) (zbemu does not implement it; zbemu pipelines read tables: STREAM(catalog.schema.table) or STREAM(dataset))"},
		{"stream of a subquery", "CREATE OR REFRESH STREAMING TABLE s AS SELECT * FROM STREAM(SELECT 1)", dialect.ErrSyntax,
			`syntax error at line 1, column 61: expected a table name after STREAM (STREAM(name) or STREAM name), found "SELECT"`},
		{"too many parts", "CREATE OR REFRESH STREAMING TABLE s AS SELECT * FROM STREAM(a.b.c.d)", dialect.ErrSyntax,
			`syntax error at line 1, column 61: table name a.b.c.d has 4 parts (at most 3 allowed)`},
		{"unsupported clause", "CREATE OR REFRESH MATERIALIZED VIEW m SCHEDULE EVERY 1 HOUR AS SELECT 1", dialect.ErrUnsupported, unsup("clause", "SCHEDULE")},
		{"python source", "import dlt", dialect.ErrUnsupported,
			"unsupported statement: Python pipeline source (zbemu does not implement it; zbemu runs pipelines written in SQL)"},
		{"query in a pipeline", "SELECT * FROM t", dialect.ErrUnsupported,
			"unsupported statement: SELECT in a pipeline source (zbemu does not implement it; a pipeline source defines datasets: CREATE OR REFRESH STREAMING TABLE, CREATE OR REFRESH MATERIALIZED VIEW or CREATE TEMPORARY VIEW ... AS query)"},
		{"expected as", "CREATE OR REFRESH MATERIALIZED VIEW m SELECT 1", dialect.ErrSyntax,
			`syntax error at line 1, column 39: expected COMMENT, TBLPROPERTIES, PARTITIONED BY, CLUSTER BY or AS query, found "SELECT"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := dialect.ParseDataset(tc.sql, dialect.TranslateOptions{})
			if err == nil || err.Error() != tc.want || !errors.Is(err, tc.is) {
				t.Errorf("ParseDataset(%q) error = %v, want %q wrapping %v", tc.sql, err, tc.want, tc.is)
			}
		})
	}
}

func TestTranslateQueryResolveError(t *testing.T) {
	d, err := dialect.ParseDataset("CREATE OR REFRESH STREAMING TABLE s AS SELECT * FROM STREAM(a) JOIN b USING (id)", dialect.TranslateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := errors.New("no dataset b")
	var asked []string
	_, err = d.TranslateQuery(dialect.TranslateOptions{}, func(r dialect.DatasetRef) (string, error) {
		asked = append(asked, r.Name.String())
		if r.Name.String() == "b" {
			return "", want
		}
		return "a", nil
	})
	if err != want || !reflect.DeepEqual(asked, []string{"a", "b"}) {
		t.Errorf("TranslateQuery error = %v after resolving %q, want %v after a, b", err, asked, want)
	}
}

// TestParsePipelineFile reads a whole pipeline source the way a pipeline
// loader does: Split, leave SET lines to the pipeline's configuration,
// ParseDataset the rest.
func TestParsePipelineFile(t *testing.T) {
	text, err := os.ReadFile(filepath.Join("testdata", "iot_pipeline.sql"))
	if err != nil {
		t.Fatal(err)
	}
	stmts, err := dialect.Split(string(text))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range stmts {
		if strings.HasPrefix(strings.ToUpper(strings.TrimSpace(s)), "SET ") {
			got = append(got, "SET")
			continue
		}
		d, err := dialect.ParseDataset(s, dialect.TranslateOptions{CatalogAlias: alias})
		if err != nil {
			t.Fatalf("ParseDataset(%q): %v", s, err)
		}
		refs := make([]string, len(d.Refs))
		for i, r := range d.Refs {
			refs[i] = r.Name.String()
			if r.Stream {
				refs[i] = "STREAM " + refs[i]
			}
		}
		got = append(got, fmt.Sprintf("%s %s %d %v", d.Kind, d.Name, len(d.Expectations), refs))
	}
	want := []string{
		"SET",
		"STREAMING_TABLE bronze_readings 4 [STREAM main.iot.sensor_readings]",
		"MATERIALIZED_VIEW thresholds 0 []",
		"STREAMING_TABLE silver_readings 0 [STREAM bronze_readings thresholds]",
		"STREAMING_TABLE gold_anomalies 0 [STREAM silver_readings]",
		"MATERIALIZED_VIEW gold_machine_health 0 [silver_readings]",
		"VIEW recent_critical 0 [silver_readings]",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("pipeline datasets\n got: %q\nwant: %q", got, want)
	}
}
