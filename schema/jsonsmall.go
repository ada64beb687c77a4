package schema

import (
	"bytes"
	"encoding/base64"
	"math/big"
	"math/bits"
)

// Allocation-saving forms of the common DECIMAL and BINARY values of JSON
// records. Anything out of the ordinary is left to decimalValue and
// decodeBase64, which also produce the errors.

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
	neg := len(s) > 0 && s[0] == '-'
	if neg {
		s = s[1:]
	}
	ip := 0
	for ip < len(s) && s[ip] >= '0' && s[ip] <= '9' {
		ip++
	}
	intPart, frac := s[:ip], s[ip:]
	if len(frac) > 0 {
		if frac[0] != '.' || len(frac) == 1 {
			return DecimalValue{}, false
		}
		frac = frac[1:]
		for _, c := range frac {
			if c < '0' || c > '9' {
				return DecimalValue{}, false
			}
		}
	}
	if len(intPart) == 0 {
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
	if m > strMax {
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
