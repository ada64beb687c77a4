package engine

import (
	"context"
	"database/sql/driver"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/zbemu/zbemu/schema"
)

// The promise behind "acknowledged = queryable": every record a decoder
// accepts appends into a real DuckDB table of that schema. If the decoder
// let through a value DuckDB refuses, the record would be acknowledged and
// then fail to materialise. The generator is biased towards the edges:
// range bounds and one past them, NaN and infinities, NUL and surrogate
// escapes, duplicate and NULL map keys, DECIMAL at its precision.

const appendTableDDL = `CREATE TABLE main.default.edge (id BIGINT, ti TINYINT, si SMALLINT, i INT, f FLOAT, d DOUBLE,
	dec DECIMAL(38,10), dsm DECIMAL(5,2), s STRING, b BINARY, bo BOOLEAN, dt DATE, ts TIMESTAMP, ntz TIMESTAMP_NTZ, v VARIANT,
	arr ARRAY<TIMESTAMP>, m MAP<STRING, DATE>, mk MAP<TIMESTAMP, INT>, mdec MAP<DECIMAL(10,2), STRING>, mf MAP<DOUBLE, BOOLEAN>,
	st STRUCT<a: DOUBLE, b: ARRAY<STRING>, c: MAP<INT, DECIMAL(38,0)>, d: DATE>)`

// edgeValues are JSON texts per kind, valid or one step outside.
var edgeValues = map[schema.Kind][]string{
	schema.TinyInt:      {"0", "-128", "127", "128", "-129"},
	schema.SmallInt:     {"0", "-32768", "32767", "32768"},
	schema.Int:          {"0", "-2147483648", "2147483647", "2147483648"},
	schema.BigInt:       {"0", "-9223372036854775808", "9223372036854775807", "9223372036854775808", "1e3", "-0"},
	schema.Float:        {"1.5", "-0", `"NaN"`, `"Infinity"`, `"-Infinity"`, "3.4028235e38", "3.5e38", "1e-46", "1e-320"},
	schema.Double:       {"1.5", "-0", `"NaN"`, `"-Infinity"`, "1.7976931348623157e308", "1e309", "5e-324", "1e-400"},
	schema.Decimal:      {`"12.30"`, `"-0.00"`, `"9999999999999999999999999999.9999999999"`, `"99999999999999999999999999999.9999999999"`, `"NaN"`, `"1e2"`, "1.5", `".5"`, `"-999.99"`, `"Infinity"`},
	schema.String:       {`"x"`, `"\u0000"`, `"\ud800"`, `"\udbff\udfff"`, `"é"`, `"\u2028"`, `""`},
	schema.Binary:       {`"aGVsbG8="`, `""`, `"AA"`, `"AA=="`, `"!!"`},
	schema.Boolean:      {"true", "false", `"true"`},
	schema.Date:         {"0", "-719162", "2932896", "-719163", "2932897", "2147483647"},
	schema.Timestamp:    {"0", "-62135596800000000", "253402300799999999", "253402300800000000", "-62135596800000001", "9223372036854775807"},
	schema.TimestampNTZ: {"0", "-62135596800000000", "253402300799999999", "253402300800000000", "-9223372036854775808"},
	schema.Variant:      {`{"a":[1,"x",null]}`, `"\u0000"`, "1e400", "-0", "[]", `{"":1}`, `"\ud800"`, "123456789012345678901234567890", `{"a":1,"a":2}`, `"NaN"`},
}

// edgeKeys are map key texts per key kind (JSON keys are strings).
var edgeKeys = map[schema.Kind][]string{
	schema.String:    {`"k"`, `""`, `"\u0000"`, `"\ud800"`},
	schema.Int:       {`"0"`, `"-0"`, `"2147483648"`, `"1"`},
	schema.Timestamp: {`"0"`, `"253402300799999999"`, `"253402300800000000"`, `"-62135596800000000"`, `"-0"`},
	schema.Decimal:   {`"1.5"`, `"1.50"`, `"-0"`, `"0.00"`, `"99999999.99"`, `"999999999.99"`},
	schema.Double:    {`"0"`, `"-0"`, `"NaN"`, `"Infinity"`, `"1e309"`, `"1.5"`},
}

// edgeGen picks from the lists with bytes of the fuzz input.
type edgeGen struct {
	src []byte
	i   int
}

func (g *edgeGen) next(k int) int {
	if g.i < len(g.src) {
		b := g.src[g.i]
		g.i++
		return int(b) % k
	}
	g.i++
	return (g.i * 7919) % k
}

func (g *edgeGen) value(t *schema.Type, depth int) string {
	if g.next(6) == 0 {
		return "null"
	}
	switch t.Kind {
	case schema.Array:
		n := g.next(3)
		parts := make([]string, n)
		for i := range parts {
			parts[i] = g.value(t.Elem, depth+1)
		}
		return "[" + strings.Join(parts, ",") + "]"
	case schema.Map:
		n := g.next(3)
		parts := make([]string, n)
		keys := edgeKeys[t.Key.Kind]
		for i := range parts {
			parts[i] = keys[g.next(len(keys))] + ":" + g.value(t.Value, depth+1)
		}
		return "{" + strings.Join(parts, ",") + "}"
	case schema.Struct:
		var parts []string
		for _, f := range t.Fields {
			if g.next(3) > 0 {
				parts = append(parts, fmt.Sprintf("%q:%s", f.Name, g.value(f.Type, depth+1)))
			}
		}
		return "{" + strings.Join(parts, ",") + "}"
	}
	vals := edgeValues[t.Kind]
	return vals[g.next(len(vals))]
}

func (g *edgeGen) record(cols []schema.Column) []byte {
	parts := []string{`"id":1`}
	for _, c := range cols[1:] {
		if g.next(4) == 0 {
			parts = append(parts, fmt.Sprintf("%q:%s", c.Name, g.value(c.Type, 0)))
		}
	}
	return []byte("{" + strings.Join(parts, ",") + "}")
}

// appendHarness holds a real DuckDB table of the edge schema; proto, when
// set, decodes protobuf records for it instead of the JSON decoder.
type appendHarness struct {
	e     *Engine
	tv    *tableVersion
	proto *schema.ProtoDecoder
}

func newAppendHarness(t testing.TB) *appendHarness {
	e, err := Open(context.Background(), Options{Memory: true, DevClientSecret: "s"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close(context.Background()) })
	if _, err := e.Execute(context.Background(), StatementRequest{SQL: appendTableDDL, Identity: &Identity{ClientID: "zbemu-dev", Admin: true}}); err != nil {
		t.Fatal(err)
	}
	_, ts, err := e.resolveTable("main.default.edge")
	if err != nil {
		t.Fatal(err)
	}
	return &appendHarness{e: e, tv: ts.cur.Load()}
}

// check decodes rec and, if the decoder accepts it, appends it in a
// transaction that is rolled back (the table stays empty and small). It
// reports whether the decoder accepted the record.
func (h *appendHarness) check(t *testing.T, rec []byte) bool {
	row := make([]any, len(h.tv.cols))
	decode := h.tv.jsonDec.Decode
	if h.proto != nil {
		decode = h.proto.Decode
	}
	if err := decode(rec, row); err != nil {
		return false
	}
	ctx := context.Background()
	conn, err := h.e.db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		t.Fatal(err)
	}
	defer conn.ExecContext(ctx, "ROLLBACK")
	err = conn.Raw(func(dc any) error {
		return appendRows(dc.(driver.Conn), &tableBatch{tv: h.tv, parts: []batchPart{{rows: [][]any{row}}}})
	})
	if err != nil {
		t.Errorf("accepted but DuckDB refuses it:\n  record %s\n  %v", rec, err)
	}
	return true
}

func TestAcceptedRecordsAppend(t *testing.T) {
	h := newAppendHarness(t)
	rng := rand.New(rand.NewPCG(1, 2))
	src := make([]byte, 256)
	accepted := 0
	for i := 0; i < 3000; i++ {
		for j := range src {
			src[j] = byte(rng.Uint32())
		}
		if h.check(t, (&edgeGen{src: src}).record(h.tv.cols)) {
			accepted++
		}
	}
	if accepted < 300 {
		t.Errorf("only %d of 3000 generated records accepted; the generator no longer reaches DuckDB", accepted)
	}
}

func FuzzAcceptedRecordsAppend(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
	f.Add([]byte(`{"id":1,"ts":253402300799999999,"v":{"a":[1]}}`))
	f.Add([]byte(`{"id":1,"mdec":{"1.5":"a","1.50":"b"}}`))
	h := newAppendHarness(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) > 0 && in[0] == '{' {
			h.check(t, in)
			return
		}
		g := &edgeGen{src: in}
		h.check(t, g.record(h.tv.cols))
	})
}

// edgeDescriptor is the record message of the edge table for protobuf,
// every column with the wire type the descriptor check expects.
func edgeDescriptor(t testing.TB) []byte {
	f := func(name string, num int32, label descriptorpb.FieldDescriptorProto_Label, typ descriptorpb.FieldDescriptorProto_Type, typeName string) *descriptorpb.FieldDescriptorProto {
		fd := &descriptorpb.FieldDescriptorProto{Name: proto.String(name), Number: proto.Int32(num), Label: label.Enum(), Type: typ.Enum()}
		if typeName != "" {
			fd.TypeName = proto.String(typeName)
		}
		return fd
	}
	const (
		opt = descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL
		rep = descriptorpb.FieldDescriptorProto_LABEL_REPEATED
		i32 = descriptorpb.FieldDescriptorProto_TYPE_INT32
		i64 = descriptorpb.FieldDescriptorProto_TYPE_INT64
		str = descriptorpb.FieldDescriptorProto_TYPE_STRING
		msg = descriptorpb.FieldDescriptorProto_TYPE_MESSAGE
	)
	entry := func(name string, k, v descriptorpb.FieldDescriptorProto_Type, vName string) *descriptorpb.DescriptorProto {
		return &descriptorpb.DescriptorProto{Name: proto.String(name), Options: &descriptorpb.MessageOptions{MapEntry: proto.Bool(true)},
			Field: []*descriptorpb.FieldDescriptorProto{f("key", 1, opt, k, ""), f("value", 2, opt, v, vName)}}
	}
	dp := &descriptorpb.DescriptorProto{Name: proto.String("Edge"), Field: []*descriptorpb.FieldDescriptorProto{
		f("id", 1, opt, i64, ""), f("ti", 2, opt, i32, ""), f("si", 3, opt, i32, ""), f("i", 4, opt, i32, ""),
		f("f", 5, opt, descriptorpb.FieldDescriptorProto_TYPE_FLOAT, ""), f("d", 6, opt, descriptorpb.FieldDescriptorProto_TYPE_DOUBLE, ""),
		f("dec", 7, opt, str, ""), f("dsm", 8, opt, str, ""), f("s", 9, opt, str, ""), f("b", 10, opt, descriptorpb.FieldDescriptorProto_TYPE_BYTES, ""),
		f("bo", 11, opt, descriptorpb.FieldDescriptorProto_TYPE_BOOL, ""), f("dt", 12, opt, i32, ""), f("ts", 13, opt, i64, ""), f("ntz", 14, opt, i64, ""),
		f("v", 15, opt, str, ""), f("arr", 16, rep, i64, ""), f("m", 17, rep, msg, "MEntry"), f("mk", 18, rep, msg, "MkEntry"),
		f("mdec", 19, rep, msg, "MdecEntry"), f("mf", 20, rep, msg, "MfEntry"), f("st", 21, opt, msg, "St"),
	}, NestedType: []*descriptorpb.DescriptorProto{
		entry("MEntry", str, i32, ""), entry("MkEntry", i64, i32, ""), entry("MdecEntry", str, str, ""),
		entry("MfEntry", descriptorpb.FieldDescriptorProto_TYPE_DOUBLE, descriptorpb.FieldDescriptorProto_TYPE_BOOL, ""),
		{Name: proto.String("St"), Field: []*descriptorpb.FieldDescriptorProto{
			f("a", 1, opt, descriptorpb.FieldDescriptorProto_TYPE_DOUBLE, ""), f("b", 2, rep, str, ""), f("c", 3, rep, msg, "CEntry"), f("d", 4, opt, i32, "")},
			NestedType: []*descriptorpb.DescriptorProto{entry("CEntry", i32, str, "")}},
	}}
	b, err := proto.Marshal(dp)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The protobuf path: every record the protobuf decoder accepts appends.
// Seeds carry edge values (invalid UTF-8, duplicate and missing map keys,
// range bounds); the fuzzer mutates the wire bytes.
func FuzzAcceptedProtoRecordsAppend(f *testing.F) {
	v := func(b []byte, num protowire.Number, x int64) []byte {
		return protowire.AppendVarint(protowire.AppendTag(b, num, protowire.VarintType), uint64(x))
	}
	by := func(b []byte, num protowire.Number, x []byte) []byte {
		return protowire.AppendBytes(protowire.AppendTag(b, num, protowire.BytesType), x)
	}
	f.Add(v(v(v(nil, 1, 1), 13, 253402300799999999), 12, -719162))
	f.Add(by(by(v(nil, 1, 1), 9, []byte("ok\x00")), 15, []byte(`{"a":"\ud800"}`)))
	f.Add(by(v(nil, 1, 1), 9, []byte("\xff\xfe")))
	f.Add(by(by(v(nil, 1, 1), 17, by(v(nil, 2, 5), 1, []byte("k"))), 17, by(v(nil, 2, 6), 1, []byte("k"))))
	f.Add(by(by(v(nil, 1, 1), 18, v(nil, 2, 1)), 19, by(nil, 2, []byte("x")))) // missing keys
	f.Add(by(by(v(nil, 1, 1), 19, by(by(nil, 1, []byte("1.5")), 2, []byte("a"))), 19, by(by(nil, 1, []byte("1.50")), 2, []byte("b"))))
	f.Add(by(by(v(nil, 1, 1), 7, []byte("99999999999999999999999999999.9999999999")), 8, []byte("NaN")))
	f.Add(by(v(nil, 1, 1), 21, by(v(nil, 4, 2932897), 3, by(nil, 2, []byte("\xc0")))))
	h := newAppendHarness(f)
	dec, err := schema.NewProtoDecoder(h.tv.cols, edgeDescriptor(f))
	if err != nil {
		f.Fatal(err)
	}
	h.proto = dec
	f.Fuzz(func(t *testing.T, rec []byte) {
		h.check(t, rec)
	})
}
