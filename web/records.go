package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// arrayScanner walks the elements of a JSON array without decoding them
// (the engine's schema-driven decoder does that, once). The records it
// returns are slices of the body, not copies: a body of 2-byte records
// would otherwise cost an allocation and twice its size again.
type arrayScanner struct {
	body  []byte
	dec   *json.Decoder
	span  valueSpan
	index int
	begun bool
}

func newArrayScanner(b []byte) *arrayScanner {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	return &arrayScanner{body: b, dec: d}
}

// valueSpan takes the length of a JSON value that json.Decoder has
// checked, without copying it (json.RawMessage would).
type valueSpan struct{ n int }

func (v *valueSpan) UnmarshalJSON(b []byte) error {
	v.n = len(b)
	return nil
}

func (a *arrayScanner) next() ([]byte, bool, error) {
	if !a.begun {
		a.begun = true
		if _, err := a.dec.Token(); err != nil {
			return nil, false, fmt.Errorf("malformed JSON body: %v", err)
		}
	}
	if !a.dec.More() {
		if _, err := a.dec.Token(); err != nil {
			if err == io.EOF {
				return nil, false, fmt.Errorf("malformed JSON body: unexpected end of input, the array is not closed with ]")
			}
			return nil, false, fmt.Errorf("malformed JSON body: %v", err)
		}
		// Only whitespace may follow the closing ] (Token returns io.EOF
		// then; any other token or a syntax error means trailing data).
		if _, err := a.dec.Token(); err != io.EOF {
			return nil, false, fmt.Errorf("malformed JSON body: unexpected data after the closing ]")
		}
		return nil, false, nil
	}
	if err := a.dec.Decode(&a.span); err != nil {
		return nil, false, fmt.Errorf("malformed JSON in record %d: %v", a.index, err)
	}
	end := a.dec.InputOffset()
	raw := a.body[end-int64(a.span.n) : end : end]
	if len(raw) == 0 || raw[0] != '{' {
		return nil, false, fmt.Errorf("record %d must be a JSON object, got %s", a.index, describeJSONStart(raw[0]))
	}
	a.index++
	return raw, true, nil
}

// countObjects counts the objects that are elements of the JSON array b,
// so that its records are collected in one slice of the right size:
// growing it by append would allocate it about five times over, 24 bytes
// per record each time, for a body of 2-byte records. For a malformed
// body (which the scanner then refuses) the count is capped at what a body
// of its size can hold: 2 bytes and a comma per record.
func countObjects(b []byte) int {
	n, depth, inString := 0, 0, false
	for i := 0; i < len(b); i++ {
		c := b[i]
		if inString {
			switch c {
			case '\\':
				i++
			case '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '{':
			if depth == 1 {
				n++
			}
			depth++
		case '[':
			depth++
		case ']', '}':
			depth--
		}
	}
	return min(n, len(b)/3+1)
}

func checkJSONValue(b []byte) error {
	if !json.Valid(b) {
		var v any
		return json.Unmarshal(b, &v)
	}
	return nil
}

func describeJSONStart(c byte) string {
	switch {
	case c == '{':
		return "a JSON object"
	case c == '[':
		return "a JSON array"
	case c == '"':
		return "a JSON string"
	case c == 't' || c == 'f':
		return "a JSON boolean"
	case c == 'n':
		return "JSON null"
	case c == '-' || (c >= '0' && c <= '9'):
		return "a JSON number"
	}
	return fmt.Sprintf("%q (not JSON)", c)
}
