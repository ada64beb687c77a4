package schema

import (
	"bytes"
	"encoding/binary"
	"math"
	"strconv"
	"strings"

	"github.com/valyala/fastjson"
)

// JSON text helpers shared by the JSON decoder and protobuf VARIANT fields:
// the strictness fastjson's parser lacks, and the compact writer that
// produces VARIANT text.

// parseErrorText shortens a fastjson error to its innermost cause:
// fastjson prefixes one "cannot parse array value: " per nesting level.
func parseErrorText(err error) string {
	msg := strings.TrimPrefix(err.Error(), "cannot parse JSON: ")
	for {
		trimmed := msg
		for _, p := range []string{"cannot parse object: ", "cannot parse object value: ", "cannot parse array: ", "cannot parse array value: "} {
			trimmed = strings.TrimPrefix(trimmed, p)
		}
		if trimmed == msg {
			return msg
		}
		msg = trimmed
	}
}

// needsFullCheck reports bytes that fastjson's parser would accept where
// JSON does not allow them: escapes, control characters, non-ASCII text
// (which must be valid UTF-8). Typical records have none. Pretty-printed
// records take the slow path for their newlines, which is merely slower.
func needsFullCheck(rec []byte) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	i := 0
	// Eight bytes at a time: a byte ≥ 0x80, < 0x20 or equal to '\\'.
	for ; i+8 <= len(rec); i += 8 {
		x := binary.LittleEndian.Uint64(rec[i:])
		bs := x ^ (ones * '\\')
		if (x|(x-ones*0x20)|(bs-ones)&^bs)&highs != 0 {
			return true
		}
	}
	for ; i < len(rec); i++ {
		if c := rec[i]; c < 0x20 || c >= 0x80 || c == '\\' {
			return true
		}
	}
	return false
}

// jsonNumberOK checks the syntax of number text fastjson accepted:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func jsonNumberOK(b []byte) bool {
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		j := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == j {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == j {
			return false
		}
	}
	return i == len(b)
}

// badNumber rejects number text that is not JSON, e.g. NaN or 01.
func badNumber(num []byte) *RecordError {
	return &RecordError{Reason: ReasonInvalidJSON, Received: "number " + strconv.Quote(ClipReceived(string(num))) + " is not valid JSON"}
}

// hasLoneSurrogate reports a \uD800–\uDFFF escape that is not part of a
// valid pair. fastjson would keep such an escape as literal text, silently
// changing the string, so the record is rejected as JSON parsers do.
func hasLoneSurrogate(rec []byte) bool {
	for i := 0; i < len(rec); i++ {
		if rec[i] != '\\' {
			continue
		}
		i++ // the validated record has a character after every backslash
		if rec[i] != 'u' {
			continue
		}
		x, _ := strconv.ParseUint(string(rec[i+1:i+5]), 16, 16)
		i += 4
		switch {
		case x >= 0xDC00 && x <= 0xDFFF:
			return true
		case x >= 0xD800 && x <= 0xDBFF:
			if i+6 >= len(rec) || rec[i+1] != '\\' || rec[i+2] != 'u' {
				return true
			}
			y, _ := strconv.ParseUint(string(rec[i+3:i+7]), 16, 16)
			if y < 0xDC00 || y > 0xDFFF {
				return true
			}
			i += 6
		}
	}
	return false
}

// describeJSON renders a received value for an error: its JSON type and
// its text, cut short.
func describeJSON(v *fastjson.Value) string {
	switch v.Type() {
	case fastjson.TypeNull:
		return "null"
	case fastjson.TypeTrue:
		return "boolean true"
	case fastjson.TypeFalse:
		return "boolean false"
	case fastjson.TypeNumber:
		return "number " + ClipReceived(string(v.MarshalTo(nil)))
	case fastjson.TypeString:
		s, _ := v.StringBytes()
		return "string " + ClipReceived(string(appendJSONString(nil, ClipReceived(string(s)))))
	}
	b, _ := appendJSON(nil, v, new(jdState))
	return v.Type().String() + " " + ClipReceived(string(b))
}

// appendJSON appends v as compact JSON, the text a VARIANT holds. Strings are
// re-escaped (fastjson unescapes in place and its own writer uses Go
// escapes), numbers keep the sender's text, and object keys must be unique
// as Databricks' parse_json requires.
func appendJSON(dst []byte, v *fastjson.Value, st *jdState) ([]byte, *RecordError) {
	switch v.Type() {
	case fastjson.TypeObject:
		o, _ := v.Object()
		base := len(st.keys)
		var rerr *RecordError
		dst = append(dst, '{')
		o.Visit(func(k []byte, ev *fastjson.Value) {
			if rerr != nil {
				return
			}
			for _, prev := range st.keys[base:] {
				if bytes.Equal(prev, k) {
					rerr = &RecordError{Path: string(k), Reason: ReasonDuplicateField, Hint: "VARIANT objects cannot repeat a key"}
					return
				}
			}
			if len(st.keys) > base {
				dst = append(dst, ',')
			}
			st.keys = append(st.keys, k)
			dst = appendJSONString(dst, string(k))
			dst = append(dst, ':')
			var e *RecordError
			if dst, e = appendJSON(dst, ev, st); e != nil {
				rerr = e.under(string(k))
			}
		})
		clear(st.keys[base:])
		st.keys = st.keys[:base]
		return append(dst, '}'), rerr
	case fastjson.TypeArray:
		a, _ := v.Array()
		dst = append(dst, '[')
		for i, ev := range a {
			if i > 0 {
				dst = append(dst, ',')
			}
			var e *RecordError
			if dst, e = appendJSON(dst, ev, st); e != nil {
				return dst, e.under("[" + strconv.Itoa(i) + "]")
			}
		}
		return append(dst, ']'), nil
	case fastjson.TypeString:
		s, _ := v.StringBytes()
		return appendJSONString(dst, string(s)), nil
	}
	// Numbers keep their text; true, false and null print as themselves.
	n := len(dst)
	dst = v.MarshalTo(dst)
	if v.Type() == fastjson.TypeNumber && !jsonNumberOK(dst[n:]) {
		return dst, badNumber(dst[n:])
	}
	return dst, nil
}

// AppendJSONString appends s as a JSON string literal, escaped as
// appendJSONString does; for packages that build JSON records (web/otlp).
// s must be valid UTF-8.
func AppendJSONString(dst []byte, s string) []byte { return appendJSONString(dst, s) }

// appendJSONString appends s as a JSON string literal with the escapes
// encoding/json would use for control characters, quotes and backslashes.
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
		}
		start = i + 1
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// Outcomes of jsonInt.
const (
	intOK = iota
	intFraction
	intOverflow
)

// jsonInt converts validated JSON number text that must denote an integer.
// Exponent and fraction forms with an integral value (1e3, 2.50e1) are
// accepted because some serialisers print whole floats that way; 1.5 is
// intFraction and anything beyond int64 is intOverflow.
func jsonInt(b []byte) (int64, int) {
	neg := b[0] == '-'
	if neg {
		b = b[1:]
	}
	// Fast path: plain digits that cannot overflow.
	if len(b) <= 18 {
		var u int64
		plain := true
		for _, c := range b {
			if c < '0' || c > '9' {
				plain = false
				break
			}
			u = u*10 + int64(c-'0')
		}
		if plain {
			if neg {
				u = -u
			}
			return u, intOK
		}
	}
	ip := 0
	for ip < len(b) && b[ip] >= '0' && b[ip] <= '9' {
		ip++
	}
	intPart, rest := b[:ip], b[ip:]
	var frac []byte
	if len(rest) > 0 && rest[0] == '.' {
		j := 1
		for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
			j++
		}
		frac, rest = rest[1:j], rest[j:]
	}
	exp := 0
	if len(rest) > 0 { // an exponent: e, optional sign, digits
		rest = rest[1:]
		eneg := rest[0] == '-'
		if rest[0] == '-' || rest[0] == '+' {
			rest = rest[1:]
		}
		for _, c := range rest {
			if exp < 1<<40 { // saturate: no record has that many digits
				exp = exp*10 + int(c-'0')
			}
		}
		if eneg {
			exp = -exp
		}
	}
	// The value is digits(intPart ++ frac) × 10^exp.
	exp -= len(frac)
	nd := len(intPart) + len(frac)
	digit := func(k int) byte {
		if k < len(intPart) {
			return intPart[k]
		}
		return frac[k-len(intPart)]
	}
	lo := 0
	for lo < nd && digit(lo) == '0' {
		lo++
	}
	if lo == nd {
		return 0, intOK
	}
	hi := nd
	for digit(hi-1) == '0' {
		hi--
		exp++
	}
	if exp < 0 {
		return 0, intFraction
	}
	if hi-lo+exp > 19 {
		return 0, intOverflow
	}
	var u uint64 // at most 19 digits: below 1e19 < 2^64
	for k := lo; k < hi; k++ {
		u = u*10 + uint64(digit(k)-'0')
	}
	for ; exp > 0; exp-- {
		u *= 10
	}
	switch {
	case neg && u <= 1<<63:
		return int64(-u), intOK
	case !neg && u <= math.MaxInt64:
		return int64(u), intOK
	}
	return 0, intOverflow
}
