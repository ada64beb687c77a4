package engine_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/zbemu/zbemu/engine"
)

// rowsText renders a result's rows as "a|b" lines (NULL as NULL).
func rowsText(r *engine.Result) []string {
	var out []string
	for _, row := range r.Rows {
		cells := make([]string, len(row))
		for i, c := range row {
			cells[i] = "NULL"
			if c != nil {
				cells[i] = *c
			}
		}
		out = append(out, strings.Join(cells, "|"))
	}
	return out
}

func colsText(r *engine.Result) string {
	var cols []string
	for _, c := range r.Columns {
		cols = append(cols, c.Name+" "+c.TypeText)
	}
	return strings.Join(cols, ", ")
}

func TestMergeInto(t *testing.T) {
	e := openEngine(t, "memory", "")
	exec(t, e, "CREATE TABLE main.default.tgt (id INT, v STRING, n INT)")
	exec(t, e, "INSERT INTO main.default.tgt VALUES (1, 'a', 1), (2, 'b', 2), (3, 'c', 3)")
	// The source's columns are in another order: UPDATE SET * and INSERT *
	// take them by name, as Spark does.
	exec(t, e, "CREATE TABLE main.default.src (n INT, id INT, v STRING, gone BOOLEAN)")
	exec(t, e, "INSERT INTO main.default.src VALUES (10, 1, 'A', false), (20, 2, 'B', true), (40, 4, 'D', false)")
	tests := []struct {
		name     string
		sql      string
		want     string // num_affected_rows|num_updated_rows|num_deleted_rows|num_inserted_rows
		wantRows []string
	}{
		{"star forms by name", `MERGE INTO main.default.tgt t USING (SELECT n, id, v FROM main.default.src) s ON t.id = s.id
			WHEN MATCHED THEN UPDATE SET * WHEN NOT MATCHED THEN INSERT *`, "3|2|0|1",
			[]string{"1|A|10", "2|B|20", "3|c|3", "4|D|40"}},
		{"conditions, delete, by source", `MERGE INTO tgt AS t USING src AS s ON t.id = s.id
			WHEN MATCHED AND s.gone THEN DELETE
			WHEN MATCHED THEN UPDATE SET n = t.n + 1
			WHEN NOT MATCHED BY SOURCE THEN UPDATE SET v = 'orphan'`, "4|3|1|0",
			[]string{"1|A|11", "3|orphan|3", "4|D|41"}},
		{"explicit insert", `MERGE INTO tgt USING (SELECT 5 AS id, 'e' AS v) s ON tgt.id = s.id
			WHEN NOT MATCHED THEN INSERT (id, v, n) VALUES (s.id, s.v, 0)`, "1|0|0|1",
			[]string{"1|A|11", "3|orphan|3", "4|D|41", "5|e|0"}},
		{"nothing matches", `MERGE INTO tgt USING (SELECT 1 AS id WHERE false) s ON tgt.id = s.id WHEN MATCHED THEN DELETE`, "0|0|0|0",
			[]string{"1|A|11", "3|orphan|3", "4|D|41", "5|e|0"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := exec(t, e, tc.sql)
			if got := colsText(r); got != "num_affected_rows BIGINT, num_updated_rows BIGINT, num_deleted_rows BIGINT, num_inserted_rows BIGINT" {
				t.Errorf("columns %s", got)
			}
			if got := rowsText(r); len(got) != 1 || got[0] != tc.want {
				t.Errorf("counts %q, want %s", got, tc.want)
			}
			if got := rowsText(exec(t, e, "SELECT * FROM main.default.tgt ORDER BY id")); strings.Join(got, ",") != strings.Join(tc.wantRows, ",") {
				t.Errorf("rows %q, want %q", got, tc.wantRows)
			}
		})
	}
}

func TestCreateTableAsSelect(t *testing.T) {
	e := openEngine(t, "disk", t.TempDir())
	exec(t, e, "CREATE TABLE main.default.ev (device STRING NOT NULL, temp DOUBLE, ts TIMESTAMP, day DATE)")
	exec(t, e, "INSERT INTO main.default.ev VALUES ('d1', 20.5, TIMESTAMP '2024-11-24 10:00:00', DATE '2024-11-24'), ('d1', 22.5, NULL, NULL), ('d2', NULL, NULL, NULL)")
	r := exec(t, e, `CREATE TABLE main.default.agg COMMENT 'per device' TBLPROPERTIES ('team' = 'iot') PARTITIONED BY (device)
		AS SELECT device, count(*) AS n, sum(temp) AS total, max(ts) AS last_ts, min(day) AS first_day, [1, 2] AS arr,
		{'a': 1} AS st, 1.5::DECIMAL(10,2) AS dec FROM ev GROUP BY device`)
	if got := rowsText(r); colsText(r) != "num_affected_rows BIGINT, num_inserted_rows BIGINT" || strings.Join(got, ",") != "2|2" {
		t.Errorf("CTAS result %s %q", colsText(r), got)
	}
	desc := rowsText(exec(t, e, "DESCRIBE TABLE main.default.agg"))
	want := []string{"device|string|NULL", "n|bigint|NULL", "total|double|NULL", "last_ts|timestamp|NULL", "first_day|date|NULL",
		"arr|array<int>|NULL", "st|struct<a:int>|NULL", "dec|decimal(10,2)|NULL"}
	if strings.Join(desc[:len(want)], ",") != strings.Join(want, ",") {
		t.Errorf("DESCRIBE:\n got %q\nwant %q", desc, want)
	}
	if got := rowsText(exec(t, e, "SELECT device, n, total FROM main.default.agg ORDER BY device")); strings.Join(got, ",") != "d1|2|43.0,d2|1|NULL" {
		t.Errorf("rows %q", got)
	}
	h := rowsText(exec(t, e, "DESCRIBE HISTORY main.default.agg"))
	if len(h) != 1 || !strings.Contains(h[0], "|CREATE TABLE AS SELECT|") {
		t.Errorf("history %q", h)
	}
	// CREATE OR REPLACE reading the table it replaces; a column list names the columns.
	exec(t, e, "CREATE OR REPLACE TABLE main.default.agg (dev STRING COMMENT 'who', cnt BIGINT) AS SELECT device, n + 1 FROM main.default.agg")
	if got := rowsText(exec(t, e, "SELECT * FROM main.default.agg ORDER BY dev")); strings.Join(got, ",") != "d1|3,d2|2" {
		t.Errorf("replaced rows %q", got)
	}
	if got := rowsText(exec(t, e, "DESCRIBE HISTORY main.default.agg")); len(got) != 1 || !strings.Contains(got[0], "CREATE OR REPLACE TABLE AS SELECT") {
		t.Errorf("history after replace %q", got)
	}
	// IF NOT EXISTS leaves an existing table alone.
	exec(t, e, "CREATE TABLE IF NOT EXISTS main.default.agg AS SELECT 1 AS x")
	if n := count(t, e, "main.default.agg"); n != "2" {
		t.Errorf("IF NOT EXISTS changed the table: %s rows", n)
	}
	// The new table is a normal managed table: REST ingest reaches it.
	if err := e.Insert(context.Background(), admin, "main.default.agg", [][]byte{[]byte(`{"dev": "d9", "cnt": 1}`)}); err != nil {
		t.Fatal(err)
	}
	if n := count(t, e, "main.default.agg"); n != "3" {
		t.Errorf("after ingest %s rows, want 3", n)
	}
	errs := []struct {
		name string
		sql  string
		is   error
		want string
	}{
		{"exists", "CREATE TABLE main.default.agg AS SELECT 1 AS x", engine.ErrAlreadyExists, "already exists"},
		{"unnamed expression", "CREATE TABLE main.default.bad AS SELECT count(*) FROM ev", engine.ErrInvalidArgument, "AS"},
		{"column count", "CREATE TABLE main.default.bad (a INT) AS SELECT 1 AS a, 2 AS b", engine.ErrInvalidArgument, "names 1 columns but the query returns 2"},
		{"sealed", "CREATE TABLE main.default.bad AS SELECT * FROM read_csv('/etc/passwd')", engine.ErrPermissionDenied, "read_csv"},
		{"failing query", "CREATE TABLE main.default.bad AS SELECT CAST('x' AS INT) AS a", engine.ErrSQL, "cannot be cast"},
	}
	for _, tc := range errs {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.Execute(context.Background(), engine.StatementRequest{SQL: tc.sql, Identity: admin})
			if !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("%s: %v, want %v containing %q", tc.sql, err, tc.is, tc.want)
			}
		})
	}
	// A query that fails while the table is being filled leaves no table.
	if _, err := e.GetTable(context.Background(), "main.default.bad"); !errors.Is(err, engine.ErrTableNotFound) {
		t.Errorf("failed CTAS left a table: %v", err)
	}
}

func TestDescribeDetailAndShow(t *testing.T) {
	e := openEngine(t, "memory", "")
	exec(t, e, "CREATE TABLE main.default.r (device_id STRING NOT NULL COMMENT 'it\\'s \\\\ the id', temp DOUBLE, day DATE) "+
		"PARTITIONED BY (day) COMMENT 'raw' TBLPROPERTIES ('team' = 'iot', 'delta.enableTypeWidening' = 'true')")
	r := exec(t, e, "DESCRIBE DETAIL main.default.r")
	wantCols := "format STRING, id STRING, name STRING, description STRING, location STRING, createdAt TIMESTAMP, lastModified TIMESTAMP, " +
		"partitionColumns ARRAY<STRING>, clusteringColumns ARRAY<STRING>, numFiles BIGINT, sizeInBytes BIGINT, properties MAP<STRING, STRING>, " +
		"minReaderVersion INT, minWriterVersion INT, tableFeatures ARRAY<STRING>, statistics MAP<STRING, BIGINT>"
	if got := colsText(r); got != wantCols {
		t.Errorf("DESCRIBE DETAIL columns\n got %s\nwant %s", got, wantCols)
	}
	row := rowsText(r)[0]
	for _, want := range []string{"delta|", "|main.default.r|raw|zbemu://main.default.r|", `|["day"]|[]|0|0|{"delta.enableTypeWidening":"true","team":"iot"}|3|7|["appendOnly","invariants","typeWidening"]|`} {
		if !strings.Contains(row, want) {
			t.Errorf("DESCRIBE DETAIL row %s lacks %s", row, want)
		}
	}
	props := rowsText(exec(t, e, "SHOW TBLPROPERTIES main.default.r"))
	if got := strings.Join(props, ","); got != "delta.enableTypeWidening|true,delta.minReaderVersion|3,delta.minWriterVersion|7,team|iot" {
		t.Errorf("SHOW TBLPROPERTIES %s", got)
	}
	if got := rowsText(exec(t, e, "SHOW TBLPROPERTIES main.default.r (team)")); strings.Join(got, ",") != "team|iot" {
		t.Errorf("SHOW TBLPROPERTIES (team) %q", got)
	}
	if got := rowsText(exec(t, e, "SHOW TBLPROPERTIES main.default.r ('nope')")); strings.Join(got, ",") != "nope|Table main.default.r does not have property: nope" {
		t.Errorf("SHOW TBLPROPERTIES (nope) %q", got)
	}
	ddl := *exec(t, e, "SHOW CREATE TABLE main.default.r").Rows[0][0]
	want := "CREATE TABLE main.default.r (\n  device_id STRING NOT NULL COMMENT 'it\\'s \\\\ the id',\n  temp DOUBLE,\n  day DATE)\nUSING delta\n" +
		"PARTITIONED BY (day)\nCOMMENT 'raw'\nTBLPROPERTIES (\n  'delta.enableTypeWidening' = 'true',\n  'delta.minReaderVersion' = '3',\n" +
		"  'delta.minWriterVersion' = '7',\n  'team' = 'iot')\n"
	if ddl != want {
		t.Errorf("SHOW CREATE TABLE\n got %q\nwant %q", ddl, want)
	}
	// The printed DDL creates the same table (protocol properties aside).
	exec(t, e, strings.Replace(ddl, "main.default.r", "main.default.r2", 1))
	ddl2 := *exec(t, e, "SHOW CREATE TABLE main.default.r2").Rows[0][0]
	if strings.Replace(ddl2, "main.default.r2", "main.default.r", 1) != ddl {
		t.Errorf("SHOW CREATE TABLE does not round-trip:\n%s\n%s", ddl, ddl2)
	}
}
