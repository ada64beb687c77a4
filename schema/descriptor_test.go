package schema_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/zbemu/zbemu/schema"
)

// pfield builds a descriptor field the way a .proto line reads:
// pfield("ts", 2, "required", "int64"), or with a type name for messages:
// pfield("loc", 3, "optional", "message", "Loc").
func pfield(name string, num int32, label, typ string, typeName ...string) *descriptorpb.FieldDescriptorProto {
	l := descriptorpb.FieldDescriptorProto_Label(descriptorpb.FieldDescriptorProto_Label_value["LABEL_"+strings.ToUpper(label)])
	ty := descriptorpb.FieldDescriptorProto_Type(descriptorpb.FieldDescriptorProto_Type_value["TYPE_"+strings.ToUpper(typ)])
	if l == 0 || ty == 0 {
		panic("pfield: bad label or type " + label + " " + typ)
	}
	fd := &descriptorpb.FieldDescriptorProto{Name: proto.String(name), Number: proto.Int32(num), Label: l.Enum(), Type: ty.Enum()}
	if len(typeName) > 0 {
		fd.TypeName = proto.String(typeName[0])
	}
	return fd
}

// packed marks a field packed, as protobufjs does for every scalar.
func packed(fd *descriptorpb.FieldDescriptorProto) *descriptorpb.FieldDescriptorProto {
	fd.Options = &descriptorpb.FieldOptions{Packed: proto.Bool(true)}
	return fd
}

func pmsg(name string, fields []*descriptorpb.FieldDescriptorProto, nested ...*descriptorpb.DescriptorProto) *descriptorpb.DescriptorProto {
	return &descriptorpb.DescriptorProto{Name: proto.String(name), Field: fields, NestedType: nested}
}

// pmapEntry is the entry message protoc generates for map<K, V>.
func pmapEntry(name, keyType, valueType string, valueTypeName ...string) *descriptorpb.DescriptorProto {
	m := pmsg(name, []*descriptorpb.FieldDescriptorProto{
		pfield("key", 1, "optional", keyType),
		pfield("value", 2, "optional", valueType, valueTypeName...),
	})
	m.Options = &descriptorpb.MessageOptions{MapEntry: proto.Bool(true)}
	return m
}

func marshalDesc(t testing.TB, dp *descriptorpb.DescriptorProto) []byte {
	t.Helper()
	b, err := proto.Marshal(dp)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestNewProtoDecoderDescriptors(t *testing.T) {
	iot := iotCols()
	iotFields := func() []*descriptorpb.FieldDescriptorProto {
		return []*descriptorpb.FieldDescriptorProto{
			pfield("device_id", 1, "required", "string"),
			pfield("ts", 2, "required", "int64"),
			pfield("temperature", 3, "optional", "double"),
			pfield("humidity", 4, "optional", "double"),
			pfield("status", 5, "optional", "string"),
			pfield("seq", 6, "optional", "int64"),
		}
	}
	with := func(fs []*descriptorpb.FieldDescriptorProto, i int, f *descriptorpb.FieldDescriptorProto) []*descriptorpb.FieldDescriptorProto {
		fs[i] = f
		return fs
	}
	complexCols := []schema.Column{
		col("id", tk(schema.BigInt), false),
		col("loc", tStruct(fld("lat", tk(schema.Double), false), fld("lon", tk(schema.Double), true)), true),
		col("tags", tMap(tk(schema.String), tk(schema.Int), true), true),
		col("readings", tArr(tStruct(fld("v", tk(schema.Float), true)), true), true),
		col("codes", tArr(tk(schema.SmallInt), true), true),
	}
	complexDesc := func() *descriptorpb.DescriptorProto {
		return pmsg("table_t", []*descriptorpb.FieldDescriptorProto{
			pfield("id", 1, "required", "int64"),
			pfield("loc", 2, "optional", "message", ".pkg.table_t.Loc"),
			pfield("tags", 3, "repeated", "message", "table_t.TagsEntry"),
			pfield("readings", 4, "repeated", "message", "Reading"),
			packed(pfield("codes", 5, "repeated", "sint32")),
		},
			pmsg("Loc", []*descriptorpb.FieldDescriptorProto{pfield("lat", 1, "optional", "double"), pfield("lon", 2, "optional", "double")}),
			pmapEntry("TagsEntry", "string", "int32"),
			pmsg("Reading", []*descriptorpb.FieldDescriptorProto{pfield("v", 1, "optional", "float")}),
		)
	}
	tests := []struct {
		name string
		cols []schema.Column
		desc []byte // nil: use dp
		dp   *descriptorpb.DescriptorProto
		want error // nil, ErrDescriptorMismatch or ErrBadDescriptor
	}{
		{name: "iot", cols: iot, dp: pmsg("table_iot", iotFields())},
		{name: "nullable columns may be left out", cols: iot, dp: pmsg("t", iotFields()[:2])},
		{name: "nullable column may be required", cols: iot, dp: pmsg("t", with(iotFields(), 2, pfield("temperature", 3, "required", "double")))},
		{name: "zigzag and fixed variants", cols: iot, dp: pmsg("t", with(with(iotFields(), 1, pfield("ts", 2, "required", "sfixed64")), 5, pfield("seq", 9000, "optional", "sint64")))},
		{name: "proto3 optional", cols: iot, dp: pmsg("t", with(iotFields(), 2, func() *descriptorpb.FieldDescriptorProto {
			f := pfield("temperature", 3, "optional", "double")
			f.Proto3Optional = proto.Bool(true)
			return f
		}()))},
		{name: "nested, maps, arrays", cols: complexCols, dp: complexDesc()},
		{name: "map entry without the map_entry option", cols: complexCols, dp: func() *descriptorpb.DescriptorProto {
			dp := complexDesc()
			dp.NestedType[1].Options = nil
			return dp
		}()},
		{name: "field not a column", cols: iot, dp: pmsg("t", append(iotFields(), pfield("pressure", 7, "optional", "double"))), want: schema.ErrDescriptorMismatch},
		{name: "field differs by case", cols: iot, dp: pmsg("t", append(iotFields()[:5], pfield("Seq", 6, "optional", "int64"))), want: schema.ErrDescriptorMismatch},
		{name: "NOT NULL column optional", cols: iot, dp: pmsg("t", with(iotFields(), 1, pfield("ts", 2, "optional", "int64"))), want: schema.ErrDescriptorMismatch},
		{name: "NOT NULL column missing", cols: iot, dp: pmsg("t", iotFields()[1:]), want: schema.ErrDescriptorMismatch},
		{name: "wrong scalar type", cols: iot, dp: pmsg("t", with(iotFields(), 2, pfield("temperature", 3, "optional", "float"))), want: schema.ErrDescriptorMismatch},
		{name: "int64 for INT", cols: []schema.Column{col("n", tk(schema.Int), true)}, dp: pmsg("t", []*descriptorpb.FieldDescriptorProto{pfield("n", 1, "optional", "int64")}), want: schema.ErrDescriptorMismatch},
		{name: "unsigned and enum types", cols: []schema.Column{col("a", tk(schema.BigInt), true), col("b", tk(schema.Int), true)},
			dp: pmsg("t", []*descriptorpb.FieldDescriptorProto{pfield("a", 1, "optional", "uint64"), pfield("b", 2, "optional", "enum", ".E")}), want: schema.ErrDescriptorMismatch},
		{name: "google.protobuf.Timestamp", cols: iot, dp: pmsg("t", with(iotFields(), 1, pfield("ts", 2, "required", "message", ".google.protobuf.Timestamp"))), want: schema.ErrDescriptorMismatch},
		{name: "repeated scalar for scalar column", cols: iot, dp: pmsg("t", with(iotFields(), 5, pfield("seq", 6, "repeated", "int64"))), want: schema.ErrDescriptorMismatch},
		{name: "all problems at once", cols: iot, dp: pmsg("t", []*descriptorpb.FieldDescriptorProto{
			pfield("ts", 2, "optional", "int64"),
			pfield("temperature", 3, "optional", "int32"),
			pfield("deviceId", 4, "required", "string"),
		}), want: schema.ErrDescriptorMismatch},
		{name: "array not repeated", cols: complexCols, dp: func() *descriptorpb.DescriptorProto {
			dp := complexDesc()
			dp.Field[4] = pfield("codes", 5, "optional", "int32")
			return dp
		}(), want: schema.ErrDescriptorMismatch},
		{name: "array element type", cols: complexCols, dp: func() *descriptorpb.DescriptorProto {
			dp := complexDesc()
			dp.Field[4] = pfield("codes", 5, "repeated", "string")
			return dp
		}(), want: schema.ErrDescriptorMismatch},
		{name: "struct as scalar", cols: complexCols, dp: func() *descriptorpb.DescriptorProto {
			dp := complexDesc()
			dp.Field[1] = pfield("loc", 2, "optional", "string")
			return dp
		}(), want: schema.ErrDescriptorMismatch},
		{name: "problems inside nested messages", cols: complexCols, dp: func() *descriptorpb.DescriptorProto {
			dp := complexDesc()
			dp.NestedType[0].Field = []*descriptorpb.FieldDescriptorProto{pfield("lon", 2, "optional", "float"), pfield("alt", 3, "optional", "double")}
			dp.NestedType[1] = pmapEntry("TagsEntry", "int32", "int32")
			dp.NestedType[2].Field[0] = pfield("v", 1, "repeated", "float")
			return dp
		}(), want: schema.ErrDescriptorMismatch},
		{name: "map is not an entry message", cols: complexCols, dp: func() *descriptorpb.DescriptorProto {
			dp := complexDesc()
			dp.Field[2] = pfield("tags", 3, "repeated", "message", "Reading")
			return dp
		}(), want: schema.ErrDescriptorMismatch},
		{name: "map entry for a struct", cols: complexCols, dp: func() *descriptorpb.DescriptorProto {
			dp := complexDesc()
			dp.Field[1] = pfield("loc", 2, "optional", "message", "TagsEntry")
			return dp
		}(), want: schema.ErrDescriptorMismatch},
		{name: "nested array column", cols: []schema.Column{col("xs", tArr(tArr(tk(schema.Int), true), true), true)},
			dp: pmsg("t", []*descriptorpb.FieldDescriptorProto{pfield("xs", 1, "repeated", "int32")}), want: schema.ErrDescriptorMismatch},
		{name: "not a descriptor", cols: iot, desc: []byte("\xff\xff\xff"), want: schema.ErrBadDescriptor},
		{name: "undefined message type", cols: complexCols, dp: func() *descriptorpb.DescriptorProto {
			dp := complexDesc()
			dp.NestedType = dp.NestedType[1:]
			return dp
		}(), want: schema.ErrBadDescriptor},
		{name: "duplicate field number", cols: iot, dp: pmsg("t", with(iotFields(), 3, pfield("humidity", 3, "optional", "double"))), want: schema.ErrBadDescriptor},
		{name: "duplicate field name", cols: iot, dp: pmsg("t", append(iotFields(), pfield("seq", 7, "optional", "int64"))), want: schema.ErrBadDescriptor},
		{name: "field number zero", cols: iot, dp: pmsg("t", with(iotFields(), 5, pfield("seq", 0, "optional", "int64"))), want: schema.ErrBadDescriptor},
	}
	var golden strings.Builder
	for _, tt := range tests {
		desc := tt.desc
		if desc == nil {
			desc = marshalDesc(t, tt.dp)
		}
		d, err := schema.NewProtoDecoder(tt.cols, desc)
		switch {
		case tt.want == nil && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.want != nil && !errors.Is(err, tt.want):
			t.Errorf("%s: got %v, want %v", tt.name, err, tt.want)
		case err == nil && len(d.Columns()) != len(tt.cols):
			t.Errorf("%s: Columns() has %d columns", tt.name, len(d.Columns()))
		}
		var de *schema.DescriptorError
		if errors.As(err, &de) && len(de.Problems) == 0 {
			t.Errorf("%s: DescriptorError without problems", tt.name)
		}
		golden.WriteString("=== " + tt.name + "\n")
		if err != nil {
			golden.WriteString("→ " + err.Error() + "\n")
			if de != nil {
				for _, p := range de.Problems {
					golden.WriteString("  " + p.Cause + " " + p.Path + "\n")
				}
			}
		} else {
			golden.WriteString("→ ok\n")
		}
	}
	checkGolden(t, "decode/descriptor.golden", []byte(golden.String()))
}

// TestNewProtoDecoderAcceptsProtoFile checks that the descriptor protoc
// builds from schema.ProtoFile's output is accepted for the same table: what
// zbemu tells users to compile must be what it accepts.
func TestNewProtoDecoderAcceptsProtoFile(t *testing.T) {
	protoc, err := exec.LookPath("protoc")
	if err != nil {
		t.Skip("protoc not installed")
	}
	for _, g := range goldenTables {
		t.Run(g.name, func(t *testing.T) {
			file, err := schema.ProtoFile(g.table, g.cols)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "table.proto"), []byte(file), 0o644); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(dir, "out.pb")
			if b, err := exec.Command(protoc, "--proto_path="+dir, "--descriptor_set_out="+out, "table.proto").CombinedOutput(); err != nil {
				t.Fatalf("protoc: %v\n%s", err, b)
			}
			raw, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			var set descriptorpb.FileDescriptorSet
			if err := proto.Unmarshal(raw, &set); err != nil {
				t.Fatal(err)
			}
			msg := set.GetFile()[0].GetMessageType()[0]
			if _, err := schema.NewProtoDecoder(g.cols, marshalDesc(t, msg)); err != nil {
				t.Errorf("descriptor of the generated file rejected: %v\n%s", err, file)
			}
		})
	}
}

// FuzzDescriptorCheck feeds arbitrary descriptor bytes: no panic, and errors
// are always one of the two descriptor sentinels.
func FuzzDescriptorCheck(f *testing.F) {
	cols := []schema.Column{
		col("id", tk(schema.BigInt), false),
		col("loc", tStruct(fld("lat", tk(schema.Double), false)), true),
		col("tags", tMap(tk(schema.String), tk(schema.Int), true), true),
		col("codes", tArr(tk(schema.SmallInt), true), true),
	}
	good := pmsg("t", []*descriptorpb.FieldDescriptorProto{
		pfield("id", 1, "required", "int64"),
		pfield("loc", 2, "optional", "message", "Loc"),
		pfield("tags", 3, "repeated", "message", ".x.t.TagsEntry"),
		pfield("codes", 4, "repeated", "int32"),
	}, pmsg("Loc", []*descriptorpb.FieldDescriptorProto{pfield("lat", 1, "optional", "double")}), pmapEntry("TagsEntry", "string", "int32"))
	f.Add(marshalDesc(f, good))
	f.Add(marshalDesc(f, pmsg("t", []*descriptorpb.FieldDescriptorProto{pfield("id", 1, "optional", "string")})))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, desc []byte) {
		d, err := schema.NewProtoDecoder(cols, desc)
		if err != nil {
			if !errors.Is(err, schema.ErrBadDescriptor) && !errors.Is(err, schema.ErrDescriptorMismatch) {
				t.Fatalf("error %v wraps neither sentinel", err)
			}
			return
		}
		// Whatever was accepted must decode without panicking.
		row := make([]any, len(cols))
		_ = d.Decode(desc, row)
	})
}
