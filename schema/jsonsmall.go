package schema

import (
	"bytes"
	"encoding/base64"
	"math/big"
	"math/bits"
	"unsafe"
)

// Allocation savers for JSONDecoder.
//
// Short strings, BINARY values, arrays and maps share chunks (jdState's
// strs, bins, anys and ents) rather than costing one allocation each. Every
// value handed out gets its own window of a chunk, capped so that appending
// to it cannot reach the next one, and the decoder never writes a window
// it handed out: a chunk only fills up, then is replaced. A value pins at
// most its chunk (2 KB) and, for arrays and maps, the values of the rows
// that share it, which are rows of the same batch in practice.
//
// The common DECIMAL and BINARY forms are converted here; anything out of
// the ordinary is left to decimalValue and decodeBase64, which also produce
// the errors.

const (
	anyChunk = 128
	entChunk = 64
	sliceMax = 16 // longer arrays and maps get their own allocation
)

// anySlice returns a zeroed slice of n elements for an array.
func (st *jdState) anySlice(n int) []any {
	if n == 0 || n > sliceMax { // an empty array is []any{}, not nil
		return make([]any, n)
	}
	if cap(st.anys)-len(st.anys) < n {
		st.anys = make([]any, 0, anyChunk)
	}
	off := len(st.anys)
	st.anys = st.anys[:off+n]
	return st.anys[off : off+n : off+n]
}

// entSlice returns an empty slice with room for n map entries.
func (st *jdState) entSlice(n int) []MapEntry {
	if n == 0 || n > sliceMax { // an empty map is []MapEntry{}, not nil
		return make([]MapEntry, 0, n)
	}
	if cap(st.ents)-len(st.ents) < n {
		st.ents = make([]MapEntry, 0, entChunk)
	}
	off := len(st.ents)
	st.ents = st.ents[:off+n]
	return st.ents[off : off : off+n]
}

const (
	strChunk = 2048
	strMax   = 128 // longer strings get their own allocation
)

// str returns an owned copy of b, which may point into the parser's memory.
func (st *jdState) str(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if len(b) > strMax {
		return string(b)
	}
	if cap(st.strs)-len(st.strs) < len(b) {
		st.strs = make([]byte, 0, strChunk)
	}
	off := len(st.strs)
	st.strs = append(st.strs, b...)
	return unsafe.String(&st.strs[off], len(b))
}

// decimalBox holds a DECIMAL's big.Int together with its one word, so that
// a small decimal costs one allocation rather than two.
type decimalBox struct {
	i big.Int
	w [1]big.Word
}

// smallDecimal converts decimal text of the form -?[0-9]+(\.[0-9]+)? that
// fits t and 18 digits, and is not zero; ok is false for anything else,
// which decimalValue then handles. The value is the one decimalValue gives.
func smallDecimal(t *Type, s []byte) (DecimalValue, bool) {
	if bits.UintSize != 64 {
		return DecimalValue{}, false
	}
	neg, intPart, frac, ok := splitDecimal(s)
	if !ok || len(intPart) == 0 {
		return DecimalValue{}, false
	}
	for len(intPart) > 0 && intPart[0] == '0' {
		intPart = intPart[1:]
	}
	if len(frac) > t.Scale || len(intPart) > t.Precision-t.Scale || len(intPart)+t.Scale > 18 {
		return DecimalValue{}, false
	}
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
	if x == 0 {
		return DecimalValue{}, false
	}
	b := new(decimalBox)
	b.w[0] = big.Word(x)
	b.i.SetBits(b.w[:])
	if neg {
		b.i.Neg(&b.i)
	}
	return DecimalValue{Unscaled: &b.i, Scale: t.Scale}, true
}

// base64Bytes decodes s as decodeBase64 does, into a window of st.bins for
// short values.
func (st *jdState) base64Bytes(s []byte) ([]byte, bool) {
	if bytes.ContainsAny(s, "\r\n") {
		return nil, false
	}
	enc := base64.RawStdEncoding
	if len(s) > 0 && s[len(s)-1] == '=' {
		enc = base64.StdEncoding
	}
	m := enc.DecodedLen(len(s))
	if m == 0 || m > strMax { // an empty value is []byte{}, not nil
		return decodeBase64(s)
	}
	if cap(st.bins)-len(st.bins) < m {
		st.bins = make([]byte, 0, strChunk)
	}
	off := len(st.bins)
	out := st.bins[off : off+m : off+m]
	n, err := enc.Decode(out, s)
	if err != nil {
		return nil, false
	}
	// Only the bytes handed out are used up; a failed decode leaves its
	// window to the next value.
	st.bins = st.bins[:off+n]
	return out[:n:n], true
}

var (
	pow10f64 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
		1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}
	pow10f32 = [...]float32{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10}
)

// plainFloat converts number text of the form -?(0|[1-9][0-9]*)(\.[0-9]+)?
// to a float64 (bits 64) or float32 (bits 32) when its digits, read as an
// integer, are exact in that type and its fraction is short enough for the
// power of ten to be exact too. One IEEE division of exact operands is then
// correctly rounded, so the result is the one strconv.ParseFloat gives.
// ok is false for any other text, including valid JSON numbers.
func plainFloat(b []byte, bits int) (float64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 20 || b[0] < '0' || b[0] > '9' || (b[0] == '0' && len(b) > 1 && b[1] != '.') {
		return 0, false
	}
	var m uint64
	i := 0
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		m = m*10 + uint64(b[i]-'0')
	}
	k := 0
	if i < len(b) {
		if b[i] != '.' || i+1 == len(b) {
			return 0, false
		}
		for i++; i < len(b); i++ {
			c := b[i]
			if c < '0' || c > '9' {
				return 0, false
			}
			m = m*10 + uint64(c-'0')
			k++
		}
	}
	// At most 19 digits were read, so m did not overflow.
	if bits == 32 {
		if m >= 1<<23 || k >= len(pow10f32) {
			return 0, false
		}
		f := float32(m) / pow10f32[k]
		if neg {
			f = -f
		}
		return float64(f), true
	}
	if m >= 1<<52 || k >= len(pow10f64) {
		return 0, false
	}
	f := float64(m) / pow10f64[k]
	if neg {
		f = -f
	}
	return f, true
}
