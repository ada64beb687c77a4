package schema_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zbemu/zbemu/schema"
)

// Type literals for decoder tests. Types are built by hand rather than
// parsed so that these tests do not depend on the type-text parser.
func tk(k schema.Kind) *schema.Type { return &schema.Type{Kind: k} }

func tDec(p, s int) *schema.Type { return &schema.Type{Kind: schema.Decimal, Precision: p, Scale: s} }

func tArr(elem *schema.Type, nullable bool) *schema.Type {
	return &schema.Type{Kind: schema.Array, Elem: elem, ElemNullable: nullable}
}

func tMap(k, v *schema.Type, nullable bool) *schema.Type {
	return &schema.Type{Kind: schema.Map, Key: k, Value: v, ValueNullable: nullable}
}

func tStruct(fields ...schema.Field) *schema.Type {
	return &schema.Type{Kind: schema.Struct, Fields: fields}
}

func fld(name string, t *schema.Type, nullable bool) schema.Field {
	return schema.Field{Name: name, Type: t, Nullable: nullable}
}

func col(name string, t *schema.Type, nullable bool) schema.Column {
	return schema.Column{Name: name, Type: t, Nullable: nullable}
}

// fmtValue renders a decoded value of type t with its Go type, for golden
// files. STRUCT fields are listed by name in sorted order.
func fmtValue(t *schema.Type, v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case int8, int16, int32, int64:
		return fmt.Sprintf("%T(%d)", x, x)
	case float32:
		return "float32(" + strconv.FormatFloat(float64(x), 'g', -1, 32) + ")"
	case float64:
		return "float64(" + strconv.FormatFloat(x, 'g', -1, 64) + ")"
	case schema.DecimalValue:
		return "decimal(" + x.String() + ")"
	case string:
		return strconv.Quote(x)
	case []byte:
		return fmt.Sprintf("bytes(%q)", x)
	case bool:
		return strconv.FormatBool(x)
	case time.Time:
		s := "time(" + x.Format(time.RFC3339Nano)
		if x.Location() != time.UTC {
			s += " in " + x.Location().String()
		}
		return s + ")"
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = fmtValue(t.Elem, e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case []schema.MapEntry:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = fmtValue(t.Key, e.Key) + ": " + fmtValue(t.Value, e.Value)
		}
		return "map[" + strings.Join(parts, ", ") + "]"
	case schema.StructValue:
		if t == nil || t.Kind != schema.Struct || len(x) != len(t.Fields) {
			return fmt.Sprintf("unexpected %T(%v) for %v", v, v, t)
		}
		parts := make([]string, len(x))
		for i, f := range t.Fields {
			parts[i] = f.Name + ": " + fmtValue(f.Type, x[i])
		}
		slices.Sort(parts)
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return fmt.Sprintf("unexpected %T(%v)", v, v)
}

func fmtRow(cols []schema.Column, row []any) string {
	parts := make([]string, len(row))
	for i, v := range row {
		parts[i] = fmtValue(cols[i].Type, v)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// checkValue reports whether v has the Go type the appender expects for t
// (see the package documentation of JSONDecoder.Decode's callers).
func checkValue(t *schema.Type, nullable bool, v any) error {
	if v == nil {
		if !nullable {
			return errors.New("NULL for a NOT NULL slot")
		}
		return nil
	}
	ok := false
	switch t.Kind {
	case schema.TinyInt:
		_, ok = v.(int8)
	case schema.SmallInt:
		_, ok = v.(int16)
	case schema.Int:
		_, ok = v.(int32)
	case schema.BigInt:
		_, ok = v.(int64)
	case schema.Float:
		_, ok = v.(float32)
	case schema.Double:
		_, ok = v.(float64)
	case schema.Decimal:
		var d schema.DecimalValue
		if d, ok = v.(schema.DecimalValue); ok {
			limit := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(t.Precision)), nil)
			if d.Scale != t.Scale || d.Unscaled == nil || new(big.Int).Abs(d.Unscaled).Cmp(limit) >= 0 {
				return fmt.Errorf("decimal %v does not fit %v", d, t)
			}
		}
	case schema.String, schema.Variant:
		_, ok = v.(string)
	case schema.Binary:
		_, ok = v.([]byte)
	case schema.Boolean:
		_, ok = v.(bool)
	case schema.Date, schema.Timestamp, schema.TimestampNTZ:
		var tm time.Time
		if tm, ok = v.(time.Time); ok && tm.Location() != time.UTC {
			return fmt.Errorf("time %v is not in UTC", tm)
		}
		if ok && t.Kind == schema.Date && (tm.Hour() != 0 || tm.Minute() != 0 || tm.Second() != 0 || tm.Nanosecond() != 0) {
			return fmt.Errorf("date %v is not midnight", tm)
		}
	case schema.Array:
		var a []any
		if a, ok = v.([]any); ok {
			for i, e := range a {
				if err := checkValue(t.Elem, t.ElemNullable, e); err != nil {
					return fmt.Errorf("[%d]: %w", i, err)
				}
			}
		}
	case schema.Map:
		var es []schema.MapEntry
		if es, ok = v.([]schema.MapEntry); ok {
			for i, e := range es {
				if err := checkValue(t.Key, false, e.Key); err != nil {
					return fmt.Errorf("key %d: %w", i, err)
				}
				if err := checkValue(t.Value, t.ValueNullable, e.Value); err != nil {
					return fmt.Errorf("value %d: %w", i, err)
				}
			}
		}
	case schema.Struct:
		var sv schema.StructValue
		if sv, ok = v.(schema.StructValue); ok {
			if len(sv) != len(t.Fields) {
				return fmt.Errorf("struct has %d fields, want %d", len(sv), len(t.Fields))
			}
			for i, f := range t.Fields {
				if err := checkValue(f.Type, f.Nullable, sv[i]); err != nil {
					return fmt.Errorf(".%s: %w", f.Name, err)
				}
			}
		}
	}
	if !ok {
		return fmt.Errorf("%T for %v", v, t)
	}
	return nil
}

func checkRow(cols []schema.Column, row []any) error {
	for i, c := range cols {
		if err := checkValue(c.Type, c.Nullable, row[i]); err != nil {
			return fmt.Errorf("column %s: %w", c.Name, err)
		}
	}
	return nil
}

// jsonValueTests say, for one column "c" of each type, which JSON values are
// accepted and which rejected; the golden file pins the decoded values and
// the exact messages.
var jsonValueTests = []struct {
	name     string
	typ      *schema.Type
	nullable bool
	ok, bad  []string
}{
	{"TINYINT", tk(schema.TinyInt), false,
		[]string{"0", "-128", "127", "1.0", "1e2", "-0"},
		[]string{"128", "-129", "1.5", `"1"`, "true", "null", "1e400", "01", "NaN"}},
	{"SMALLINT", tk(schema.SmallInt), true, []string{"-32768", "32767", "null"}, []string{"32768", "-32769", `"1"`}},
	{"INT", tk(schema.Int), false,
		[]string{"2147483647", "-2147483648", "2.5e1", "1E+3", "0.0e5"},
		[]string{"2147483648", "-2147483649", "1e10", "2.55e1", "[]", "{}"}},
	{"BIGINT", tk(schema.BigInt), false,
		[]string{"9223372036854775807", "-9223372036854775808", "9.223372036854775807e18", "1000000000000000000000e-3"},
		[]string{"9223372036854775808", "-9223372036854775809", "1e19", `"1"`, "0.5", "1e-1"}},
	{"FLOAT", tk(schema.Float), true,
		[]string{"1.5", "-3", "1e38", "16.4", "1e-50", `"NaN"`, `"Infinity"`, `"-Infinity"`, "null"},
		[]string{`"nan"`, `"inf"`, `"+Infinity"`, `"1.5"`, "1e39", "true", "[]", "-NaN", "Infinity"}},
	{"DOUBLE", tk(schema.Double), false,
		[]string{"0", "-1.25e-300", "16.4", "1.7976931348623157e308", `"NaN"`},
		[]string{`"inf"`, "null", "{}", "1e400", "1.", ".5", "+1"}},
	{"DECIMAL(5,2)", tDec(5, 2), false,
		[]string{`"123.45"`, `"-0.5"`, `".5"`, `"007"`, `"+1.2"`, `"0"`, `"000123.40"`, `"-0"`},
		[]string{`"1234.5"`, `"1.234"`, `"1.230"`, "1.5", `"1e2"`, `""`, `"-"`, `"1."`, `"abc"`, `" 1"`, `"."`, `"1,5"`}},
	{"DECIMAL(2,2)", tDec(2, 2), false, []string{`"0.12"`, `".5"`, `"0"`, `"-0.99"`}, []string{`"1.0"`, `"1"`, `"0.123"`}},
	{"DECIMAL(10,0)", tDec(10, 0), true, []string{`"1234567890"`, `"-5"`, "null"}, []string{`"1.5"`, `"12345678901"`, "5"}},
	{"DECIMAL(38,10)", tDec(38, 10), false,
		[]string{`"9999999999999999999999999999.9999999999"`, `"-12345678901234567890.5"`},
		[]string{`"99999999999999999999999999999"`}},
	{"STRING", tk(schema.String), false,
		[]string{`"x"`, `""`, `"<ü>"`, `"a\nb\u00e9\"\\\/"`, `"\ud83d\ude00"`, `"\u0000"`},
		[]string{"1", "null", `["x"]`, "true", `"\x"`, `"\ud800"`, `"\udc00x"`, "\"a\tb\""}},
	{"BINARY", tk(schema.Binary), false,
		[]string{`""`, `"AQID"`, `"AQI="`, `"AQ=="`, `"AQ"`, `"+/+/"`, `"aGVsbG8="`},
		[]string{`"!!!!"`, `"-_-_"`, `"A"`, `"AQ="`, `"AQI=="`, `"AQ\nID"`, `"AQ\r\n=="`, "1"}},
	{"BOOLEAN", tk(schema.Boolean), true, []string{"true", "false", "null"}, []string{`"true"`, "1", "0"}},
	{"DATE", tk(schema.Date), false,
		[]string{"20051", "-719162", "0"},
		[]string{`"2024-11-24"`, `"20051"`, "2147483648", "1.5", "20051.5"}},
	{"TIMESTAMP", tk(schema.Timestamp), false,
		[]string{"1732451234000000", "-1", "0", "1732451234000"},
		[]string{`"2024-11-24T12:27:14Z"`, `"1732451234000000"`, "1.5", "1732451234.567", "1732451234000.5", "9223372036854775808"}},
	{"TIMESTAMP_NTZ", tk(schema.TimestampNTZ), true,
		[]string{"1732451234000000", "null"},
		[]string{`"2024-11-24 12:27:14"`, "true"}},
	{"VARIANT", tk(schema.Variant), true,
		[]string{`{"a": [1, {"b": null}], "c": "x\u0001"}`, "[1]", `"x"`, "1.50", "-0", "null", "true", "{}", `{"é":"\u00e9"}`},
		[]string{`{"a":1,"a":2}`, `[{"x":{"y":1,"y":2}}]`, "NaN", "[01]"}},
	{"ARRAY<INT>", tArr(tk(schema.Int), true), false,
		[]string{"[]", "[1,null,3]"},
		[]string{`[1,"x"]`, `{"a":1}`, "[2147483648]", "null", "1"}},
	{"ARRAY<INT NOT NULL>", tArr(tk(schema.Int), false), false, []string{"[1, 2]"}, []string{"[1,null]"}},
	{"ARRAY<STRUCT<a: INT NOT NULL>>", tArr(tStruct(fld("a", tk(schema.Int), false)), true), false,
		[]string{"[]", `[{"a":1},null]`},
		[]string{"[{}]", `[{"a":1},{"a":1,"b":2}]`, `[{"a":null}]`, `[{"a":1,"a":2}]`}},
	{"ARRAY<DECIMAL(3,1)>", tArr(tDec(3, 1), true), false, []string{`["12.3"]`}, []string{`["123.4"]`, "[1.5]"}},
	{"ARRAY<ARRAY<STRING>>", tArr(tArr(tk(schema.String), true), true), false, []string{`[["a"],[],null,[null]]`}, []string{`[["a"],[1]]`}},
	{"MAP<STRING, INT>", tMap(tk(schema.String), tk(schema.Int), true), false,
		[]string{"{}", `{"b":1,"a":null}`},
		[]string{`{"a":"x"}`, "[1]", `{"a":2147483648}`, `{"a":1,"a":2}`}},
	{"MAP<STRING, INT NOT NULL>", tMap(tk(schema.String), tk(schema.Int), false), false, []string{`{"a":1}`}, []string{`{"a":null}`}},
	{"MAP<INT, STRING>", tMap(tk(schema.Int), tk(schema.String), true), false,
		[]string{`{"1":"x","-5":"y"}`},
		[]string{`{"a":"x"}`, `{"1.5":"x"}`, `{"1":1}`, `{"1":"x","01":"y"}`, `{"2147483648":"x"}`, `{"+1":"x"}`}},
	{"MAP<TINYINT, STRING>", tMap(tk(schema.TinyInt), tk(schema.String), true), false, []string{`{"-128":"x"}`}, []string{`{"128":"x"}`}},
	{"MAP<BOOLEAN, INT>", tMap(tk(schema.Boolean), tk(schema.Int), true), false, []string{`{"true":1,"false":2}`}, []string{`{"yes":1}`}},
	{"MAP<DOUBLE, INT>", tMap(tk(schema.Double), tk(schema.Int), true), false,
		[]string{`{"1.5":1,"-2e3":2,"NaN":3,"-Infinity":4}`},
		[]string{`{"x":1}`, `{"inf":1}`, `{"0x10":1}`, `{"1e400":1}`}},
	{"MAP<FLOAT, INT>", tMap(tk(schema.Float), tk(schema.Int), true), false, []string{`{"1.5":1}`}, []string{`{"1e39":1}`}},
	{"MAP<DECIMAL(4,1), INT>", tMap(tDec(4, 1), tk(schema.Int), true), false,
		[]string{`{"123.4":1}`},
		[]string{`{"1.23":1}`, `{"1.0":1,"1":2}`}},
	{"MAP<DATE, BIGINT>", tMap(tk(schema.Date), tk(schema.BigInt), true), false, []string{`{"20051":1}`}, []string{`{"2024-11-24":1}`}},
	{"MAP<BINARY, INT>", tMap(tk(schema.Binary), tk(schema.Int), true), false, []string{`{"AQID":1}`}, []string{`{"!":1}`}},
	{"MAP<STRING, STRUCT<x: DATE>>", tMap(tk(schema.String), tStruct(fld("x", tk(schema.Date), true)), true), false,
		[]string{`{"k":{"x":1}}`, `{"k":null}`},
		[]string{`{"k":{"y":1}}`, `{"k":{"x":"2024-01-01"}}`}},
	{"STRUCT<a: INT, b: STRING NOT NULL>", tStruct(fld("a", tk(schema.Int), true), fld("b", tk(schema.String), false)), true,
		[]string{`{"b":"x"}`, `{"a":null,"b":"x"}`, `{"b":"x","a":1}`, "null"},
		[]string{`{"a":1}`, `{"b":"x","c":1}`, `{"b":null}`, `"x"`, "[]", `{"B":"x"}`, `{"b":"x","b":"y"}`}},
	{"STRUCT<>", tStruct(), false, []string{"{}"}, []string{`{"a":1}`, "null"}},
	{"STRUCT<s: STRUCT<t: ARRAY<MAP<STRING, BOOLEAN>>>>",
		tStruct(fld("s", tStruct(fld("t", tArr(tMap(tk(schema.String), tk(schema.Boolean), true), true), true)), true)), false,
		[]string{`{"s":{"t":[{"k":true},null,{}]}}`},
		[]string{`{"s":{"t":[{"k":true},{"k":1}]}}`}},
}

// TestJSONDecodeValues checks each value as the record {"c": value}.
func TestJSONDecodeValues(t *testing.T) {
	var golden strings.Builder
	for _, tt := range jsonValueTests {
		golden.WriteString("=== " + tt.name)
		if tt.nullable {
			golden.WriteString(" (nullable)")
		}
		golden.WriteString("\n")
		cols := []schema.Column{col("c", tt.typ, tt.nullable)}
		d := schema.NewJSONDecoder(cols)
		row := make([]any, 1)
		try := func(v string, wantOK bool) {
			err := d.Decode([]byte(`{"c":`+v+`}`), row)
			switch {
			case err == nil && !wantOK:
				t.Errorf("%s: accepted %s as %s", tt.name, v, fmtValue(tt.typ, row[0]))
			case err != nil && wantOK:
				t.Errorf("%s: rejected %s: %v", tt.name, v, err)
			case err == nil:
				if cerr := checkRow(cols, row); cerr != nil {
					t.Errorf("%s: %s decoded to %s: %v", tt.name, v, fmtValue(tt.typ, row[0]), cerr)
				}
				golden.WriteString(v + " → " + fmtValue(tt.typ, row[0]) + "\n")
			default:
				checkRecordError(t, err)
				golden.WriteString(v + " → " + err.Error() + "\n")
			}
		}
		for _, v := range tt.ok {
			try(v, true)
		}
		for _, v := range tt.bad {
			try(v, false)
		}
		// Leaving the column out is fine exactly when it is nullable.
		if err := d.Decode([]byte(`{}`), row); (err == nil) != tt.nullable {
			t.Errorf("%s nullable=%v: decoding {} gave %v", tt.name, tt.nullable, err)
		}
	}
	checkGolden(t, "decode/json_values.golden", []byte(golden.String()))
}

// checkRecordError checks the contract every rejection keeps.
func checkRecordError(t *testing.T, err error) {
	t.Helper()
	var re *schema.RecordError
	if !errors.As(err, &re) {
		t.Errorf("error %v (%T) is not a *RecordError", err, err)
		return
	}
	if !errors.Is(err, schema.ErrInvalidRecord) {
		t.Errorf("error %v does not wrap ErrInvalidRecord", err)
	}
	if re.Reason == "" {
		t.Errorf("error %v has no Reason", err)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("error %q is not one line", err)
	}
}

func iotCols() []schema.Column {
	return []schema.Column{
		col("device_id", tk(schema.String), false),
		col("ts", tk(schema.Timestamp), false),
		col("temperature", tk(schema.Double), true),
		col("humidity", tk(schema.Double), true),
		col("status", tk(schema.String), true),
		col("seq", tk(schema.BigInt), true),
	}
}

// rescueCols is the table of the Databricks rescue column documentation.
func rescueCols() []schema.Column {
	return []schema.Column{
		col("device_name", tk(schema.String), false),
		col("temp", tk(schema.Int), true),
		col("humidity", tk(schema.BigInt), true),
		{Name: "rescue", Type: tk(schema.Variant), Nullable: true, Rescue: true},
		col("loc", tStruct(fld("lat", tk(schema.Double), false)), true),
	}
}

// TestJSONDecodeRecords covers whole records: record-level errors, paths,
// hints and the rescue column.
func TestJSONDecodeRecords(t *testing.T) {
	camel := []schema.Column{col("deviceId", tk(schema.String), false), col("n", tk(schema.Int), true)}
	nested := []schema.Column{
		col("readings", tArr(tStruct(fld("value", tk(schema.Double), false), fld("at", tk(schema.Timestamp), true)), true), true),
		col("tags", tMap(tk(schema.String), tk(schema.TinyInt), true), true),
	}
	notNullRescue := []schema.Column{col("a", tk(schema.Int), true), {Name: "r", Type: tk(schema.Variant), Rescue: true}}
	deep := strings.Repeat("[", 400) + strings.Repeat("]", 400)
	tests := []struct {
		name string
		cols []schema.Column
		rec  string
		ok   bool
	}{
		{"iot row", iotCols(), `{"device_id":"device-09585","ts":1795521600007000,"temperature":16.4,"humidity":4.2,"status":"warn","seq":7}`, true},
		{"keys in any order", iotCols(), `{"seq":7,"ts":0,"device_id":"d"}`, true},
		{"whitespace", iotCols(), " \n{ \"device_id\" : \"d\" ,\t\"ts\" : 1 }\r\n", true},
		{"missing NOT NULL column", iotCols(), `{"device_id":"d"}`, false},
		{"null for NOT NULL column", iotCols(), `{"device_id":"d","ts":null}`, false},
		{"unknown field", iotCols(), `{"device_id":"d","ts":1,"pressure":1013}`, false},
		{"duplicate field", iotCols(), `{"device_id":"d","ts":1,"ts":2}`, false},
		{"ISO timestamp", iotCols(), `{"device_id":"d","ts":"2024-11-24T10:00:00Z"}`, false},
		{"seconds as float", iotCols(), `{"device_id":"d","ts":1732451234.5}`, false},
		{"number as string", iotCols(), `{"device_id":"d","ts":1,"seq":"7"}`, false},
		{"case differs", camel, `{"deviceid":"x"}`, false},
		{"snake for camel", camel, `{"device_id":"x"}`, false},
		{"invalid JSON", iotCols(), `{"device_id":`, false},
		{"trailing garbage", iotCols(), `{"device_id":"d","ts":1} x`, false},
		{"trailing comma", iotCols(), `{"device_id":"d","ts":1,}`, false},
		{"empty record", iotCols(), ``, false},
		{"array record", iotCols(), `[{"device_id":"d"}]`, false},
		{"string record", iotCols(), `"device_id"`, false},
		{"null record", iotCols(), `null`, false},
		{"invalid UTF-8", iotCols(), "{\"device_id\":\"\xff\",\"ts\":1}", false},
		{"control character", iotCols(), "{\"device_id\":\"a\x01\",\"ts\":1}", false},
		{"bare NaN", iotCols(), `{"device_id":"d","ts":1,"temperature":NaN}`, false},
		{"too deep", []schema.Column{col("v", tk(schema.Variant), true)}, `{"v":` + deep + `}`, false},
		{"deep but fine", []schema.Column{col("v", tk(schema.Variant), true)}, `{"v":` + strings.Repeat("[", 200) + strings.Repeat("]", 200) + `}`, true},
		{"path into array of structs", nested, `{"readings":[{"value":1},{"value":"x"}]}`, false},
		{"missing field in array of structs", nested, `{"readings":[{"value":1},{"at":5}]}`, false},
		{"path into map", nested, `{"tags":{"a":1,"b":300}}`, false},
		{"nested ok", nested, `{"readings":[{"value":1.5,"at":1732451234000000}],"tags":{"z":1,"a":-1}}`, true},
		{"rescue: documentation example", rescueCols(), `{"device_name":"sensor-1","temp":"72F","humidity":87,"extra_field":"some value"}`, true},
		{"rescue: nothing to rescue", rescueCols(), `{"device_name":"sensor-1","temp":72}`, true},
		{"rescue: NOT NULL column still rejected", rescueCols(), `{"device_name":1,"extra":2}`, false},
		{"rescue: required column still required", rescueCols(), `{"Device_Name":"x"}`, false},
		{"rescue: mistyped struct", rescueCols(), `{"device_name":"s","loc":{"lat":"north","lon":1}}`, true},
		{"rescue: out of range", rescueCols(), `{"device_name":"s","temp":1e10,"zz":{"a":[1,"\u00e9\n"]},"aa":null}`, true},
		{"rescue: sending the rescue column", rescueCols(), `{"device_name":"s","rescue":{"x":1}}`, true},
		{"rescue: duplicate unknown field", rescueCols(), `{"device_name":"s","x":1,"x":2}`, false},
		{"rescue: duplicate key inside rescued value", rescueCols(), `{"device_name":"s","x":{"k":1,"k":2}}`, false},
		{"rescue: bad number in rescued value", rescueCols(), `{"device_name":"s","x":[01]}`, false},
		{"rescue flag on NOT NULL column ignored", notNullRescue, `{"a":1,"r":2,"b":3}`, false},
	}
	var golden strings.Builder
	for _, tt := range tests {
		d := schema.NewJSONDecoder(tt.cols)
		row := make([]any, len(tt.cols))
		err := d.Decode([]byte(tt.rec), row)
		if (err == nil) != tt.ok {
			t.Errorf("%s: got %v, want ok=%v", tt.name, err, tt.ok)
		}
		rec := tt.rec
		if len(rec) > 120 {
			rec = rec[:60] + "..." + rec[len(rec)-20:]
		}
		fmt.Fprintf(&golden, "=== %s\n%q\n", tt.name, rec)
		if err != nil {
			checkRecordError(t, err)
			if slices.ContainsFunc(row, func(v any) bool { return v != nil }) {
				t.Errorf("%s: row not cleared after error: %s", tt.name, fmtRow(tt.cols, row))
			}
			golden.WriteString("→ " + err.Error() + "\n")
			continue
		}
		if cerr := checkRow(tt.cols, row); cerr != nil {
			t.Errorf("%s: %v", tt.name, cerr)
		}
		golden.WriteString("→ " + fmtRow(tt.cols, row) + "\n")
	}
	checkGolden(t, "decode/json.golden", []byte(golden.String()))
}

// TestJSONDecodeRecordError pins the structured parts of one error.
func TestJSONDecodeRecordError(t *testing.T) {
	d := schema.NewJSONDecoder(iotCols())
	err := d.Decode([]byte(`{"device_id":"d","ts":"2024-11-24T10:00:00Z"}`), make([]any, 6))
	var re *schema.RecordError
	if !errors.As(err, &re) {
		t.Fatalf("got %T %v", err, err)
	}
	want := schema.RecordError{
		Path:     "ts",
		Expected: "TIMESTAMP (integer microseconds since epoch)",
		Received: `string "2024-11-24T10:00:00Z"`,
		Hint:     "send microseconds since epoch, e.g. 1732451234000000",
		Reason:   schema.ReasonTypeMismatch,
	}
	if *re != want {
		t.Errorf("got %+v\nwant %+v", *re, want)
	}
	const text = `column "ts": expected TIMESTAMP (integer microseconds since epoch), received string "2024-11-24T10:00:00Z"; hint: send microseconds since epoch, e.g. 1732451234000000`
	if err.Error() != text {
		t.Errorf("got  %s\nwant %s", err, text)
	}
}

// TestJSONDecodeReceivedIsShort checks that errors quote long values cut.
func TestJSONDecodeReceivedIsShort(t *testing.T) {
	d := schema.NewJSONDecoder([]schema.Column{col("n", tk(schema.Int), false)})
	err := d.Decode([]byte(`{"n":"`+strings.Repeat("é", 500)+`"}`), make([]any, 1))
	if err == nil || len(err.Error()) > 200 {
		t.Errorf("error is %d bytes: %v", len(err.Error()), err)
	}
}

// TestJSONDecodeConcurrent decodes from many goroutines; run with -race.
func TestJSONDecodeConcurrent(t *testing.T) {
	d := schema.NewJSONDecoder(iotCols())
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			row := make([]any, 6)
			for i := range 500 {
				rec := fmt.Sprintf(`{"device_id":"dev-%d","ts":%d,"seq":%d,"status":"%s"}`, g, i, i, strings.Repeat("x", i%40))
				if err := d.Decode([]byte(rec), row); err != nil {
					t.Error(err)
					return
				}
				if row[0] != fmt.Sprintf("dev-%d", g) || row[5] != int64(i) || row[4] != strings.Repeat("x", i%40) {
					t.Errorf("goroutine %d record %d: got %s", g, i, fmtRow(d.Columns(), row))
					return
				}
			}
		}()
	}
	wg.Wait()
}

// TestJSONDecodeValuesSurviveGC keeps the rows of many records, whose values
// share chunks (box.go, jsonsmall.go), through garbage collections and then
// checks every value: a value must pin its chunk, and no later record may
// write over it.
func TestJSONDecodeValuesSurviveGC(t *testing.T) {
	typ, err := schema.Parse("STRUCT<n: INT, s: STRING, ts: TIMESTAMP, xs: ARRAY<DOUBLE>, m: MAP<STRING, BIGINT>>")
	if err != nil {
		t.Fatal(err)
	}
	cols := []schema.Column{col("id", tk(schema.BigInt), false), col("st", typ, true), col("f", tk(schema.Float), true)}
	d := schema.NewJSONDecoder(cols)
	record := func(i int) string {
		return fmt.Sprintf(`{"id":%d,"st":{"n":%d,"s":"s%d","ts":%d,"xs":[%d.5,%d],"m":{"k%d":%d}},"f":%d.25}`, 1000+i, 1000+i, i, i, i, -i, i, i, i)
	}
	const n = 20000
	rows := make([][]any, n)
	for i := range rows {
		rows[i] = make([]any, len(cols))
		if err := d.Decode([]byte(record(i)), rows[i]); err != nil {
			t.Fatal(err)
		}
		if i%5000 == 0 {
			runtime.GC()
		}
	}
	runtime.GC()
	for i, row := range rows {
		want := fmt.Sprintf("[int64(%d), {m: map[%q: int64(%d)], n: int32(%d), s: %q, ts: time(%s), xs: [float64(%d.5), float64(%d)]}, float32(%d.25)]",
			1000+i, fmt.Sprint("k", i), i, 1000+i, fmt.Sprint("s", i), time.UnixMicro(int64(i)).UTC().Format(time.RFC3339Nano), i, -i, i)
		if got := fmtRow(cols, row); got != want {
			t.Fatalf("record %d after GC:\n got  %s\n want %s", i, got, want)
		}
	}
}

// TestJSONDecodeSpecialFloats checks the values behind the special strings,
// which golden text cannot tell apart from look-alikes.
func TestJSONDecodeSpecialFloats(t *testing.T) {
	d := schema.NewJSONDecoder([]schema.Column{col("f", tk(schema.Float), true), col("d", tk(schema.Double), true)})
	row := make([]any, 2)
	for _, tt := range []struct {
		in   string
		want float64
	}{{`"NaN"`, math.NaN()}, {`"Infinity"`, math.Inf(1)}, {`"-Infinity"`, math.Inf(-1)}, {"-0", math.Copysign(0, -1)}} {
		if err := d.Decode([]byte(`{"f":`+tt.in+`,"d":`+tt.in+`}`), row); err != nil {
			t.Fatal(err)
		}
		f, dd := float64(row[0].(float32)), row[1].(float64)
		for _, got := range []float64{f, dd} {
			if !(got == tt.want && math.Signbit(got) == math.Signbit(tt.want)) && !(math.IsNaN(got) && math.IsNaN(tt.want)) {
				t.Errorf("%s: got %v", tt.in, got)
			}
		}
	}
}

// TestJSONDecodeAcceptsSchemaRecords decodes the records the table JSON
// Schema tests accept: the decoder and the published schema must agree.
func TestJSONDecodeAcceptsSchemaRecords(t *testing.T) {
	for _, g := range goldenTables {
		d := schema.NewJSONDecoder(g.cols)
		row := make([]any, len(g.cols))
		for _, rec := range g.records {
			if err := d.Decode([]byte(rec), row); err != nil {
				t.Errorf("%s: %s: %v", g.name, rec, err)
			} else if err := checkRow(g.cols, row); err != nil {
				t.Errorf("%s: %s: %v", g.name, rec, err)
			}
		}
	}
}

// FuzzJSONDecode checks that no record panics the decoder and that every
// accepted row holds the Go types the appender expects.
func FuzzJSONDecode(f *testing.F) {
	f.Add([]byte(`{"device_id":"d","ts":1,"temperature":16.4,"n":{"a":[1,null],"b":{"k":"AQ=="}},"v":{"x":[1,"y"]}}`))
	f.Add([]byte(`{"device_id":"d","ts":1,"dec":"-12.30","m":{"1":true},"extra":1}`))
	f.Add([]byte(`{"device_id":"\ud83d\ude00","ts":-1,"temperature":"NaN","dt":20051}`))
	cols := []schema.Column{
		col("device_id", tk(schema.String), false),
		col("ts", tk(schema.Timestamp), false),
		col("temperature", tk(schema.Double), true),
		col("small", tk(schema.SmallInt), true),
		col("dec", tDec(6, 2), true),
		col("dt", tk(schema.Date), true),
		col("bin", tk(schema.Binary), true),
		col("n", tStruct(fld("a", tArr(tk(schema.TinyInt), true), false), fld("b", tMap(tk(schema.String), tk(schema.Binary), true), true)), true),
		col("m", tMap(tk(schema.Int), tk(schema.Boolean), false), true),
		col("v", tk(schema.Variant), true),
		{Name: "r", Type: tk(schema.Variant), Nullable: true, Rescue: true},
	}
	d := schema.NewJSONDecoder(cols)
	f.Fuzz(func(t *testing.T, rec []byte) {
		row := make([]any, len(cols))
		err := d.Decode(rec, row)
		if err != nil {
			var re *schema.RecordError
			if !errors.As(err, &re) {
				t.Fatalf("error %T %v", err, err)
			}
			return
		}
		if err := checkRow(cols, row); err != nil {
			t.Fatalf("%q: %v", rec, err)
		}
		// fastjson's parser is lenient; the decoder must not be.
		if !json.Valid(rec) {
			t.Fatalf("accepted invalid JSON %q", rec)
		}
	})
}

// DATE and the timestamps hold 0001-01-01 to 9999-12-31 (Databricks' range,
// which DuckDB holds too) at any depth; one step outside is refused with the
// path and the range, so that nothing acknowledged fails to materialise.
func TestJSONDecodeTemporalRange(t *testing.T) {
	cols := []schema.Column{
		col("d", tk(schema.Date), true),
		col("ts", tk(schema.Timestamp), true),
		col("ntz", tk(schema.TimestampNTZ), true),
		col("arr", tArr(tk(schema.Timestamp), true), true),
		col("st", tStruct(fld("at", tk(schema.TimestampNTZ), true)), true),
		col("m", tMap(tk(schema.String), tk(schema.Date), true), true),
		col("mk", tMap(tk(schema.Timestamp), tk(schema.Int), true), true),
	}
	dec := schema.NewJSONDecoder(cols)
	tests := []struct {
		rec, path string // path empty: accepted
	}{
		{`{"d":-719162,"ts":-62135596800000000,"ntz":253402300799999999}`, ""},
		{`{"d":2932896,"arr":[253402300799999999],"st":{"at":-62135596800000000},"m":{"k":-719162},"mk":{"253402300799999999":1}}`, ""},
		{`{"d":2932897}`, "d"},
		{`{"d":-719163}`, "d"},
		{`{"ts":9223372036854775807}`, "ts"},
		{`{"ts":253402300800000000}`, "ts"},
		{`{"ntz":-62135596800000001}`, "ntz"},
		{`{"arr":[0,-9223372036854775807]}`, "arr[1]"},
		{`{"st":{"at":253402300800000000}}`, "st.at"},
		{`{"m":{"k":2147483647}}`, `m["k"]`},
		{`{"mk":{"9223372036854775807":1}}`, "mk"},
	}
	for _, tt := range tests {
		err := dec.Decode([]byte(tt.rec), make([]any, len(cols)))
		if tt.path == "" {
			if err != nil {
				t.Errorf("%s: %v", tt.rec, err)
			}
			continue
		}
		var re *schema.RecordError
		if !errors.As(err, &re) || re.Reason != schema.ReasonOutOfRange || !strings.HasPrefix(re.Path, tt.path) || !strings.Contains(err.Error(), "9999-12-31") {
			t.Errorf("%s: got %v, want out of range at %s naming the range", tt.rec, err, tt.path)
		}
	}
}
