package schema_test

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/zbemu/zbemu/schema"
)

// wf appends one field to a record; records are built by hand with
// protowire so that tests control every byte, including malformed ones.
type wf func([]byte) []byte

func wire(fs ...wf) []byte {
	var b []byte
	for _, f := range fs {
		b = f(b)
	}
	return b
}

func wVarint(num protowire.Number, v uint64) wf {
	return func(b []byte) []byte {
		return protowire.AppendVarint(protowire.AppendTag(b, num, protowire.VarintType), v)
	}
}

func wInt(num protowire.Number, v int64) wf { return wVarint(num, uint64(v)) }

func wZigzag(num protowire.Number, v int64) wf { return wVarint(num, protowire.EncodeZigZag(v)) }

func wFixed32(num protowire.Number, v uint32) wf {
	return func(b []byte) []byte {
		return protowire.AppendFixed32(protowire.AppendTag(b, num, protowire.Fixed32Type), v)
	}
}

func wFixed64(num protowire.Number, v uint64) wf {
	return func(b []byte) []byte {
		return protowire.AppendFixed64(protowire.AppendTag(b, num, protowire.Fixed64Type), v)
	}
}

func wBytes(num protowire.Number, v []byte) wf {
	return func(b []byte) []byte {
		return protowire.AppendBytes(protowire.AppendTag(b, num, protowire.BytesType), v)
	}
}

func wString(num protowire.Number, s string) wf { return wBytes(num, []byte(s)) }

func wMsg(num protowire.Number, fs ...wf) wf { return wBytes(num, wire(fs...)) }

// wPacked writes varints as one packed run.
func wPacked(num protowire.Number, vs ...uint64) wf {
	var run []byte
	for _, v := range vs {
		run = protowire.AppendVarint(run, v)
	}
	return wBytes(num, run)
}

func wRaw(raw string) wf { return func(b []byte) []byte { return append(b, raw...) } }

// scalarCols has one nullable column per scalar type and a NOT NULL id.
func scalarCols() []schema.Column {
	return []schema.Column{
		col("id", tk(schema.BigInt), false),
		col("tiny", tk(schema.TinyInt), true),
		col("small", tk(schema.SmallInt), true),
		col("i", tk(schema.Int), true),
		col("f", tk(schema.Float), true),
		col("d", tk(schema.Double), true),
		col("dec", tDec(10, 2), true),
		col("s", tk(schema.String), true),
		col("bin", tk(schema.Binary), true),
		col("bo", tk(schema.Boolean), true),
		col("dt", tk(schema.Date), true),
		col("ts", tk(schema.Timestamp), true),
		col("ntz", tk(schema.TimestampNTZ), true),
		col("v", tk(schema.Variant), true),
		col("z32", tk(schema.Int), true),
		col("f32", tk(schema.Int), true),
		col("z64", tk(schema.BigInt), true),
		col("f64", tk(schema.BigInt), true),
	}
}

func scalarDesc() *descriptorpb.DescriptorProto {
	return pmsg("table_scalars", []*descriptorpb.FieldDescriptorProto{
		pfield("id", 1, "required", "int64"),
		pfield("tiny", 2, "optional", "int32"),
		pfield("small", 3, "optional", "int32"),
		pfield("i", 4, "optional", "int32"),
		pfield("f", 5, "optional", "float"),
		pfield("d", 6, "optional", "double"),
		pfield("dec", 7, "optional", "string"),
		pfield("s", 8, "optional", "string"),
		pfield("bin", 9, "optional", "bytes"),
		pfield("bo", 10, "optional", "bool"),
		pfield("dt", 11, "optional", "int32"),
		pfield("ts", 12, "optional", "int64"),
		pfield("ntz", 13, "optional", "int64"),
		pfield("v", 14, "optional", "string"),
		pfield("z32", 15, "optional", "sint32"),
		pfield("f32", 16, "optional", "sfixed32"),
		pfield("z64", 17, "optional", "sint64"),
		pfield("f64", 100000, "optional", "sfixed64"),
	})
}

// nestedCols exercise arrays, maps and structs.
func nestedCols() []schema.Column {
	return []schema.Column{
		col("id", tk(schema.BigInt), false),
		col("loc", tStruct(fld("lat", tk(schema.Double), false), fld("lon", tk(schema.Double), true), fld("tags", tArr(tk(schema.String), true), true)), true),
		col("tags", tMap(tk(schema.String), tk(schema.Int), true), true),
		col("counts", tMap(tk(schema.Int), tk(schema.BigInt), false), true),
		col("readings", tArr(tStruct(fld("v", tk(schema.Float), true), fld("at", tk(schema.Timestamp), false)), true), true),
		col("codes", tArr(tk(schema.SmallInt), true), true),
		col("fl", tArr(tk(schema.Double), true), true),
		col("names", tArr(tk(schema.String), true), true),
		col("byloc", tMap(tk(schema.String), tStruct(fld("n", tk(schema.Int), true)), true), true),
	}
}

func nestedDesc() *descriptorpb.DescriptorProto {
	return pmsg("table_nested", []*descriptorpb.FieldDescriptorProto{
		pfield("id", 1, "required", "int64"),
		pfield("loc", 2, "optional", "message", ".pkg.table_nested.Loc"),
		pfield("tags", 3, "repeated", "message", "TagsEntry"),
		pfield("counts", 4, "repeated", "message", "CountsEntry"),
		pfield("readings", 5, "repeated", "message", "Reading"),
		packed(pfield("codes", 6, "repeated", "int32")),
		pfield("fl", 7, "repeated", "double"),
		pfield("names", 8, "repeated", "string"),
		pfield("byloc", 9, "repeated", "message", "BylocEntry"),
	},
		pmsg("Loc", []*descriptorpb.FieldDescriptorProto{pfield("lat", 1, "optional", "double"), pfield("lon", 2, "optional", "double"), pfield("tags", 3, "repeated", "string")}),
		pmapEntry("TagsEntry", "string", "int32"),
		pmapEntry("CountsEntry", "int32", "int64"),
		pmsg("Reading", []*descriptorpb.FieldDescriptorProto{pfield("v", 1, "optional", "float"), pfield("at", 2, "required", "int64")}),
		pmapEntry("BylocEntry", "string", "message", "Loc2"),
		pmsg("Loc2", []*descriptorpb.FieldDescriptorProto{pfield("n", 1, "optional", "int32")}),
	)
}

func TestProtoDecode(t *testing.T) {
	id := wInt(1, 42)
	neg := func(v int64) uint64 { return uint64(v) }
	tests := []struct {
		name string
		nest bool // nestedCols/nestedDesc instead of the scalar table
		rec  []byte
		ok   bool
	}{
		{"only the required column", false, wire(id), true},
		{"every scalar", false, wire(id, wInt(2, -128), wInt(3, 32767), wInt(4, -2147483648), wFixed32(5, math.Float32bits(16.4)),
			wFixed64(6, math.Float64bits(-1.5)), wString(7, "-12.30"), wString(8, "héllo"), wBytes(9, []byte{0, 1, 255}),
			wVarint(10, 1), wInt(11, 20051), wInt(12, 1732451234000000), wInt(13, -1), wString(14, ` {"a" : [1, "x"]} `),
			wZigzag(15, -5), wFixed32(16, uint32(0xFFFFFFFE)), wZigzag(17, math.MinInt64), wFixed64(100000, neg(-7))), true},
		{"empty string, bytes and zero values", false, wire(id, wString(8, ""), wBytes(9, nil), wVarint(10, 0), wInt(11, 0)), true},
		{"negative int32 as 10-byte varint", false, wire(id, wInt(4, -5), wInt(2, -1)), true},
		{"bool other than 0 and 1", false, wire(id, wVarint(10, 7)), true},
		{"last one wins", false, wire(id, wString(8, "first"), wString(8, "second"), wInt(1, 43)), true},
		{"field order does not matter", false, wire(wString(8, "x"), id), true},
		{"NaN and infinities", false, wire(id, wFixed32(5, math.Float32bits(float32(math.Inf(-1)))), wFixed64(6, math.Float64bits(math.NaN()))), true},
		{"VARIANT scalar JSON", false, wire(id, wString(14, `"text"`)), true},
		{"missing required column", false, wire(wString(8, "x")), false},
		{"TINYINT out of range", false, wire(id, wInt(2, 128)), false},
		{"SMALLINT out of range", false, wire(id, wInt(3, -32769)), false},
		{"DATE and timestamps at Databricks' bounds", false, wire(id, wInt(11, -719162), wInt(12, 253402300799999999), wInt(13, -62135596800000000)), true},
		{"DATE after 9999-12-31", false, wire(id, wInt(11, 2932897)), false},
		{"TIMESTAMP after 9999-12-31", false, wire(id, wInt(12, math.MaxInt64)), false},
		{"TIMESTAMP_NTZ before 0001-01-01", false, wire(id, wInt(13, -62135596800000001)), false},
		{"nested: TIMESTAMP out of range in array of structs", true, wire(id, wMsg(5, wInt(2, math.MinInt64))), false},
		{"DECIMAL too many digits", false, wire(id, wString(7, "123456789.1")), false},
		{"DECIMAL fraction digits", false, wire(id, wString(7, "1.234")), false},
		{"DECIMAL not a number", false, wire(id, wString(7, "1e2")), false},
		{"STRING not UTF-8", false, wire(id, wString(8, "\xff")), false},
		{"VARIANT not JSON", false, wire(id, wString(14, "hello")), false},
		{"VARIANT duplicate key", false, wire(id, wString(14, `{"a":1,"a":2}`)), false},
		{"VARIANT bare NaN", false, wire(id, wString(14, `[NaN]`)), false},
		{"unknown field number", false, wire(id, wInt(99, 1)), false},
		{"wire type mismatch", false, wire(id, wString(4, "12")), false},
		{"truncated varint", false, wire(id, wRaw("\x20\xff")), false},
		{"truncated bytes", false, wire(id, wRaw("\x42\x05ab")), false},
		{"field number zero", false, wire(id, wRaw("\x00\x01")), false},
		{"group wire type", false, wire(id, wRaw("\x23\x24")), false},
		{"empty record", false, nil, false},
		{"nested: empty arrays and maps", true, wire(id), true},
		{"nested: everything", true, wire(id,
			wMsg(2, wFixed64(1, math.Float64bits(52.5)), wString(3, "a"), wString(3, "b")),
			wMsg(3, wString(1, "k1"), wInt(2, 1)), wMsg(3, wString(1, "k2")),
			wMsg(4, wInt(1, -3), wInt(2, 30)), wMsg(4, wInt(2, 7)),
			wMsg(5, wFixed32(1, math.Float32bits(1.5)), wInt(2, 1732451234000000)), wMsg(5, wInt(2, 0)),
			wPacked(6, 1, 2, neg(-3)), wInt(6, 4), wPacked(6),
			wFixed64(7, math.Float64bits(0.5)), wBytes(7, protowire.AppendFixed64(protowire.AppendFixed64(nil, math.Float64bits(1)), math.Float64bits(2))),
			wString(8, "x"), wString(8, ""),
			wMsg(9, wString(1, "here"), wMsg(2, wInt(1, 5))), wMsg(9, wString(1, "empty"))), true},
		{"nested: map duplicate keys, last wins", true, wire(id, wMsg(3, wString(1, "a"), wInt(2, 1)), wMsg(3, wString(1, "b"), wInt(2, 2)), wMsg(3, wString(1, "a"), wInt(2, 3))), true},
		{"nested: struct sent twice is merged", true, wire(id, wMsg(2, wFixed64(1, math.Float64bits(1)), wString(3, "a")), wMsg(2, wFixed64(2, math.Float64bits(2)), wString(3, "b"))), true},
		{"nested: missing NOT NULL struct field", true, wire(id, wMsg(2, wFixed64(2, math.Float64bits(2)))), false},
		{"nested: missing required field in array element", true, wire(id, wMsg(5, wInt(2, 1)), wMsg(5, wFixed32(1, 0))), false},
		{"nested: out of range in packed array", true, wire(id, wPacked(6, 1, 40000)), false},
		{"nested: truncated packed array", true, wire(id, wBytes(6, []byte{0x80})), false},
		{"nested: bad wire type in array", true, wire(id, wFixed32(6, 1)), false},
		{"nested: unknown field in struct", true, wire(id, wMsg(2, wFixed64(1, 0), wInt(9, 1))), false},
		{"nested: unknown field in map entry", true, wire(id, wMsg(3, wString(1, "k"), wInt(3, 1))), false},
		{"nested: bad map value", true, wire(id, wMsg(9, wString(1, "k"), wMsg(2, wString(1, "x")))), false},
		{"nested: map entry not a message", true, wire(id, wInt(3, 1)), false},
		{"nested: truncated struct", true, wire(id, wBytes(2, []byte{0x09, 0x01})), false},
	}
	scalar, err := schema.NewProtoDecoder(scalarCols(), marshalDesc(t, scalarDesc()))
	if err != nil {
		t.Fatal(err)
	}
	nested, err := schema.NewProtoDecoder(nestedCols(), marshalDesc(t, nestedDesc()))
	if err != nil {
		t.Fatal(err)
	}
	var golden strings.Builder
	for _, tt := range tests {
		d, cols := scalar, scalarCols()
		if tt.nest {
			d, cols = nested, nestedCols()
		}
		row := make([]any, len(cols))
		for i := range row {
			row[i] = "stale" // Decode must overwrite every slot
		}
		err := d.Decode(tt.rec, row)
		if (err == nil) != tt.ok {
			t.Errorf("%s: got %v, want ok=%v", tt.name, err, tt.ok)
		}
		golden.WriteString("=== " + tt.name + "\n")
		if err != nil {
			checkRecordError(t, err)
			golden.WriteString("→ " + err.Error() + "\n")
			continue
		}
		if cerr := checkRow(cols, row); cerr != nil {
			t.Errorf("%s: %v", tt.name, cerr)
		}
		for i, c := range cols {
			if row[i] != nil {
				fmt.Fprintf(&golden, "  %s = %s\n", c.Name, fmtValue(c.Type, row[i]))
			}
		}
	}
	checkGolden(t, "decode/proto.golden", []byte(golden.String()))
}

// TestProtoDecodeDynamicpb encodes records with the protobuf runtime rather
// than by hand, so the decoder is checked against what real encoders emit
// (proto2 unpacked repeated fields, packed ones, map entries).
func TestProtoDecodeDynamicpb(t *testing.T) {
	dp := nestedDesc()
	for _, f := range dp.Field {
		if f.GetType() == descriptorpb.FieldDescriptorProto_TYPE_MESSAGE && !strings.HasPrefix(f.GetTypeName(), ".") {
			f.TypeName = proto.String(".pkg.table_nested." + f.GetTypeName())
		}
	}
	for _, n := range dp.NestedType {
		for _, f := range n.Field {
			if f.GetType() == descriptorpb.FieldDescriptorProto_TYPE_MESSAGE {
				f.TypeName = proto.String(".pkg.table_nested." + f.GetTypeName())
			}
		}
	}
	fd, err := protodesc.NewFile(&descriptorpb.FileDescriptorProto{
		Name: proto.String("t.proto"), Package: proto.String("pkg"), Syntax: proto.String("proto2"),
		MessageType: []*descriptorpb.DescriptorProto{dp},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	md := fd.Messages().Get(0)
	m := dynamicpb.NewMessage(md)
	fields := md.Fields()
	m.Set(fields.ByName("id"), protoreflect.ValueOfInt64(-9))
	loc := m.Mutable(fields.ByName("loc")).Message()
	loc.Set(loc.Descriptor().Fields().ByName("lat"), protoreflect.ValueOfFloat64(1.25))
	tags := m.Mutable(fields.ByName("tags")).Map()
	tags.Set(protoreflect.ValueOfString("k").MapKey(), protoreflect.ValueOfInt32(-1))
	codes := m.Mutable(fields.ByName("codes")).List()
	for _, c := range []int32{1, -2, 300} {
		codes.Append(protoreflect.ValueOfInt32(c))
	}
	fl := m.Mutable(fields.ByName("fl")).List()
	fl.Append(protoreflect.ValueOfFloat64(0.5))
	fl.Append(protoreflect.ValueOfFloat64(-0.25))
	readings := m.Mutable(fields.ByName("readings")).List()
	r := readings.NewElement()
	r.Message().Set(r.Message().Descriptor().Fields().ByName("at"), protoreflect.ValueOfInt64(5))
	readings.Append(r)
	rec, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	d, err := schema.NewProtoDecoder(nestedCols(), marshalDesc(t, dp))
	if err != nil {
		t.Fatal(err)
	}
	row := make([]any, len(nestedCols()))
	if err := d.Decode(rec, row); err != nil {
		t.Fatal(err)
	}
	const want = `[int64(-9), {lat: float64(1.25), lon: NULL, tags: []}, map["k": int32(-1)], map[], ` +
		`[{at: time(1970-01-01T00:00:00.000005Z), v: NULL}], [int16(1), int16(-2), int16(300)], ` +
		`[float64(0.5), float64(-0.25)], [], map[]]`
	if got := fmtRow(nestedCols(), row); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// TestProtoDecodeConcurrent decodes from many goroutines; run with -race.
func TestProtoDecodeConcurrent(t *testing.T) {
	d, err := schema.NewProtoDecoder(scalarCols(), marshalDesc(t, scalarDesc()))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			row := make([]any, len(scalarCols()))
			for i := range 500 {
				rec := wire(wInt(1, int64(i)), wString(8, fmt.Sprint(g)), wString(14, fmt.Sprintf(`{"g":%d}`, g)))
				if err := d.Decode(rec, row); err != nil {
					t.Error(err)
					return
				}
				if row[0] != int64(i) || row[7] != fmt.Sprint(g) || row[13] != fmt.Sprintf(`{"g":%d}`, g) {
					t.Errorf("goroutine %d record %d: got %s", g, i, fmtRow(scalarCols(), row))
					return
				}
			}
		}()
	}
	wg.Wait()
}

// FuzzProtoDecode feeds arbitrary record bytes to a decoder with every kind
// of field: no panic, errors are *RecordError, rows have the right types.
func FuzzProtoDecode(f *testing.F) {
	f.Add(wire(wInt(1, 1), wMsg(2, wFixed64(1, 0), wString(3, "a")), wMsg(3, wString(1, "k"), wInt(2, 1)), wPacked(6, 1, 2)))
	f.Add(wire(wInt(1, 1), wMsg(5, wInt(2, 1)), wMsg(9, wString(1, "k"), wMsg(2, wInt(1, 5))), wFixed64(7, 0)))
	f.Add(wire(wInt(1, 1), wMsg(4, wInt(1, 1), wInt(2, 2)), wString(8, "x")))
	cols := nestedCols()
	d, err := schema.NewProtoDecoder(cols, marshalDesc(f, nestedDesc()))
	if err != nil {
		f.Fatal(err)
	}
	scalars, err := schema.NewProtoDecoder(scalarCols(), marshalDesc(f, scalarDesc()))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, rec []byte) {
		for _, tc := range []struct {
			d    *schema.ProtoDecoder
			cols []schema.Column
		}{{d, cols}, {scalars, scalarCols()}} {
			row := make([]any, len(tc.cols))
			err := tc.d.Decode(rec, row)
			if err != nil {
				var re *schema.RecordError
				if !errors.As(err, &re) {
					t.Fatalf("error %T %v", err, err)
				}
				continue
			}
			if err := checkRow(tc.cols, row); err != nil {
				t.Fatalf("%x: %v", rec, err)
			}
		}
	})
}
