package schema

import (
	"bytes"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/valyala/fastjson"
)

// JSONDecoder turns Zerobus JSON records into rows for one table version.
// It is compiled once from the columns and is safe for concurrent use.
//
// It is driven by the schema rather than by the document: fastjson parses
// the record, then one pass over the object's keys checks each value
// against its column and converts it to the appender's Go type. This costs
// about 0.6 µs for a small row, where JSON Schema validation of the same row
// costs 5–8 µs (performance.md, B3 and B5), so JSON Schema is kept for
// explaining errors and off the hot path.
type JSONDecoder struct {
	cols   []Column
	top    *jdObject
	rescue int // index of the rescue column, or -1

	// states holds *jdState. A fastjson.Parser is not safe for concurrent
	// use but is worth reusing: its value cache makes parsing allocation
	// free in the steady state.
	states sync.Pool
}

// jdState is the per-call scratch space of a JSONDecoder.
type jdState struct {
	p       fastjson.Parser
	num     []byte     // text of the number being converted
	text    []byte     // VARIANT text being written
	seen    []bool     // stack of "field already set" flags, one window per object
	keys    [][]byte   // stack of VARIANT object keys, for duplicate checks
	rescued []jdRescue // fields collected for the rescue column

	// Chunks that the short values of rows share (jsonsmall.go).
	strs []byte
	bins []byte
	anys []any
	ents []MapEntry
	box  boxes

	warn *[]TimeWarning // where DecodeWarn collects warnings; nil for Decode
}

// jdRescue is one entry of the rescue column's object.
type jdRescue struct {
	key string
	raw []byte // compact JSON of the value
}

// jdNode is the compiled form of one type: what to expect and how to convert.
type jdNode struct {
	t        *Type
	kind     Kind
	expected string // the type as errors describe it
	path     string // where the type is in the row, for TimeWarning.Path
	elem     *jdNode
	key, val *jdNode
	obj      *jdObject
	nullable bool // array elements or map values may be null
}

// jdObject is a compiled STRUCT, or the top-level row.
type jdObject struct {
	fields []jdField
	index  map[string]int
	fold   map[string]string // foldedName → name, for "did you mean" hints
}

type jdField struct {
	name     string
	node     *jdNode
	nullable bool
}

// NewJSONDecoder compiles a decoder for rows of cols. A column marked Rescue
// that is a nullable VARIANT becomes the rescue column; the flag is ignored
// on any other column, and only the first qualifying column is used.
func NewJSONDecoder(cols []Column) *JSONDecoder {
	d := &JSONDecoder{cols: slices.Clone(cols), rescue: -1}
	fields := make([]Field, len(cols))
	for i, c := range cols {
		fields[i] = Field{Name: c.Name, Type: c.Type, Nullable: c.Nullable}
		if d.rescue < 0 && c.Rescue && c.Nullable && c.Type != nil && c.Type.Kind == Variant {
			d.rescue = i
		}
	}
	d.top = compileJSONObject(fields, "")
	d.states.New = func() any { return new(jdState) }
	return d
}

// Columns returns the columns the decoder was built for.
func (d *JSONDecoder) Columns() []Column { return d.cols }

// compileJSONObject compiles the fields of the row (prefix "") or of the
// STRUCT at prefix.
func compileJSONObject(fields []Field, prefix string) *jdObject {
	ob := &jdObject{fields: make([]jdField, len(fields)), index: make(map[string]int, len(fields))}
	names := make([]string, len(fields))
	for i, f := range fields {
		ob.fields[i] = jdField{name: f.Name, node: compileJSONNode(f.Type, joinPath(prefix, f.Name)), nullable: f.Nullable}
		ob.index[f.Name] = i
		names[i] = f.Name
	}
	ob.fold = foldNames(names)
	return ob
}

func compileJSONNode(t *Type, path string) *jdNode {
	if t == nil {
		return &jdNode{t: t, expected: "a supported type (the column has none)", path: path}
	}
	n := &jdNode{t: t, kind: t.Kind, expected: jsonExpected(t), path: path}
	switch t.Kind {
	case Array:
		n.elem, n.nullable = compileJSONNode(t.Elem, path+"[]"), t.ElemNullable
	case Map:
		n.key, n.val, n.nullable = compileJSONNode(t.Key, path+"[]"), compileJSONNode(t.Value, path+"[]"), t.ValueNullable
	case Struct:
		n.obj = compileJSONObject(t.Fields, path)
	}
	return n
}

// jsonExpected describes a type and its JSON encoding (zerobus-wire.md §6).
func jsonExpected(t *Type) string {
	switch t.Kind {
	case TinyInt:
		return "TINYINT (integer -128..127)"
	case SmallInt:
		return "SMALLINT (integer -32768..32767)"
	case Int:
		return "INT (integer -2147483648..2147483647)"
	case BigInt:
		return "BIGINT (64-bit integer)"
	case Float, Double:
		return shortTypeText(t) + " (number)"
	case Decimal:
		return shortTypeText(t) + ` (decimal string, e.g. "12.30")`
	case String:
		return "STRING (JSON string)"
	case Binary:
		return "BINARY (base64 string)"
	case Boolean:
		return "BOOLEAN (true or false)"
	case Date:
		return "DATE (integer days since 1970-01-01)"
	case Timestamp, TimestampNTZ:
		return shortTypeText(t) + " (integer microseconds since epoch)"
	case Array:
		return shortTypeText(t) + " (JSON array)"
	case Map, Struct:
		return shortTypeText(t) + " (JSON object)"
	case Variant:
		return "VARIANT (any JSON value)"
	}
	return shortTypeText(t) + " (unsupported)"
}

// Decode checks one record and fills row, which must have one slot per
// column, with the values of the record (engine converts the few the DuckDB
// appender takes in another form). nil is NULL; otherwise
// by column type: TINYINT int8, SMALLINT int16, INT int32, BIGINT int64,
// FLOAT float32, DOUBLE float64, DECIMAL DecimalValue, STRING string, BINARY
// []byte, BOOLEAN bool, DATE time.Time (UTC midnight), TIMESTAMP and
// TIMESTAMP_NTZ time.Time (UTC), ARRAY []any, MAP []MapEntry (in input
// order), STRUCT StructValue (a value per field, nil when absent) and
// VARIANT string (compact JSON text). ProtoDecoder produces the same types.
//
// On error row is cleared and the error is a *RecordError.
func (d *JSONDecoder) Decode(rec []byte, row []any) error { return d.DecodeWarn(rec, row, nil) }

// DecodeWarn is Decode that also appends to *warn (when warn is not nil)
// a TimeWarning for each integer timestamp of the record that looks like
// seconds, milliseconds or nanoseconds (ClassifyMicros). The record is
// accepted all the same, as Zerobus accepts it.
func (d *JSONDecoder) DecodeWarn(rec []byte, row []any, warn *[]TimeWarning) error {
	if len(row) != len(d.cols) {
		panic("schema: JSONDecoder.Decode: row has " + strconv.Itoa(len(row)) + " slots for " + strconv.Itoa(len(d.cols)) + " columns")
	}
	clear(row)
	st := d.states.Get().(*jdState)
	st.warn = warn
	e := d.decode(st, rec, row)
	clear(st.rescued) // drop references to this record's values
	st.rescued = st.rescued[:0]
	st.warn = nil
	d.states.Put(st)
	if e != nil {
		clear(row)
		return e
	}
	return nil
}

func (d *JSONDecoder) decode(st *jdState, rec []byte, row []any) *RecordError {
	// fastjson's parser is lenient: it takes NaN, 01 and 1-2 as numbers,
	// control characters in strings and unknown escapes. Its validator is
	// strict but costs a quarter of the decode and has no depth limit. So:
	// parse first (depth ≤ fastjson.MaxDepth); validate the whole text only
	// when it holds a backslash, a control character or non-ASCII bytes;
	// and check each number's syntax as it is converted (jsonNumberOK).
	v, err := st.p.ParseBytes(rec)
	if err == nil && needsFullCheck(rec) {
		if err = fastjson.ValidateBytes(rec); err == nil {
			switch {
			case !utf8.Valid(rec):
				return &RecordError{Reason: ReasonInvalidJSON, Received: "the record is not valid UTF-8"}
			case hasLoneSurrogate(rec):
				return &RecordError{Reason: ReasonInvalidJSON, Received: `a \u escape is an unpaired UTF-16 surrogate`}
			}
		}
	}
	if err != nil {
		return &RecordError{Reason: ReasonInvalidJSON, Received: parseErrorText(err)}
	}
	o, err := v.Object()
	if err != nil {
		return &RecordError{Reason: ReasonNotObject, Expected: "a JSON object with one key per column", Received: describeJSON(v)}
	}
	if e := d.decodeFields(st, d.top, o, row, true); e != nil {
		return e
	}
	if len(st.rescued) > 0 {
		row[d.rescue] = rescueText(st.rescued)
	}
	return nil
}

// decodeFields fills vals, one slot per field of ob, from the object o;
// absent fields stay nil. At the top level, unknown fields and mistyped
// nullable columns go to the rescue column when there is one.
func (d *JSONDecoder) decodeFields(st *jdState, ob *jdObject, o *fastjson.Object, vals []any, top bool) *RecordError {
	n := len(ob.fields)
	base := len(st.seen)
	st.seen = append(st.seen, make([]bool, n)...)
	// A nested object may grow st.seen and move it; this window keeps
	// pointing at the array it was cut from, which is all it needs.
	seen := st.seen[base : base+n]
	rescue := top && d.rescue >= 0
	var rerr *RecordError
	pos := 0
	o.Visit(func(k []byte, v *fastjson.Value) {
		if rerr != nil {
			return
		}
		// Producers usually send keys in column order, so try the next
		// column before hashing.
		i := -1
		if pos < n && string(k) == ob.fields[pos].name {
			i = pos
		} else if j, ok := ob.index[string(k)]; ok {
			i = j
		}
		pos++
		if i < 0 || (rescue && i == d.rescue) {
			if rescue {
				rerr = st.rescue(string(k), v)
				return
			}
			reason := ReasonUnknownField
			if !top {
				reason = ReasonUnknownStruct
			}
			rerr = &RecordError{Path: string(k), Reason: reason, Hint: suggestField(ob.fold, string(k))}
			return
		}
		f := &ob.fields[i]
		if seen[i] {
			rerr = &RecordError{Path: f.name, Reason: ReasonDuplicateField, Hint: "send each column once"}
			return
		}
		seen[i] = true
		if v.Type() == fastjson.TypeNull {
			if !f.nullable {
				rerr = &RecordError{Path: f.name, Reason: ReasonNull, Expected: f.node.expected, Received: "null"}
			}
			return
		}
		x, e := d.decodeValue(st, f.node, v)
		if e != nil {
			if rescue && f.nullable {
				rerr = st.rescue(f.name, v)
				return
			}
			rerr = e.under(f.name)
			return
		}
		vals[i] = x
	})
	st.seen = st.seen[:base]
	if rerr != nil {
		return rerr
	}
	for i := range ob.fields {
		if f := &ob.fields[i]; !seen[i] && !f.nullable {
			reason, hint := ReasonMissing, missingHint(f.name, top)
			if !top {
				reason = ReasonMissingField
			}
			for _, r := range st.rescued {
				if top && foldedName(r.key) == foldedName(f.name) {
					hint = `the record has "` + r.key + `"; field names must match column names exactly`
				}
			}
			return &RecordError{Path: f.name, Reason: reason, Expected: f.node.expected, Hint: hint}
		}
	}
	return nil
}

// rescue records a top-level field for the rescue column.
func (st *jdState) rescue(key string, v *fastjson.Value) *RecordError {
	for _, r := range st.rescued {
		if r.key == key {
			return &RecordError{Path: key, Reason: ReasonDuplicateField, Hint: "send each field once"}
		}
	}
	raw, e := appendJSON(nil, v, st)
	if e != nil {
		return e.under(key)
	}
	st.rescued = append(st.rescued, jdRescue{key: key, raw: raw})
	return nil
}

// rescueText renders the rescued fields as one JSON object with sorted keys,
// as the Databricks documentation's example shows.
func rescueText(rs []jdRescue) string {
	slices.SortFunc(rs, func(a, b jdRescue) int { return strings.Compare(a.key, b.key) })
	var b []byte
	b = append(b, '{')
	for i, r := range rs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, r.key)
		b = append(b, ':')
		b = append(b, r.raw...)
	}
	return string(append(b, '}'))
}

// decodeValue converts a non-null JSON value to the Go value of n's type.
func (d *JSONDecoder) decodeValue(st *jdState, n *jdNode, v *fastjson.Value) (any, *RecordError) {
	switch n.kind {
	case TinyInt, SmallInt, Int, BigInt, Date, Timestamp, TimestampNTZ:
		return d.decodeInteger(st, n, v)
	case Float, Double:
		return decodeJSONFloat(st, n, v)
	case Decimal:
		s, err := v.StringBytes()
		if err != nil {
			return nil, jsonMismatch(n, v)
		}
		if x, ok := smallDecimal(n.t, s); ok {
			return st.box.decimal(x), nil
		}
		x, e := decimalValue(n.t, n.expected, s)
		if e != nil {
			e.Received = describeJSON(v)
			return nil, e
		}
		return x, nil
	case String:
		s, err := v.StringBytes()
		if err != nil {
			return nil, jsonMismatch(n, v)
		}
		return st.box.string(st.str(s)), nil
	case Binary:
		s, err := v.StringBytes()
		if err != nil {
			return nil, jsonMismatch(n, v)
		}
		b, ok := st.base64Bytes(s)
		if !ok {
			return nil, jsonMismatch(n, v)
		}
		return st.box.bytes(b), nil
	case Boolean:
		switch v.Type() {
		case fastjson.TypeTrue:
			return true, nil
		case fastjson.TypeFalse:
			return false, nil
		}
		return nil, jsonMismatch(n, v)
	case Variant:
		var e *RecordError
		if st.text, e = appendJSON(st.text[:0], v, st); e != nil {
			return nil, e
		}
		return st.box.string(st.str(st.text)), nil
	case Array:
		return d.decodeArray(st, n, v)
	case Map:
		return d.decodeMap(st, n, v)
	case Struct:
		o, err := v.Object()
		if err != nil {
			return nil, jsonMismatch(n, v)
		}
		vals := st.anySlice(len(n.obj.fields))
		if e := d.decodeFields(st, n.obj, o, vals, false); e != nil {
			return nil, e
		}
		return st.box.structValue(vals), nil
	}
	return nil, jsonMismatch(n, v)
}

// decodeInteger handles the integer kinds, DATE and the timestamps, which
// are all JSON integers on the wire.
func (d *JSONDecoder) decodeInteger(st *jdState, n *jdNode, v *fastjson.Value) (any, *RecordError) {
	if v.Type() != fastjson.TypeNumber {
		return nil, jsonMismatch(n, v)
	}
	st.num = v.MarshalTo(st.num[:0])
	if i, ok := plainInt(st.num); ok {
		return st.integer(n, i, v)
	}
	if !jsonNumberOK(st.num) {
		return nil, badNumber(st.num)
	}
	i, status := jsonInt(st.num)
	switch status {
	case intFraction:
		e := jsonMismatch(n, v)
		if n.kind == Timestamp || n.kind == TimestampNTZ {
			f, _ := strconv.ParseFloat(string(st.num), 64)
			e.Hint = timeUnitHint(math.Abs(f))
		}
		return nil, e
	case intOverflow:
		return nil, outOfRange(n.kind, n.expected, describeJSON(v))
	}
	return st.integer(n, i, v)
}

// integer boxes i, received as v, as a value of n's kind, and classifies
// it when n is a timestamp.
func (st *jdState) integer(n *jdNode, i int64, v *fastjson.Value) (any, *RecordError) {
	x, ok := st.box.integer(n.kind, i)
	if !ok {
		return nil, intOutOfRange(n.kind, n.expected, describeJSON(v), i)
	}
	if st.warn != nil && (n.kind == Timestamp || n.kind == TimestampNTZ) {
		noteTime(st.warn, n.path, i)
	}
	return x, nil
}

// plainInt converts the common form of integer text, -?(0|[1-9][0-9]{0,17}),
// which jsonNumberOK and jsonInt would both accept as is.
func plainInt(b []byte) (int64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 18 || (b[0] == '0' && len(b) > 1) {
		return 0, false
	}
	var u int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		u = u*10 + int64(c-'0')
	}
	if neg {
		u = -u
	}
	return u, true
}

func decodeJSONFloat(st *jdState, n *jdNode, v *fastjson.Value) (any, *RecordError) {
	bits := 64
	if n.kind == Float {
		bits = 32
	}
	var f float64
	switch v.Type() {
	case fastjson.TypeNumber:
		st.num = v.MarshalTo(st.num[:0])
		if f, ok := plainFloat(st.num, bits); ok {
			if bits == 32 {
				return st.box.float32(float32(f)), nil
			}
			return st.box.float64(f), nil
		}
		if !jsonNumberOK(st.num) {
			return nil, badNumber(st.num)
		}
		var err error
		// string(st.num) does not allocate: the conversion is short-lived
		// and strconv copies the text before keeping it in an error.
		f, err = strconv.ParseFloat(string(st.num), bits)
		if err != nil {
			return nil, outOfRange(n.kind, n.expected, describeJSON(v))
		}
	case fastjson.TypeString:
		// JSON has no literal for these, so Zerobus takes them as strings.
		s, _ := v.StringBytes()
		sf, ok := specialFloat(s)
		if !ok {
			return nil, jsonMismatch(n, v)
		}
		f = sf
	default:
		return nil, jsonMismatch(n, v)
	}
	if bits == 32 {
		return st.box.float32(float32(f)), nil
	}
	return st.box.float64(f), nil
}

func (d *JSONDecoder) decodeArray(st *jdState, n *jdNode, v *fastjson.Value) (any, *RecordError) {
	a, err := v.Array()
	if err != nil {
		return nil, jsonMismatch(n, v)
	}
	out := st.anySlice(len(a))
	for i, ev := range a {
		if ev.Type() == fastjson.TypeNull {
			if !n.nullable {
				return nil, &RecordError{Path: "[" + strconv.Itoa(i) + "]", Reason: ReasonNull, Expected: n.elem.expected, Received: "null"}
			}
			continue
		}
		x, e := d.decodeValue(st, n.elem, ev)
		if e != nil {
			return nil, e.under("[" + strconv.Itoa(i) + "]")
		}
		out[i] = x
	}
	return st.box.list(out), nil
}

func (d *JSONDecoder) decodeMap(st *jdState, n *jdNode, v *fastjson.Value) (any, *RecordError) {
	o, err := v.Object()
	if err != nil {
		return nil, jsonMismatch(n, v)
	}
	out := st.entSlice(o.Len())
	var keys mapKeySet
	var rerr *RecordError
	o.Visit(func(k []byte, ev *fastjson.Value) {
		if rerr != nil {
			return
		}
		key, e := mapKeyFromText(st, n.key, k)
		if e == nil && keys.find(out, key) >= 0 {
			e = &RecordError{Reason: ReasonDuplicateKey, Received: "key " + strconv.Quote(ClipReceived(string(k)))}
		}
		if e == nil && ev.Type() == fastjson.TypeNull {
			if !n.nullable {
				e = &RecordError{Reason: ReasonNull, Expected: n.val.expected, Received: "null"}
			}
			out = append(out, MapEntry{Key: key})
		} else if e == nil {
			var x any
			if x, e = d.decodeValue(st, n.val, ev); e == nil {
				out = append(out, MapEntry{Key: key, Value: x})
			}
		}
		if e != nil {
			rerr = e.under("[" + strconv.Quote(string(k)) + "]")
		}
	})
	if rerr != nil {
		return nil, rerr
	}
	return st.box.mapValue(out), nil
}

// mapKeyFromText converts a JSON object key to a map key of type n. JSON keys
// are always strings, so numbers, booleans and dates arrive as their text.
func mapKeyFromText(st *jdState, n *jdNode, k []byte) (any, *RecordError) {
	bad := func() *RecordError {
		return &RecordError{Reason: ReasonTypeMismatch, Expected: "map key of type " + n.expected, Received: "key " + strconv.Quote(ClipReceived(string(k)))}
	}
	switch n.kind {
	case String:
		return st.box.string(st.str(k)), nil
	case Boolean:
		switch string(k) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
		return nil, bad()
	case TinyInt, SmallInt, Int, BigInt, Date, Timestamp, TimestampNTZ:
		// The text form the table's JSON Schema allows: -?[0-9]+.
		digits := k
		if len(digits) > 0 && digits[0] == '-' {
			digits = digits[1:]
		}
		if len(digits) == 0 || bytes.IndexFunc(digits, func(r rune) bool { return r < '0' || r > '9' }) >= 0 {
			return nil, bad()
		}
		i, err := strconv.ParseInt(string(k), 10, 64)
		x, ok := st.box.integer(n.kind, i)
		if !ok || err != nil {
			e := bad()
			return nil, outOfRange(n.kind, e.Expected, e.Received)
		}
		return x, nil
	case Float, Double:
		var f float64
		if sf, ok := specialFloat(k); ok {
			f = sf
		} else {
			// JSON number text only: ParseFloat alone would take "inf" and "0x1p3".
			if len(k) == 0 || (k[0] != '-' && (k[0] < '0' || k[0] > '9')) || fastjson.ValidateBytes(k) != nil {
				return nil, bad()
			}
			var err error
			if f, err = strconv.ParseFloat(string(k), 64); err != nil {
				e := bad()
				e.Reason = ReasonOutOfRange
				return nil, e
			}
		}
		if n.kind == Float {
			if f32 := float32(f); !math.IsInf(float64(f32), 0) || math.IsInf(f, 0) {
				return f32, nil
			}
			e := bad()
			e.Reason = ReasonOutOfRange
			return nil, e
		}
		return f, nil
	case Decimal:
		x, e := decimalValue(n.t, "map key of type "+n.expected, k)
		if e != nil {
			e.Received = "key " + strconv.Quote(ClipReceived(string(k)))
			return nil, e
		}
		return x, nil
	case Binary:
		if b, ok := decodeBase64(k); ok {
			return b, nil
		}
	}
	return nil, bad()
}

// jsonMismatch builds the type-mismatch error for v, with a hint when the
// mistake is a well-known one.
func jsonMismatch(n *jdNode, v *fastjson.Value) *RecordError {
	e := &RecordError{Reason: ReasonTypeMismatch, Expected: n.expected, Received: describeJSON(v)}
	switch v.Type() {
	case fastjson.TypeString:
		s, _ := v.StringBytes()
		numeric := looksNumeric(string(s))
		switch n.kind {
		case Timestamp, TimestampNTZ:
			e.Hint = hintTimestamp
			if numeric {
				e.Hint = hintUnquote
			}
		case Date:
			e.Hint = hintDate
			if numeric {
				e.Hint = hintUnquote
			}
		case TinyInt, SmallInt, Int, BigInt:
			if numeric {
				e.Hint = hintUnquote
			}
		case Float, Double:
			e.Hint = hintFloatWords
			if numeric {
				e.Hint = hintUnquote
			}
		case Boolean:
			if string(s) == "true" || string(s) == "false" {
				e.Hint = hintBoolUnquote
			}
		case Binary:
			e.Hint = hintBase64
		}
	case fastjson.TypeNumber:
		switch n.kind {
		case Decimal:
			e.Hint = hintDecimal
		case String:
			e.Hint = hintQuote
		case Timestamp, TimestampNTZ, Date:
			if looksLikeDate(string(v.MarshalTo(nil))) {
				e.Hint = hintTimestamp
			}
		}
	case fastjson.TypeTrue, fastjson.TypeFalse:
		if n.kind == String {
			e.Hint = hintQuote
		}
	}
	return e
}

// specialFloat reads the strings Zerobus takes for the floats JSON has no
// literal for: "NaN", "Infinity" and "-Infinity".
func specialFloat(s []byte) (float64, bool) {
	switch string(s) {
	case "NaN":
		return math.NaN(), true
	case "Infinity":
		return math.Inf(1), true
	case "-Infinity":
		return math.Inf(-1), true
	}
	return 0, false
}
