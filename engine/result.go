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

// scanResult reads DuckDB rows into the Statement API's shape: Databricks
// type names and every value as a string, formatted as Databricks does.
func scanResult(rows *sql.Rows) (*Result, error) {
	cts, err := rows.ColumnTypes()
	if err != nil {
		return nil, err
	}
	res := &Result{}
	types := make([]*schema.Type, len(cts))
	for i, ct := range cts {
		t, _ := schema.FromDuckDB(ct.DatabaseTypeName())
		types[i] = t
		res.Columns = append(res.Columns, ResultColumn{Name: ct.Name(), TypeName: statementTypeName(t), TypeText: t.String()})
	}
	vals := make([]any, len(cts))
	ptrs := make([]any, len(cts))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, sqlError(err)
		}
		out := make([]*string, len(vals))
		for i, v := range vals {
			if v != nil {
				s := formatValue(types[i], v)
				out[i] = &s
			}
		}
		res.Rows = append(res.Rows, out)
	}
	if err := rows.Err(); err != nil {
		return nil, sqlError(err)
	}
	return res, nil
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
		return fmt.Sprintf("%d months %d days %d microseconds", x.Months, x.Days, x.Micros)
	}
	b, err := json.Marshal(jsonable(v))
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func formatFloat(f float64, bits int) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	return strconv.FormatFloat(f, 'f', -1, bits)
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
	case []byte:
		return base64.StdEncoding.EncodeToString(x)
	case time.Time:
		return formatTimestamp(x, true)
	case duckdb.Decimal:
		return json.Number(formatDecimal(x))
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
