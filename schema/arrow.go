package schema

import (
	"encoding/json"
	"fmt"
	"math/big"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// The Arrow mapping. Zerobus' Arrow Flight server builds the Arrow schema
// of a table from its Delta columns and checks the schema a stream opens
// with against it ("dictated by the Databricks Arrow Flight server", see
// arrow_schema_from_uc_columns in
// https://github.com/databricks/zerobus-sdk/blob/main/rust/sdk/src/schema.rs):
// STRING, VARIANT and DECIMAL are large_utf8, BINARY large_binary, the
// integers and floats their Arrow namesakes, DATE date32, TIMESTAMP
// timestamp[us, tz=UTC], TIMESTAMP_NTZ timestamp[us], ARRAY list, MAP map
// and STRUCT struct. zbemu also takes what holds the same values without
// loss: utf8 for large_utf8, binary for large_binary, narrower signed
// integers, float32 for DOUBLE, any time zone for TIMESTAMP, large_list for
// list, and decimal128 of the column's scale for DECIMAL.

// Causes only an Arrow schema has, besides those of descriptor.go: its
// fields are ordered, so a field can come too early or twice.
const (
	CauseFieldOutOfOrder    = "FIELD_OUT_OF_ORDER"
	CauseFieldCountMismatch = "FIELD_COUNT_MISMATCH"
)

// ArrowProblem is one way an Arrow schema differs from the table.
type ArrowProblem struct {
	Field   string // the field path ("loc.lat"), or the column missing
	Cause   string // one of the Cause constants
	Message string
}

// ArrowSchemaError lists every difference between an Arrow schema and the
// table it was sent to.
type ArrowSchemaError struct {
	Problems []ArrowProblem
}

func (e *ArrowSchemaError) Error() string {
	var b strings.Builder
	b.WriteString("Arrow schema does not match the table: ")
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.Message)
	}
	return b.String()
}

// Unwrap lets callers test errors.Is(err, ErrArrowSchemaMismatch).
func (e *ArrowSchemaError) Unwrap() error { return ErrArrowSchemaMismatch }

// Causes returns the distinct causes, in the order first met.
func (e *ArrowSchemaError) Causes() []string {
	var out []string
	for _, p := range e.Problems {
		if !containsString(out, p.Cause) {
			out = append(out, p.Cause)
		}
	}
	return out
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// ArrowType is the Arrow type Zerobus expects for a column of type t.
func ArrowType(t *Type) string {
	switch t.Kind {
	case TinyInt:
		return "int8"
	case SmallInt:
		return "int16"
	case Int:
		return "int32"
	case BigInt:
		return "int64"
	case Float:
		return "float32"
	case Double:
		return "float64"
	case Decimal:
		return fmt.Sprintf("large_utf8 (or decimal128(%d, %d))", t.Precision, t.Scale)
	case String:
		return "large_utf8"
	case Variant:
		return "large_utf8 (JSON text)"
	case Binary:
		return "large_binary"
	case Boolean:
		return "bool"
	case Date:
		return "date32"
	case Timestamp:
		return "timestamp[us, tz=UTC]"
	case TimestampNTZ:
		return "timestamp[us]"
	case Array:
		return "list<item: " + ArrowType(t.Elem) + ">"
	case Map:
		return "map<" + ArrowType(t.Key) + ", " + ArrowType(t.Value) + ">"
	case Struct:
		parts := make([]string, len(t.Fields))
		for i, f := range t.Fields {
			parts[i] = f.Name + ": " + ArrowType(f.Type)
		}
		return "struct<" + strings.Join(parts, ", ") + ">"
	}
	return t.String()
}

// arrowRead reads the value at i of an array that is not null there.
type arrowRead func(a arrow.Array, i int) (any, *RecordError)

// ArrowDecoder turns the rows of Arrow record batches of one schema into
// rows of a table's columns, with the values the JSON decoder gives, and
// checks what the schema cannot say: nulls in NOT NULL columns, decimal
// and JSON text, value ranges and duplicate map keys. It is safe for
// concurrent use.
type ArrowDecoder struct {
	cols   []Column
	schema *arrow.Schema
	field  []int // per column: its field in the schema, -1 if absent
	read   []arrowRead
}

// NewArrowDecoder checks the Arrow schema s against the table's columns
// and compiles the decoder. Fields must be columns of the table, in the
// table's order (names compare case-insensitively, as Unity Catalog's do);
// nullable columns may be left out. A nullable field for a NOT NULL column
// is accepted and every batch is checked for nulls in it, as the SDKs
// build nullable fields by default. The error is an *ArrowSchemaError
// naming every mismatch.
func NewArrowDecoder(cols []Column, s *arrow.Schema) (*ArrowDecoder, error) {
	d := &ArrowDecoder{cols: cols, schema: s, field: make([]int, len(cols)), read: make([]arrowRead, len(cols))}
	for i := range d.field {
		d.field[i] = -1
	}
	e := &ArrowSchemaError{}
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.Name
	}
	last := -1
	for j, f := range s.Fields() {
		c := indexFold(names, f.Name)
		switch {
		case c < 0:
			e.Problems = append(e.Problems, ArrowProblem{f.Name, CauseFieldNotInTable,
				fmt.Sprintf("field %q is not a column of the table (columns: %s)", f.Name, strings.Join(names, ", "))})
			continue
		case d.field[c] >= 0:
			e.Problems = append(e.Problems, ArrowProblem{f.Name, CauseFieldCountMismatch, fmt.Sprintf("field %q appears twice", f.Name)})
			continue
		case c < last:
			e.Problems = append(e.Problems, ArrowProblem{f.Name, CauseFieldOutOfOrder,
				fmt.Sprintf("field %q comes after %q; fields must follow the table's column order (%s)", f.Name, cols[last].Name, strings.Join(names, ", "))})
		}
		last = max(last, c)
		d.field[c] = j
		read, probs := compileArrow(cols[c].Type, f.Type, cols[c].Name)
		e.Problems = append(e.Problems, probs...)
		d.read[c] = read
	}
	for i, c := range cols {
		if d.field[i] < 0 && !c.Nullable {
			e.Problems = append(e.Problems, ArrowProblem{c.Name, CauseMissingRequired,
				fmt.Sprintf("column %q is NOT NULL but the schema has no field for it (expected %s)", c.Name, ArrowType(c.Type))})
		}
	}
	if len(e.Problems) > 0 {
		return nil, e
	}
	return d, nil
}

// indexFold returns the index of the name equal to s ignoring case, or -1.
func indexFold(names []string, s string) int {
	for i, n := range names {
		if strings.EqualFold(n, s) {
			return i
		}
	}
	return -1
}

// Schema is the Arrow schema the decoder was built for.
func (d *ArrowDecoder) Schema() *arrow.Schema { return d.schema }

// Present reports whether column c has a field in the schema; a column
// without one is NULL (or its DEFAULT) in every row.
func (d *ArrowDecoder) Present(c int) bool { return d.field[c] >= 0 }

// Row fills row (one slot per column) from row i of rec, whose schema must
// be the decoder's. It fails with a *RecordError naming the column path.
func (d *ArrowDecoder) Row(rec arrow.RecordBatch, i int, row []any) error {
	for c, f := range d.field {
		if f < 0 {
			continue
		}
		a := rec.Column(f)
		if a.IsNull(i) {
			if !d.cols[c].Nullable {
				clear(row)
				return &RecordError{Path: d.cols[c].Name, Reason: ReasonNull, Expected: ArrowType(d.cols[c].Type), Received: "null"}
			}
			continue
		}
		v, e := d.read[c](a, i)
		if e != nil {
			clear(row)
			return e.under(d.cols[c].Name)
		}
		row[c] = v
	}
	return nil
}

func incompatible(path string, t *Type, got arrow.DataType, hint string) []ArrowProblem {
	msg := fmt.Sprintf("field %q: column type %s needs Arrow %s, received %s", path, shortTypeText(t), ArrowType(t), got)
	if hint != "" {
		msg += "; hint: " + hint
	}
	return []ArrowProblem{{path, CauseTypeIncompatible, msg}}
}

// compileArrow returns the reader of values of Arrow type dt for a column
// of type t, or the problems that make them incompatible.
func compileArrow(t *Type, dt arrow.DataType, path string) (arrowRead, []ArrowProblem) {
	id := dt.ID()
	switch t.Kind {
	case TinyInt, SmallInt, Int, BigInt:
		if w := signedWidth(id); w > 0 && w <= intWidth(t.Kind) {
			k := t.Kind
			return func(a arrow.Array, i int) (any, *RecordError) {
				v, _ := intOfKind(k, signedValue(a, i)) // no narrower than the kind: in range
				return v, nil
			}, nil
		}
	case Float:
		if id == arrow.FLOAT32 {
			return func(a arrow.Array, i int) (any, *RecordError) { return a.(*array.Float32).Value(i), nil }, nil
		}
	case Double:
		switch id {
		case arrow.FLOAT64:
			return func(a arrow.Array, i int) (any, *RecordError) { return a.(*array.Float64).Value(i), nil }, nil
		case arrow.FLOAT32:
			return func(a arrow.Array, i int) (any, *RecordError) { return float64(a.(*array.Float32).Value(i)), nil }, nil
		}
	case Decimal:
		return compileArrowDecimal(t, dt, path)
	case String, Variant:
		if id == arrow.STRING || id == arrow.LARGE_STRING {
			if t.Kind == String {
				return func(a arrow.Array, i int) (any, *RecordError) { return strings.Clone(stringValue(a, i)), nil }, nil
			}
			return readVariant, nil
		}
	case Binary:
		switch id {
		case arrow.BINARY:
			return func(a arrow.Array, i int) (any, *RecordError) { return a.(*array.Binary).Value(i), nil }, nil
		case arrow.LARGE_BINARY:
			return func(a arrow.Array, i int) (any, *RecordError) { return a.(*array.LargeBinary).Value(i), nil }, nil
		}
	case Boolean:
		if id == arrow.BOOL {
			return func(a arrow.Array, i int) (any, *RecordError) { return a.(*array.Boolean).Value(i), nil }, nil
		}
	case Date:
		if id == arrow.DATE32 {
			return func(a arrow.Array, i int) (any, *RecordError) {
				return timeValue(Date, int64(a.(*array.Date32).Value(i)), "date32")
			}, nil
		}
	case Timestamp, TimestampNTZ:
		return compileArrowTimestamp(t, dt, path)
	case Array:
		if lt, ok := dt.(arrow.ListLikeType); ok && (id == arrow.LIST || id == arrow.LARGE_LIST) {
			return compileArrowList(t, lt, path)
		}
	case Map:
		if mt, ok := dt.(*arrow.MapType); ok {
			return compileArrowMap(t, mt, path)
		}
	case Struct:
		if st, ok := dt.(*arrow.StructType); ok {
			return compileArrowStruct(t, st, path)
		}
	}
	return nil, incompatible(path, t, dt, "")
}

func signedWidth(id arrow.Type) int {
	switch id {
	case arrow.INT8:
		return 8
	case arrow.INT16:
		return 16
	case arrow.INT32:
		return 32
	case arrow.INT64:
		return 64
	}
	return 0
}

func intWidth(k Kind) int {
	switch k {
	case TinyInt:
		return 8
	case SmallInt:
		return 16
	case Int:
		return 32
	}
	return 64
}

func signedValue(a arrow.Array, i int) int64 {
	switch a := a.(type) {
	case *array.Int8:
		return int64(a.Value(i))
	case *array.Int16:
		return int64(a.Value(i))
	case *array.Int32:
		return int64(a.Value(i))
	}
	return a.(*array.Int64).Value(i)
}

func stringValue(a arrow.Array, i int) string {
	if s, ok := a.(*array.String); ok {
		return s.Value(i)
	}
	return a.(*array.LargeString).Value(i)
}

func readVariant(a arrow.Array, i int) (any, *RecordError) {
	s := stringValue(a, i)
	if !json.Valid([]byte(s)) {
		return nil, &RecordError{Reason: ReasonInvalidJSON, Expected: "VARIANT (JSON text)", Received: fmt.Sprintf("%q", ClipReceived(s))}
	}
	return strings.Clone(s), nil
}

func timeValue(k Kind, v int64, unit string) (any, *RecordError) {
	if !intInRange(k, v) {
		return nil, &RecordError{Reason: ReasonOutOfRange, Expected: k.arrowRange(), Received: fmt.Sprintf("%s %d", unit, v)}
	}
	return timeOfKind(k, v), nil
}

func (k Kind) arrowRange() string {
	if k == Date {
		return "DATE between 0001-01-01 and 9999-12-31"
	}
	return "a timestamp between 0001-01-01 and 9999-12-31"
}

func compileArrowTimestamp(t *Type, dt arrow.DataType, path string) (arrowRead, []ArrowProblem) {
	ts, ok := dt.(*arrow.TimestampType)
	if !ok {
		return nil, incompatible(path, t, dt, "")
	}
	if ts.Unit != arrow.Microsecond {
		return nil, incompatible(path, t, dt, "Delta timestamps hold microseconds; send timestamp[us]")
	}
	if zoned := ts.TimeZone != ""; zoned != (t.Kind == Timestamp) {
		hint := "a timestamp with a time zone is a TIMESTAMP column"
		if !zoned {
			hint = "a timestamp without a time zone is a TIMESTAMP_NTZ column; set the time zone (UTC) for TIMESTAMP"
		}
		return nil, incompatible(path, t, dt, hint)
	}
	k := t.Kind
	return func(a arrow.Array, i int) (any, *RecordError) {
		return timeValue(k, int64(a.(*array.Timestamp).Value(i)), "timestamp[us]")
	}, nil
}

func compileArrowDecimal(t *Type, dt arrow.DataType, path string) (arrowRead, []ArrowProblem) {
	expected := "DECIMAL(" + fmt.Sprint(t.Precision) + "," + fmt.Sprint(t.Scale) + ") as text"
	switch dt := dt.(type) {
	case *arrow.StringType, *arrow.LargeStringType:
		return func(a arrow.Array, i int) (any, *RecordError) {
			s := stringValue(a, i)
			v, e := decimalValue(t, expected, []byte(s))
			if e != nil {
				e.Received = fmt.Sprintf("%q", ClipReceived(s))
				return nil, e
			}
			return v, nil
		}, nil
	case *arrow.Decimal128Type:
		if int(dt.Scale) != t.Scale {
			return nil, incompatible(path, t, dt, fmt.Sprintf("the scale must be the column's, %d", t.Scale))
		}
		limit := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(t.Precision)), nil)
		return func(a arrow.Array, i int) (any, *RecordError) {
			u := a.(*array.Decimal128).Value(i).BigInt()
			if new(big.Int).Abs(u).Cmp(limit) >= 0 {
				return nil, &RecordError{Reason: ReasonDecimalDigits + " " + shortTypeText(t), Expected: shortTypeText(t),
					Received: DecimalValue{u, t.Scale}.String()}
			}
			return DecimalValue{u, t.Scale}, nil
		}, nil
	}
	return nil, incompatible(path, t, dt, "send decimals as text, e.g. \"12.30\"")
}

func compileArrowList(t *Type, lt arrow.ListLikeType, path string) (arrowRead, []ArrowProblem) {
	elem, probs := compileArrow(t.Elem, lt.Elem(), path+"[]")
	if probs != nil {
		return nil, probs
	}
	nullable := t.ElemNullable
	return func(a arrow.Array, i int) (any, *RecordError) {
		l := a.(array.ListLike)
		start, end := l.ValueOffsets(i)
		vals := l.ListValues()
		out := make([]any, 0, end-start)
		for j := start; j < end; j++ {
			v, e := readNullable(vals, int(j), elem, nullable, t.Elem)
			if e != nil {
				return nil, e.under(fmt.Sprintf("[%d]", j-start))
			}
			out = append(out, v)
		}
		return out, nil
	}, nil
}

// readNullable reads a nested value, which may be null only if nullable.
func readNullable(a arrow.Array, i int, read arrowRead, nullable bool, t *Type) (any, *RecordError) {
	if a.IsNull(i) {
		if !nullable {
			return nil, &RecordError{Reason: ReasonNull, Expected: ArrowType(t), Received: "null"}
		}
		return nil, nil
	}
	return read(a, i)
}

func compileArrowMap(t *Type, mt *arrow.MapType, path string) (arrowRead, []ArrowProblem) {
	key, kp := compileArrow(t.Key, mt.KeyType(), path+".key")
	val, vp := compileArrow(t.Value, mt.ItemType(), path+".value")
	if probs := append(kp, vp...); len(probs) > 0 {
		return nil, probs
	}
	nullable := t.ValueNullable
	return func(a arrow.Array, i int) (any, *RecordError) {
		m := a.(*array.Map)
		start, end := m.ValueOffsets(i)
		keys, items := m.Keys(), m.Items()
		out := make([]MapEntry, 0, end-start)
		var seen mapKeySet
		for j := start; j < end; j++ {
			if keys.IsNull(int(j)) {
				return nil, &RecordError{Reason: ReasonNull, Expected: "a map key", Received: "null"}
			}
			k, e := key(keys, int(j))
			if e != nil {
				return nil, e.under(fmt.Sprintf("{key %d}", j-start))
			}
			if seen.find(out, k) >= 0 {
				return nil, &RecordError{Reason: ReasonDuplicateKey, Received: fmt.Sprint(k)}
			}
			v, e := readNullable(items, int(j), val, nullable, t.Value)
			if e != nil {
				return nil, e.under(fmt.Sprintf("[%v]", k))
			}
			out = append(out, MapEntry{Key: k, Value: v})
		}
		return out, nil
	}, nil
}

func compileArrowStruct(t *Type, st *arrow.StructType, path string) (arrowRead, []ArrowProblem) {
	names := make([]string, len(t.Fields))
	for i, f := range t.Fields {
		names[i] = f.Name
	}
	field := make([]int, len(t.Fields))
	for i := range field {
		field[i] = -1
	}
	reads := make([]arrowRead, len(t.Fields))
	var probs []ArrowProblem
	last := -1
	for j, f := range st.Fields() {
		fp := path + "." + f.Name
		c := indexFold(names, f.Name)
		switch {
		case c < 0:
			probs = append(probs, ArrowProblem{fp, CauseFieldNotInTable, fmt.Sprintf("field %q is not a field of %s", fp, shortTypeText(t))})
			continue
		case field[c] >= 0:
			probs = append(probs, ArrowProblem{fp, CauseFieldCountMismatch, fmt.Sprintf("field %q appears twice", fp)})
			continue
		case c < last:
			probs = append(probs, ArrowProblem{fp, CauseFieldOutOfOrder, fmt.Sprintf("field %q comes after %q; fields must follow the STRUCT's order", fp, names[last])})
		}
		last = max(last, c)
		field[c] = j
		r, p := compileArrow(t.Fields[c].Type, f.Type, fp)
		probs = append(probs, p...)
		reads[c] = r
	}
	for i, f := range t.Fields {
		if field[i] < 0 && !f.Nullable {
			probs = append(probs, ArrowProblem{path + "." + f.Name, CauseMissingRequired,
				fmt.Sprintf("field %q is NOT NULL but the struct has no field for it", path+"."+f.Name)})
		}
	}
	if probs != nil {
		return nil, probs
	}
	return func(a arrow.Array, i int) (any, *RecordError) {
		s := a.(*array.Struct)
		out := make(StructValue, len(t.Fields))
		for c, j := range field {
			if j < 0 {
				continue
			}
			v, e := readNullable(s.Field(j), i, reads[c], t.Fields[c].Nullable, t.Fields[c].Type)
			if e != nil {
				return nil, e.under(t.Fields[c].Name)
			}
			out[c] = v
		}
		return out, nil
	}, nil
}
