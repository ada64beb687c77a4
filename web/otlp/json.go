package otlp

import (
	"encoding/base64"
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/zbemu/zbemu/schema"
)

// maxDepth bounds the nesting of attribute values (maps in arrays in
// maps...), so that a hostile request cannot recurse without end.
const maxDepth = 64

// row builds one JSON record in the encodings of zbemu's JSON ingest path
// (README "Schemas"): TIMESTAMP as integer µs, DATE as integer days,
// VARIANT as any JSON value, DOUBLE as a number or "NaN"/"Infinity".
// The first problem with the source record is kept in err; the record is
// then rejected (partial success) instead of written.
type row struct {
	b   []byte
	err error
}

// sep writes the comma before a member or element unless it is the first.
func (w *row) sep() {
	if n := len(w.b); n > 0 {
		switch w.b[n-1] {
		case '{', '[', ':':
			return
		}
		w.b = append(w.b, ',')
	}
}

// key starts member k (a plain ASCII column or field name).
func (w *row) key(k string) {
	w.sep()
	w.b = append(w.b, '"')
	w.b = append(w.b, k...)
	w.b = append(w.b, '"', ':')
}

func (w *row) open(k string) { w.key(k); w.b = append(w.b, '{') }
func (w *row) openArr(k string) {
	w.key(k)
	w.b = append(w.b, '[')
}
func (w *row) elem()         { w.sep(); w.b = append(w.b, '{') }
func (w *row) closeObj()     { w.b = append(w.b, '}') }
func (w *row) closeArr()     { w.b = append(w.b, ']') }
func (w *row) null(k string) { w.key(k); w.b = append(w.b, "null"...) }

func (w *row) str(k, v, what string) {
	w.key(k)
	w.strVal(v, what)
}

func (w *row) strVal(v, what string) {
	if !utf8.ValidString(v) {
		w.fail(fmt.Errorf("%s is not valid UTF-8", what))
		v = ""
	}
	w.b = schema.AppendJSONString(w.b, v)
}

func (w *row) i64(k string, v int64) { w.key(k); w.b = strconv.AppendInt(w.b, v, 10) }

// u64 writes a count that a LONG column holds; beyond int64 it fails.
func (w *row) u64(k string, v uint64, what string) {
	w.key(k)
	w.u64Val(v, what)
}

func (w *row) u64Val(v uint64, what string) {
	if v > math.MaxInt64 {
		w.fail(fmt.Errorf("%s %d does not fit a LONG", what, v))
		v = 0
	}
	w.b = strconv.AppendUint(w.b, v, 10)
}

// nanos writes a time in ns since the epoch (LONG); beyond int64 it fails.
func (w *row) nanos(k string, t pcommon.Timestamp, what string) { w.u64(k, uint64(t), what) }

func (w *row) f64(k string, v float64) { w.key(k); w.f64Val(v) }

func (w *row) f64Val(v float64) {
	switch {
	case math.IsNaN(v):
		w.b = append(w.b, `"NaN"`...)
	case math.IsInf(v, 1):
		w.b = append(w.b, `"Infinity"`...)
	case math.IsInf(v, -1):
		w.b = append(w.b, `"-Infinity"`...)
	default:
		w.b = strconv.AppendFloat(w.b, v, 'g', -1, 64)
	}
}

func (w *row) optF64(k string, ok bool, v float64) {
	if !ok {
		w.null(k)
		return
	}
	w.f64(k, v)
}

func (w *row) boolean(k string, v bool) { w.key(k); w.b = strconv.AppendBool(w.b, v) }

// traceID and spanID write an id as lowercase hex, "" when empty (all zero).
func (w *row) traceID(k string, id pcommon.TraceID) { w.hexID(k, id[:], id.IsEmpty()) }

func (w *row) spanID(k string, id pcommon.SpanID) { w.hexID(k, id[:], id.IsEmpty()) }

func (w *row) hexID(k string, id []byte, empty bool) {
	w.key(k)
	if empty {
		w.b = append(w.b, `""`...)
		return
	}
	w.b = append(w.b, '"')
	w.b = appendHex(w.b, id)
	w.b = append(w.b, '"')
}

func appendHex(dst, src []byte) []byte {
	const digits = "0123456789abcdef"
	for _, c := range src {
		dst = append(dst, digits[c>>4], digits[c&0xF])
	}
	return dst
}

func (w *row) fail(err error) {
	if w.err == nil {
		w.err = err
	}
}

// attrs writes an attribute bag as a VARIANT object.
func (w *row) attrs(k string, m pcommon.Map, what string) {
	w.key(k)
	w.mapVal(m, what, 0)
}

func (w *row) mapVal(m pcommon.Map, what string, depth int) {
	w.b = append(w.b, '{')
	for name, v := range m.All() {
		w.sep()
		w.strVal(name, what+" key")
		w.b = append(w.b, ':')
		w.value(v, what, depth+1)
	}
	w.b = append(w.b, '}')
}

// value writes an OTLP AnyValue as JSON: strings, booleans, integers and
// doubles as themselves, bytes as base64 (as OTLP/JSON does), arrays and
// key-value lists as arrays and objects, an empty value as null.
func (w *row) value(v pcommon.Value, what string, depth int) {
	if depth > maxDepth {
		w.fail(fmt.Errorf("%s is nested deeper than %d levels", what, maxDepth))
		w.b = append(w.b, "null"...)
		return
	}
	switch v.Type() {
	case pcommon.ValueTypeStr:
		w.strVal(v.Str(), what)
	case pcommon.ValueTypeInt:
		w.b = strconv.AppendInt(w.b, v.Int(), 10)
	case pcommon.ValueTypeDouble:
		w.f64Val(v.Double())
	case pcommon.ValueTypeBool:
		w.b = strconv.AppendBool(w.b, v.Bool())
	case pcommon.ValueTypeBytes:
		w.b = append(w.b, '"')
		w.b = base64.StdEncoding.AppendEncode(w.b, v.Bytes().AsRaw())
		w.b = append(w.b, '"')
	case pcommon.ValueTypeSlice:
		w.b = append(w.b, '[')
		s := v.Slice()
		for i := 0; i < s.Len(); i++ {
			w.sep()
			w.value(s.At(i), what, depth+1)
		}
		w.b = append(w.b, ']')
	case pcommon.ValueTypeMap:
		w.mapVal(v.Map(), what, depth)
	default:
		w.b = append(w.b, "null"...)
	}
}
