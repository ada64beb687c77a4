package engine

import (
	"database/sql/driver"
	"encoding/json"
	"math/big"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/zbemu/zbemu/schema"
)

// convertRow turns the schema package's neutral values into the types the
// DuckDB appender wants, for the kinds where they differ (see needsConvert).
func convertRow(tv *tableVersion, args []driver.Value) {
	for i, c := range tv.cols {
		if args[i] != nil && needsConvert(c.Type) {
			args[i] = convertValue(c.Type, args[i])
		}
	}
}

func convertValue(t *schema.Type, v any) any {
	if v == nil {
		return nil
	}
	switch t.Kind {
	case schema.Variant:
		// The appender JSON-encodes values of JSON columns; raw JSON text
		// must pass through unchanged, not become a JSON string.
		return json.RawMessage(v.(string))
	case schema.Decimal:
		return decimalOf(t, v)
	case schema.Map:
		return mapOf(t, v.([]schema.MapEntry))
	case schema.Array:
		if !needsConvert(t.Elem) {
			return v
		}
		in := v.([]any)
		out := make([]any, len(in))
		for i, x := range in {
			out[i] = convertValue(t.Elem, x)
		}
		return out
	case schema.Struct:
		in := v.(schema.StructValue)
		out := make(map[string]any, len(t.Fields))
		for i, f := range t.Fields {
			out[f.Name] = convertValue(f.Type, in[i])
		}
		return out
	}
	return v
}

// needsConvert reports whether values of t need convertValue: the decoders
// give DECIMAL as DecimalValue, MAP as []MapEntry, STRUCT as StructValue and
// VARIANT as text, none of which the appender takes as they are.
func needsConvert(t *schema.Type) bool {
	switch t.Kind {
	case schema.Decimal, schema.Map, schema.Variant, schema.Struct:
		return true
	case schema.Array:
		return needsConvert(t.Elem)
	}
	return false
}

// orderedMapMax bounds the maps handed to the appender in input order:
// duckdb.OrderedMap.Set looks for an earlier equal key each time, so
// building one costs n²/2 comparisons. Larger maps go as a duckdb.Map,
// whose order DuckDB then picks.
const orderedMapMax = 512

// mapOf converts a MAP value for the appender, keeping the entries in the
// order they arrived in, as the real service's MAP columns do.
func mapOf(t *schema.Type, entries []schema.MapEntry) any {
	key := func(e schema.MapEntry) any {
		k := convertValue(t.Key, e.Key)
		if b, ok := k.([]byte); ok {
			k = string(b) // a slice is not comparable, and cannot be a Go map key
		}
		return k
	}
	if len(entries) > orderedMapMax {
		m := make(duckdb.Map, len(entries))
		for _, e := range entries {
			m[key(e)] = convertValue(t.Value, e.Value)
		}
		return m
	}
	var m duckdb.OrderedMap
	for _, e := range entries {
		m.Set(key(e), convertValue(t.Value, e.Value))
	}
	return m
}

// decimalOf converts a DECIMAL value for the appender, which takes the
// unscaled integer at the column's scale. A row decoded before the column
// was widened (ALTER COLUMN ... TYPE) carries the old type's value: a
// DECIMAL of a smaller scale, or an integer. Other widenings (INT → BIGINT,
// FLOAT → DOUBLE, DATE → TIMESTAMP_NTZ) need nothing: the appender casts
// the narrower Go value itself.
func decimalOf(t *schema.Type, v any) any {
	var unscaled *big.Int
	scale := 0
	switch x := v.(type) {
	case schema.DecimalValue:
		unscaled, scale = x.Unscaled, x.Scale
	case int8:
		unscaled = big.NewInt(int64(x))
	case int16:
		unscaled = big.NewInt(int64(x))
	case int32:
		unscaled = big.NewInt(int64(x))
	case int64:
		unscaled = big.NewInt(x)
	default:
		return v
	}
	if scale < t.Scale {
		unscaled = new(big.Int).Mul(unscaled, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(t.Scale-scale)), nil))
	}
	return duckdb.Decimal{Width: uint8(t.Precision), Scale: uint8(t.Scale), Value: unscaled}
}
