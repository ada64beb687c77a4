package schema

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/invopop/jsonschema"
)

// JSONSchema returns a JSON Schema (draft 2020-12) document describing one
// JSON record for the table, as Zerobus's JSON encoding takes it: an object
// keyed by column name, NOT NULL columns required, nullable columns nullable
// or absent, dates as integer days and timestamps as integer microseconds
// since the epoch. Unknown keys are rejected unless a column is the rescue
// column, which collects them.
//
// The document is the published reference that explains rejected records;
// the record decoders are the enforcement, and the tests keep the two in
// step. The output is indented and deterministic, so it can be diffed.
func JSONSchema(table string, cols []Column) ([]byte, error) {
	props := jsonschema.NewProperties()
	var required []string
	rescue := ""
	for _, c := range cols {
		if err := checkType(c.Type); err != nil {
			return nil, fmt.Errorf("JSON schema of table %s column %q: %w", table, c.Name, err)
		}
		props.Set(c.Name, propertySchema(c.Type, c.Nullable, c.Comment))
		if !c.Nullable {
			required = append(required, c.Name)
		}
		if c.Rescue {
			rescue = c.Name
		}
	}
	desc := "One JSON record for table " + table + ", as Zerobus Ingest accepts it: an object keyed by column name. " +
		"NOT NULL columns are required; nullable columns may be null or left out. " +
		"DATE values are integer days and TIMESTAMP values integer microseconds since 1970-01-01."
	root := &jsonschema.Schema{
		Version:     jsonschema.Version,
		ID:          jsonschema.ID("zbemu:table:" + table),
		Title:       table,
		Description: desc,
		Type:        "object",
		Properties:  props,
		Required:    required,
	}
	if rescue == "" {
		root.AdditionalProperties = jsonschema.FalseSchema
	} else {
		// The service moves unknown keys (and mistyped values of nullable
		// columns) into the rescue column instead of rejecting the record.
		root.Description += " Unknown keys are allowed: they are collected in the rescue column " + rescue + "," +
			" as are mistyped values of nullable columns (which are then null); the column schemas below" +
			" describe the values that land in their own columns."
	}
	b, err := json.MarshalIndent(root, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("JSON schema of table %s: %w", table, err)
	}
	return unescapeHTML(b), nil
}

// checkType rejects types that cannot come out of Parse, so that a
// hand-built Column fails loudly instead of producing a schema that accepts
// everything.
func checkType(t *Type) error {
	if t == nil {
		return fmt.Errorf("missing type: %w", ErrUnsupportedType)
	}
	switch t.Kind {
	case Array:
		return checkType(t.Elem)
	case Map:
		if err := checkType(t.Key); err != nil {
			return err
		}
		return checkType(t.Value)
	case Struct:
		for _, f := range t.Fields {
			if err := checkType(f.Type); err != nil {
				return fmt.Errorf("field %q: %w", f.Name, err)
			}
		}
		return nil
	}
	if t.Kind <= KindInvalid || t.Kind > Variant {
		return fmt.Errorf("invalid kind %d: %w", int(t.Kind), ErrUnsupportedType)
	}
	return nil
}

// propertySchema is the schema of a column or struct field: the value
// schema, null allowed when nullable, and a description that starts with the
// Databricks type text so that a reader sees the table's own words.
func propertySchema(t *Type, nullable bool, comment string) *jsonschema.Schema {
	parts := []string{t.String()}
	if comment != "" {
		parts = append(parts, comment)
	}
	if note := encodingNote(t); note != "" {
		parts = append(parts, note)
	}
	s := nullableSchema(valueSchema(t), nullable)
	s.Description = strings.Join(parts, " — ")
	return s
}

// itemSchema is the schema of an array element or map value; only types
// whose JSON encoding is not obvious get a description.
func itemSchema(t *Type, nullable bool) *jsonschema.Schema {
	s := nullableSchema(valueSchema(t), nullable)
	if note := encodingNote(t); note != "" {
		s.Description = t.String() + " — " + note
	}
	return s
}

// nullableSchema adds null to the accepted values. anyOf is used rather
// than a type array because the library models "type" as one string, and
// anyOf also composes with the FLOAT/DOUBLE alternatives. VARIANT takes any
// JSON value, but a JSON null is SQL NULL, not a VARIANT null: a NOT NULL
// VARIANT excludes it, a nullable one needs no alternative.
func nullableSchema(s *jsonschema.Schema, nullable bool) *jsonschema.Schema {
	if s.Type == "" && len(s.AnyOf) == 0 && s.Not == nil { // VARIANT
		if !nullable {
			s.Not = &jsonschema.Schema{Type: "null"}
		}
		return s
	}
	if !nullable {
		return s
	}
	null := &jsonschema.Schema{Type: "null"}
	if s.Type == "" && len(s.AnyOf) > 0 {
		s.AnyOf = append(s.AnyOf, null)
		return s
	}
	return &jsonschema.Schema{AnyOf: []*jsonschema.Schema{s, null}}
}

// encodingNote explains encodings a reader would not guess from the type.
func encodingNote(t *Type) string {
	switch t.Kind {
	case Date:
		return "integer days since 1970-01-01, e.g. 20051 is 2024-11-24"
	case Timestamp:
		return "integer microseconds since 1970-01-01T00:00:00Z, e.g. 1732451234000000 is 2024-11-24T12:27:14Z"
	case TimestampNTZ:
		return "integer microseconds since 1970-01-01T00:00:00 of the wall-clock time, no time zone, e.g. 1732451234000000 is 2024-11-24 12:27:14"
	case Decimal:
		return fmt.Sprintf("decimal number as a string, at most %d digits before and %d after the point, e.g. %q",
			t.Precision-t.Scale, t.Scale, decimalExample(t))
	case Binary:
		return "bytes as a standard base64 string, with or without padding"
	case Float, Double:
		return `a number, or one of the strings "NaN", "Infinity", "-Infinity"`
	case Variant:
		return "any JSON value"
	}
	return ""
}

// decimalExample is a value of the type that shows both limits, e.g.
// "123.45" for DECIMAL(5,2).
func decimalExample(t *Type) string {
	s := "0"
	if i := t.Precision - t.Scale; i > 0 {
		s = "123"[:min(i, 3)]
	}
	if t.Scale > 0 {
		s += "." + "45"[:min(t.Scale, 2)]
	}
	return s
}

// intRanges are the value ranges of the integer encodings: the wire's for
// the integers, Databricks' 0001-01-01 to 9999-12-31 for DATE (days) and
// the timestamps (µs), as intInRange checks them.
var intRanges = map[Kind][2]int64{
	TinyInt:      {math.MinInt8, math.MaxInt8},
	SmallInt:     {math.MinInt16, math.MaxInt16},
	Int:          {math.MinInt32, math.MaxInt32},
	BigInt:       {math.MinInt64, math.MaxInt64},
	Date:         {minDateDays, maxDateDays},
	Timestamp:    {minTimestampMicros, maxTimestampMicros},
	TimestampNTZ: {minTimestampMicros, maxTimestampMicros},
}

// base64Pattern accepts standard (RFC 4648 §4) base64 with padding, which
// is what encoding/json and the SDKs produce for bytes, or without any
// padding, as some encoders write it; not partial padding nor line breaks.
const base64Pattern = `^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}(?:==)?|[A-Za-z0-9+/]{3}=?)?$`

// floatBound is, for FLOAT and DOUBLE, the smallest magnitude that rounds to
// infinity: the largest finite value plus half a unit in the last place
// (2^128 - 2^103 and 2^1024 - 2^970), written out exactly.
var floatBound = map[Kind]string{
	Float:  "340282356779733661637539395458142568448",
	Double: "179769313486231580793728971405303415079934132710037826936173778980444968292764750946649017977587207096330286416692887910946555547851940402630657488671505820681908902000708383676273854845817711531764475730270069855571366959622842914819860834936475292719074168444365510704342711559699508093042880177904174497792",
}

// floatKeyPattern accepts the string forms of FLOAT/DOUBLE map keys.
const floatKeyPattern = `^(?:-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|NaN|-?Infinity)$`

func valueSchema(t *Type) *jsonschema.Schema {
	if r, ok := intRanges[t.Kind]; ok {
		return &jsonschema.Schema{
			Type:    "integer",
			Minimum: json.Number(strconv.FormatInt(r[0], 10)),
			Maximum: json.Number(strconv.FormatInt(r[1], 10)),
		}
	}
	switch t.Kind {
	case Float, Double:
		// JSON has no NaN or infinities; the service takes them as these
		// strings, as Jackson and protobuf's JSON mapping spell them. A
		// number must round to a finite value of the type: the bounds are
		// the largest finite value plus half a unit in the last place.
		bound := floatBound[t.Kind]
		return &jsonschema.Schema{AnyOf: []*jsonschema.Schema{
			{Type: "number", ExclusiveMinimum: json.Number("-" + bound), ExclusiveMaximum: json.Number(bound)},
			{Type: "string", Enum: []any{"NaN", "Infinity", "-Infinity"}},
		}}
	case Decimal:
		// A string only, never a JSON number, as in the SDK's mapping
		// (DECIMAL is a proto string): a JSON number would pass through
		// float64 in most clients and silently lose digits.
		return &jsonschema.Schema{Type: "string", Pattern: decimalPattern(t.Precision, t.Scale)}
	case String:
		return &jsonschema.Schema{Type: "string"}
	case Binary:
		return &jsonschema.Schema{Type: "string", ContentEncoding: "base64", Pattern: base64Pattern}
	case Boolean:
		return &jsonschema.Schema{Type: "boolean"}
	case Array:
		return &jsonschema.Schema{Type: "array", Items: itemSchema(t.Elem, t.ElemNullable)}
	case Map:
		s := &jsonschema.Schema{Type: "object", AdditionalProperties: itemSchema(t.Value, t.ValueNullable)}
		if p := keyPattern(t.Key); p != "" {
			s.PropertyNames = &jsonschema.Schema{Pattern: p}
		}
		return s
	case Struct:
		props := jsonschema.NewProperties()
		var required []string
		for _, f := range t.Fields {
			props.Set(f.Name, propertySchema(f.Type, f.Nullable, f.Comment))
			if !f.Nullable {
				required = append(required, f.Name)
			}
		}
		return &jsonschema.Schema{Type: "object", Properties: props, Required: required, AdditionalProperties: jsonschema.FalseSchema}
	}
	// VARIANT: any JSON value. An empty schema marshals as `true`.
	return &jsonschema.Schema{}
}

// keyPattern constrains map keys, which JSON always writes as strings, to
// the string form of the key type. Integer ranges are not expressible in a
// pattern; the decoder checks them.
func keyPattern(k *Type) string {
	switch k.Kind {
	case TinyInt, SmallInt, Int, BigInt, Date, Timestamp, TimestampNTZ:
		return `^-?[0-9]+$`
	case Boolean:
		return `^(?:true|false)$`
	case Float, Double:
		return floatKeyPattern
	case Decimal:
		return decimalPattern(k.Precision, k.Scale)
	case Binary:
		return base64Pattern
	}
	return ""
}

// decimalPattern accepts an optionally signed decimal with at most p-s
// integer digits (leading zeros do not count) and at most s fraction
// digits, e.g. DECIMAL(5,2): "123.45", "-0.5", ".5", "007". Exponents are
// not accepted: Databricks' own string→DECIMAL cast would take them, but
// clients never need them and they hide the digit count.
func decimalPattern(p, s int) string {
	intPart := "0+"
	if p-s > 0 {
		intPart = fmt.Sprintf("0*[0-9]{1,%d}", p-s)
	}
	if s == 0 {
		return "^[+-]?" + intPart + "$"
	}
	frac := fmt.Sprintf(`\.[0-9]{1,%d}`, s)
	return "^[+-]?(?:" + intPart + "(?:" + frac + ")?|" + frac + ")$"
}

// unescapeHTML undoes encoding/json's escaping of <, > and &, which the
// library's MarshalJSON applies unconditionally. Type text is full of angle
// brackets, and "ARRAY\u003cINT\u003e" is unreadable in a published
// document. Only real escape sequences are touched: an escaped backslash
// followed by "u003c" stays as it is.
func unescapeHTML(b []byte) []byte {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' || i+1 >= len(b) {
			out = append(out, b[i])
			continue
		}
		if b[i+1] == 'u' && i+6 <= len(b) {
			switch string(b[i+2 : i+6]) {
			case "003c":
				out = append(out, '<')
				i += 5
				continue
			case "003e":
				out = append(out, '>')
				i += 5
				continue
			case "0026":
				out = append(out, '&')
				i += 5
				continue
			}
		}
		out = append(out, b[i], b[i+1])
		i++
	}
	return out
}
