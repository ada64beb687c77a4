package schema

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Reasons a record is rejected. RecordError.Reason holds one of these (the
// DECIMAL one with the column's precision and scale filled in), so that a
// caller can count rejections by cause without parsing messages.
const (
	ReasonMissing        = "missing required (NOT NULL) column"
	ReasonMissingField   = "missing required (NOT NULL) STRUCT field"
	ReasonNull           = "null for a NOT NULL value"
	ReasonUnknownField   = "unknown field (not a column of the table)"
	ReasonUnknownStruct  = "unknown field (not in the STRUCT type)"
	ReasonDuplicateField = "duplicate field"
	ReasonDuplicateKey   = "duplicate map key"
	ReasonTypeMismatch   = "type mismatch"
	ReasonOutOfRange     = "out of range"
	ReasonInvalidJSON    = "invalid JSON"
	ReasonNotObject      = "record is not a JSON object"
	ReasonInvalidProto   = "invalid protobuf"
	ReasonUnknownNumber  = "unknown field number"
	// ReasonDecimalDigits is the prefix of the DECIMAL reason, which reads
	// "too many digits for DECIMAL(p,s)".
	ReasonDecimalDigits = "too many digits for"
)

// RecordError explains why one record was rejected. Its parts are kept apart
// so that an API can return them as structured detail, while Error gives the
// one line a user reads in an SDK exception.
type RecordError struct {
	// Path locates the offending value: a top-level column ("ts"), a struct
	// field ("loc.lat"), an array element ("readings[3].value") or a map
	// value (`tags["k"]`). Empty when the record as a whole is at fault.
	Path string
	// Expected describes the column type and its encoding, e.g.
	// "TIMESTAMP (integer microseconds since epoch)".
	Expected string
	// Received describes what was sent: its JSON (or protobuf) type and the
	// value, cut to about 64 characters.
	Received string
	// Hint suggests the fix for a well-known mistake; often empty.
	Hint string
	// Reason is one of the Reason constants.
	Reason string
}

// Error returns one line: where, what was expected and received, and a hint.
// A type mismatch omits the reason because "expected X, received Y" says it.
func (e *RecordError) Error() string {
	var b strings.Builder
	switch {
	case e.Path == "":
	case e.Reason == ReasonUnknownField || e.Reason == ReasonUnknownStruct || e.Reason == ReasonDuplicateField:
		b.WriteString(`field "` + e.Path + `": `)
	default:
		b.WriteString(`column "` + e.Path + `": `)
	}
	if e.Reason != ReasonTypeMismatch || e.Expected == "" {
		b.WriteString(e.Reason)
		if e.Expected != "" || e.Received != "" {
			b.WriteString(": ")
		}
	}
	switch {
	case e.Expected != "" && e.Received != "":
		b.WriteString("expected " + e.Expected + ", received " + e.Received)
	case e.Expected != "":
		b.WriteString("expected " + e.Expected)
	case e.Received != "":
		b.WriteString(e.Received)
	}
	if e.Hint != "" {
		b.WriteString("; hint: " + e.Hint)
	}
	return b.String()
}

// Unwrap lets callers test errors.Is(err, ErrInvalidRecord).
func (e *RecordError) Unwrap() error { return ErrInvalidRecord }

// under prefixes the error's path with seg, a column or field name or an
// element selector such as "[3]". Paths are built on the way out of the
// recursion so that the happy path never formats one.
func (e *RecordError) under(seg string) *RecordError {
	switch {
	case e.Path == "":
		e.Path = seg
	case e.Path[0] == '[':
		e.Path = seg + e.Path
	default:
		e.Path = seg + "." + e.Path
	}
	return e
}

// DecimalValue is a DECIMAL(p,s) value: Unscaled × 10^-Scale. Scale is the
// column's scale, so values of one column share it and Unscaled fits the
// precision; this is the shape DuckDB's appender wants.
type DecimalValue struct {
	Unscaled *big.Int
	Scale    int
}

// String formats the value with exactly Scale fraction digits, e.g. "12.30".
func (d DecimalValue) String() string {
	if d.Unscaled == nil {
		return "<nil>"
	}
	s := d.Unscaled.String()
	if d.Scale <= 0 {
		return s
	}
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	if len(s) <= d.Scale {
		s = strings.Repeat("0", d.Scale-len(s)+1) + s
	}
	s = s[:len(s)-d.Scale] + "." + s[len(s)-d.Scale:]
	if neg {
		s = "-" + s
	}
	return s
}

// MapEntry is one key/value pair of a MAP value. Maps decode to []MapEntry
// rather than a Go map so that input order survives and keys of any type
// (including BINARY and DECIMAL) can be held.
type MapEntry struct {
	Key, Value any
}

// StructValue is a STRUCT value: one value per field of the type, in the
// type's field order, nil for NULL or absent fields.
type StructValue []any

// maxReceived bounds how much of a received value an error repeats: enough
// to recognise it, not so much that a 1 MB string floods a log line.
const maxReceived = 64

// ClipReceived cuts s to maxReceived bytes on a rune boundary and marks the
// cut, for error messages that repeat what a client sent.
func ClipReceived(s string) string {
	if len(s) <= maxReceived {
		return s
	}
	i := maxReceived
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "..."
}

// typeLabel is the column type as errors show it. Struct types can run to
// hundreds of characters with comments, so long text is cut.
func shortTypeText(t *Type) string {
	s := t.String()
	if len(s) > 80 {
		s = s[:76] + "...>"
	}
	return s
}

// Hints for the mistakes users make most often (databricks-surface.md §9:
// ISO timestamps are the top complaint).
const (
	hintTimestamp   = "send microseconds since epoch, e.g. 1732451234000000"
	hintDate        = "send days since 1970-01-01, e.g. 20051"
	hintUnquote     = "send the number without quotes"
	hintDecimal     = `send decimals as strings, e.g. "12.30"`
	hintBoolUnquote = "send true or false without quotes"
	hintBase64      = `send bytes as a standard base64 string, e.g. "aGVsbG8="`
	hintQuote       = "send text as a JSON string (in quotes)"
	hintFloatWords  = `send a JSON number, or one of the strings "NaN", "Infinity", "-Infinity"`
)

// timeUnitHint guesses the unit of a number sent for a TIMESTAMP: Unix
// seconds and milliseconds of present-day instants are far below 1e14 µs.
func timeUnitHint(abs float64) string {
	switch {
	case abs < 1e11:
		return "this looks like seconds since epoch; multiply by 1000000 and send an integer"
	case abs < 1e14:
		return "this looks like milliseconds since epoch; multiply by 1000 and send an integer"
	}
	return ""
}

// looksLikeDate reports text such as "2024-11-24" or "2024-11-24T10:00:00Z".
func looksLikeDate(s string) bool {
	if len(s) < 8 {
		return false
	}
	for i := 0; i < 4; i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s[4] == '-' || s[4] == '/'
}

// looksNumeric reports whether s is a JSON number someone put in quotes.
func looksNumeric(s string) bool {
	return jsonNumberOK([]byte(strings.TrimSpace(s)))
}

// foldedName folds a field name for "did you mean" suggestions: deviceId,
// DeviceID and device_id all fold to "deviceid".
func foldedName(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_' || c == '-' || c == ' ':
		case 'A' <= c && c <= 'Z':
			b.WriteByte(c + 'a' - 'A')
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// suggestField builds the hint for an unknown field name, or "".
func suggestField(fold map[string]string, name string) string {
	if s, ok := fold[foldedName(name)]; ok && s != name {
		return `did you mean "` + s + `"?`
	}
	return ""
}

// foldNames indexes names by foldedName for suggestField.
func foldNames(names []string) map[string]string {
	m := make(map[string]string, len(names))
	for _, n := range names {
		k := foldedName(n)
		if _, dup := m[k]; !dup {
			m[k] = n
		}
	}
	return m
}

// missingHint is the hint for an absent NOT NULL column or STRUCT field.
func missingHint(name string, top bool) string {
	if !top {
		return `the STRUCT field "` + name + `" is NOT NULL, so every value of the STRUCT must include it`
	}
	return `every record must include "` + name + `"; only nullable columns may be left out`
}

// digits counts digits for hints: "1 digit", "2 digits".
func digits(n int) string {
	if n == 1 {
		return "1 digit"
	}
	return strconv.Itoa(n) + " digits"
}

// decimalValue parses DECIMAL text for type t: an optional sign, digits and
// an optional fraction, as in "12.30", "-0.5", ".5" or "007" (no exponent, no
// spaces, nothing after a bare point). At most Scale fraction digits are
// allowed: the value is kept exact rather than silently rounded, the rule the
// table's JSON Schema states too. Errors lack Received, which the caller
// knows how to describe.
func decimalValue(t *Type, expected string, s []byte) (any, *RecordError) {
	neg, intPart, frac, ok := splitDecimal(s)
	if !ok || len(intPart)+len(frac) == 0 {
		return nil, &RecordError{Reason: ReasonTypeMismatch, Expected: expected}
	}
	for len(intPart) > 0 && intPart[0] == '0' {
		intPart = intPart[1:]
	}
	if len(frac) > t.Scale {
		return nil, &RecordError{Reason: ReasonDecimalDigits + " " + shortTypeText(t), Expected: expected,
			Hint: shortTypeText(t) + " allows " + digits(t.Scale) + " after the point; round the value before sending it"}
	}
	if len(intPart) > t.Precision-t.Scale {
		return nil, &RecordError{Reason: ReasonDecimalDigits + " " + shortTypeText(t), Expected: expected,
			Hint: shortTypeText(t) + " allows " + digits(t.Precision-t.Scale) + " before the point"}
	}
	u := new(big.Int)
	if nd := len(intPart) + t.Scale; nd <= 18 {
		var x int64
		for _, c := range intPart {
			x = x*10 + int64(c-'0')
		}
		for i := 0; i < t.Scale; i++ {
			x *= 10
			if i < len(frac) {
				x += int64(frac[i] - '0')
			}
		}
		if neg {
			x = -x
		}
		u.SetInt64(x)
	} else {
		digits := make([]byte, 0, nd+1)
		if neg {
			digits = append(digits, '-')
		}
		digits = append(digits, intPart...)
		digits = append(digits, frac...)
		for i := len(frac); i < t.Scale; i++ {
			digits = append(digits, '0')
		}
		u.SetString(string(digits), 10)
	}
	return DecimalValue{Unscaled: u, Scale: t.Scale}, nil
}

// decodeBase64 decodes standard base64 with padding, or without any, the
// two forms JSON producers emit (the table's JSON Schema allows the same).
// Partial padding and line breaks, which encoding/base64 would skip, are
// refused.
func decodeBase64(s []byte) ([]byte, bool) {
	if bytes.ContainsAny(s, "\r\n") {
		return nil, false
	}
	enc := base64.RawStdEncoding
	if len(s) > 0 && s[len(s)-1] == '=' {
		enc = base64.StdEncoding
	}
	out := make([]byte, enc.DecodedLen(len(s)))
	n, err := enc.Decode(out, s)
	if err != nil {
		return nil, false
	}
	return out[:n], true
}

// The range of DATE and TIMESTAMP values Databricks (and the DuckDB store)
// holds: 0001-01-01 to 9999-12-31, 23:59:59.999999 for timestamps
// (https://docs.databricks.com/en/sql/language-manual/data-types/timestamp-type.html,
// .../date-type.html). A wider integer would be acknowledged and then fail
// to materialise, so validation refuses it.
const (
	minDateDays        = -719162            // 0001-01-01
	maxDateDays        = 2932896            // 9999-12-31
	minTimestampMicros = -62135596800000000 // 0001-01-01T00:00:00Z
	maxTimestampMicros = 253402300799999999 // 9999-12-31T23:59:59.999999Z
)

// intInRange reports whether i is in the range of the integer kind k; DATE
// counts days, the timestamps microseconds, within Databricks' range.
func intInRange(k Kind, i int64) bool {
	switch k {
	case TinyInt:
		return i >= math.MinInt8 && i <= math.MaxInt8
	case SmallInt:
		return i >= math.MinInt16 && i <= math.MaxInt16
	case Int:
		return i >= math.MinInt32 && i <= math.MaxInt32
	case Date:
		return i >= minDateDays && i <= maxDateDays
	case Timestamp, TimestampNTZ:
		return i >= minTimestampMicros && i <= maxTimestampMicros
	}
	return true
}

// outOfRange is the error for an integer outside its kind's range; for DATE
// and the timestamps it names the range as dates and as integers.
func outOfRange(k Kind, expected, received string) *RecordError {
	e := &RecordError{Reason: ReasonOutOfRange, Expected: expected, Received: received}
	switch k {
	case Date:
		e.Hint = "DATE holds 0001-01-01 to 9999-12-31, i.e. -719162 to 2932896 days since 1970-01-01"
	case Timestamp, TimestampNTZ:
		e.Hint = "TIMESTAMP and TIMESTAMP_NTZ hold 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999Z, i.e. -62135596800000000 to 253402300799999999 microseconds since epoch"
	}
	return e
}

// intOutOfRange is outOfRange for integer i: a timestamp that looks like
// nanoseconds (always past 9999 as microseconds) gets that hint first.
func intOutOfRange(k Kind, expected, received string, i int64) *RecordError {
	e := outOfRange(k, expected, received)
	if k == Timestamp || k == TimestampNTZ {
		if u := ClassifyMicros(i); u != Micros {
			e.Hint = u.Hint() + "; " + e.Hint
		}
	}
	return e
}

// intOfKind converts an integer to the Go value of kind k, reporting whether
// it is in range.
func intOfKind(k Kind, i int64) (any, bool) {
	if !intInRange(k, i) {
		return nil, false
	}
	switch k {
	case TinyInt:
		return int8(i), true
	case SmallInt:
		return int16(i), true
	case Int:
		return int32(i), true
	case Date, Timestamp, TimestampNTZ:
		return timeOfKind(k, i), true
	}
	return i, true
}

// timeOfKind is the time of a DATE (days since the epoch) or a TIMESTAMP
// or TIMESTAMP_NTZ (microseconds since the epoch), in UTC.
func timeOfKind(k Kind, i int64) time.Time {
	if k == Date {
		return time.Unix(i*86400, 0).UTC()
	}
	return time.UnixMicro(i).UTC()
}

// mapKeySet finds duplicate map keys. Small maps are scanned, which beats
// hashing; from 16 entries on, keys are indexed by mapKeyID.
type mapKeySet struct {
	pos map[any]int
}

// find returns the position of key in entries, or -1 after noting that key
// will be appended at len(entries). entries must not hold duplicates.
func (s *mapKeySet) find(entries []MapEntry, key any) int {
	if s.pos == nil {
		if len(entries) < 16 {
			for i := range entries {
				if mapKeyEqual(entries[i].Key, key) {
					return i
				}
			}
			return -1
		}
		s.pos = make(map[any]int, 2*len(entries))
		for i := range entries {
			s.pos[mapKeyID(entries[i].Key)] = i
		}
	}
	id := mapKeyID(key)
	if p, ok := s.pos[id]; ok {
		return p
	}
	s.pos[id] = len(entries)
	return -1
}

func mapKeyEqual(a, b any) bool {
	switch x := a.(type) {
	case []byte:
		y, ok := b.([]byte)
		return ok && bytes.Equal(x, y)
	case DecimalValue:
		y, ok := b.(DecimalValue)
		return ok && x.Unscaled.Cmp(y.Unscaled) == 0
	case time.Time:
		y, ok := b.(time.Time)
		return ok && x.Equal(y)
	case StructValue, []any, []MapEntry:
		return false // not a key type; == would panic
	}
	return a == b
}

// mapKeyID is a comparable stand-in for a key: the keys of one map share a
// type, so distinct types never need to be told apart.
func mapKeyID(k any) any {
	switch x := k.(type) {
	case []byte:
		return string(x)
	case DecimalValue:
		return x.Unscaled.String()
	case time.Time:
		return x.UnixMicro()
	}
	return k
}

// formatKey renders a decoded map key as JSON would carry it.
func formatKey(k any) string {
	switch x := k.(type) {
	case []byte:
		return base64.StdEncoding.EncodeToString(x)
	case time.Time:
		return x.Format(time.RFC3339Nano)
	}
	return fmt.Sprint(k)
}

// splitDecimal splits decimal text [+-]digits[.digits] into its sign,
// integer digits and fraction digits; ok is false for any other text.
func splitDecimal(s []byte) (neg bool, intPart, frac []byte, ok bool) {
	if len(s) > 0 && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	ip := 0
	for ip < len(s) && s[ip] >= '0' && s[ip] <= '9' {
		ip++
	}
	intPart, frac = s[:ip], s[ip:]
	if len(frac) > 0 {
		if frac[0] != '.' || len(frac) == 1 {
			return false, nil, nil, false
		}
		frac = frac[1:]
		for _, c := range frac {
			if c < '0' || c > '9' {
				return false, nil, nil, false
			}
		}
	}
	return neg, intPart, frac, true
}
