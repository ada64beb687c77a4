package web

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestSplitRecords(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []string // records, compact as sent
		err  string   // exact error text; "" for success
	}{
		{name: "array of objects", body: `[{"a":1},{"b":"x"},{}]`, want: []string{`{"a":1}`, `{"b":"x"}`, `{}`}},
		{name: "python requests separators", body: `[{"a": 1, "b": [1, 2]}, {"c": {"d": null}}]`, want: []string{`{"a": 1, "b": [1, 2]}`, `{"c": {"d": null}}`}},
		{name: "single object", body: `{"device_id":"d1","ts":1732451234000000}`, want: []string{`{"device_id":"d1","ts":1732451234000000}`}},
		{name: "whitespace around everything", body: " \n\t[ \n {\"a\":1} ,\r\n\t{\"b\":2}\n ] \n", want: []string{`{"a":1}`, `{"b":2}`}},
		{name: "whitespace around one object", body: "\n  {\"a\": 1}\n\n", want: []string{`{"a": 1}`}},
		{name: "nested arrays inside a record", body: `[{"a":[{"b":[]}]}]`, want: []string{`{"a":[{"b":[]}]}`}},
		{name: "large numbers kept verbatim", body: `[{"n":12345678901234567890123,"f":1e400}]`, want: []string{`{"n":12345678901234567890123,"f":1e400}`}},

		{name: "empty body", body: ``, err: "request body is empty; send a JSON array of records or one JSON object"},
		{name: "only whitespace", body: " \r\n\t ", err: "request body is empty; send a JSON array of records or one JSON object"},
		{name: "empty array", body: `[]`, err: "the JSON array has no records"},
		{name: "empty array with whitespace", body: "[ \n ]", err: "the JSON array has no records"},
		{name: "array with a number", body: `[{"a":1},2]`, err: "record 1 must be a JSON object, got a JSON number"},
		{name: "array with a string", body: `["x"]`, err: "record 0 must be a JSON object, got a JSON string"},
		{name: "array with null", body: `[{"a":1},{"b":2},null]`, err: "record 2 must be a JSON object, got JSON null"},
		{name: "array with an array", body: `[[{"a":1}]]`, err: "record 0 must be a JSON object, got a JSON array"},
		{name: "array with a boolean", body: `[true]`, err: "record 0 must be a JSON object, got a JSON boolean"},
		{name: "top-level string", body: `"x"`, err: "request body must be a JSON array of records or one JSON object, got a JSON string"},
		{name: "top-level number", body: `42`, err: "request body must be a JSON array of records or one JSON object, got a JSON number"},
		{name: "top-level null", body: `null`, err: "request body must be a JSON array of records or one JSON object, got JSON null"},
		{name: "form encoded body", body: `a=1&b=2`, err: `request body must be a JSON array of records or one JSON object, got 'a' (not JSON)`},
		{name: "trailing object after the array", body: `[{"a":1}] {"b":2}`, err: "malformed JSON body: unexpected data after the closing ]"},
		{name: "trailing garbage after the array", body: `[{"a":1}] x`, err: "malformed JSON body: unexpected data after the closing ]"},
		{name: "second closing bracket", body: `[{"a":1}]]`, err: "malformed JSON body: unexpected data after the closing ]"},
		{name: "trailing garbage after one object", body: `{"a":1} x`, err: "malformed JSON record: invalid character 'x' after top-level value"},
		{name: "two objects without an array", body: `{"a":1}{"b":2}`, err: "malformed JSON record: invalid character '{' after top-level value"},
		{name: "unclosed array", body: `[{"a":1}`, err: "malformed JSON body: unexpected end of input, the array is not closed with ]"},
		{name: "lone bracket", body: `[`, err: "malformed JSON body: unexpected end of input, the array is not closed with ]"},
		{name: "trailing comma", body: `[{"a":1},]`, err: "malformed JSON in record 1: invalid character ']' looking for beginning of value"},
		{name: "missing comma", body: `[{"a":1} {"b":2}]`, err: "malformed JSON in record 1: expected comma after array element"},
		{name: "malformed record", body: `[{"a":1},{"b":}]`, err: "malformed JSON in record 1: invalid character '}' looking for beginning of value"},
		{name: "truncated record", body: `[{"a":1},{"b":`, err: "malformed JSON in record 1: unexpected EOF"},
		{name: "malformed single object", body: `{"a":}`, err: "malformed JSON record: invalid character '}' looking for beginning of value"},
		{name: "truncated single object", body: `{"a":1`, err: "malformed JSON record: unexpected end of JSON input"},
		{name: "single quotes", body: `[{'a':1}]`, err: "malformed JSON in record 0: invalid character '\\'' looking for beginning of object key string"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := SplitRecords([]byte(tc.body))
			if tc.err != "" {
				if err == nil {
					t.Fatalf("SplitRecords(%q) = %q, want error %q", tc.body, got, tc.err)
				}
				if err.Error() != tc.err {
					t.Errorf("SplitRecords(%q) error\n got: %s\nwant: %s", tc.body, err, tc.err)
				}
				if got != nil {
					t.Errorf("records returned with an error: %q", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("SplitRecords(%q): %v", tc.body, err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("SplitRecords(%q) = %d records %q, want %d", tc.body, len(got), got, len(tc.want))
			}
			for i := range got {
				if string(got[i]) != tc.want[i] {
					t.Errorf("record %d = %s, want %s", i, got[i], tc.want[i])
				}
			}
		})
	}
}

// FuzzSplitRecords checks that SplitRecords never panics, that every record
// it returns is one valid JSON object, and that it accepts every body made
// by marshalling an array of objects (what clients send).
func FuzzSplitRecords(f *testing.F) {
	for _, s := range []string{`[{"a":1}]`, `{"a":1}`, ``, `[]`, `[1]`, `[{"a":1}] x`, `[{"a":1},]`, "[\n{\"a\": [1, {\"b\": null}]}\n]", `{"a":1} {}`, `[{"a":"\u00e9\ud83d\ude00"}]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		recs, err := SplitRecords(body)
		if err != nil {
			if recs != nil {
				t.Fatalf("records %q returned with error %v", recs, err)
			}
			if err.Error() == "" {
				t.Fatal("empty error text")
			}
			return
		}
		if len(recs) == 0 {
			t.Fatalf("no records and no error for %q", body)
		}
		for i, r := range recs {
			if len(r) == 0 || r[0] != '{' {
				t.Fatalf("record %d of %q does not start with {: %q", i, body, r)
			}
			if !json.Valid(r) {
				t.Fatalf("record %d of %q is not valid JSON: %q", i, body, r)
			}
			var obj map[string]json.RawMessage
			if err := json.Unmarshal(r, &obj); err != nil {
				t.Fatalf("record %d of %q is not one JSON object: %v", i, body, err)
			}
		}
		// A body that encoding/json considers a valid array of objects must be
		// accepted with the same number of records (and the inverse).
		trimmed := bytes.TrimSpace(body)
		if strings.HasPrefix(string(trimmed), "[") {
			var arr []map[string]json.RawMessage
			if err := json.Unmarshal(trimmed, &arr); err != nil {
				t.Fatalf("accepted %q, which encoding/json rejects: %v", body, err)
			}
			if len(arr) != len(recs) {
				t.Fatalf("accepted %q as %d records, encoding/json sees %d", body, len(recs), len(arr))
			}
		}
	})
}

// FuzzSplitRecords' property in the other direction: marshalled arrays of
// objects always split into the same records.
func TestSplitRecordsRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		recs []map[string]any
	}{
		{"one", []map[string]any{{"a": 1}}},
		{"many", []map[string]any{{"a": 1}, {"b": "x"}, {"c": []any{1.5, nil, "y"}}, {"d": map[string]any{"e": true}}}},
		{"unicode and escapes", []map[string]any{{"s": "é😀\n\"<>&"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body, _ := json.Marshal(tc.recs)
			got, err := SplitRecords(body)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.recs) {
				t.Fatalf("%d records, want %d", len(got), len(tc.recs))
			}
			for i, r := range got {
				want, _ := json.Marshal(tc.recs[i])
				if string(r) != string(want) {
					t.Errorf("record %d = %s, want %s", i, r, want)
				}
			}
		})
	}
}

// The records of a body are slices of it, collected in one slice of the
// right size: the allocations do not grow with the number of records (a
// copy of each record cost one, and more than the record again).
func TestSplitRecordsDoesNotCopy(t *testing.T) {
	body := func(n int) []byte {
		return append(append([]byte("["), bytes.Repeat([]byte(`{"s":"{,"}, `), n-1)...), "{}]"...)
	}
	const n = 10_000
	b := body(n)
	got, err := SplitRecords(b)
	if err != nil || len(got) != n || cap(got) != n {
		t.Fatalf("SplitRecords: %d records (capacity %d), %v; want %d", len(got), cap(got), err, n)
	}
	if last := got[n-1]; string(last) != "{}" || &last[0] != &b[len(b)-3] {
		t.Errorf("last record %q is not the body's own bytes", last)
	}
	b2 := body(2 * n)
	allocs := testing.AllocsPerRun(3, func() { SplitRecords(b) })
	allocs2 := testing.AllocsPerRun(3, func() { SplitRecords(b2) })
	if allocs2 > allocs+2 {
		t.Errorf("SplitRecords made %.0f allocations for %d records, %.0f for %d; want as many", allocs, n, allocs2, 2*n)
	}
}
