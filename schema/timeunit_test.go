package schema_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/zbemu/zbemu/schema"
)

// The plausible window as microseconds, and its edges in each unit.
var (
	from1990 = time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC)
	to2200   = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
)

func TestClassifyMicros(t *testing.T) {
	now := time.Date(2024, 11, 24, 12, 27, 14, 0, time.UTC)
	tests := []struct {
		name string
		v    int64
		want schema.TimeUnit
	}{
		{"now in microseconds", now.UnixMicro(), schema.Micros},
		{"1990 in microseconds (first plausible)", from1990.UnixMicro(), schema.Micros},
		{"just before 2200 in microseconds (last plausible)", to2200.UnixMicro() - 1, schema.Micros},
		{"now in seconds", now.Unix(), schema.Seconds},
		{"1990 in seconds", from1990.Unix(), schema.Seconds},
		{"a second before 1990 in seconds", from1990.Unix() - 1, schema.Micros},
		{"just before 2200 in seconds", to2200.Unix() - 1, schema.Seconds},
		{"2200 in seconds", to2200.Unix(), schema.Micros},
		{"now in milliseconds", now.UnixMilli(), schema.Millis},
		{"1990 in milliseconds", from1990.UnixMilli(), schema.Millis},
		{"just before 1990 in milliseconds", from1990.UnixMilli() - 1, schema.Micros},
		{"just before 2200 in milliseconds", to2200.UnixMilli() - 1, schema.Millis},
		{"2200 in milliseconds", to2200.UnixMilli(), schema.Micros},
		{"now in nanoseconds", now.UnixNano(), schema.Nanos},
		{"1990 in nanoseconds", from1990.UnixNano(), schema.Nanos},
		{"just before 1990 in nanoseconds", from1990.UnixNano() - 1, schema.Micros},
		{"2200 in microseconds (no unit fits)", to2200.UnixMicro(), schema.Micros},
		{"zero (the epoch, a common sentinel)", 0, schema.Micros},
		{"small integer", 42, schema.Micros},
		{"negative: before 1970 in any unit", -now.Unix(), schema.Micros},
		{"1960 in microseconds", time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro(), schema.Micros},
		{"largest int64", 1<<63 - 1, schema.Micros},
		{"smallest int64", -1 << 63, schema.Micros},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := schema.ClassifyMicros(tt.v); got != tt.want {
				t.Errorf("ClassifyMicros(%d) = %s, want %s", tt.v, got, tt.want)
			}
		})
	}
}

// Converting a value as its hint says gives back the instant it meant.
func TestTimeUnitHintsConvert(t *testing.T) {
	now := time.Date(2024, 11, 24, 12, 27, 14, 0, time.UTC)
	for _, tt := range []struct {
		unit    schema.TimeUnit
		v       int64
		hint    string
		convert func(int64) int64
	}{
		{schema.Seconds, now.Unix(), "seconds since the epoch; multiply by 1,000,000", func(v int64) int64 { return v * 1e6 }},
		{schema.Millis, now.UnixMilli(), "milliseconds since the epoch; multiply by 1000", func(v int64) int64 { return v * 1e3 }},
		{schema.Nanos, now.UnixNano(), "nanoseconds since the epoch; divide by 1000", func(v int64) int64 { return v / 1e3 }},
	} {
		t.Run(tt.unit.String(), func(t *testing.T) {
			if !strings.Contains(tt.unit.Hint(), tt.hint) {
				t.Errorf("hint %q, want it to say %q", tt.unit.Hint(), tt.hint)
			}
			if got := tt.unit.Instant(tt.v); !got.Equal(now) {
				t.Errorf("Instant(%d) = %s, want %s", tt.v, got, now)
			}
			if got := tt.convert(tt.v); got != now.UnixMicro() || schema.ClassifyMicros(got) != schema.Micros {
				t.Errorf("converted %d to %d, want %d", tt.v, got, now.UnixMicro())
			}
		})
	}
	if schema.Micros.Hint() != "" {
		t.Errorf("microseconds have a hint: %q", schema.Micros.Hint())
	}
}

func tsCols() []schema.Column {
	ts := tk(schema.Timestamp)
	return []schema.Column{
		col("ts", ts, true),
		col("local", tk(schema.TimestampNTZ), true),
		col("n", tk(schema.BigInt), true),
		col("ev", tStruct(fld("at", ts, true)), true),
		col("times", tArr(ts, true), true),
		col("byday", tMap(tk(schema.String), ts, true), true),
	}
}

// Both decoders report the same warnings for the same record, with the
// column's path, and accept the record all the same; a BIGINT of the same
// value is no timestamp and gets none.
func TestDecodersWarnImplausibleTimestamps(t *testing.T) {
	ms, sec, ns, us := int64(1732451234000), int64(1732451234), int64(1732451234000000000), int64(1732451234000000)
	i64 := descriptorpb.FieldDescriptorProto_TYPE_INT64.Enum()
	str := descriptorpb.FieldDescriptorProto_TYPE_STRING.Enum()
	msg := descriptorpb.FieldDescriptorProto_TYPE_MESSAGE.Enum()
	opt := descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum()
	rep := descriptorpb.FieldDescriptorProto_LABEL_REPEATED.Enum()
	f := func(name string, num int32, typ *descriptorpb.FieldDescriptorProto_Type, label *descriptorpb.FieldDescriptorProto_Label, typeName string) *descriptorpb.FieldDescriptorProto {
		fd := &descriptorpb.FieldDescriptorProto{Name: proto.String(name), Number: proto.Int32(num), Type: typ, Label: label}
		if typeName != "" {
			fd.TypeName = proto.String(typeName)
		}
		return fd
	}
	desc, err := proto.Marshal(&descriptorpb.DescriptorProto{Name: proto.String("R"),
		Field: []*descriptorpb.FieldDescriptorProto{f("ts", 1, i64, opt, ""), f("local", 2, i64, opt, ""), f("n", 3, i64, opt, ""),
			f("ev", 4, msg, opt, "Ev"), f("times", 5, i64, rep, ""), f("byday", 6, msg, rep, "BydayEntry")},
		NestedType: []*descriptorpb.DescriptorProto{
			{Name: proto.String("Ev"), Field: []*descriptorpb.FieldDescriptorProto{f("at", 1, i64, opt, "")}},
			{Name: proto.String("BydayEntry"), Options: &descriptorpb.MessageOptions{MapEntry: proto.Bool(true)},
				Field: []*descriptorpb.FieldDescriptorProto{f("key", 1, str, opt, ""), f("value", 2, i64, opt, "")}},
		}})
	if err != nil {
		t.Fatal(err)
	}
	pdec, err := schema.NewProtoDecoder(tsCols(), desc)
	if err != nil {
		t.Fatal(err)
	}
	jdec := schema.NewJSONDecoder(tsCols())
	tests := []struct {
		name  string
		json  string
		proto []byte
		want  []schema.TimeWarning
	}{
		{"microseconds", fmt.Sprintf(`{"ts":%d,"local":%d,"n":%d}`, us, us, ms), wire(wInt(1, us), wInt(2, us), wInt(3, ms)), nil},
		{"milliseconds", fmt.Sprintf(`{"ts":%d}`, ms), wire(wInt(1, ms)), []schema.TimeWarning{{Path: "ts", Unit: schema.Millis, Value: ms}}},
		{"seconds, NTZ", fmt.Sprintf(`{"local":%d}`, sec), wire(wInt(2, sec)), []schema.TimeWarning{{Path: "local", Unit: schema.Seconds, Value: sec}}},
		{"BIGINT is not a timestamp", fmt.Sprintf(`{"n":%d}`, ms), wire(wInt(3, ms)), nil},
		{"nested", fmt.Sprintf(`{"ev":{"at":%d},"times":[%d,%d],"byday":{"mon":%d}}`, ms, us, sec, ms),
			wire(wMsg(4, wInt(1, ms)), wInt(5, us), wInt(5, sec), wMsg(6, wString(1, "mon"), wInt(2, ms))),
			[]schema.TimeWarning{{Path: "ev.at", Unit: schema.Millis, Value: ms}, {Path: "times[]", Unit: schema.Seconds, Value: sec},
				{Path: "byday[]", Unit: schema.Millis, Value: ms}}},
		{"packed array", "", wire(wPacked(5, uint64(us), uint64(ms))), []schema.TimeWarning{{Path: "times[]", Unit: schema.Millis, Value: ms}}},
		{"exponent form", `{"ts":1.732451234e12}`, nil, []schema.TimeWarning{{Path: "ts", Unit: schema.Millis, Value: ms}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			row := make([]any, len(tsCols()))
			for _, d := range []struct {
				format string
				rec    []byte
				dec    interface {
					DecodeWarn([]byte, []any, *[]schema.TimeWarning) error
				}
			}{{"JSON", []byte(tt.json), jdec}, {"proto", tt.proto, pdec}} {
				if d.rec == nil || (d.format == "JSON" && tt.json == "") {
					continue
				}
				var got []schema.TimeWarning
				if err := d.dec.DecodeWarn(d.rec, row, &got); err != nil {
					t.Fatalf("%s: %v", d.format, err)
				}
				if !slices.Equal(got, tt.want) {
					t.Errorf("%s warnings %+v, want %+v", d.format, got, tt.want)
				}
				// Decode with no list to fill checks nothing and fails nothing.
				if err := d.dec.DecodeWarn(d.rec, row, nil); err != nil {
					t.Errorf("%s without a list: %v", d.format, err)
				}
			}
		})
	}
	// Nanoseconds are past 9999 as microseconds: refused, with the hint.
	row := make([]any, len(tsCols()))
	for format, d := range map[string]interface {
		Decode([]byte, []any) error
	}{"JSON": jdec, "proto": pdec} {
		rec := []byte(fmt.Sprintf(`{"ts":%d}`, ns))
		if format == "proto" {
			rec = wire(wInt(1, ns))
		}
		var re *schema.RecordError
		if err := d.Decode(rec, row); !errors.As(err, &re) || re.Reason != schema.ReasonOutOfRange || !strings.HasPrefix(re.Hint, "this looks like nanoseconds since the epoch; divide by 1000") {
			t.Errorf("%s nanoseconds: %v, want out of range with the nanoseconds hint", format, err)
		}
	}
}

// As a rejection (--strict-timestamps), a warning names the column, the
// expected unit, the value received in both readings, and the fix.
func TestTimeWarningRecordError(t *testing.T) {
	w := schema.TimeWarning{Path: "ev.at", Unit: schema.Millis, Value: 1732451234000}
	err := w.RecordError()
	if !errors.Is(err, schema.ErrInvalidRecord) {
		t.Errorf("%v is not ErrInvalidRecord", err)
	}
	for _, want := range []string{`column "ev.at"`, "implausible timestamp", "expected integer microseconds since the epoch",
		"received 1732451234000", "1970-01-21T01:14:11Z as microseconds", "2024-11-24T12:27:14Z as milliseconds", "hint: this looks like milliseconds since the epoch; multiply by 1000"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not say %q", err.Error(), want)
		}
	}
}
