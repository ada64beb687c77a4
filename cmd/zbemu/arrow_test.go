package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Arrow streams driven by the official SDK's createArrowStream
// (testdata/sdk/arrow.js), batches built with apache-arrow.

// arrowResult is arrow.js's output.
type arrowResult struct {
	Created     bool    `json:"created"`
	CreateError string  `json:"createError"`
	Offsets     []int64 `json:"offsets"`
	Acked       []int64 `json:"acked"`
	Errors      []struct {
		Batch int    `json:"batch"`
		Error string `json:"error"`
	} `json:"errors"`
	FlushError string `json:"flushError"`
	CloseError string `json:"closeError"`
	Closed     bool   `json:"closed"`
}

// arrowField is a field of an SDK Arrow stream: type is a key of the
// SDK's ArrowDataType.
type arrowField struct {
	Name     string `json:"name"`
	Type     string `json:"type"`
	Nullable *bool  `json:"nullable,omitempty"`
}

// arrowScenario is the common part of an arrow.js scenario for s.
func (s *server) arrowScenario(table string, fields []arrowField, batches ...[]map[string]any) map[string]any {
	return map[string]any{"endpoint": s.url, "clientId": devID, "clientSecret": devSecret, "table": table,
		"fields": fields, "batches": batches, "close": true,
		"options": map[string]any{"recovery": false, "connectionTimeoutMs": 60000, "flushTimeoutMs": 120000}}
}

// arrowCommand is arrow.js with the scenario on stdin.
func arrowCommand(ctx context.Context, t testing.TB, scenario map[string]any) *exec.Cmd {
	t.Helper()
	ensureSDK(t)
	b, _ := json.Marshal(scenario)
	cmd := exec.CommandContext(ctx, "node", "testdata/sdk/arrow.js")
	cmd.Stdin = bytes.NewReader(b)
	cmd.Env = os.Environ()
	return cmd
}

// runArrow runs an arrow.js scenario to its end.
func runArrow(t testing.TB, scenario map[string]any) arrowResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := arrowCommand(ctx, t, scenario)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("arrow.js: %v\n%s", err, stderr.String())
	}
	var r arrowResult
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("arrow.js output %q: %v", out, err)
	}
	// The SDK's messages quote the server's with its quotes escaped.
	unescape := strings.NewReplacer(`\"`, `"`, `\\`, `\`).Replace
	r.CreateError = unescape(r.CreateError)
	for i := range r.Errors {
		r.Errors[i].Error = unescape(r.Errors[i].Error)
	}
	return r
}

// arrowTypesDDL has a column of every type the SDK's ArrowDataType can send;
// arrowTypesFields are the SDK fields for it.
const arrowTypesDDL = `CREATE TABLE main.default.arrow_types (
	i8 TINYINT, i16 SMALLINT, i32 INT, i64 BIGINT NOT NULL, f32 FLOAT, f64 DOUBLE,
	s STRING, ls STRING, dec DECIMAL(10,2), bin BINARY, lbin BINARY, flag BOOLEAN,
	d DATE, ts TIMESTAMP, v VARIANT)`

var arrowTypesFields = []arrowField{{"i8", "Int8", nil}, {"i16", "Int16", nil}, {"i32", "Int32", nil}, {"i64", "Int64", nil},
	{"f32", "Float32", nil}, {"f64", "Float64", nil}, {"s", "Utf8", nil}, {"ls", "LargeUtf8", nil}, {"dec", "LargeUtf8", nil},
	{"bin", "Binary", nil}, {"lbin", "LargeBinary", nil}, {"flag", "Boolean", nil}, {"d", "Date32", nil},
	{"ts", "TimestampMicros", nil}, {"v", "LargeUtf8", nil}}

func TestArrowSDKTypes(t *testing.T) {
	t.Parallel()
	s := startServer(t, "")
	s.sql(arrowTypesDDL)
	rows := []map[string]any{
		{"i8": -128, "i16": 32767, "i32": -2147483648, "i64": "9223372036854775807", "f32": 1.5, "f64": 2.25, "s": "héllo", "ls": "",
			"dec": "-12345678.90", "bin": "AAEC/w==", "lbin": "", "flag": true, "d": -719162, "ts": 1732451234123456, "v": `{"a":[1,"x",null]}`},
		{"i8": 127, "i16": -32768, "i32": 2147483647, "i64": "-9223372036854775808", "f32": -0.25, "f64": 1e300, "s": "日本", "ls": "x",
			"dec": "0.01", "bin": "", "lbin": "/w==", "flag": false, "d": 2932896, "ts": "-62135596800000000", "v": "42"},
		{"i64": "0"}, // every nullable column null
		{"i64": "1", "f64": math.Copysign(0, -1), "dec": "7", "ts": "253402300799999999", "v": "null"},
		{"i64": "2", "s": "a\x00b", "v": `"text"`},
	}
	r := runArrow(t, s.arrowScenario("main.default.arrow_types", arrowTypesFields, rows))
	if !r.Created || len(r.Errors) > 0 || r.CloseError != "" || len(r.Acked) != 1 {
		t.Fatalf("SDK result: %+v", r)
	}
	got := s.cells(`SELECT i8, i16, i32, i64, f32, f64, s, ls, dec, base64(bin), base64(lbin), flag, d, ts, v::string
		FROM main.default.arrow_types ORDER BY i64`)
	want := strings.Join([]string{
		"127|-32768|2147483647|-9223372036854775808|-0.25|1.0E300|日本|x|0.01||/w==|false|9999-12-31|0001-01-01T00:00:00.000Z|42",
		"NULL|NULL|NULL|0|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL",
		"NULL|NULL|NULL|1|NULL|-0.0|NULL|NULL|7.00|NULL|NULL|NULL|NULL|9999-12-31T23:59:59.999Z|null",
		"NULL|NULL|NULL|2|NULL|NULL|a\x00b|NULL|NULL|NULL|NULL|NULL|NULL|NULL|\"text\"",
		"-128|32767|-2147483648|9223372036854775807|1.5|2.25|héllo||-12345678.90|AAEC/w==||true|0001-01-01|2024-11-24T12:27:14.123Z|{\"a\":[1,\"x\",null]}",
	}, "\n")
	if got != want {
		t.Errorf("rows:\n%s\nwant:\n%s", got, want)
	}
	// Microseconds survive exactly (the rendering above shows milliseconds).
	if got := s.cells("SELECT unix_micros(ts) FROM main.default.arrow_types WHERE i64 = 9223372036854775807"); got != "1732451234123456" {
		t.Errorf("ts micros = %s", got)
	}
	if got := s.cells("SELECT data_format, protocol FROM system.lakeflow.zerobus_stream WHERE table_name = 'main.default.arrow_types' LIMIT 1"); got != "ARROW|GRPC" {
		t.Errorf("zerobus_stream data_format, protocol = %q", got)
	}
}

// arrowIoTFields and iotRows are the 6-column IoT row of the benchmarks.
var arrowIoTFields = []arrowField{{"device_id", "LargeUtf8", nil}, {"ts", "TimestampMicros", nil}, {"temperature", "Float64", nil},
	{"humidity", "Float64", nil}, {"battery", "Int32", nil}, {"ok", "Boolean", nil}}

const arrowIoTDDL = "(device_id STRING NOT NULL, ts TIMESTAMP NOT NULL, temperature DOUBLE, humidity DOUBLE, battery INT, ok BOOLEAN)"

func arrowIoTRows(from, n int) []map[string]any {
	out := make([]map[string]any, n)
	for i := range out {
		k := from + i
		out[i] = map[string]any{"device_id": fmt.Sprintf("dev-%d", k), "ts": 1732451234000000 + int64(k), "temperature": float64(k%400) / 10,
			"humidity": 50.5, "battery": k % 100, "ok": k%2 == 0}
	}
	return out
}

func TestArrowSDKStreams(t *testing.T) {
	t.Parallel()
	s := startServer(t, "")
	tests := []struct {
		name    string
		batches [][]map[string]any
		flush   bool
	}{
		{"batches of 5", [][]map[string]any{arrowIoTRows(0, 5), arrowIoTRows(5, 5), arrowIoTRows(10, 5)}, false},
		{"batches of 10k with flush", [][]map[string]any{arrowIoTRows(0, 10000), arrowIoTRows(10000, 10000), arrowIoTRows(20000, 10000)}, true},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			table := fmt.Sprintf("main.default.arrow_iot%d", i)
			s.sql("CREATE TABLE " + table + " " + arrowIoTDDL)
			sc := s.arrowScenario(table, arrowIoTFields, tc.batches...)
			sc["flush"], sc["noWait"] = tc.flush, tc.flush
			r := runArrow(t, sc)
			if !r.Created || len(r.Errors) > 0 || r.FlushError != "" || r.CloseError != "" || !r.Closed {
				t.Fatalf("SDK result: %+v", r)
			}
			if len(r.Acked) != len(tc.batches) {
				t.Errorf("acked %v, want %d batches", r.Acked, len(tc.batches))
			}
			n := 0
			for _, b := range tc.batches {
				n += len(b)
			}
			if got := s.cells("SELECT count(*), count(DISTINCT device_id), min(unix_micros(ts)), max(unix_micros(ts)) FROM " + table); got != fmt.Sprintf("%d|%d|%d|%d", n, n, 1732451234000000, 1732451234000000+n-1) {
				t.Errorf("count, distinct, min ts, max ts = %s, want %d rows once each", got, n)
			}
		})
	}
}

func TestArrowSDKRefusals(t *testing.T) {
	t.Parallel()
	s := startServer(t, "")
	s.sql("CREATE TABLE main.default.arrow_ref (id BIGINT NOT NULL, amount DECIMAL(6,2), note STRING)")
	f := func(name, typ string) arrowField { return arrowField{name, typ, nil} }
	t.Run("schema mismatch at creation", func(t *testing.T) {
		r := runArrow(t, s.arrowScenario("main.default.arrow_ref", []arrowField{f("note", "LargeUtf8"), f("amount", "Float64"), f("extra", "Int32")}))
		if r.Created {
			t.Fatalf("stream created: %+v", r)
		}
		for _, want := range []string{"invalid argument", `field "amount": column type DECIMAL(6,2) needs Arrow large_utf8`, `field "extra" is not a column`,
			`column "id" is NOT NULL but the schema has no field`, `field "amount" comes after "note"`} {
			if !strings.Contains(strings.ToLower(r.CreateError), strings.ToLower(want)) {
				t.Errorf("create error %q does not say %q", r.CreateError, want)
			}
		}
	})
	t.Run("bad batch refused with its offset", func(t *testing.T) {
		fields := []arrowField{f("id", "Int64"), f("amount", "LargeUtf8"), f("note", "LargeUtf8")}
		good := func(id int) []map[string]any { return []map[string]any{{"id": id, "amount": "1.50", "note": "ok"}} }
		bad := []map[string]any{{"id": 100, "amount": "1.50"}, {"id": 101, "amount": "12345.6"}, {"id": 102, "amount": "abc"}}
		r := runArrow(t, s.arrowScenario("main.default.arrow_ref", fields, good(1), good(2), bad, good(3)))
		if !r.Created || len(r.Errors) != 1 || r.Errors[0].Batch != 2 {
			t.Fatalf("SDK result: %+v", r)
		}
		for _, want := range []string{"offset 2, index 1", `column "amount"`, "too many digits for DECIMAL(6,2)", "2 of its 3 records fail"} {
			if !strings.Contains(r.Errors[0].Error, want) {
				t.Errorf("batch error %q does not say %q", r.Errors[0].Error, want)
			}
		}
		if got := s.cells("SELECT id FROM main.default.arrow_ref ORDER BY id"); got != "1\n2" {
			t.Errorf("rows after the refusal: %q, want the two batches acknowledged before it", got)
		}
	})
	t.Run("null in a NOT NULL column", func(t *testing.T) {
		fields := []arrowField{f("id", "Int64"), f("note", "LargeUtf8")}
		r := runArrow(t, s.arrowScenario("main.default.arrow_ref", fields, []map[string]any{{"id": 7}, {"note": "no id"}}))
		if !r.Created || len(r.Errors) != 1 || !strings.Contains(r.Errors[0].Error, `offset 0, index 1: column "id": null for a NOT NULL value`) {
			t.Fatalf("SDK result: %+v", r)
		}
	})
}

// TestArrowSDKKill9 kills the server after the SDK saw acks: every
// acknowledged batch is in the table exactly once after the restart.
func TestArrowSDKKill9(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	s := startServer(t, data)
	s.sql("CREATE TABLE main.default.arrow_crash " + arrowIoTDDL)
	var batches [][]map[string]any
	for i := 0; i < 20; i++ {
		batches = append(batches, arrowIoTRows(i*500, 500))
	}
	sc := s.arrowScenario("main.default.arrow_crash", arrowIoTFields, batches...)
	sc["printAcked"], sc["hang"] = true, true
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := arrowCommand(ctx, t, sc)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("arrow.js: %v\n%s", err, stderr.String())
	}
	var acked struct{ Acked int }
	if err := json.Unmarshal([]byte(line), &acked); err != nil || acked.Acked != len(batches) {
		t.Fatalf("acked line %q: %v", line, err)
	}
	s.kill9()
	s = startServer(t, data)
	n := acked.Acked * 500
	if got := s.cells("SELECT count(*), count(DISTINCT device_id) FROM main.default.arrow_crash"); got != fmt.Sprintf("%d|%d", n, n) {
		t.Errorf("after kill -9 and restart: count, distinct = %s, want %d acknowledged rows once each", got, n)
	}
}

// TestArrowFlightNestedTypes sends the types the SDK's TypeScript binding
// cannot declare (list, map, struct, decimal128, timestamp without zone)
// with arrow-go's Flight client, in Zerobus' canonical Arrow layout.
func TestArrowFlightNestedTypes(t *testing.T) {
	t.Parallel()
	s := startServer(t, "")
	s.sql(`CREATE TABLE main.default.arrow_nested (id INT NOT NULL, tags ARRAY<BIGINT>, attrs MAP<STRING, INT>,
		loc STRUCT<lat: DOUBLE, name: STRING>, amount DECIMAL(10,2), local TIMESTAMP_NTZ, doc VARIANT, nested ARRAY<STRUCT<k: STRING, v: ARRAY<INT>>>)`)
	mem := memory.NewGoAllocator()
	locType := arrow.StructOf(arrow.Field{Name: "lat", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		arrow.Field{Name: "name", Type: arrow.BinaryTypes.LargeString, Nullable: true})
	kvType := arrow.StructOf(arrow.Field{Name: "k", Type: arrow.BinaryTypes.LargeString, Nullable: true},
		arrow.Field{Name: "v", Type: arrow.ListOf(arrow.PrimitiveTypes.Int32), Nullable: true})
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int32},
		{Name: "tags", Type: arrow.ListOf(arrow.PrimitiveTypes.Int64), Nullable: true},
		{Name: "attrs", Type: arrow.MapOf(arrow.BinaryTypes.LargeString, arrow.PrimitiveTypes.Int32), Nullable: true},
		{Name: "loc", Type: locType, Nullable: true},
		{Name: "amount", Type: &arrow.Decimal128Type{Precision: 10, Scale: 2}, Nullable: true},
		{Name: "local", Type: &arrow.TimestampType{Unit: arrow.Microsecond}, Nullable: true},
		{Name: "doc", Type: arrow.BinaryTypes.LargeString, Nullable: true},
		{Name: "nested", Type: arrow.ListOf(kvType), Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	id := b.Field(0).(*array.Int32Builder)
	tags := b.Field(1).(*array.ListBuilder)
	attrs := b.Field(2).(*array.MapBuilder)
	loc := b.Field(3).(*array.StructBuilder)
	amount := b.Field(4).(*array.Decimal128Builder)
	local := b.Field(5).(*array.TimestampBuilder)
	doc := b.Field(6).(*array.LargeStringBuilder)
	nested := b.Field(7).(*array.ListBuilder)
	// Row 1: every value set, with nulls inside.
	id.Append(1)
	tags.Append(true)
	tags.ValueBuilder().(*array.Int64Builder).AppendValues([]int64{math.MaxInt64, -1}, nil)
	tags.ValueBuilder().(*array.Int64Builder).AppendNull()
	attrs.Append(true)
	attrs.KeyBuilder().(*array.LargeStringBuilder).AppendValues([]string{"b", "a"}, nil)
	attrs.ItemBuilder().(*array.Int32Builder).Append(2)
	attrs.ItemBuilder().(*array.Int32Builder).AppendNull()
	loc.Append(true)
	loc.FieldBuilder(0).(*array.Float64Builder).Append(52.5)
	loc.FieldBuilder(1).(*array.LargeStringBuilder).Append("Köln")
	amount.Append(decimal128.FromI64(-99999999_99))
	local.Append(arrow.Timestamp(1732451234123456))
	doc.Append(`{"x":{"y":[true,1.5]}}`)
	nested.Append(true)
	kv := nested.ValueBuilder().(*array.StructBuilder)
	kv.Append(true)
	kv.FieldBuilder(0).(*array.LargeStringBuilder).Append("k1")
	kl := kv.FieldBuilder(1).(*array.ListBuilder)
	kl.Append(true)
	kl.ValueBuilder().(*array.Int32Builder).AppendValues([]int32{1, 2}, nil)
	// Row 2: empty collections and nulls.
	id.Append(2)
	tags.Append(true)
	attrs.Append(true)
	loc.AppendNull()
	amount.Append(decimal128.FromI64(1))
	local.AppendNull()
	doc.AppendNull()
	nested.AppendNull()
	rec := b.NewRecordBatch()
	defer rec.Release()
	out := flightPut(t, s, devToken, "main.default.arrow_nested", flightMessages(t, schema, rec))
	if !out.ready() || out.err != nil || out.last() != (flightAck{0, 2}) {
		t.Fatalf("DoPut: acks %v, err %v", out.acks, out.err)
	}
	got := s.cells(`SELECT id, tags, attrs, loc, amount, local, doc::string, nested FROM main.default.arrow_nested ORDER BY id`)
	want := "1|[9223372036854775807,-1,null]|{\"b\":2,\"a\":null}|{\"lat\":52.5,\"name\":\"Köln\"}|-99999999.99|2024-11-24T12:27:14.123|{\"x\":{\"y\":[true,1.5]}}|[{\"k\":\"k1\",\"v\":[1,2]}]\n" +
		"2|[]|{}|NULL|0.01|NULL|NULL|NULL"
	if got != want {
		t.Errorf("rows:\n%s\nwant:\n%s", got, want)
	}
	if got := s.cells("SELECT unix_micros(CAST(local AS TIMESTAMP)) FROM main.default.arrow_nested WHERE id = 1"); got != "1732451234123456" {
		t.Errorf("TIMESTAMP_NTZ micros = %s", got)
	}
}
