package main

import (
	"encoding/base64"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/zbemu/zbemu/schema"
)

// The official SDK streams records covering every Delta type into one
// table, as JSON and as protobuf, and SQL must read back exactly what was
// sent: range limits of every integer type, float extremes and NaN/±Inf,
// DECIMAL(38,10), BINARY, DATE and TIMESTAMP boundaries (epoch, before it,
// 0001-01-01, 9999-12-31) and nested STRUCT/ARRAY/MAP, with MAP entries in
// the order they were sent. The records are
// built from one Go description of each row, so the JSON text and the
// protobuf bytes carry the same values; the expected SQL text is written
// out by hand.

// allTypesColumns is the table, in column order (field number = position + 1).
var allTypesColumns = []struct{ name, typ string }{
	{"id", "INT NOT NULL"}, {"ti", "TINYINT"}, {"si", "SMALLINT"}, {"i", "INT"}, {"bi", "BIGINT"},
	{"f", "FLOAT"}, {"d", "DOUBLE"}, {"dec", "DECIMAL(10,2)"}, {"dec38", "DECIMAL(38,10)"},
	{"s", "STRING"}, {"b", "BINARY"}, {"bo", "BOOLEAN"}, {"dt", "DATE"}, {"ts", "TIMESTAMP"}, {"ntz", "TIMESTAMP_NTZ"},
	{"arr", "ARRAY<INT>"}, {"arrs", "ARRAY<STRUCT<k: STRING, v: DOUBLE>>"}, {"m", "MAP<STRING, BIGINT>"},
	{"st", "STRUCT<a: INT, b: STRUCT<c: STRING, d: ARRAY<DATE>>>"}, {"v", "VARIANT"}, {"bm", "MAP<INT, BINARY>"},
}

// kv is one map entry or struct field, in order.
type kv struct {
	k any
	v any
}

// typesRow is one record: values by column (absent = not sent) and the
// cells SQL must return, with FLOAT and DOUBLE compared as numbers.
type typesRow struct {
	vals     map[string]any
	jsonOnly bool // holds what protobuf cannot say (empty or null elements)
	want     map[string]string
}

const maxTS = 253402300799999999 // 9999-12-31 23:59:59.999999

var typesRows = []typesRow{
	{vals: map[string]any{"id": 1, "ti": 127, "si": 32767, "i": math.MaxInt32, "bi": int64(math.MaxInt64),
		"f": float64(math.MaxFloat32), "d": math.MaxFloat64, "dec": "99999999.99", "dec38": "9999999999999999999999999999.9999999999",
		"s": "ü€😀 \"q\" \\ \n\t", "b": []byte{0, 0xff, 0x10}, "bo": true, "dt": 2932896, "ts": maxTS, "ntz": maxTS,
		"arr": []any{math.MaxInt32, -1}, "arrs": []any{[]kv{{"k", "a"}, {"v", 1.5}}, []kv{{"k", "b"}, {"v", -2.25}}},
		"m": []kv{{"z", 0}, {"k", int64(math.MaxInt64)}, {"a", 1}, {"q", 2}, {"b", 3}}, "st": []kv{{"a", 1}, {"b", []kv{{"c", "x"}, {"d", []any{0, -1}}}}},
		"v": `{"a":[1,2.5,"x",null,true],"b":{}}`, "bm": []kv{{math.MaxInt32, []byte("hi")}, {1, []byte{1}}}},
		want: map[string]string{"ti": "127", "si": "32767", "i": "2147483647", "bi": "9223372036854775807",
			"f": "3.4028235e38", "d": "1.7976931348623157e308", "dec": "99999999.99", "dec38": "9999999999999999999999999999.9999999999",
			"s": "ü€😀 \"q\" \\ \n\t", "b": "AP8Q", "bo": "true", "dt": "9999-12-31", "ts": "9999-12-31 23:59:59.999999", "ntz": "9999-12-31 23:59:59.999999",
			"arr": "[2147483647,-1]", "arrs": `[{"k":"a","v":1.5},{"k":"b","v":-2.25}]`, "m": `{"z":0,"k":9223372036854775807,"a":1,"q":2,"b":3}`,
			"st": `{"a":1,"b":{"c":"x","d":["1970-01-01","1969-12-31"]}}`, "v": `{"a":[1,2.5,"x",null,true],"b":{}}`, "bm": `{"2147483647":"aGk=","1":"AQ=="}`}},
	{vals: map[string]any{"id": 2, "ti": -128, "si": -32768, "i": math.MinInt32, "bi": int64(math.MinInt64),
		"f": float64(-math.SmallestNonzeroFloat32), "d": -math.SmallestNonzeroFloat64, "dec": "-99999999.99", "dec38": "-0.0000000001",
		"s": "", "b": []byte{}, "bo": false, "dt": -719162, "ts": -62135596800000000, "ntz": -1,
		"arr": []any{math.MinInt32}, "arrs": []any{[]kv{{"k", ""}, {"v", -0.5}}}, "m": []kv{{"", int64(math.MinInt64)}},
		"st": []kv{{"a", -1}, {"b", []kv{{"c", ""}, {"d", []any{-719162, 2932896}}}}}, "v": `[]`, "bm": []kv{{math.MinInt32, []byte{0}}}},
		want: map[string]string{"ti": "-128", "si": "-32768", "i": "-2147483648", "bi": "-9223372036854775808",
			"f": "-1e-45", "d": "-5e-324", "dec": "-99999999.99", "dec38": "-0.0000000001", "s": "", "b": "", "bo": "false",
			"dt": "0001-01-01", "ts": "0001-01-01 00:00:00", "ntz": "1969-12-31 23:59:59.999999", "arr": "[-2147483648]",
			"arrs": `[{"k":"","v":-0.5}]`, "m": `{"":-9223372036854775808}`, "st": `{"a":-1,"b":{"c":"","d":["0001-01-01","9999-12-31"]}}`,
			"v": "[]", "bm": `{"-2147483648":"AA=="}`}},
	{vals: map[string]any{"id": 3, "ti": 0, "si": 0, "i": 0, "bi": 0, "f": math.Inf(1), "d": math.NaN(), "dec": "0.5", "dec38": "-12345678901234567890.5",
		"s": "0", "bo": false, "dt": 0, "ts": 0, "ntz": 0, "arr": []any{0}, "st": []kv{{"a", 0}}, "v": "42", "m": []kv{{"zero", 0}}},
		want: map[string]string{"ti": "0", "si": "0", "i": "0", "bi": "0", "f": "+Inf", "d": "NaN", "dec": "0.50", "dec38": "-12345678901234567890.5000000000",
			"s": "0", "bo": "false", "dt": "1970-01-01", "ts": "1970-01-01 00:00:00", "ntz": "1970-01-01 00:00:00", "arr": "[0]",
			"st": `{"a":0,"b":null}`, "v": "42", "m": `{"zero":0}`}},
	{vals: map[string]any{"id": 4, "f": math.Inf(-1), "d": math.Inf(1), "ts": 1732451234567890, "ntz": -123456789},
		want: map[string]string{"f": "-Inf", "d": "+Inf", "ts": "2024-11-24 12:27:14.56789", "ntz": "1969-12-31 23:57:56.543211"}},
	{vals: map[string]any{"id": 5}, want: map[string]string{}},
	{jsonOnly: true, vals: map[string]any{"id": 6, "arr": []any{1, nil}, "arrs": []any{nil, []kv{{"k", nil}, {"v", nil}}}, "m": []kv{{"a", nil}},
		"st": []kv{{"a", nil}, {"b", []kv{{"c", nil}, {"d", []any{nil}}}}}, "bm": []kv{}, "s": nil, "v": `{"nested":{"deep":[[[]]]}}`},
		want: map[string]string{"arr": "[1,null]", "arrs": `[null,{"k":null,"v":null}]`, "m": `{"a":null}`,
			"st": `{"a":null,"b":{"c":null,"d":[null]}}`, "bm": "{}", "v": `{"nested":{"deep":[[[]]]}}`}},
}

func everyTypeDDL(table string) string {
	defs := make([]string, len(allTypesColumns))
	for i, c := range allTypesColumns {
		defs[i] = c.name + " " + c.typ
	}
	return "CREATE TABLE " + table + " (" + strings.Join(defs, ", ") + ")"
}

func allTypesParsed(t *testing.T) []schema.Column {
	cols := make([]schema.Column, len(allTypesColumns))
	for i, c := range allTypesColumns {
		typ, _ := strings.CutSuffix(c.typ, " NOT NULL")
		pt, err := schema.Parse(typ)
		if err != nil {
			t.Fatal(err)
		}
		cols[i] = schema.Column{Name: c.name, Type: pt, Nullable: typ == c.typ}
	}
	return cols
}

// jsonValue writes v as the JSON encoding of type t.
func jsonValue(t *schema.Type, v any) string {
	if v == nil {
		return "null"
	}
	switch t.Kind {
	case schema.Float, schema.Double:
		f := v.(float64)
		switch {
		case math.IsNaN(f):
			return `"NaN"`
		case math.IsInf(f, 1):
			return `"Infinity"`
		case math.IsInf(f, -1):
			return `"-Infinity"`
		}
		bits := 64
		if t.Kind == schema.Float {
			bits = 32
		}
		return strconv.FormatFloat(f, 'g', -1, bits)
	case schema.Decimal, schema.String:
		return strconv.Quote(v.(string))
	case schema.Variant:
		return v.(string)
	case schema.Binary:
		return `"` + base64.StdEncoding.EncodeToString(v.([]byte)) + `"`
	case schema.Array:
		var parts []string
		for _, e := range v.([]any) {
			parts = append(parts, jsonValue(t.Elem, e))
		}
		return "[" + strings.Join(parts, ",") + "]"
	case schema.Map:
		var parts []string
		for _, e := range v.([]kv) {
			parts = append(parts, strconv.Quote(fmt.Sprint(e.k))+":"+jsonValue(t.Value, e.v))
		}
		return "{" + strings.Join(parts, ",") + "}"
	case schema.Struct:
		var parts []string
		for _, e := range v.([]kv) {
			for _, f := range t.Fields {
				if f.Name == e.k {
					parts = append(parts, strconv.Quote(f.Name)+":"+jsonValue(f.Type, e.v))
				}
			}
		}
		return "{" + strings.Join(parts, ",") + "}"
	}
	return fmt.Sprint(v) // integers, booleans, days, microseconds
}

func jsonRecord(cols []schema.Column, vals map[string]any) string {
	var parts []string
	for _, c := range cols {
		if v, ok := vals[c.Name]; ok {
			parts = append(parts, strconv.Quote(c.Name)+":"+jsonValue(c.Type, v))
		}
	}
	return "{" + strings.Join(parts, ",") + "}"
}

func toInt64(v any) int64 {
	switch x := v.(type) {
	case int:
		return int64(x)
	case int64:
		return x
	}
	panic(fmt.Sprintf("not an integer: %T", v))
}

// protoValue appends field num holding v, encoded as the SDK's generator
// maps type t (zerobus-wire.md §6); arrays are repeated (unpacked, proto2).
func protoValue(b []byte, t *schema.Type, num protowire.Number, v any) []byte {
	switch t.Kind {
	case schema.TinyInt, schema.SmallInt, schema.Int, schema.Date, schema.BigInt, schema.Timestamp, schema.TimestampNTZ:
		b = protowire.AppendTag(b, num, protowire.VarintType)
		return protowire.AppendVarint(b, uint64(toInt64(v)))
	case schema.Float:
		b = protowire.AppendTag(b, num, protowire.Fixed32Type)
		return protowire.AppendFixed32(b, math.Float32bits(float32(v.(float64))))
	case schema.Double:
		b = protowire.AppendTag(b, num, protowire.Fixed64Type)
		return protowire.AppendFixed64(b, math.Float64bits(v.(float64)))
	case schema.Boolean:
		x := uint64(0)
		if v.(bool) {
			x = 1
		}
		return protowire.AppendVarint(protowire.AppendTag(b, num, protowire.VarintType), x)
	case schema.Decimal, schema.String, schema.Variant:
		return protowire.AppendString(protowire.AppendTag(b, num, protowire.BytesType), v.(string))
	case schema.Binary:
		return protowire.AppendBytes(protowire.AppendTag(b, num, protowire.BytesType), v.([]byte))
	case schema.Array:
		for _, e := range v.([]any) {
			b = protoValue(b, t.Elem, num, e)
		}
		return b
	case schema.Map:
		for _, e := range v.([]kv) {
			entry := protoValue(nil, t.Key, 1, e.k)
			entry = protoValue(entry, t.Value, 2, e.v)
			b = protowire.AppendBytes(protowire.AppendTag(b, num, protowire.BytesType), entry)
		}
		return b
	case schema.Struct:
		var msg []byte
		for _, e := range v.([]kv) {
			for i, f := range t.Fields {
				if f.Name == e.k && e.v != nil {
					msg = protoValue(msg, f.Type, protowire.Number(i+1), e.v)
				}
			}
		}
		return protowire.AppendBytes(protowire.AppendTag(b, num, protowire.BytesType), msg)
	}
	panic("no proto encoding for " + t.String())
}

func protoRecord(cols []schema.Column, vals map[string]any) []byte {
	var b []byte
	for i, c := range cols {
		if v, ok := vals[c.Name]; ok && v != nil {
			b = protoValue(b, c.Type, protowire.Number(i+1), v)
		}
	}
	return b
}

// descriptorFor builds the DescriptorProto the SDK's generator would send
// for the columns: required for NOT NULL, nested messages for STRUCT,
// map entry messages for MAP, repeated for ARRAY.
func descriptorFor(name string, fields []schema.Field, top bool) *descriptorpb.DescriptorProto {
	m := &descriptorpb.DescriptorProto{Name: proto.String(name)}
	for i, f := range fields {
		fd := &descriptorpb.FieldDescriptorProto{Name: proto.String(f.Name), Number: proto.Int32(int32(i + 1)),
			Label: descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum()}
		if top && !f.Nullable {
			fd.Label = descriptorpb.FieldDescriptorProto_LABEL_REQUIRED.Enum()
		}
		t := f.Type
		if t.Kind == schema.Array {
			fd.Label = descriptorpb.FieldDescriptorProto_LABEL_REPEATED.Enum()
			t = t.Elem
		}
		switch t.Kind {
		case schema.Struct:
			nested := descriptorFor(pascal(f.Name), t.Fields, false)
			m.NestedType = append(m.NestedType, nested)
			fd.Type, fd.TypeName = descriptorpb.FieldDescriptorProto_TYPE_MESSAGE.Enum(), nested.Name
		case schema.Map:
			entry := descriptorFor(pascal(f.Name)+"Entry", []schema.Field{{Name: "key", Type: t.Key, Nullable: true}, {Name: "value", Type: t.Value, Nullable: true}}, false)
			entry.Options = &descriptorpb.MessageOptions{MapEntry: proto.Bool(true)}
			m.NestedType = append(m.NestedType, entry)
			fd.Label = descriptorpb.FieldDescriptorProto_LABEL_REPEATED.Enum()
			fd.Type, fd.TypeName = descriptorpb.FieldDescriptorProto_TYPE_MESSAGE.Enum(), entry.Name
		default:
			fd.Type = protoScalarType[t.Kind].Enum()
		}
		m.Field = append(m.Field, fd)
	}
	return m
}

var protoScalarType = map[schema.Kind]descriptorpb.FieldDescriptorProto_Type{
	schema.TinyInt: descriptorpb.FieldDescriptorProto_TYPE_INT32, schema.SmallInt: descriptorpb.FieldDescriptorProto_TYPE_INT32,
	schema.Int: descriptorpb.FieldDescriptorProto_TYPE_INT32, schema.Date: descriptorpb.FieldDescriptorProto_TYPE_INT32,
	schema.BigInt: descriptorpb.FieldDescriptorProto_TYPE_INT64, schema.Timestamp: descriptorpb.FieldDescriptorProto_TYPE_INT64,
	schema.TimestampNTZ: descriptorpb.FieldDescriptorProto_TYPE_INT64, schema.Float: descriptorpb.FieldDescriptorProto_TYPE_FLOAT,
	schema.Double: descriptorpb.FieldDescriptorProto_TYPE_DOUBLE, schema.Boolean: descriptorpb.FieldDescriptorProto_TYPE_BOOL,
	schema.Decimal: descriptorpb.FieldDescriptorProto_TYPE_STRING, schema.String: descriptorpb.FieldDescriptorProto_TYPE_STRING,
	schema.Variant: descriptorpb.FieldDescriptorProto_TYPE_STRING, schema.Binary: descriptorpb.FieldDescriptorProto_TYPE_BYTES,
}

func pascal(s string) string {
	r := []rune(s)
	r[0] = unicode.ToUpper(r[0])
	return string(r)
}

// typesQuery selects every column, with the timestamps and floats cast to
// text so that microseconds and float bits are visible.
func typesQuery(table string) string {
	sel := make([]string, len(allTypesColumns))
	for i, c := range allTypesColumns {
		switch c.name {
		case "f", "d", "ts", "ntz":
			sel[i] = "CAST(" + c.name + " AS STRING) AS " + c.name
		default:
			sel[i] = c.name
		}
	}
	return "SELECT " + strings.Join(sel, ", ") + " FROM " + table + " ORDER BY id"
}

// sameCell compares a returned cell with the expected text; FLOAT and
// DOUBLE as numbers (NaN equals NaN), timestamps without DuckDB's "+00".
// MAPs are compared as text: their entries keep the order they were sent in.
func sameCell(col, got, want string) bool {
	switch col {
	case "f", "d":
		g, err1 := strconv.ParseFloat(got, 64)
		w, err2 := strconv.ParseFloat(want, 64)
		return err1 == nil && err2 == nil && (g == w || math.IsNaN(g) && math.IsNaN(w))
	case "ts":
		got = strings.TrimSuffix(got, "+00")
	}
	return got == want
}

// protoEmpty is what an ARRAY or MAP column that a protobuf record leaves
// out reads as: proto2 has no way to tell an empty repeated field from an
// absent one, and zbemu stores the empty collection.
func protoEmpty(col string) (string, bool) {
	switch col {
	case "arr", "arrs":
		return "[]", true
	case "m", "bm":
		return "{}", true
	}
	return "", false
}

func TestSDKEveryType(t *testing.T) {
	t.Parallel()
	s := startServer(t, "", "--memory")
	cols := allTypesParsed(t)
	s.sql(everyTypeDDL("main.default.types_json"))
	s.sql(everyTypeDDL("main.default.types_proto"))
	fields := make([]schema.Field, len(cols))
	for i, c := range cols {
		fields[i] = schema.Field{Name: c.Name, Type: c.Type, Nullable: c.Nullable}
	}
	desc, err := proto.Marshal(descriptorFor("AllTypes", fields, true))
	if err != nil {
		t.Fatal(err)
	}
	var jsonRecs, protoRecs []any
	var protoRows []typesRow
	for _, r := range typesRows {
		jsonRecs = append(jsonRecs, jsonRecord(cols, r.vals))
		if !r.jsonOnly {
			protoRecs = append(protoRecs, base64.StdEncoding.EncodeToString(protoRecord(cols, r.vals)))
			protoRows = append(protoRows, r)
		}
	}
	res := runSDK(t, s.scenario(
		map[string]any{"table": "main.default.types_json", "batches": [][]any{jsonRecs[:3], jsonRecs[3:]}},
		map[string]any{"table": "main.default.types_proto", "recordType": "proto", "descriptorB64": base64.StdEncoding.EncodeToString(desc),
			"batches": [][]any{protoRecs[:2], protoRecs[2:]}},
	))
	for i, st := range res.Streams {
		if !st.OK {
			t.Fatalf("stream %d: %s (stage %s)", i, errText(st.Error), st.Stage)
		}
	}
	for _, tc := range []struct {
		table string
		rows  []typesRow
		proto bool
	}{{"main.default.types_json", typesRows, false}, {"main.default.types_proto", protoRows, true}} {
		t.Run(tc.table, func(t *testing.T) {
			got := s.sql(typesQuery(tc.table))
			if len(got) != len(tc.rows) {
				t.Fatalf("%d rows, want %d", len(got), len(tc.rows))
			}
			for ri, r := range tc.rows {
				for ci, c := range allTypesColumns {
					if c.name == "id" {
						continue
					}
					want, set := r.want[c.name]
					if _, sent := r.vals[c.name]; tc.proto && !sent {
						want, set = protoEmpty(c.name)
					}
					cell := got[ri][ci]
					switch {
					case !set && cell != nil:
						t.Errorf("row %d column %s: got %q, want NULL", r.vals["id"], c.name, *cell)
					case set && cell == nil:
						t.Errorf("row %d column %s: got NULL, want %q", r.vals["id"], c.name, want)
					case set && !sameCell(c.name, *cell, want):
						t.Errorf("row %d column %s: got %q, want %q", r.vals["id"], c.name, *cell, want)
					}
				}
			}
		})
	}
	// Every column and row was covered.
	covered := map[string]bool{}
	for _, r := range typesRows {
		for k := range r.want {
			covered[k] = true
		}
	}
	var missing []string
	for _, c := range allTypesColumns {
		if !covered[c.name] && c.name != "id" {
			missing = append(missing, c.name)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("columns never checked with a value: %v", missing)
	}
}
