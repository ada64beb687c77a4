package engine

import (
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/zbemu/zbemu/schema"
)

// MaxResultBytes caps a statement's result as resultBytes counts it: the
// 25 MiB above which Databricks aborts a statement with INLINE disposition
// (https://docs.databricks.com/api/workspace/statementexecution, "disposition").
// zbemu serves only INLINE results and holds them in memory until polled.
const MaxResultBytes = 25 << 20

// ChunkBytes is how much of a result (counted as resultBytes counts it) one
// chunk of the Statement API holds at most; a longer result is split into
// chunks the client pages through (next_chunk_index). Databricks does not
// document the size of its INLINE chunks, only that a result may have
// several (https://docs.databricks.com/api/workspace/statementexecution);
// zbemu's is small enough that results of a few MiB already have more
// than one, so clients' paging code runs against zbemu too.
const ChunkBytes = 4 << 20

// Chunks splits the result's rows into chunks of at most maxBytes each
// (a row larger than that is a chunk of its own): the row offset and count
// of each. An empty result is one empty chunk.
func (r *Result) Chunks(maxBytes int64) [][2]int {
	var out [][2]int
	start, size := 0, int64(0)
	for i, row := range r.Rows {
		n := resultBytes(row)
		if i > start && size+n > maxBytes {
			out = append(out, [2]int{start, i - start})
			start, size = i, 0
		}
		size += n
	}
	return append(out, [2]int{start, len(r.Rows) - start})
}

// resultLimits are the request's row_limit and byte_limit (0: none).
type resultLimits struct{ rows, bytes int64 }

// resultBytes is what a row adds to the JSON_ARRAY result:
// ["v1",null,...], per value its text, quotes and separator.
func resultBytes(row []*string) int64 {
	n := int64(3)
	for _, c := range row {
		if c == nil {
			n += 5
		} else {
			n += int64(len(*c)) + 3
		}
	}
	return n
}

// scanResult reads DuckDB rows into the Statement API's shape: Databricks
// type names and every value as a string, formatted as Databricks does.
// It stops reading at the request's row or byte limit (Truncated), and
// fails with ErrTooLarge once the result passes MaxResultBytes, so memory
// is bounded by the limits rather than by what the query would return.
func scanResult(rows *sql.Rows, lim resultLimits) (*Result, error) {
	cts, err := rows.ColumnTypes()
	if err != nil {
		return nil, err
	}
	res := &Result{}
	types := make([]*schema.Type, len(cts))
	intervals := make([]*intervalColumn, len(cts))
	for i, ct := range cts {
		t := resultType(ct.DatabaseTypeName())
		types[i] = t
		res.Columns = append(res.Columns, ResultColumn{Name: ct.Name(), TypeName: statementTypeName(t), TypeText: t.String(),
			Precision: t.Precision, Scale: t.Scale})
		if ct.DatabaseTypeName() == "INTERVAL" {
			intervals[i] = &intervalColumn{}
		}
	}
	vals := make([]any, len(cts))
	ptrs := make([]any, len(cts))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var size int64
	for rows.Next() {
		if lim.rows > 0 && int64(len(res.Rows)) >= lim.rows {
			res.Truncated = true
			break
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, sqlError(err)
		}
		out := make([]*string, len(vals))
		for i, v := range vals {
			if v != nil {
				s := formatValue(types[i], v)
				out[i] = &s
			}
			if iv, ok := v.(duckdb.Interval); ok && intervals[i] != nil {
				intervals[i].add(iv)
			}
		}
		size += resultBytes(out)
		if lim.bytes > 0 && size > lim.bytes {
			res.Truncated = true
			break
		}
		if size > MaxResultBytes {
			return nil, fmt.Errorf("%w: the result is larger than %d bytes (25 MiB), the limit of INLINE results in Databricks too; "+
				"add LIMIT, set row_limit or byte_limit, or select fewer columns", ErrTooLarge, MaxResultBytes)
		}
		res.Rows = append(res.Rows, out)
	}
	if err := rows.Err(); err != nil {
		return nil, sqlError(err)
	}
	for i, c := range intervals {
		if c != nil {
			c.settle(&res.Columns[i], res.Rows, i)
		}
	}
	return res, nil
}

// resultType is the Databricks type of a DuckDB result column.
func resultType(duckType string) *schema.Type {
	if duckType == "HUGEINT" {
		// DuckDB widens SUM of integers to HUGEINT; Databricks answers
		// BIGINT for the same query, and learners' code expects LONG.
		duckType = "BIGINT"
	}
	t, _ := schema.FromDuckDB(duckType)
	return t
}

// statementTypeName maps to the Statement Execution API's type_name enum,
// which has no TIMESTAMP_NTZ or VARIANT.
func statementTypeName(t *schema.Type) string {
	switch t.Kind {
	case schema.TimestampNTZ:
		return "TIMESTAMP"
	case schema.Variant:
		return "STRING"
	}
	return t.TypeName()
}

func formatMillis(ms int64) string {
	return time.UnixMilli(ms).UTC().Format("Mon Jan 02 15:04:05 MST 2006")
}

// formatTimestamp renders like Databricks' JSON_ARRAY results:
// 2024-11-24T10:00:00.123Z (instant) or 2024-11-24T10:00:00.123 (NTZ).
func formatTimestamp(t time.Time, zone bool) string {
	s := t.UTC().Format("2006-01-02T15:04:05.000")
	if zone {
		s += "Z"
	}
	return s
}

func formatValue(t *schema.Type, v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []byte:
		return base64.StdEncoding.EncodeToString(x)
	case bool:
		return strconv.FormatBool(x)
	case int8, int16, int32, int64, int, uint8, uint16, uint32, uint64:
		return fmt.Sprint(x)
	case *big.Int:
		return x.String()
	case float32:
		return formatFloat(float64(x), 32)
	case float64:
		if t != nil && t.Kind != schema.Double && t.Kind != schema.Float {
			// A number of a VARIANT (DuckDB JSON) renders as JSON does.
			b, _ := marshalJSON(jsonable(x))
			return string(b)
		}
		return formatFloat(x, 64)
	case time.Time:
		switch t.Kind {
		case schema.Date:
			return x.UTC().Format("2006-01-02")
		case schema.TimestampNTZ:
			return formatTimestamp(x, false)
		case schema.String: // TIME and friends
			return x.Format("15:04:05.000000")
		}
		return formatTimestamp(x, true)
	case duckdb.Decimal:
		return formatDecimal(x)
	case duckdb.UUID:
		return x.String()
	case duckdb.Interval:
		return formatInterval(x)
	}
	b, err := marshalJSON(typedJSON(t, v))
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// marshalJSON is json.Marshal without HTML escaping: "<" in a value stays
// "<", as in Databricks' results.
func marshalJSON(v any) ([]byte, error) {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return []byte(strings.TrimSuffix(b.String(), "\n")), nil
}

// orderedObject is a JSON object that keeps its keys in order: STRUCT
// fields in declaration order and MAP entries in map order, as Databricks
// renders them (encoding/json would sort a Go map's keys).
type orderedObject struct {
	keys []string
	vals []any
}

func (o orderedObject) MarshalJSON() ([]byte, error) {
	b := []byte{'{'}
	for i, k := range o.keys {
		if i > 0 {
			b = append(b, ',')
		}
		kb, err := marshalJSON(k)
		if err != nil {
			return nil, err
		}
		vb, err := marshalJSON(o.vals[i])
		if err != nil {
			return nil, err
		}
		b = append(append(append(b, kb...), ':'), vb...)
	}
	return append(b, '}'), nil
}

// typedJSON converts a value of a complex column into what encoding/json
// renders the way Databricks does, using the column type so that nested
// DATE, TIMESTAMP_NTZ and DECIMAL values and STRUCT field order come out
// as they do at the top level. Without a type (VARIANT, unknown) it falls
// back to jsonable.
func typedJSON(t *schema.Type, v any) any {
	if v == nil {
		return nil
	}
	if t == nil {
		return jsonable(v)
	}
	switch t.Kind {
	case schema.Array:
		if x, ok := v.([]any); ok {
			out := make([]any, len(x))
			for i, e := range x {
				out[i] = typedJSON(t.Elem, e)
			}
			return out
		}
	case schema.Map:
		var keys, vals []any
		switch x := v.(type) {
		case duckdb.OrderedMap:
			keys, vals = x.Keys(), x.Values()
		case duckdb.Map:
			for k, e := range x {
				keys, vals = append(keys, k), append(vals, e)
			}
		default:
			return jsonable(v)
		}
		o := orderedObject{keys: make([]string, len(keys)), vals: make([]any, len(vals))}
		for i := range keys {
			o.keys[i] = mapKey(t.Key, keys[i])
			o.vals[i] = typedJSON(t.Value, vals[i])
		}
		return o
	case schema.Struct:
		x, ok := v.(map[string]any)
		if !ok || len(x) != len(t.Fields) {
			return jsonable(v)
		}
		o := orderedObject{}
		for _, f := range t.Fields {
			fv, ok := x[f.Name]
			if !ok {
				return jsonable(v)
			}
			o.keys = append(o.keys, f.Name)
			o.vals = append(o.vals, typedJSON(f.Type, fv))
		}
		return o
	case schema.Date, schema.TimestampNTZ, schema.Timestamp, schema.String:
		if _, ok := v.(time.Time); ok {
			return formatValue(t, v)
		}
	case schema.Decimal:
		if x, ok := v.(duckdb.Decimal); ok {
			return json.Number(formatDecimal(x))
		}
	}
	return jsonable(v)
}

// mapKey renders a MAP key as a JSON object key.
func mapKey(t *schema.Type, k any) string {
	if s, ok := typedJSON(t, k).(string); ok {
		return s
	}
	b, err := marshalJSON(typedJSON(t, k))
	if err != nil {
		return fmt.Sprint(k)
	}
	return string(b)
}

// formatFloat renders a FLOAT or DOUBLE as Databricks' results do, which
// is Java's Double.toString (Spark casts to STRING with it): the shortest
// digits that round-trip, at least one fraction digit (1.0), and
// computerized scientific notation outside [0.001, 10^7) (1.0E7, 1.0E-4).
func formatFloat(f float64, bits int) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	if a := math.Abs(f); a == 0 || a >= 1e-3 && a < 1e7 {
		s := strconv.FormatFloat(f, 'f', -1, bits)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	mant, exp, _ := strings.Cut(strconv.FormatFloat(f, 'E', -1, bits), "E")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	e, _ := strconv.Atoi(exp)
	return mant + "E" + strconv.Itoa(e)
}

func formatDecimal(d duckdb.Decimal) string {
	s := new(big.Int).Abs(d.Value).String()
	neg := d.Value.Sign() < 0
	if sc := int(d.Scale); sc > 0 {
		if len(s) <= sc {
			s = strings.Repeat("0", sc-len(s)+1) + s
		}
		s = s[:len(s)-sc] + "." + s[len(s)-sc:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// jsonable converts nested DuckDB values (lists, structs, maps) into values
// encoding/json renders the way Databricks renders complex types.
func jsonable(v any) any {
	switch x := v.(type) {
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = jsonable(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = jsonable(e)
		}
		return out
	case duckdb.Map:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[fmt.Sprint(jsonable(k))] = jsonable(e)
		}
		return out
	case duckdb.OrderedMap:
		o := orderedObject{}
		vals := x.Values()
		for i, k := range x.Keys() {
			o.keys = append(o.keys, fmt.Sprint(jsonable(k)))
			o.vals = append(o.vals, jsonable(vals[i]))
		}
		return o
	case []byte:
		return base64.StdEncoding.EncodeToString(x)
	case time.Time:
		return formatTimestamp(x, true)
	case duckdb.Decimal:
		return json.Number(formatDecimal(x))
	case duckdb.Interval:
		return formatInterval(x)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return formatFloat(x, 64)
		}
	case float32:
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return formatFloat(float64(x), 32)
		}
	}
	return v
}
