package schema_test

import (
	"math"
	"testing"

	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/zbemu/zbemu/schema"
)

// The 6-column IoT row is the one performance.md measured (B3, B4), so
// these figures compare directly with its prototypes: about 0.6 µs per JSON
// record and 0.13 µs per protobuf record there, before boxing into []any.

const iotJSON = `{"device_id":"device-09585","ts":1795521600007000,"temperature":16.4,"humidity":4.2,"status":"warn","seq":7}`

func iotDesc() *descriptorpb.DescriptorProto {
	return pmsg("table_iot", []*descriptorpb.FieldDescriptorProto{
		pfield("device_id", 1, "required", "string"),
		pfield("ts", 2, "required", "int64"),
		pfield("temperature", 3, "optional", "double"),
		pfield("humidity", 4, "optional", "double"),
		pfield("status", 5, "optional", "string"),
		pfield("seq", 6, "optional", "int64"),
	})
}

func iotProto() []byte {
	return wire(wString(1, "device-09585"), wInt(2, 1795521600007000), wFixed64(3, math.Float64bits(16.4)),
		wFixed64(4, math.Float64bits(4.2)), wString(5, "warn"), wInt(6, 7))
}

func benchJSON(b *testing.B, cols []schema.Column, rec string) {
	d := schema.NewJSONDecoder(cols)
	row := make([]any, len(cols))
	raw := []byte(rec)
	if err := d.Decode(raw, row); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if err := d.Decode(raw, row); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkJSONDecode6(b *testing.B) { benchJSON(b, iotCols(), iotJSON) }

// BenchmarkJSONDecode6Parallel shows the cost of sharing one decoder (and
// its parser pool) between streams.
func BenchmarkJSONDecode6Parallel(b *testing.B) {
	d := schema.NewJSONDecoder(iotCols())
	rec := []byte(iotJSON)
	b.SetBytes(int64(len(rec)))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		row := make([]any, 6)
		for pb.Next() {
			if err := d.Decode(rec, row); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkProtoDecode6(b *testing.B) {
	d, err := schema.NewProtoDecoder(iotCols(), marshalDesc(b, iotDesc()))
	if err != nil {
		b.Fatal(err)
	}
	rec := iotProto()
	row := make([]any, 6)
	if err := d.Decode(rec, row); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(rec)))
	b.ReportAllocs()
	for b.Loop() {
		if err := d.Decode(rec, row); err != nil {
			b.Fatal(err)
		}
	}
}

// nested30Cols is a wide telemetry row: 20 scalars and 10 nested columns.
func nested30Cols() []schema.Column {
	return []schema.Column{
		col("id", tk(schema.BigInt), false),
		col("ts", tk(schema.Timestamp), false),
		col("name", tk(schema.String), true),
		col("city", tk(schema.String), true),
		col("temp", tk(schema.Double), true),
		col("hum", tk(schema.Double), true),
		col("ok", tk(schema.Boolean), true),
		col("level", tk(schema.Int), true),
		col("code", tk(schema.SmallInt), true),
		col("price", tDec(10, 2), true),
		col("day", tk(schema.Date), true),
		col("local", tk(schema.TimestampNTZ), true),
		col("ratio", tk(schema.Float), true),
		col("blob", tk(schema.Binary), true),
		col("flag", tk(schema.TinyInt), true),
		col("seq", tk(schema.BigInt), true),
		col("note", tk(schema.String), true),
		col("pressure", tk(schema.Double), true),
		col("altitude", tk(schema.Int), true),
		col("battery", tk(schema.Double), true),
		col("loc", tStruct(fld("lat", tk(schema.Double), false), fld("lon", tk(schema.Double), false), fld("acc", tk(schema.Float), true)), true),
		col("tags", tMap(tk(schema.String), tk(schema.String), true), true),
		col("readings", tArr(tStruct(fld("at", tk(schema.Timestamp), false), fld("v", tk(schema.Double), true)), true), true),
		col("codes", tArr(tk(schema.Int), true), true),
		col("labels", tArr(tk(schema.String), true), true),
		col("meta", tk(schema.Variant), true),
		col("device", tStruct(fld("model", tk(schema.String), true), fld("fw", tk(schema.String), true),
			fld("specs", tStruct(fld("cpu", tk(schema.String), true), fld("ram", tk(schema.Int), true)), true)), true),
		col("counters", tMap(tk(schema.String), tk(schema.BigInt), true), true),
		col("flags", tArr(tk(schema.Boolean), true), true),
		col("extra", tStruct(fld("a", tk(schema.Int), true), fld("b", tArr(tk(schema.Double), true), true)), true),
	}
}

const nested30JSON = `{"id":123456789,"ts":1795521600007000,"name":"pump-7","city":"Lyon","temp":21.5,"hum":40.25,` +
	`"ok":true,"level":3,"code":-12,"price":"1234.50","day":20051,"local":1795521600007000,"ratio":0.75,` +
	`"blob":"AAECAwQFBgc=","flag":1,"seq":99,"note":"all good","pressure":1013.2,"altitude":240,"battery":87.5,` +
	`"loc":{"lat":45.764,"lon":4.8357,"acc":3.5},"tags":{"site":"north","line":"2"},` +
	`"readings":[{"at":1795521600000000,"v":1.5},{"at":1795521601000000,"v":1.75},{"at":1795521602000000,"v":null}],` +
	`"codes":[1,2,3,5,8],"labels":["a","bb","ccc"],"meta":{"src":"plc","rev":[1,2]},` +
	`"device":{"model":"X1","fw":"2.3.1","specs":{"cpu":"arm","ram":512}},"counters":{"starts":12,"stops":11},` +
	`"flags":[true,false,true],"extra":{"a":7,"b":[0.5,0.25]}}`

func BenchmarkJSONDecode30Nested(b *testing.B) { benchJSON(b, nested30Cols(), nested30JSON) }
