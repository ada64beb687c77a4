package engine_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/zbemu/zbemu/engine"
)

func insertJSON(e *engine.Engine, table string, recs ...string) error {
	var b [][]byte
	for _, r := range recs {
		b = append(b, []byte(r))
	}
	return e.Insert(context.Background(), admin, table, b)
}

func TestCheckConstraintOnIngest(t *testing.T) {
	e := openEngine(t, "memory", "")
	exec(t, e, "CREATE TABLE main.default.r (device_id STRING NOT NULL, temp DOUBLE, loc STRUCT<lat: DOUBLE>)")
	if err := insertJSON(e, "main.default.r", `{"device_id":"d1","temp":20.5}`, `{"device_id":"d2"}`); err != nil {
		t.Fatal(err)
	}
	// An open stream keeps its schema, but not its freedom from constraints.
	old := openJSON(t, e, "main.default.r")
	exec(t, e, "ALTER TABLE main.default.r ADD CONSTRAINT temp_range CHECK (temp IS NULL OR temp BETWEEN -50 AND 150)")
	exec(t, e, "ALTER TABLE main.default.r ADD CONSTRAINT `Lat` CHECK (loc.lat IS NULL OR abs(loc.lat) <= 90)")
	if got := rows(t, e, "SELECT count(*) FROM main.default.r"); got != "2" {
		t.Fatalf("rows = %s", got)
	}
	err := insertJSON(e, "main.default.r", `{"device_id":"d3","temp":1}`, `{"device_id":"d4","temp":151.5}`)
	want := "record 1: [DELTA_VIOLATE_CONSTRAINT_WITH_VALUES] CHECK constraint temp_range (temp IS NULL OR temp BETWEEN -50 AND 150) violated by row with values:\n - temp : 151.5. No record of this request was written: 1 of its 2 records fail. Fix them and send the request again"
	if !errors.Is(err, engine.ErrInvalidRecord) || err.Error() != want {
		t.Fatalf("violating REST request: %v\nwant %s", err, want)
	}
	if err := insertJSON(e, "main.default.r", `{"device_id":"d5","loc":{"lat":91}}`); err == nil || !strings.Contains(err.Error(), "CHECK constraint lat (loc.lat IS NULL") {
		t.Fatalf("struct field: %v", err)
	}
	if err := old.Submit(0, [][]byte{[]byte(`{"device_id":"d6","temp":-51}`)}); err == nil || !strings.Contains(err.Error(), "temp_range") {
		t.Fatalf("stream opened before the constraint: %v", err)
	}
	if got := rows(t, e, "SELECT count(*) FROM main.default.r"); got != "2" {
		t.Fatalf("a refused request wrote rows: %s", got)
	}
	d := rows(t, e, "DESCRIBE TABLE EXTENDED main.default.r")
	if !strings.Contains(d, "delta.constraints.temp_range=temp IS NULL OR temp BETWEEN -50 AND 150") || !strings.Contains(d, "delta.constraints.lat=") {
		t.Fatalf("DESCRIBE EXTENDED does not show the constraints:\n%s", d)
	}
	if h := history(t, e, "main.default.r"); h[0] != "2 ADD CONSTRAINT" {
		t.Fatalf("history %v", h)
	}
	exec(t, e, "ALTER TABLE main.default.r DROP CONSTRAINT temp_range")
	if err := insertJSON(e, "main.default.r", `{"device_id":"d7","temp":500}`); err != nil {
		t.Fatalf("after DROP CONSTRAINT: %v", err)
	}
}

func TestAddConstraintChecksRows(t *testing.T) {
	e := openEngine(t, "memory", "")
	exec(t, e, "CREATE TABLE main.default.r (id INT, temp DOUBLE)")
	if err := insertJSON(e, "main.default.r", `{"id":1,"temp":20}`, `{"id":2,"temp":200}`, `{"id":3}`); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ sql, want string }{
		{"ALTER TABLE main.default.r ADD CONSTRAINT c CHECK (temp < 100)", "[DELTA_NEW_CHECK_CONSTRAINT_VIOLATION] 2 rows in main.default.r violate the new CHECK constraint (temp < 100)"},
		{"ALTER TABLE main.default.r ADD CONSTRAINT c CHECK (nope > 1)", "column nope does not exist"},
		{"ALTER TABLE main.default.r ADD CONSTRAINT c CHECK (id > 'a')", "compares a number"},
		{"ALTER TABLE main.default.r ADD CONSTRAINT c CHECK (current_date() > DATE '2020-01-01')", "not deterministic"},
		{"ALTER TABLE main.default.r ADD CONSTRAINT c CHECK (read_parquet('x') IS NULL)", "unsupported function: read_parquet"},
		{"ALTER TABLE main.default.r SET TBLPROPERTIES ('delta.constraints.c' = 'true')", "is a CHECK constraint"},
		{"ALTER TABLE main.default.r DROP CONSTRAINT nope", "DELTA_CONSTRAINT_DOES_NOT_EXIST"},
	} {
		if err := execErr(e, tc.sql); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.sql, err, tc.want)
		}
	}
	// The failed ADD left nothing behind: the rows it refused still ingest.
	if err := insertJSON(e, "main.default.r", `{"id":4,"temp":300}`); err != nil {
		t.Fatal(err)
	}
	exec(t, e, "ALTER TABLE main.default.r DROP CONSTRAINT IF EXISTS nope")
	exec(t, e, "ALTER TABLE main.default.r ADD CONSTRAINT c CHECK (id > 0)")
	if err := execErr(e, "ALTER TABLE main.default.r ADD CONSTRAINT C CHECK (id > 1)"); err == nil || !strings.Contains(err.Error(), "DELTA_CONSTRAINT_ALREADY_EXISTS") {
		t.Fatalf("duplicate: %v", err)
	}
}

func TestCheckConstraintOnDML(t *testing.T) {
	e := openEngine(t, "memory", "")
	exec(t, e, "CREATE TABLE main.default.r (id INT, status STRING, CONSTRAINT status_ok CHECK (status IN ('ok', 'warn')))")
	exec(t, e, "INSERT INTO main.default.r VALUES (1, 'ok'), (2, 'warn')")
	for _, sql := range []string{
		"INSERT INTO main.default.r VALUES (3, 'ok'), (4, 'bad')",
		"INSERT INTO main.default.r (id) VALUES (5)", // NULL fails, as in Delta
		"UPDATE main.default.r SET status = 'gone' WHERE id = 2",
		"USE main.default; INSERT INTO TABLE r SELECT 6, 'nope'",
	} {
		err := execErr(e, sql)
		if err == nil || !strings.Contains(err.Error(), "[DELTA_VIOLATE_CONSTRAINT_WITH_VALUES] CHECK constraint status_ok (status IN ('ok', 'warn')) violated by row with values:\n - status : ") ||
			engine.SQLState(err) != "23001" {
			t.Errorf("%s: %v (SQLSTATE %s)", sql, err, engine.SQLState(err))
		}
	}
	if got := rows(t, e, "SELECT id, status FROM main.default.r ORDER BY id"); got != "1|ok\n2|warn" {
		t.Fatalf("rows after refused DML:\n%s", got)
	}
	exec(t, e, "UPDATE main.default.r SET status = 'warn' WHERE id = 1")
	exec(t, e, "DELETE FROM main.default.r WHERE id = 2")
	if got := rows(t, e, "SELECT id, status FROM main.default.r ORDER BY id"); got != "1|warn" {
		t.Fatalf("rows:\n%s", got)
	}
}

func TestColumnDefaults(t *testing.T) {
	e := openEngine(t, "memory", "")
	if err := execErr(e, "CREATE TABLE main.default.r (id INT, is_fault BOOLEAN DEFAULT false)"); err == nil || !strings.Contains(err.Error(), "WRONG_COLUMN_DEFAULTS_FOR_DELTA_FEATURE_NOT_ENABLED") {
		t.Fatalf("without the feature: %v", err)
	}
	exec(t, e, "CREATE TABLE main.default.r (id INT, is_fault BOOLEAN DEFAULT false, level STRING) TBLPROPERTIES ('delta.feature.allowColumnDefaults' = 'supported')")
	if err := insertJSON(e, "main.default.r", `{"id":1}`, `{"id":2,"is_fault":true}`, `{"id":3,"is_fault":null}`); err != nil {
		t.Fatal(err)
	}
	exec(t, e, "INSERT INTO main.default.r (id) VALUES (4)")
	if err := execErr(e, "ALTER TABLE main.default.r ADD COLUMN x INT DEFAULT 1"); err == nil || !strings.Contains(err.Error(), "ADD_COLUMN_NOT_SUPPORTED") {
		t.Fatalf("ADD COLUMN DEFAULT: %v", err)
	}
	if err := execErr(e, "ALTER TABLE main.default.r ALTER COLUMN level SET DEFAULT 42"); err == nil || !strings.Contains(err.Error(), "does not fit a STRING column") {
		t.Fatalf("mistyped default: %v", err)
	}
	exec(t, e, "ALTER TABLE main.default.r ALTER COLUMN level SET DEFAULT 'info'")
	exec(t, e, "ALTER TABLE main.default.r ALTER COLUMN is_fault DROP DEFAULT")
	if err := insertJSON(e, "main.default.r", `{"id":5}`); err != nil {
		t.Fatal(err)
	}
	exec(t, e, "INSERT INTO main.default.r (id) VALUES (6)")
	want := "1|false|NULL\n2|true|NULL\n3|NULL|NULL\n4|false|NULL\n5|NULL|info\n6|NULL|info"
	if got := rows(t, e, "SELECT id, is_fault, level FROM main.default.r ORDER BY id"); got != want {
		t.Fatalf("rows:\n%s\nwant\n%s", got, want)
	}
}

func TestDropAndRenameColumn(t *testing.T) {
	ctx := context.Background()
	e := openEngine(t, "memory", "")
	exec(t, e, "CREATE TABLE main.default.r (id INT, temp DOUBLE, note STRING, CONSTRAINT t CHECK (temp < 100)) PARTITIONED BY (id)")
	for _, tc := range []struct{ sql, want string }{
		{"ALTER TABLE main.default.r DROP COLUMN note", "[DELTA_UNSUPPORTED_DROP_COLUMN] DROP COLUMN is not supported for your Delta table"},
		{"ALTER TABLE main.default.r RENAME COLUMN note TO n", "[DELTA_UNSUPPORTED_RENAME_COLUMN] Column rename is not supported"},
	} {
		if err := execErr(e, tc.sql); err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "'delta.columnMapping.mode' = 'name'") {
			t.Errorf("%s: %v", tc.sql, err)
		}
	}
	exec(t, e, "ALTER TABLE main.default.r SET TBLPROPERTIES ('delta.columnMapping.mode' = 'name', 'delta.minReaderVersion' = '2', 'delta.minWriterVersion' = '5')")
	if err := insertJSON(e, "main.default.r", `{"id":1,"temp":5,"note":"x"}`); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ sql, want string }{
		{"ALTER TABLE main.default.r DROP COLUMN temp", "DELTA_CONSTRAINT_DEPENDENT_COLUMN_CHANGE] Cannot drop column temp because this column is referenced by the following check constraint(s):\nt (temp < 100)"},
		{"ALTER TABLE main.default.r RENAME COLUMN temp TO x", "Cannot rename column temp"},
		{"ALTER TABLE main.default.r DROP COLUMN id", "cannot drop partition column id"},
		{"ALTER TABLE main.default.r DROP COLUMN nope", "column \"nope\" does not exist"},
		{"ALTER TABLE main.default.r RENAME COLUMN note TO id", "already has a column id"},
	} {
		if err := execErr(e, tc.sql); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.sql, err, tc.want)
		}
	}
	exec(t, e, "ALTER TABLE main.default.r RENAME COLUMN note TO remark")
	exec(t, e, "ALTER TABLE main.default.r RENAME COLUMN id TO device")
	if err := insertJSON(e, "main.default.r", `{"device":2,"temp":6,"note":"old name"}`); err == nil || !strings.Contains(err.Error(), "note") {
		t.Fatalf("old field name after RENAME: %v", err)
	}
	if err := insertJSON(e, "main.default.r", `{"device":2,"temp":6,"remark":"y"}`); err != nil {
		t.Fatal(err)
	}
	exec(t, e, "ALTER TABLE main.default.r DROP COLUMNS IF EXISTS (remark, nope)")
	if err := insertJSON(e, "main.default.r", `{"device":3,"temp":7}`); err != nil {
		t.Fatal(err)
	}
	if got := rows(t, e, "SELECT * FROM main.default.r ORDER BY device"); got != "1|5.0\n2|6.0\n3|7.0" {
		t.Fatalf("rows:\n%s", got)
	}
	ts, err := e.TableSchema(ctx, "main.default.r")
	if err != nil {
		t.Fatal(err)
	}
	if len(ts.Columns) != 2 || ts.Columns[0].Name != "device" || ts.Columns[1].Name != "temp" {
		t.Fatalf("published schema: %+v", ts.Columns)
	}
	if d := rows(t, e, "DESCRIBE TABLE main.default.r"); !strings.Contains(d, "# Partition Information") || !strings.Contains(d, "device|int") {
		t.Fatalf("DESCRIBE:\n%s", d)
	}
	if h := history(t, e, "main.default.r"); h[0] != "4 DROP COLUMNS" || h[1] != "3 RENAME COLUMN" {
		t.Fatalf("history %v", h)
	}
}

func TestNotNullColumnDefault(t *testing.T) {
	e := openEngine(t, "memory", "")
	if err := execErr(e, "CREATE TABLE main.default.r (id INT, code STRING NOT NULL DEFAULT NULL) TBLPROPERTIES ('delta.feature.allowColumnDefaults' = 'enabled')"); err == nil || !strings.Contains(err.Error(), "cannot be NULL") {
		t.Fatalf("NOT NULL DEFAULT NULL: %v", err)
	}
	exec(t, e, "CREATE TABLE main.default.r (id INT, code STRING NOT NULL DEFAULT 'none') TBLPROPERTIES ('delta.feature.allowColumnDefaults' = 'enabled')")
	if err := insertJSON(e, "main.default.r", `{"id":1}`, `{"id":2,"code":"c"}`); err != nil {
		t.Fatalf("omitting a NOT NULL column with a DEFAULT: %v", err)
	}
	if err := insertJSON(e, "main.default.r", `{"id":3,"code":null}`); !errors.Is(err, engine.ErrInvalidRecord) || !strings.Contains(err.Error(), "code") || !strings.Contains(err.Error(), "null") {
		t.Fatalf("explicit null: %v", err)
	}
	if err := execErr(e, "ALTER TABLE main.default.r ALTER COLUMN code SET DEFAULT NULL"); err == nil || !strings.Contains(err.Error(), "cannot be NULL") {
		t.Fatalf("SET DEFAULT NULL: %v", err)
	}
	exec(t, e, "INSERT INTO main.default.r (id) VALUES (4)")
	if got := rows(t, e, "SELECT id, code FROM main.default.r ORDER BY id"); got != "1|none\n2|c\n4|none" {
		t.Fatalf("rows:\n%s", got)
	}
}
