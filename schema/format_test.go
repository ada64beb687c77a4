package schema_test

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zbemu/zbemu/fixtures/golden"
	"github.com/zbemu/zbemu/schema"
)

// checkGolden compares got with testdata/<name>, or rewrites it with -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	golden.Check(t, filepath.Join("testdata", name), got)
}

// mappingTypes are the type texts of the golden mapping table: every kind,
// every alias, and the nesting shapes that exercise separators and quoting.
var mappingTypes = []string{
	"TINYINT", "BYTE", "SMALLINT", "SHORT", "INT", "INTEGER", "BIGINT", "LONG",
	"FLOAT", "REAL", "DOUBLE",
	"DECIMAL", "DECIMAL(5)", "DECIMAL(10,2)", "DECIMAL(38,38)",
	"STRING", "VARCHAR(10)", "CHAR(3)", "BINARY", "BOOLEAN", "DATE",
	"TIMESTAMP", "TIMESTAMP_LTZ", "TIMESTAMP_NTZ", "VARIANT",
	"ARRAY<STRING>", "ARRAY<ARRAY<INT>>", "ARRAY<STRUCT<a: INT>>",
	"MAP<STRING, INT>", "MAP<INT, ARRAY<DATE>>", "MAP<STRING, MAP<STRING, DOUBLE>>",
	"STRUCT<>", "STRUCT<a: INT, b: STRING NOT NULL>",
	"STRUCT<a: INT COMMENT 'the <a> & \"b\"', `b c`: STRUCT<`d\"e`: BINARY>>",
	"STRUCT<x: ARRAY<STRUCT<y: MAP<STRING, DECIMAL(18,3)> NOT NULL>>>",
}

// TestTypeMappingsGolden pins every printer in one table, one type a line:
// input, String, TypeName, CatalogString, SparkJSON, DuckDB.
func TestTypeMappingsGolden(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("# input\tString\tTypeName\tCatalogString\tSparkJSON\tDuckDB\n")
	for _, text := range mappingTypes {
		typ, err := schema.Parse(text)
		if err != nil {
			t.Fatalf("Parse(%q): %v", text, err)
		}
		cols := []string{text, typ.String(), typ.TypeName(), typ.CatalogString(), sparkJSON(t, typ.SparkJSON()), typ.DuckDB()}
		b.WriteString(strings.Join(cols, "\t") + "\n")
	}
	checkGolden(t, "types.golden", b.Bytes())
}

func sparkJSON(t *testing.T, v any) string {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

// TestCatalogStringParses checks that UC type_text, which SDK tools and
// zbemu itself read back, is accepted by Parse and keeps the type apart
// from nullability and comments (which catalogString drops).
func TestCatalogStringParses(t *testing.T) {
	for _, text := range mappingTypes {
		t.Run(text, func(t *testing.T) {
			typ := mustParse(t, text)
			back, err := schema.Parse(typ.CatalogString())
			if err != nil {
				t.Fatalf("Parse(%q): %v", typ.CatalogString(), err)
			}
			if got, want := back.CatalogString(), typ.CatalogString(); got != want {
				t.Errorf("catalog round trip %q → %q", want, got)
			}
		})
	}
}

func TestColumnTypeJSON(t *testing.T) {
	tests := []struct {
		name string
		col  schema.Column
		want string
	}{
		{"scalar not null", schema.Column{Name: "x", Type: mustParse(t, "STRING")},
			`{"name":"x","type":"string","nullable":false,"metadata":{}}`},
		{"nullable int", schema.Column{Name: "n", Type: mustParse(t, "INT"), Nullable: true},
			`{"name":"n","type":"integer","nullable":true,"metadata":{}}`},
		{"comment", schema.Column{Name: "ts", Type: mustParse(t, "TIMESTAMP"), Nullable: true, Comment: "event time <UTC>"},
			`{"name":"ts","type":"timestamp","nullable":true,"metadata":{"comment":"event time <UTC>"}}`},
		{"decimal", schema.Column{Name: "d", Type: mustParse(t, "DECIMAL(10,2)"), Nullable: true},
			`{"name":"d","type":"decimal(10,2)","nullable":true,"metadata":{}}`},
		{"array", schema.Column{Name: "a", Type: mustParse(t, "ARRAY<LONG>"), Nullable: true},
			`{"name":"a","type":{"type":"array","elementType":"long","containsNull":true},"nullable":true,"metadata":{}}`},
		{"map", schema.Column{Name: "m", Type: mustParse(t, "MAP<STRING, SHORT>"), Nullable: true},
			`{"name":"m","type":{"type":"map","keyType":"string","valueType":"short","valueContainsNull":true},"nullable":true,"metadata":{}}`},
		{"struct", schema.Column{Name: "s", Type: mustParse(t, "STRUCT<a: BYTE NOT NULL COMMENT 'c', b: STRUCT<>>"), Nullable: true},
			`{"name":"s","type":{"type":"struct","fields":[{"name":"a","type":"byte","nullable":false,"metadata":{"comment":"c"}},` +
				`{"name":"b","type":{"type":"struct","fields":[]},"nullable":true,"metadata":{}}]},"nullable":true,"metadata":{}}`},
		{"variant ntz", schema.Column{Name: "v", Type: mustParse(t, "ARRAY<STRUCT<v: VARIANT, t: TIMESTAMP_NTZ>>"), Nullable: true},
			`{"name":"v","type":{"type":"array","elementType":{"type":"struct","fields":[` +
				`{"name":"v","type":"variant","nullable":true,"metadata":{}},{"name":"t","type":"timestamp_ntz","nullable":true,"metadata":{}}]},` +
				`"containsNull":true},"nullable":true,"metadata":{}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := schema.ColumnTypeJSON(tt.col)
			if got != tt.want {
				t.Errorf("ColumnTypeJSON\n got %s\nwant %s", got, tt.want)
			}
			if !json.Valid([]byte(got)) {
				t.Errorf("not valid JSON: %s", got)
			}
		})
	}
}

func mustParse(t testing.TB, text string) *schema.Type {
	t.Helper()
	typ, err := schema.Parse(text)
	if err != nil {
		t.Fatalf("Parse(%q): %v", text, err)
	}
	return typ
}
