package schema_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	sjs "github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/zbemu/zbemu/schema"
)

// The differential test: the fast JSON decoder must accept exactly the
// records that the table's published JSON Schema accepts, as judged by an
// independent validator (santhosh-tekuri/jsonschema, draft 2020-12). The
// schema is the reference. Deliberate differences, where the decoder is
// stricter than any JSON Schema can say:
//
//   - duplicate keys: JSON Schema sees only the last one (as encoding/json
//     does); the decoder rejects the record, as a record with two values
//     for one column is ambiguous;
//   - text that is not valid JSON, not UTF-8 or holds an unpaired UTF-16
//     surrogate escape: there is no document to validate;
//   - map keys: JSON writes them as strings, and a pattern can check their
//     form but not the range of an integer or floating-point key type, nor
//     duplicates that only appear once keys are read as values ("0" and
//     "-0" as DOUBLE keys, ".5" and "0.5" as DECIMAL keys);
//   - nesting deeper than fastjson's limit (300): the decoder refuses it.
//
// And one where it is more lenient: on a table with a rescue column, a
// mistyped value of a nullable column goes to the rescue column instead of
// failing the record; the schema describes only what lands in the columns.
// The test checks that case exactly: the decoder's rescued fields, removed
// from the record, leave a record the schema accepts.

// diffTable is a table of the differential test with its compiled schema.
type diffTable struct {
	name   string
	cols   []schema.Column
	dec    *schema.JSONDecoder
	schema *sjs.Schema
}

func diffTables(t testing.TB) []*diffTable {
	specs := []struct {
		name string
		cols []schema.Column
	}{
		{"scalars", []schema.Column{
			col("device_id", tk(schema.String), false),
			col("ts", tk(schema.Timestamp), false),
			col("temperature", tk(schema.Double), true),
			col("humidity", tk(schema.Int), true),
			col("battery", tDec(5, 2), true),
			col("day", tk(schema.Date), true),
			col("raw", tk(schema.Binary), true),
			col("ok", tk(schema.Boolean), true),
			col("level", tk(schema.TinyInt), true),
			col("small", tk(schema.SmallInt), true),
			col("ratio", tk(schema.Float), true),
			col("big", tk(schema.BigInt), true),
			col("local", tk(schema.TimestampNTZ), true),
			col("wide", tDec(38, 10), true),
		}},
		{"nested", []schema.Column{
			col("id", tk(schema.BigInt), false),
			col("customer", tStruct(fld("name", tk(schema.String), false),
				fld("address", tStruct(fld("zip", tk(schema.String), true), fld("geo", tArr(tk(schema.Double), false), true)), true)), true),
			col("items", tArr(tStruct(fld("sku", tk(schema.String), false), fld("qty", tk(schema.SmallInt), false), fld("price", tDec(10, 2), true)), true), true),
			col("tags", tMap(tk(schema.String), tk(schema.String), true), true),
			col("counts", tMap(tk(schema.Date), tk(schema.BigInt), false), true),
			col("scores", tArr(tk(schema.Float), true), true),
			col("fmap", tMap(tk(schema.Double), tk(schema.Boolean), true), true),
			col("dmap", tMap(tDec(4, 1), tk(schema.Int), true), true),
			col("bmap", tMap(tk(schema.Boolean), tk(schema.TinyInt), true), true),
			col("imap", tMap(tk(schema.Int), tArr(tk(schema.String), true), true), true),
			col("kmap", tMap(tk(schema.Binary), tk(schema.String), true), true),
			col("v", tk(schema.Variant), true),
			col("must", tk(schema.Variant), false),
		}},
		{"rescue", []schema.Column{
			col("device_name", tk(schema.String), false),
			col("temp", tk(schema.Int), true),
			col("humidity", tk(schema.BigInt), true),
			col("loc", tStruct(fld("lat", tk(schema.Double), false)), true),
			{Name: "_rescued", Type: tk(schema.Variant), Nullable: true, Rescue: true},
		}},
	}
	var out []*diffTable
	for _, s := range specs {
		doc, err := schema.JSONSchema("main.default."+s.name, s.cols)
		if err != nil {
			t.Fatal(err)
		}
		c := sjs.NewCompiler()
		c.Draft = sjs.Draft2020
		if err := c.AddResource(s.name+".json", bytes.NewReader(doc)); err != nil {
			t.Fatal(err)
		}
		sch, err := c.Compile(s.name + ".json")
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, &diffTable{name: s.name, cols: s.cols, dec: schema.NewJSONDecoder(s.cols), schema: sch})
	}
	return out
}

// diffSeeds are records worth trying against every table: near misses of
// the encodings (integral floats, exponents, padding, range edges).
var diffSeeds = []string{
	`{"device_id":"d","ts":1732451234000000}`,
	`{"device_id":"d","ts":1.0,"temperature":1e400}`,
	`{"device_id":"d","ts":0,"ratio":3.4028235677973366e38,"temperature":1.7976931348623159e308}`,
	`{"device_id":"d","ts":-1,"ratio":-3.4028234663852886e38,"humidity":2147483647,"level":-128,"small":32767}`,
	`{"device_id":"d","ts":9223372036854775807,"big":-9223372036854775808,"day":-2147483648}`,
	`{"device_id":"d","ts":9223372036854775808}`,
	`{"device_id":"d","ts":1e3,"humidity":2.5e1,"level":1E+2}`,
	`{"device_id":"d","ts":1,"battery":"+1.2","wide":".5","raw":"AQ=="}`,
	`{"device_id":"d","ts":1,"battery":"007.10","raw":"AQ"}`,
	`{"device_id":"d","ts":1,"raw":"AQ="}`,
	`{"device_id":"d","ts":1,"raw":"AQ\nID"}`,
	`{"device_id":"d","ts":1,"battery":"1.","raw":"AQI=="}`,
	`{"device_id":"d","ts":1,"temperature":"NaN","ratio":"-Infinity","ok":false,"local":null}`,
	`{"device_id":"d","ts":1,"Temperature":1}`,
	`{"id":1,"must":null}`,
	`{"id":1,"must":{"a":[1,{"b":null}]}}`,
	`{"id":1,"must":1,"customer":{"name":"a","address":{"zip":null,"geo":[1.5,2]}},"items":[{"sku":"x","qty":1,"price":"1.25"},null]}`,
	`{"id":1,"must":1,"customer":{"address":{}}}`,
	`{"id":1,"must":1,"customer":{"name":"a","address":{"geo":[null]}}}`,
	`{"id":1,"must":1,"tags":{"a":null,"b":"x"},"counts":{"20051":1,"-1":2}}`,
	`{"id":1,"must":1,"counts":{"1.5":1}}`,
	`{"id":1,"must":1,"counts":{"2147483648":1}}`,
	`{"id":1,"must":1,"counts":{"1":null}}`,
	`{"id":1,"must":1,"fmap":{"NaN":true,"-1e3":false,"1.5":null}}`,
	`{"id":1,"must":1,"fmap":{"1e400":true}}`,
	`{"id":1,"must":1,"fmap":{"-0":true,"0":false}}`,
	`{"id":1,"must":1,"dmap":{"123.4":1,"-0.5":2}}`,
	`{"id":1,"must":1,"dmap":{"0.5":1,".5":2}}`,
	`{"id":1,"must":1,"bmap":{"true":1,"false":-1}}`,
	`{"id":1,"must":1,"imap":{"1":["a",null],"-2":[]}}`,
	`{"id":1,"must":1,"imap":{"01":[]}}`,
	`{"id":1,"must":1,"kmap":{"AQ==":"a","AQ":"b"}}`,
	`{"id":1,"must":1,"scores":[1.5,null,"Infinity",1e39]}`,
	`{"device_name":"s","temp":"72F","humidity":87,"extra":"v"}`,
	`{"device_name":"s","temp":1,"loc":{"lat":"x"}}`,
	`{"device_name":"s","loc":{"lon":1}}`,
	`{"device_name":"s","_rescued":1}`,
	`{"device_name":1}`,
}

// diffCheck decodes rec with the table's decoder and validates it with the
// JSON Schema, failing the test when they disagree beyond the documented
// differences.
func diffCheck(t *testing.T, tb *diffTable, rec []byte) {
	t.Helper()
	row := make([]any, len(tb.cols))
	decErr := tb.dec.Decode(rec, row)
	if !json.Valid(rec) || !utf8.Valid(rec) || bytes.Contains(rec, []byte(`\u`)) && decErr != nil {
		// No document for the validator (or one encoding/json would
		// have repaired): only the decoder's strictness can be checked.
		if decErr == nil && (!json.Valid(rec) || !utf8.Valid(rec)) {
			t.Errorf("%s: decoder accepted invalid JSON %q", tb.name, rec)
		}
		return
	}
	if hasDuplicateKeys(rec) {
		if decErr == nil {
			t.Errorf("%s: decoder accepted duplicate keys in %s", tb.name, rec)
		}
		return
	}
	var v any
	d := json.NewDecoder(bytes.NewReader(rec))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		return
	}
	schemaErr, ok := validateSafely(tb.schema, v)
	if !ok {
		return
	}
	switch {
	case decErr == nil && schemaErr == nil, decErr != nil && schemaErr != nil:
		return
	case decErr != nil:
		if deliberatelyStricter(decErr) {
			return
		}
		t.Errorf("%s: the decoder rejects what the JSON Schema accepts:\n record: %s\n decoder: %v", tb.name, rec, decErr)
		return
	}
	// The decoder accepted, the schema did not: only the rescue column may explain it.
	rescued := rescuedKeys(tb, row)
	if rescued == nil {
		t.Errorf("%s: the decoder accepts what the JSON Schema rejects:\n record: %s\n schema: %v", tb.name, rec, schemaErr)
		return
	}
	obj, ok := v.(map[string]any)
	if !ok {
		t.Errorf("%s: accepted a non-object %s", tb.name, rec)
	}
	for k := range rescued {
		delete(obj, k)
	}
	if err, _ := validateSafely(tb.schema, obj); err != nil {
		t.Errorf("%s: without its rescued fields %v the record still fails the JSON Schema:\n record: %s\n schema: %v", tb.name, keys(rescued), rec, err)
	}
}

// validateSafely runs the reference validator, which panics on numbers
// whose exponent math/big cannot represent (0.1e1000010): it reports false
// then, as there is no verdict to compare with.
func validateSafely(s *sjs.Schema, v any) (err error, ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	return s.Validate(v), true
}

// deliberatelyStricter reports the rejections no JSON Schema can express:
// map keys are JSON strings, so a pattern constrains their form but not the
// numeric range of an integer or floating-point key type, nor duplicates
// that only appear once keys are read as values ("0" and "-0", ".5" and
// "0.5", "AQ" and "AQ=="); and nesting beyond the parser's depth limit.
func deliberatelyStricter(err error) bool {
	var re *schema.RecordError
	if !errors.As(err, &re) {
		return false
	}
	switch {
	case re.Reason == schema.ReasonDuplicateKey:
		return true
	case re.Reason == schema.ReasonOutOfRange && strings.HasPrefix(re.Expected, "map key"):
		return true
	case re.Reason == schema.ReasonInvalidJSON && strings.Contains(re.Received, "too big depth"):
		return true
	}
	return false
}

// rescuedKeys returns the fields the decoder moved to the rescue column, or
// nil when the table has none or nothing was rescued.
func rescuedKeys(tb *diffTable, row []any) map[string]any {
	for i, c := range tb.cols {
		if c.Rescue && row[i] != nil {
			var m map[string]any
			d := json.NewDecoder(strings.NewReader(row[i].(string)))
			d.UseNumber()
			if err := d.Decode(&m); err == nil {
				return m
			}
		}
	}
	return nil
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// hasDuplicateKeys reports whether any object in the JSON text repeats a key.
func hasDuplicateKeys(rec []byte) bool {
	d := json.NewDecoder(bytes.NewReader(rec))
	var walk func() bool
	walk = func() bool {
		tok, err := d.Token()
		if err != nil {
			return false
		}
		switch tok {
		case json.Delim('{'):
			seen := map[string]bool{}
			for d.More() {
				k, err := d.Token()
				if err != nil {
					return false
				}
				if seen[k.(string)] {
					return true
				}
				seen[k.(string)] = true
				if walk() {
					return true
				}
			}
			d.Token()
		case json.Delim('['):
			for d.More() {
				if walk() {
					return true
				}
			}
			d.Token()
		}
		return false
	}
	return walk()
}

// TestJSONDecoderMatchesSchemaSeeds runs the seeds and generated records
// as a plain test, so `go test` checks the property without -fuzz.
func TestJSONDecoderMatchesSchemaSeeds(t *testing.T) {
	tables := diffTables(t)
	for _, tb := range tables {
		for _, s := range diffSeeds {
			diffCheck(t, tb, []byte(s))
		}
		for i := range 3000 {
			g := &recordGen{n: uint64(i)*0x9e3779b97f4a7c15 + uint64(len(tb.name))}
			diffCheck(t, tb, g.record(tb.cols))
		}
	}
}

// FuzzJSONDecoderMatchesSchema checks the property on records the fuzzer
// finds: input starting with '{' is tried as a record; any other input
// drives a generator of near-valid records for each table.
func FuzzJSONDecoderMatchesSchema(f *testing.F) {
	for _, s := range diffSeeds {
		f.Add([]byte(s))
	}
	f.Add([]byte("generate: 1"))
	f.Add([]byte(`{"id":1,"must":` + strings.Repeat("[", 301) + strings.Repeat("]", 301) + `}`))
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
	tables := diffTables(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, tb := range tables {
			if len(in) > 0 && in[0] == '{' {
				diffCheck(t, tb, in)
				continue
			}
			g := &recordGen{src: in}
			diffCheck(t, tb, g.record(tb.cols))
		}
	})
}

// recordGen builds JSON records for a table from a byte string, mostly
// valid ones with one or two things wrong, which is where the two
// implementations can disagree.
type recordGen struct {
	src []byte
	i   int
	n   uint64
}

// next returns a pseudo-random number below k, from the input bytes while
// they last and from a simple generator afterwards.
func (g *recordGen) next(k int) int {
	var b uint64
	if g.i < len(g.src) {
		b = uint64(g.src[g.i])
		g.i++
	} else {
		g.n = g.n*6364136223846793005 + 1442695040888963407
		b = g.n >> 33
	}
	return int(b % uint64(k))
}

func (g *recordGen) pick(vals []string) string { return vals[g.next(len(vals))] }

// anyJSON are values of every JSON type, tried where they do not belong.
var anyJSON = []string{`null`, `true`, `false`, `0`, `-1`, `1.5`, `1e3`, `-0`, `""`, `"x"`, `"1"`, `"NaN"`, `[]`, `{}`, `[1]`, `{"a":1}`}

var kindValues = map[schema.Kind][]string{
	schema.TinyInt:      {`0`, `127`, `-128`, `128`, `-129`, `1.0`, `1e2`, `2.5`, `"5"`},
	schema.SmallInt:     {`0`, `32767`, `-32768`, `32768`, `1E+2`, `0.0e5`},
	schema.Int:          {`0`, `2147483647`, `-2147483648`, `2147483648`, `2.5e1`, `1e10`, `-0.0`},
	schema.BigInt:       {`0`, `9223372036854775807`, `-9223372036854775808`, `9223372036854775808`, `9.223372036854775807e18`, `1e19`, `1000000000000000000000e-3`, `1e-1`},
	schema.Float:        {`1.5`, `3.4028234663852886e38`, `3.4028235677973366e38`, `3.40282356779733661637539395458142568448e38`, `1e39`, `-1e39`, `1e-50`, `"NaN"`, `"Infinity"`, `"-Infinity"`, `"inf"`},
	schema.Double:       {`0`, `1.7976931348623157e308`, `1.7976931348623158e308`, `1.7976931348623159e308`, `1e400`, `-1e400`, `1e-400`, `"NaN"`, `"-Infinity"`, `"1.5"`},
	schema.Decimal:      {`"1.25"`, `"-0.5"`, `".5"`, `"007"`, `"+1.2"`, `"1."`, `"."`, `""`, `"1e2"`, `"123456789"`, `"0.125"`, `1.5`, `"-"`, `"00000000000000000000000001"`},
	schema.String:       {`"x"`, `""`, `"ü\u00fc"`, `1`},
	schema.Binary:       {`""`, `"AQID"`, `"AQI="`, `"AQ=="`, `"AQ"`, `"AQ="`, `"AQI=="`, `"A"`, `"!!!!"`, `"-_-_"`, `"AQ\nID"`, `"AQ\r\n=="`, `"AR=="`},
	schema.Boolean:      {`true`, `false`, `"true"`, `1`},
	schema.Date:         {`20051`, `0`, `-719162`, `2147483647`, `2147483648`, `"2024-11-24"`, `1.5`},
	schema.Timestamp:    {`1732451234000000`, `0`, `-1`, `9223372036854775807`, `-9223372036854775809`, `"2024-11-24T12:27:14Z"`, `1.5`, `1e18`},
	schema.TimestampNTZ: {`1732451234000000`, `-62135596800000000`, `253402300799999999`},
	schema.Variant:      {`{"a":[1,{"b":null}]}`, `[1]`, `"x"`, `1.5`, `null`, `true`, `{"a":1,"a":2}`, `1e400`},
}

var keyValues = map[schema.Kind][]string{
	schema.String:  {`a`, ``, `b c`},
	schema.Boolean: {`true`, `false`, `yes`},
	schema.Int:     {`1`, `-2`, `01`, `2147483648`, `1.0`, `x`, `+1`},
	schema.Date:    {`20051`, `-1`, `2147483648`, `1e3`},
	schema.Double:  {`1.5`, `-2e3`, `NaN`, `-Infinity`, `1e400`, `.5`, `inf`, `-0`, `0x10`},
	schema.Decimal: {`123.4`, `-0.5`, `.5`, `1.25`, `12345`, `+1`, `1e1`},
	schema.Binary:  {`AQ==`, `AQ`, `AQ=`, `!`, ``},
}

// value returns a JSON value for type t: usually one made for it, sometimes
// one of another JSON type.
func (g *recordGen) value(t *schema.Type, depth int) string {
	if g.next(10) == 0 || depth > 4 {
		return g.pick(anyJSON)
	}
	switch t.Kind {
	case schema.Array:
		n := g.next(4)
		parts := make([]string, n)
		for i := range parts {
			if g.next(8) == 0 {
				parts[i] = "null"
			} else {
				parts[i] = g.value(t.Elem, depth+1)
			}
		}
		return "[" + strings.Join(parts, ",") + "]"
	case schema.Map:
		n := g.next(4)
		parts := make([]string, n)
		for i := range parts {
			k := g.pick(keyValues[t.Key.Kind])
			v := "null"
			if g.next(8) != 0 {
				v = g.value(t.Value, depth+1)
			}
			parts[i] = fmt.Sprintf("%q:%s", k, v)
		}
		return "{" + strings.Join(parts, ",") + "}"
	case schema.Struct:
		fields := make([]schema.Column, len(t.Fields))
		for i, f := range t.Fields {
			fields[i] = schema.Column{Name: f.Name, Type: f.Type, Nullable: f.Nullable}
		}
		return g.object(fields, depth+1)
	}
	return g.pick(kindValues[t.Kind])
}

// object writes an object for fields: each field usually present, some
// left out, sometimes null, an unknown or case-changed key, rarely twice.
func (g *recordGen) object(cols []schema.Column, depth int) string {
	var parts []string
	for _, c := range cols {
		switch g.next(12) {
		case 0:
			continue
		case 1:
			parts = append(parts, fmt.Sprintf("%q:null", c.Name))
		case 2:
			parts = append(parts, fmt.Sprintf("%q:%s", strings.ToUpper(c.Name), g.value(c.Type, depth)))
		default:
			parts = append(parts, fmt.Sprintf("%q:%s", c.Name, g.value(c.Type, depth)))
		}
	}
	if g.next(6) == 0 {
		parts = append(parts, fmt.Sprintf("%q:%s", g.pick([]string{"extra", "x", "_rescued", ""}), g.pick(anyJSON)))
	}
	if len(parts) > 1 && g.next(5) == 0 {
		i, j := g.next(len(parts)), g.next(len(parts))
		parts[i], parts[j] = parts[j], parts[i]
	}
	if len(parts) > 0 && g.next(40) == 0 {
		parts = append(parts, parts[0])
	}
	return "{" + strings.Join(parts, ",") + "}"
}

func (g *recordGen) record(cols []schema.Column) []byte {
	return []byte(g.object(cols, 0))
}
