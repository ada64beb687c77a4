package engine

import (
	"database/sql/driver"
	"encoding/json"
	"math/big"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/zbemu/zbemu/schema"
)

// convertRow turns the schema package's neutral values into the types the
// DuckDB appender wants, for the few kinds where they differ (DECIMAL, MAP).
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
		entries := v.([]schema.MapEntry)
		m := make(duckdb.Map, len(entries))
		for _, e := range entries {
			k := convertValue(t.Key, e.Key)
			if b, ok := k.([]byte); ok {
				k = string(b) // a slice cannot be a Go map key
			}
			m[k] = convertValue(t.Value, e.Value)
		}
		return m
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
		in := v.(map[string]any)
		for _, f := range t.Fields {
			if needsConvert(f.Type) {
				in[f.Name] = convertValue(f.Type, in[f.Name])
			}
		}
		return in
	}
	return v
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
