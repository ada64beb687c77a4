package schema_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/zbemu/zbemu/schema"
)

func TestProtoFileGolden(t *testing.T) {
	for _, g := range goldenTables {
		t.Run(g.name, func(t *testing.T) {
			got, err := schema.ProtoFile(g.table, g.cols)
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, "proto/"+g.name+".proto", []byte(got))
			checkProtoc(t, got)
		})
	}
}

func TestProtoFile(t *testing.T) {
	tests := []struct {
		name  string
		table string
		cols  []schema.Column
		want  string
	}{
		{
			name:  "scalars",
			table: "cat.sch.events",
			cols: []schema.Column{
				{Name: "a", Type: mustParse(t, "TINYINT")},
				{Name: "b", Type: mustParse(t, "SMALLINT"), Nullable: true},
				{Name: "c", Type: mustParse(t, "INT"), Nullable: true},
				{Name: "d", Type: mustParse(t, "DATE"), Nullable: true},
				{Name: "e", Type: mustParse(t, "BIGINT"), Nullable: true},
				{Name: "f", Type: mustParse(t, "TIMESTAMP"), Nullable: true},
				{Name: "g", Type: mustParse(t, "TIMESTAMP_NTZ"), Nullable: true},
				{Name: "h", Type: mustParse(t, "FLOAT"), Nullable: true},
				{Name: "i", Type: mustParse(t, "DOUBLE"), Nullable: true},
				{Name: "j", Type: mustParse(t, "DECIMAL(10,2)"), Nullable: true},
				{Name: "k", Type: mustParse(t, "STRING"), Nullable: true},
				{Name: "l", Type: mustParse(t, "VARIANT"), Nullable: true},
				{Name: "m", Type: mustParse(t, "BINARY"), Nullable: true},
				{Name: "n", Type: mustParse(t, "BOOLEAN"), Nullable: true},
			},
			want: "syntax = \"proto2\";\n\nmessage events {\n" +
				"\trequired int32 a = 1;\n\toptional int32 b = 2;\n\toptional int32 c = 3;\n\toptional int32 d = 4;\n" +
				"\toptional int64 e = 5;\n\toptional int64 f = 6;\n\toptional int64 g = 7;\n\toptional float h = 8;\n" +
				"\toptional double i = 9;\n\toptional string j = 10;\n\toptional string k = 11;\n\toptional string l = 12;\n" +
				"\toptional bytes m = 13;\n\toptional bool n = 14;\n}\n",
		},
		{
			name:  "repeated and map",
			table: "t",
			cols: []schema.Column{
				{Name: "xs", Type: mustParse(t, "ARRAY<STRING>")},
				{Name: "m", Type: mustParse(t, "MAP<BIGINT, DOUBLE>"), Nullable: true},
				{Name: "flags", Type: mustParse(t, "MAP<BOOLEAN, DATE>"), Nullable: true},
			},
			want: "syntax = \"proto2\";\n\nmessage t {\n\trepeated string xs = 1;\n\tmap<int64, double> m = 2;\n\tmap<bool, int32> flags = 3;\n}\n",
		},
		{
			// The generator indents element and value messages one
			// level deeper than the field; so does ProtoFile.
			name:  "struct in array and map",
			table: "t",
			cols: []schema.Column{
				{Name: "line_items", Type: mustParse(t, "ARRAY<STRUCT<sku: STRING NOT NULL>>")},
				{Name: "by_id", Type: mustParse(t, "MAP<STRING, STRUCT<n: INT>>"), Nullable: true},
			},
			want: "syntax = \"proto2\";\n\nmessage t {\n" +
				"\t\tmessage LineItems {\n\t\t\trequired string sku = 1;\n\t\t}\n\n\trepeated LineItems line_items = 1;\n" +
				"\t\tmessage ById {\n\t\t\toptional int32 n = 1;\n\t\t}\n\n\tmap<string, ById> by_id = 2;\n}\n",
		},
		{
			name:  "nested structs and empty struct",
			table: "t",
			cols: []schema.Column{
				{Name: "a", Type: mustParse(t, "STRUCT<b: STRUCT<c: INT NOT NULL>, e: STRUCT<>>"), Nullable: true},
			},
			want: "syntax = \"proto2\";\n\nmessage t {\n" +
				"\tmessage A {\n" +
				"\t\tmessage B {\n\t\t\trequired int32 c = 1;\n\t\t}\n\n\t\toptional B b = 1;\n" +
				"\t\tmessage E {\n\t\t}\n\n\t\toptional E e = 2;\n" +
				"\t}\n\n\toptional A a = 1;\n}\n",
		},
		{
			name:  "name clashes get a suffix",
			table: "t",
			cols: []schema.Column{
				{Name: "Loc", Type: mustParse(t, "STRUCT<x: INT>")},
				{Name: "foo_bar", Type: mustParse(t, "STRUCT<x: INT>")},
				{Name: "fooBar", Type: mustParse(t, "STRUCT<x: INT>")},
				{Name: "tags", Type: mustParse(t, "MAP<STRING, INT>")},
				{Name: "tags_entry", Type: mustParse(t, "STRUCT<x: INT>")},
				{Name: "__", Type: mustParse(t, "STRUCT<x: INT>")},
			},
			want: "syntax = \"proto2\";\n\nmessage t {\n" +
				"\tmessage Loc2 {\n\t\toptional int32 x = 1;\n\t}\n\n\trequired Loc2 Loc = 1;\n" +
				"\tmessage FooBar {\n\t\toptional int32 x = 1;\n\t}\n\n\trequired FooBar foo_bar = 2;\n" +
				"\tmessage FooBar2 {\n\t\toptional int32 x = 1;\n\t}\n\n\trequired FooBar2 fooBar = 3;\n" +
				"\tmap<string, int32> tags = 4;\n" +
				"\tmessage TagsEntry2 {\n\t\toptional int32 x = 1;\n\t}\n\n\trequired TagsEntry2 tags_entry = 5;\n" +
				"\tmessage Struct5 {\n\t\toptional int32 x = 1;\n\t}\n\n\trequired Struct5 __ = 6;\n}\n",
		},
		{
			name:  "keywords are valid field names",
			table: "`main`.`default`.`message`",
			cols:  []schema.Column{{Name: "string", Type: mustParse(t, "STRING")}, {Name: "optional", Type: mustParse(t, "INT"), Nullable: true}},
			want:  "syntax = \"proto2\";\n\nmessage message {\n\trequired string string = 1;\n\toptional int32 optional = 2;\n}\n",
		},
		{
			name:  "no columns",
			table: "t",
			want:  "syntax = \"proto2\";\n\nmessage t {\n\n}\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := schema.ProtoFile(tt.table, tt.cols)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("ProtoFile:\n got:\n%s\nwant:\n%s", got, tt.want)
			}
			checkProtoc(t, got)
		})
	}
}

// checkProtoc compiles a generated file with protoc when it is installed,
// proving that name clash handling and keywords give a file users can
// actually compile.
func checkProtoc(t *testing.T, file string) {
	t.Helper()
	protoc, err := exec.LookPath("protoc")
	if err != nil {
		t.Log("protoc not installed; not compiling the generated file")
		return
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "table.proto"), []byte(file), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(protoc, "--proto_path="+dir, "--descriptor_set_out="+filepath.Join(dir, "out.pb"), "table.proto")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("protoc rejects the generated file: %v\n%s\n%s", err, out, file)
	}
}

func TestProtoFileErrors(t *testing.T) {
	structKey := &schema.Type{Kind: schema.Map, Key: mustParse(t, "STRUCT<a: INT>"), Value: mustParse(t, "INT"), ValueNullable: true}
	tests := []struct {
		name    string
		table   string
		col     schema.Column
		wantMsg string
	}{
		{"nested arrays", "t", schema.Column{Name: "xs", Type: mustParse(t, "ARRAY<ARRAY<INT>>")},
			`column "xs": nested arrays (ARRAY<ARRAY<INT>>) have no protobuf encoding`},
		{"array of maps", "t", schema.Column{Name: "xs", Type: mustParse(t, "ARRAY<MAP<STRING, INT>>")},
			`column "xs": arrays of maps (ARRAY<MAP<STRING, INT>>) have no protobuf encoding`},
		{"map of maps", "t", schema.Column{Name: "m", Type: mustParse(t, "MAP<STRING, MAP<STRING, INT>>")},
			`column "m": maps of maps (MAP<STRING, MAP<STRING, INT>>) have no protobuf encoding`},
		{"map of arrays", "t", schema.Column{Name: "m", Type: mustParse(t, "MAP<STRING, ARRAY<INT>>")},
			`column "m": maps with array values (MAP<STRING, ARRAY<INT>>) have no protobuf encoding`},
		{"struct key", "t", schema.Column{Name: "m", Type: structKey},
			`column "m": map key type STRUCT<a: INT> has no protobuf encoding`},
		{"double key", "t", schema.Column{Name: "m", Type: mustParse(t, "MAP<DOUBLE, INT>")},
			`column "m": map key type DOUBLE has no protobuf encoding`},
		{"binary key", "t", schema.Column{Name: "m", Type: mustParse(t, "MAP<BINARY, INT>")},
			`column "m": map key type BINARY has no protobuf encoding`},
		{"deep in a struct", "t", schema.Column{Name: "s", Type: mustParse(t, "STRUCT<a: STRUCT<b: ARRAY<ARRAY<INT>>>>")},
			`column "s": field "a": field "b": nested arrays`},
		{"bad column name", "t", schema.Column{Name: "b c", Type: mustParse(t, "INT")},
			`column "b c": field name "b c" is not a valid protobuf identifier`},
		{"digit column name", "t", schema.Column{Name: "1a", Type: mustParse(t, "INT")},
			`column "1a": field name "1a" is not a valid protobuf identifier`},
		{"bad struct field name", "t", schema.Column{Name: "s", Type: mustParse(t, "STRUCT<`x-y`: INT>")},
			`column "s": field "x-y": field name "x-y" is not a valid protobuf identifier`},
		{"bad table name", "main.default.1table", schema.Column{Name: "a", Type: mustParse(t, "INT")},
			`"1table" is not a valid protobuf message name`},
		{"nil type", "t", schema.Column{Name: "a"},
			`column "a": missing type`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := schema.ProtoFile(tt.table, []schema.Column{tt.col})
			if !errors.Is(err, schema.ErrUnsupportedType) {
				t.Fatalf("got %v, want ErrUnsupportedType", err)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not contain %q", err, tt.wantMsg)
			}
		})
	}
}

// TestProtoFileReservedNumbers checks that field numbers skip protobuf's
// reserved 19000–19999, as the generator does.
func TestProtoFileReservedNumbers(t *testing.T) {
	cols := make([]schema.Column, 19000)
	for i := range cols {
		cols[i] = schema.Column{Name: "c" + strconv.Itoa(i+1), Type: &schema.Type{Kind: schema.Int}, Nullable: true}
	}
	got, err := schema.ProtoFile("t", cols)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"\toptional int32 c18999 = 18999;\n", "\toptional int32 c19000 = 20000;\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q", want)
		}
	}
}
