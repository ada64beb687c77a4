package schema_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	sjs "github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/zbemu/zbemu/schema"
)

// compileSchema compiles a generated document with an independent
// validator, which also proves it is a valid draft 2020-12 schema.
func compileSchema(t *testing.T, doc []byte) *sjs.Schema {
	t.Helper()
	c := sjs.NewCompiler()
	c.Draft = sjs.Draft2020
	if err := c.AddResource("table.json", bytes.NewReader(doc)); err != nil {
		t.Fatalf("add schema: %v\n%s", err, doc)
	}
	s, err := c.Compile("table.json")
	if err != nil {
		t.Fatalf("compile schema: %v\n%s", err, doc)
	}
	return s
}

func validate(t *testing.T, s *sjs.Schema, record string) error {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(record))
	dec.UseNumber() // keep int64 extremes exact
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("test record %s: %v", record, err)
	}
	return s.Validate(v)
}

// TestJSONSchemaValues checks, for one column of each type, which JSON
// values the schema accepts. Each value is tried as {"c": value}.
func TestJSONSchemaValues(t *testing.T) {
	tests := []struct {
		typ      string
		nullable bool
		ok, bad  []string
	}{
		{"TINYINT", false, []string{"0", "-128", "127", "1.0"}, []string{"128", "-129", "1.5", `"1"`, "true", "null"}},
		{"SMALLINT", true, []string{"-32768", "32767", "null"}, []string{"32768", "-32769", `"1"`}},
		{"INT", false, []string{"2147483647", "-2147483648"}, []string{"2147483648", "-2147483649", "1e10"}},
		{"BIGINT", false, []string{"9223372036854775807", "-9223372036854775808"}, []string{"9223372036854775808", "-9223372036854775809", `"1"`, "0.5"}},
		{"FLOAT", true, []string{"1.5", "-3", "1e38", "3.4028235677973366e38", `"NaN"`, `"Infinity"`, `"-Infinity"`, "null"},
			[]string{`"nan"`, `"1.5"`, "true", "[]", "1e39", "-3.40282356779733661637539395458142568448e38"}},
		{"DOUBLE", false, []string{"0", "-1.25e-300", "1e-400", "1.7976931348623158e308", `"NaN"`}, []string{`"inf"`, "null", "{}", "1e400", "-1.7976931348623159e308"}},
		{"DECIMAL(5,2)", false,
			[]string{`"123.45"`, `"-0.5"`, `".5"`, `"007"`, `"+1.2"`, `"0"`, `"000123.40"`},
			[]string{`"1234.5"`, `"1.234"`, "1.5", `"1e2"`, `""`, `"-"`, `"1."`, `"abc"`, `" 1"`, `"."`}},
		{"DECIMAL(2,2)", false, []string{`"0.12"`, `".5"`, `"0"`, `"-0.99"`}, []string{`"1.0"`, `"1"`, `"0.123"`}},
		{"DECIMAL(10,0)", true, []string{`"1234567890"`, `"-5"`, "null"}, []string{`"1.5"`, `"12345678901"`, "5"}},
		{"STRING", false, []string{`"x"`, `""`, `"<ü>"`}, []string{"1", "null", `["x"]`}},
		{"BINARY", false, []string{`""`, `"AQID"`, `"AQI="`, `"AQ=="`, `"AQ"`, `"AQI"`, `"+/+/"`}, []string{`"AQ="`, `"AQI=="`, `"A"`, `"AQ\nID"`, `"!!!!"`, `"-_-_"`, "1"}},
		{"BOOLEAN", true, []string{"true", "false", "null"}, []string{`"true"`, "1", "0"}},
		{"DATE", false, []string{"20051", "-719162", "0"}, []string{`"2024-11-24"`, "2147483648", "1.5"}},
		{"TIMESTAMP", false, []string{"1732451234000000", "-1"}, []string{`"2024-11-24T12:27:14Z"`, "1.5", "9223372036854775808"}},
		{"TIMESTAMP_NTZ", true, []string{"1732451234000000", "null"}, []string{`"2024-11-24 12:27:14"`, "true"}},
		{"VARIANT", true, []string{`{"a":[1,{"b":null}]}`, "[1]", `"x"`, "1.5", "null", "true"}, nil},
		{"VARIANT", false, []string{`{"a":null}`, "[null]", "0", `""`}, []string{"null"}},
		{"ARRAY<VARIANT>", false, []string{"[1,null]"}, nil},
		{"ARRAY<INT>", false, []string{"[]", "[1,null,3]"}, []string{`[1,"x"]`, `{"a":1}`, "[2147483648]", "null", "1"}},
		{"ARRAY<STRUCT<a: INT NOT NULL>>", false, []string{"[]", `[{"a":1},null]`}, []string{"[{}]", `[{"a":1,"b":2}]`, `[{"a":null}]`}},
		{"ARRAY<DECIMAL(3,1)>", false, []string{`["12.3"]`}, []string{`["123.4"]`, "[1.5]"}},
		{"MAP<STRING, INT>", false, []string{"{}", `{"a":1,"b":null}`}, []string{`{"a":"x"}`, "[1]", `{"a":2147483648}`}},
		{"MAP<INT, STRING>", false, []string{`{"1":"x","-5":"y"}`}, []string{`{"a":"x"}`, `{"1.5":"x"}`, `{"1":1}`}},
		{"MAP<BOOLEAN, INT>", false, []string{`{"true":1,"false":2}`}, []string{`{"yes":1}`}},
		{"MAP<DOUBLE, INT>", false, []string{`{"1.5":1,"-2e3":2,"NaN":3}`}, []string{`{"x":1}`}},
		{"MAP<DECIMAL(4,1), INT>", false, []string{`{"123.4":1}`}, []string{`{"1.23":1}`}},
		{"MAP<STRING, STRUCT<x: DATE>>", false, []string{`{"k":{"x":1}}`, `{"k":null}`}, []string{`{"k":{"y":1}}`}},
		{"STRUCT<a: INT, b: STRING NOT NULL>", true,
			[]string{`{"b":"x"}`, `{"a":null,"b":"x"}`, `{"a":1,"b":"x"}`, "null"},
			[]string{`{"a":1}`, `{"b":"x","c":1}`, `{"b":null}`, `"x"`, "[]"}},
		{"STRUCT<>", false, []string{"{}"}, []string{`{"a":1}`, "null"}},
	}
	for _, tt := range tests {
		t.Run(tt.typ, func(t *testing.T) {
			col := schema.Column{Name: "c", Type: mustParse(t, tt.typ), Nullable: tt.nullable}
			doc, err := schema.JSONSchema("main.default.t", []schema.Column{col})
			if err != nil {
				t.Fatal(err)
			}
			s := compileSchema(t, doc)
			for _, v := range tt.ok {
				if err := validate(t, s, `{"c":`+v+`}`); err != nil {
					t.Errorf("%s rejected %s: %v", tt.typ, v, err)
				}
			}
			for _, v := range tt.bad {
				if err := validate(t, s, `{"c":`+v+`}`); err == nil {
					t.Errorf("%s accepted %s", tt.typ, v)
				}
			}
			// Absent is fine exactly when the column is nullable.
			if err := validate(t, s, `{}`); (err == nil) != tt.nullable {
				t.Errorf("%s nullable=%v: validating {} gave %v", tt.typ, tt.nullable, err)
			}
		})
	}
}

func TestJSONSchemaRecords(t *testing.T) {
	cols := []schema.Column{
		{Name: "id", Type: mustParse(t, "STRING")},
		{Name: "n", Type: mustParse(t, "INT"), Nullable: true},
	}
	rescue := append(append([]schema.Column{}, cols...), schema.Column{Name: "_rescued_data", Type: mustParse(t, "VARIANT"), Nullable: true, Rescue: true})
	tests := []struct {
		name   string
		cols   []schema.Column
		record string
		ok     bool
	}{
		{"minimal", cols, `{"id":"a"}`, true},
		{"full", cols, `{"id":"a","n":1}`, true},
		{"missing required", cols, `{"n":1}`, false},
		{"unknown key", cols, `{"id":"a","extra":1}`, false},
		{"not an object", cols, `["a"]`, false},
		{"rescue unknown key", rescue, `{"id":"a","extra":1}`, true},
		{"rescue still requires", rescue, `{"extra":1}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := schema.JSONSchema("main.default.t", tt.cols)
			if err != nil {
				t.Fatal(err)
			}
			if err := validate(t, compileSchema(t, doc), tt.record); (err == nil) != tt.ok {
				t.Errorf("validate %s: %v, want ok=%v", tt.record, err, tt.ok)
			}
		})
	}
}

func TestJSONSchemaErrors(t *testing.T) {
	tests := []struct {
		name string
		col  schema.Column
	}{
		{"nil type", schema.Column{Name: "c"}},
		{"invalid kind", schema.Column{Name: "c", Type: &schema.Type{}}},
		{"nil element", schema.Column{Name: "c", Type: &schema.Type{Kind: schema.Array}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := schema.JSONSchema("t", []schema.Column{tt.col})
			if !errors.Is(err, schema.ErrUnsupportedType) {
				t.Errorf("got %v, want ErrUnsupportedType", err)
			}
		})
	}
}

// goldenTables are the tables whose schema documents are pinned in
// testdata/jsonschema/ and testdata/proto/.
var goldenTables = []struct {
	name, table string
	cols        []schema.Column
	records     []string // accepted records, checked against the JSON schema
}{
	{
		name:  "iot",
		table: "main.sensors.iot_readings",
		cols: []schema.Column{
			{Name: "device_id", Type: mustParseG("STRING"), Comment: "sensor serial number"},
			{Name: "event_time", Type: mustParseG("TIMESTAMP")},
			{Name: "temperature", Type: mustParseG("DOUBLE"), Nullable: true, Comment: "degrees Celsius"},
			{Name: "humidity", Type: mustParseG("INT"), Nullable: true},
			{Name: "battery_pct", Type: mustParseG("DECIMAL(5,2)"), Nullable: true},
			{Name: "reading_date", Type: mustParseG("DATE"), Nullable: true},
		},
		records: []string{
			`{"device_id":"sensor-1","event_time":1732451234000000}`,
			`{"device_id":"sensor-1","event_time":1732451234000000,"temperature":21.5,"humidity":40,"battery_pct":"99.50","reading_date":20051}`,
			`{"device_id":"sensor-2","event_time":0,"temperature":"NaN","humidity":null,"battery_pct":null,"reading_date":null}`,
		},
	},
	{
		name:  "nested",
		table: "main.default.orders",
		cols: []schema.Column{
			{Name: "order_id", Type: mustParseG("BIGINT")},
			{Name: "customer", Type: mustParseG("STRUCT<name: STRING NOT NULL, address: STRUCT<street: STRING, zip: STRING COMMENT 'postal code'>>")},
			{Name: "items", Type: mustParseG("ARRAY<STRUCT<sku: STRING NOT NULL, qty: SMALLINT NOT NULL, price: DECIMAL(10,2)>>"), Nullable: true},
			{Name: "tags", Type: mustParseG("MAP<STRING, STRING>"), Nullable: true},
			{Name: "counts_by_day", Type: mustParseG("MAP<DATE, BIGINT>"), Nullable: true},
			{Name: "scores", Type: mustParseG("ARRAY<FLOAT>"), Nullable: true},
			{Name: "attachment", Type: mustParseG("BINARY"), Nullable: true},
			{Name: "is_gift", Type: mustParseG("BOOLEAN"), Nullable: true},
			{Name: "local_time", Type: mustParseG("TIMESTAMP_NTZ"), Nullable: true},
			{Name: "extra", Type: mustParseG("VARIANT"), Nullable: true},
		},
		records: []string{
			`{"order_id":1,"customer":{"name":"Ada"}}`,
			`{"order_id":2,"customer":{"name":"Bob","address":{"street":"Main St 1","zip":"12345"}},` +
				`"items":[{"sku":"A-1","qty":2,"price":"9.99"},{"sku":"B-2","qty":1}],"tags":{"channel":"web"},` +
				`"counts_by_day":{"20051":3},"scores":[1.5,null,"Infinity"],"attachment":"aGVsbG8=","is_gift":false,` +
				`"local_time":1732451234000000,"extra":{"anything":[1,2,3]}}`,
		},
	},
}

// mustParseG parses type text at package initialisation, for the golden
// tables.
func mustParseG(text string) *schema.Type {
	t, err := schema.Parse(text)
	if err != nil {
		panic(err)
	}
	return t
}

func TestJSONSchemaGolden(t *testing.T) {
	for _, g := range goldenTables {
		t.Run(g.name, func(t *testing.T) {
			doc, err := schema.JSONSchema(g.table, g.cols)
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, "jsonschema/"+g.name+".json", append(doc, '\n'))
			s := compileSchema(t, doc)
			for _, r := range g.records {
				if err := validate(t, s, r); err != nil {
					t.Errorf("example record rejected: %s: %v", r, err)
				}
			}
		})
	}
}

// TestJSONSchemaDeterministic guards the golden files and HTTP caching: the
// same table must always give the same bytes.
func TestJSONSchemaDeterministic(t *testing.T) {
	g := goldenTables[1]
	first, err := schema.JSONSchema(g.table, g.cols)
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		again, _ := schema.JSONSchema(g.table, g.cols)
		if !bytes.Equal(first, again) {
			t.Fatal("JSONSchema output is not deterministic")
		}
	}
	if !json.Valid(first) {
		t.Fatal("output is not valid JSON")
	}
	if bytes.Contains(first, []byte(`\u003c`)) {
		t.Error("output still HTML-escapes <")
	}
}
