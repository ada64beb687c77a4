package engine_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/zbemu/zbemu/engine"
)

func execErr(e *engine.Engine, sql string) error {
	_, err := e.Execute(context.Background(), engine.StatementRequest{SQL: sql, Identity: admin})
	return err
}

func rows(t *testing.T, e *engine.Engine, sql string) string {
	t.Helper()
	var out []string
	for _, r := range exec(t, e, sql).Rows {
		var cells []string
		for _, c := range r {
			if c == nil {
				cells = append(cells, "NULL")
			} else {
				cells = append(cells, *c)
			}
		}
		out = append(out, strings.Join(cells, "|"))
	}
	return strings.Join(out, "\n")
}

func history(t *testing.T, e *engine.Engine, table string) []string {
	t.Helper()
	var ops []string
	for _, r := range exec(t, e, "DESCRIBE HISTORY "+table).Rows {
		ops = append(ops, *r[0]+" "+*r[2])
	}
	return ops
}

func openJSON(t *testing.T, e *engine.Engine, table string) *engine.Stream {
	t.Helper()
	st, err := e.OpenStream(context.Background(), admin, engine.StreamSpec{Table: table, Format: engine.FormatJSON, Protocol: "GRPC"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	return st
}

func submit(t *testing.T, st *engine.Stream, off int64, recs ...string) {
	t.Helper()
	var b [][]byte
	for _, r := range recs {
		b = append(b, []byte(r))
	}
	if err := st.Submit(off, b); err != nil {
		t.Fatal(err)
	}
	if err := st.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestRescueColumnByTag(t *testing.T) {
	ctx := context.Background()
	e := openEngine(t, "memory", "")
	exec(t, e, "CREATE TABLE main.default.r (device_name STRING NOT NULL, temp INT, humidity BIGINT, rescue VARIANT)")
	rec := `{"device_name":"sensor-1","temp":"72F","humidity":87,"extra_field":"some value"}`
	if err := e.Insert(ctx, admin, "main.default.r", [][]byte{[]byte(rec)}); !errors.Is(err, engine.ErrInvalidRecord) {
		t.Fatalf("without the tag: %v", err)
	}
	exec(t, e, "ALTER TABLE main.default.r ALTER COLUMN rescue SET TAGS ('zerobus-rescue')")
	if err := e.Insert(ctx, admin, "main.default.r", [][]byte{[]byte(rec)}); err != nil {
		t.Fatal(err)
	}
	// The example of the Databricks documentation, row for row.
	if got := rows(t, e, "SELECT device_name, temp, humidity, rescue FROM main.default.r"); got != `sensor-1|NULL|87|{"extra_field":"some value","temp":"72F"}` {
		t.Errorf("row: %s", got)
	}
	// A NOT NULL column's mistyped value is still rejected.
	if err := e.Insert(ctx, admin, "main.default.r", [][]byte{[]byte(`{"device_name":5}`)}); !errors.Is(err, engine.ErrInvalidRecord) {
		t.Errorf("mistyped NOT NULL column: %v", err)
	}
	exec(t, e, "ALTER TABLE main.default.r ALTER COLUMN rescue UNSET TAGS ('zerobus-rescue')")
	if err := e.Insert(ctx, admin, "main.default.r", [][]byte{[]byte(rec)}); !errors.Is(err, engine.ErrInvalidRecord) {
		t.Errorf("after UNSET TAGS: %v", err)
	}
	if got := strings.Join(history(t, e, "main.default.r"), ", "); got != "2 UNSET COLUMN TAGS, 1 SET COLUMN TAGS, 0 CREATE TABLE" {
		t.Errorf("history: %s", got)
	}
	// A tag on a column that is not a nullable VARIANT does nothing, as in Zerobus.
	exec(t, e, "ALTER TABLE main.default.r ALTER COLUMN temp SET TAGS ('zerobus-rescue' = '', 'owner' = 'iot')")
	if err := e.Insert(ctx, admin, "main.default.r", [][]byte{[]byte(rec)}); !errors.Is(err, engine.ErrInvalidRecord) {
		t.Errorf("tag on an INT column: %v", err)
	}
	if err := execErr(e, "ALTER TABLE main.default.r ALTER COLUMN nope SET TAGS ('a')"); !errors.Is(err, engine.ErrInvalidArgument) || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("unknown column: %v", err)
	}
}

// The tags survive a restart (they are part of the stored metadata).
func TestColumnTagsPersist(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	e, err := engine.Open(ctx, engine.Options{DataDir: dir, DevClientSecret: "s"})
	if err != nil {
		t.Fatal(err)
	}
	exec(t, e, "CREATE TABLE main.default.r (id INT, rescue VARIANT)")
	exec(t, e, "ALTER TABLE main.default.r ALTER COLUMN rescue SET TAGS ('zerobus-rescue')")
	e.Close(ctx)
	e2 := openEngine(t, "disk", dir)
	if err := e2.Insert(ctx, admin, "main.default.r", [][]byte{[]byte(`{"id":1,"x":2}`)}); err != nil {
		t.Fatal(err)
	}
	if got := rows(t, e2, "SELECT rescue FROM main.default.r"); got != `{"x":2}` {
		t.Errorf("rescue after restart: %s", got)
	}
}

func TestTypeWidening(t *testing.T) {
	tests := []struct {
		name, from, to string
		old, new       string // a value sent under the old type by an open stream, and one under the new
		want           string // both as SQL returns them
	}{
		{"int to bigint", "INT", "BIGINT", "2147483647", "9223372036854775807", "2147483647\n9223372036854775807"},
		{"tinyint to int", "TINYINT", "INT", "-128", "100000", "-128\n100000"},
		{"smallint to bigint", "SMALLINT", "BIGINT", "32767", "-5000000000", "32767\n-5000000000"},
		{"float to double", "FLOAT", "DOUBLE", "1.5", "0.1", "1.5\n0.1"},
		{"int to double", "INT", "DOUBLE", "7", "0.25", "7.0\n0.25"},
		{"int to decimal", "INT", "DECIMAL(12,2)", "-42", `"1234567890.5"`, "-42.00\n1234567890.50"},
		{"decimal precision and scale up", "DECIMAL(5,2)", "DECIMAL(10,4)", `"123.45"`, `"123456.7891"`, "123.4500\n123456.7891"},
		{"date to timestamp_ntz", "DATE", "TIMESTAMP_NTZ", "20051", "1732451234000000", "2024-11-24T00:00:00.000\n2024-11-24T12:27:14.000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			e := openEngine(t, "memory", "")
			exec(t, e, "CREATE TABLE main.default.w (k INT NOT NULL, c "+tt.from+") TBLPROPERTIES ('delta.enableTypeWidening' = 'true')")
			st := openJSON(t, e, "main.default.w")
			exec(t, e, "ALTER TABLE main.default.w ALTER COLUMN c TYPE "+tt.to)
			// The open stream keeps the old type; its rows still land.
			submit(t, st, 0, `{"k":1,"c":`+tt.old+`}`)
			if err := e.Insert(ctx, admin, "main.default.w", [][]byte{[]byte(`{"k":2,"c":` + tt.new + `}`)}); err != nil {
				t.Fatal(err)
			}
			if got := rows(t, e, "SELECT c FROM main.default.w ORDER BY k"); got != tt.want {
				t.Errorf("rows:\n%s\nwant\n%s", got, tt.want)
			}
			if got := rows(t, e, "DESCRIBE main.default.w"); !strings.Contains(got, "c|"+strings.ToLower(tt.to)) {
				t.Errorf("DESCRIBE:\n%s", got)
			}
			h := exec(t, e, "DESCRIBE HISTORY main.default.w")
			if *h.Rows[0][0] != "1" || *h.Rows[0][2] != "CHANGE COLUMN" || !strings.Contains(*h.Rows[0][3], `"toType":"`+tt.to+`"`) {
				t.Errorf("history: %v %v %v", *h.Rows[0][0], *h.Rows[0][2], *h.Rows[0][3])
			}
		})
	}
}

func TestTypeWideningErrors(t *testing.T) {
	e := openEngine(t, "memory", "")
	exec(t, e, "CREATE TABLE main.default.off (c INT)")
	exec(t, e, "CREATE TABLE main.default.on (c INT, d DECIMAL(5,2), s STRING) TBLPROPERTIES ('delta.enableTypeWidening' = 'true')")
	tests := []struct {
		name, sql string
		want      []string
	}{
		{"property missing", "ALTER TABLE main.default.off ALTER COLUMN c TYPE BIGINT",
			[]string{"delta.enableTypeWidening", "ALTER TABLE main.default.off SET TBLPROPERTIES", "INT to BIGINT"}},
		{"narrowing", "ALTER TABLE main.default.on ALTER COLUMN c TYPE SMALLINT", []string{"cannot change column c from INT to SMALLINT"}},
		{"string", "ALTER TABLE main.default.on ALTER COLUMN s TYPE INT", []string{"from STRING to INT"}},
		{"decimal loses integer digits", "ALTER TABLE main.default.on ALTER COLUMN d TYPE DECIMAL(6,4)", []string{"DECIMAL(5,2) to DECIMAL(6,4)"}},
		{"decimal too small for int", "ALTER TABLE main.default.on ALTER COLUMN c TYPE DECIMAL(10,2)", []string{"INT to DECIMAL(10,2)"}},
		{"unknown column", "ALTER TABLE main.default.on ALTER COLUMN x TYPE BIGINT", []string{`column "x" does not exist`}},
		{"bad type", "ALTER TABLE main.default.on ALTER COLUMN c TYPE INTERVAL DAY", []string{"INTERVAL"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := execErr(e, tt.sql)
			if !errors.Is(err, engine.ErrInvalidArgument) {
				t.Fatalf("got %v, want ErrInvalidArgument", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
	// The same type is no change and no version.
	exec(t, e, "ALTER TABLE main.default.on ALTER COLUMN c TYPE INT")
	if h := history(t, e, "main.default.on"); len(h) != 1 {
		t.Errorf("history after a no-op: %v", h)
	}
}

func TestAutoMerge(t *testing.T) {
	ctx := context.Background()
	e := openEngine(t, "memory", "")
	exec(t, e, "CREATE TABLE main.default.m (id BIGINT NOT NULL, temp DOUBLE) TBLPROPERTIES ('zbemu.autoMerge' = 'true')")
	st := openJSON(t, e, "main.default.m")
	submit(t, st, 0, `{"id":1,"temp":20.5}`)
	// New fields of every inferable kind, in one request with a known one.
	submit(t, st, 1, `{"id":2,"site":"north","count":3,"ok":true,"loc":{"lat":1.5}}`, `{"id":3,"count":4.5,"tags":["a"]}`)
	if got := rows(t, e, "DESCRIBE main.default.m"); got != "id|bigint not null|NULL\ntemp|double|NULL\nsite|string|NULL\ncount|double|NULL\nok|boolean|NULL\nloc|variant|NULL\ntags|variant|NULL" {
		t.Errorf("DESCRIBE after merge:\n%s", got)
	}
	if got := rows(t, e, "SELECT id, site, count, ok, loc, tags FROM main.default.m ORDER BY id"); got != "1|NULL|NULL|NULL|NULL|NULL\n2|north|3.0|true|{\"lat\":1.5}|NULL\n3|NULL|4.5|NULL|NULL|[\"a\"]" {
		t.Errorf("rows:\n%s", got)
	}
	h := exec(t, e, "DESCRIBE HISTORY main.default.m")
	if *h.Rows[0][2] != "AUTO MERGE" || !strings.Contains(*h.Rows[0][3], "site STRING") || !strings.Contains(*h.Rows[0][4], "ADD COLUMNS") {
		t.Errorf("history: %v %v %v", *h.Rows[0][2], *h.Rows[0][3], *h.Rows[0][4])
	}
	// REST merges too.
	if err := e.Insert(ctx, admin, "main.default.m", [][]byte{[]byte(`{"id":4,"level":7}`)}); err != nil {
		t.Fatal(err)
	}
	if got := rows(t, e, "SELECT level FROM main.default.m WHERE id = 4"); got != "7" {
		t.Errorf("REST merged column: %s", got)
	}
	rejects := []struct {
		name, rec string
		want      []string
	}{
		{"conflicting type of an existing column", `{"id":5,"temp":"hot"}`, []string{`column "temp"`, "expected DOUBLE"}},
		{"new field with only null", `{"id":5,"later":null}`, []string{`field "later"`, "cannot infer a column type from null"}},
		{"new field and a bad value", `{"id":"x","brand_new":1}`, []string{`column "id"`, "expected BIGINT"}},
		{"a column in another case", `{"id":5,"TEMP":1.5}`, []string{`field "TEMP"`}},
	}
	for _, tt := range rejects {
		t.Run(tt.name, func(t *testing.T) {
			err := e.Insert(ctx, admin, "main.default.m", [][]byte{[]byte(tt.rec)})
			if !errors.Is(err, engine.ErrInvalidRecord) {
				t.Fatalf("got %v", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
	// Rejected requests changed nothing.
	if got := rows(t, e, "SELECT count(*) FROM (DESCRIBE main.default.m)"); got != "8" {
		t.Errorf("columns after rejections: %s", got)
	}
	// Without the property, new fields are rejected as before.
	exec(t, e, "CREATE TABLE main.default.plain (id BIGINT)")
	if err := e.Insert(ctx, admin, "main.default.plain", [][]byte{[]byte(`{"id":1,"x":2}`)}); !errors.Is(err, engine.ErrInvalidRecord) {
		t.Errorf("no auto merge: %v", err)
	}
}

func TestTableVersionInUnityCatalogJSON(t *testing.T) {
	e := openEngine(t, "memory", "")
	exec(t, e, "CREATE TABLE main.default.v (id INT) TBLPROPERTIES ('quality' = 'bronze')")
	exec(t, e, "ALTER TABLE main.default.v ADD COLUMNS (x STRUCT<a: INT>)")
	ti, err := e.GetTable(context.Background(), "main.default.v")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf) // as web writes it
	enc.SetEscapeHTML(false)
	if err := enc.Encode(ti); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	var got struct {
		Properties map[string]string `json:"properties"`
		Columns    []struct {
			TypeText string `json:"type_text"`
		} `json:"columns"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got.Properties["delta.lastUpdateVersion"] != "1" || got.Properties["quality"] != "bronze" || got.Properties["delta.lastCommitTimestamp"] == "" {
		t.Errorf("properties: %v", got.Properties)
	}
	if strings.Contains(string(b), `\u003c`) || got.Columns[1].TypeText != "struct<a:int>" {
		t.Errorf("type text escaped or wrong: %s", b)
	}
	if ti.Properties["delta.lastUpdateVersion"] != "" {
		t.Error("the version property leaked into the stored properties")
	}
}
