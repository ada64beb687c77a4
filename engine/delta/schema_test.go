package delta

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/zbemu/zbemu/schema"
)

func mustType(t *testing.T, text string) *schema.Type {
	t.Helper()
	ty, err := schema.Parse(text)
	if err != nil {
		t.Fatal(err)
	}
	return ty
}

// TestEncodeSchemaTypes: every Databricks type maps to its Delta type
// name, nested types included; VARIANT falls back to string, marked.
func TestEncodeSchemaTypes(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"TINYINT", `"byte"`}, {"SMALLINT", `"short"`}, {"INT", `"integer"`}, {"BIGINT", `"long"`},
		{"FLOAT", `"float"`}, {"DOUBLE", `"double"`}, {"DECIMAL(38,6)", `"decimal(38,6)"`}, {"STRING", `"string"`},
		{"BINARY", `"binary"`}, {"BOOLEAN", `"boolean"`}, {"DATE", `"date"`}, {"TIMESTAMP", `"timestamp"`},
		{"TIMESTAMP_NTZ", `"timestamp_ntz"`}, {"VARIANT", `"string"`},
		{"ARRAY<INT>", `{"type":"array","elementType":"integer","containsNull":true}`},
		{"MAP<STRING, ARRAY<DATE>>", `{"type":"map","keyType":"string","valueType":{"type":"array","elementType":"date","containsNull":true},"valueContainsNull":true}`},
		{"STRUCT<a: INT NOT NULL COMMENT 'x', b: VARIANT>", `{"type":"struct","fields":[{"name":"a","type":"integer","nullable":false,"metadata":{"comment":"x"}},{"name":"b","type":"string","nullable":true,"metadata":{"zbemu.type":"variant"}}]}`},
	} {
		s, _, err := EncodeSchema([]Column{{Name: "c", Type: mustType(t, tc.text), Nullable: true}}, false, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		var got struct {
			Fields []struct {
				Type json.RawMessage `json:"type"`
			} `json:"fields"`
		}
		if err := json.Unmarshal([]byte(s), &got); err != nil || string(got.Fields[0].Type) != tc.want {
			t.Errorf("%s: %s, want type %s", tc.text, s, tc.want)
		}
		if _, err := ParseSchema(s); err != nil {
			t.Errorf("%s: ParseSchema: %v", tc.text, err)
		}
	}
}

// TestEncodeSchemaColumnMapping: with mapping every field has an id and a
// physical name; nested fields keep theirs from the previous schema and
// new ones get ids above maxColumnId.
func TestEncodeSchemaColumnMapping(t *testing.T) {
	cols := []Column{{Name: "a", Type: mustType(t, "INT"), Nullable: true, ID: 1, PhysicalName: "a"},
		{Name: "s", Type: mustType(t, "STRUCT<x: INT>"), Nullable: true, ID: 2, PhysicalName: "col-2"}}
	s1, max1, err := EncodeSchema(cols, true, nil, 2)
	if err != nil || max1 != 3 {
		t.Fatalf("first: %s max %d %v", s1, max1, err)
	}
	prev, _ := ParseSchema(s1)
	cols = append(cols, Column{Name: "b", Type: mustType(t, "STRUCT<y: INT>"), Nullable: true, ID: 4, PhysicalName: "col-4"})
	cols[1].Name = "renamed"
	s2, max2, err := EncodeSchema(cols, true, prev, max1)
	if err != nil || max2 != 5 {
		t.Fatalf("second: %s max %d %v", s2, max2, err)
	}
	st, _ := ParseSchema(s2)
	type m struct {
		id   int64
		phys string
	}
	var got []m
	for _, f := range st.Fields {
		id, p := f.MappingOf()
		got = append(got, m{id, p})
		if inner, ok := f.Type.(*StructType); ok {
			id, p := inner.Fields[0].MappingOf()
			got = append(got, m{id, p})
		}
	}
	want := []m{{1, "a"}, {2, "col-2"}, {3, "x"}, {4, "col-4"}, {5, "y"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("mapping %v, want %v\n%s", got, want, s2)
	}
	if _, _, err := EncodeSchema([]Column{{Name: "z", Type: mustType(t, "INT")}}, true, nil, 0); err == nil {
		t.Error("a mapped schema without physical names was accepted")
	}
}

// TestChooseProtocol: the lowest versions that declare the features, and
// a table's features never shrink.
func TestChooseProtocol(t *testing.T) {
	for _, tc := range []struct {
		f    Features
		want Protocol
	}{
		{Features{}, Protocol{MinReaderVersion: 1, MinWriterVersion: 1}},
		{Features{CheckConstraints: true}, Protocol{MinReaderVersion: 1, MinWriterVersion: 3}},
		{Features{ColumnMapping: true, CheckConstraints: true}, Protocol{MinReaderVersion: 2, MinWriterVersion: 5}},
		{Features{TimestampNTZ: true}, Protocol{MinReaderVersion: 3, MinWriterVersion: 7, ReaderFeatures: []string{"timestampNtz"}, WriterFeatures: []string{"timestampNtz"}}},
		{Features{TimestampNTZ: true, ColumnMapping: true, CheckConstraints: true}, Protocol{MinReaderVersion: 3, MinWriterVersion: 7,
			ReaderFeatures: []string{"columnMapping", "timestampNtz"}, WriterFeatures: []string{"checkConstraints", "columnMapping", "timestampNtz"}}},
	} {
		got := ChooseProtocol(tc.f)
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%+v: %+v, want %+v", tc.f, got, tc.want)
		}
		if back := FeaturesOf(got); back.Union(tc.f) != back {
			t.Errorf("%+v: FeaturesOf(%+v) = %+v loses some", tc.f, got, back)
		}
	}
}

// TestPartitionPaths: Hive escapes in folder names, then URI encoding in
// the action's path; FilePath undoes the latter and stays in the table.
func TestPartitionPaths(t *testing.T) {
	a, null := "a/b:c", (*string)(nil)
	dir := PartitionDir([]string{"p", "q"}, []*string{&a, null})
	if dir != "p=a%2Fb%3Ac/q="+HiveNull {
		t.Errorf("PartitionDir = %s", dir)
	}
	path := AddPath(dir + "/part-0.parquet")
	if path != "p=a%252Fb%253Ac/q=__HIVE_DEFAULT_PARTITION__/part-0.parquet" {
		t.Errorf("AddPath = %s", path)
	}
	if fp, err := FilePath("/t", path); err != nil || fp != "/t/p=a%2Fb%3Ac/q=__HIVE_DEFAULT_PARTITION__/part-0.parquet" {
		t.Errorf("FilePath = %s, %v", fp, err)
	}
	if _, err := FilePath("/t", "..%2F..%2Fetc%2Fpasswd"); err == nil {
		t.Error("FilePath left the table folder")
	}
}
