package engine

import (
	"context"
	"database/sql/driver"
	"fmt"
	"strings"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/zbemu/zbemu/engine/dialect"
)

// Spark's typeof(x) answers the type's simple name (int, decimal(10,2),
// array<int>, struct<a:int>; https://docs.databricks.com/sql/language-manual/functions/typeof.html),
// DuckDB's its own (INTEGER, INTEGER[], STRUCT(a INTEGER)). The dialect
// translates typeof(x) to a call of dialect.SparkTypeFunc with DuckDB's
// name and, for an INTERVAL, the value's text; this scalar function maps
// them with the same type mapping as result columns (resultType).

// sparkTypeFunc is the DuckDB scalar function behind typeof.
type sparkTypeFunc struct{}

func (sparkTypeFunc) Config() duckdb.ScalarFuncConfig {
	varchar, _ := duckdb.NewTypeInfo(duckdb.TYPE_VARCHAR)
	return duckdb.ScalarFuncConfig{
		InputTypeInfos: []duckdb.TypeInfo{varchar, varchar},
		ResultTypeInfo: varchar,
		// The interval text is NULL for every other type and for a NULL
		// interval; the type still has a name.
		SpecialNullHandling: true,
	}
}

func (sparkTypeFunc) Executor() duckdb.ScalarFuncExecutor {
	return duckdb.ScalarFuncExecutor{RowExecutor: func(values []driver.Value) (any, error) {
		duck, _ := values[0].(string)
		ivText, _ := values[1].(string)
		return typeofName(duck, ivText), nil
	}}
}

// typeofName is Spark's name of the DuckDB type duck. An INTERVAL is
// named after its value's text as DuckDB writes it ("1 year 2 months",
// "3 days 04:05:06"), as result columns are (intervalColumn): YEAR TO MONTH
// when it has only months, DAY TO SECOND otherwise. DuckDB's type of an
// untyped NULL is Spark's void.
func typeofName(duck, ivText string) string {
	switch duck {
	case `"NULL"`, "NULL":
		return "void"
	case "INTERVAL":
		months := strings.Contains(ivText, "year") || strings.Contains(ivText, "mon")
		if months && (strings.Contains(ivText, "day") || strings.Contains(ivText, ":")) {
			return "interval" // months with days or time: no Spark type has both
		}
		if months {
			return "interval " + strings.ToLower(yearToMonth)
		}
		return "interval " + strings.ToLower(dayToSecond)
	}
	if t := resultType(duck); t != nil {
		return t.CatalogString()
	}
	return strings.ToLower(duck)
}

// registerSparkType registers dialect.SparkTypeFunc. DuckDB keeps scalar
// functions in its system catalog, so every connection sees it.
func (e *Engine) registerSparkType(ctx context.Context) error {
	conn, err := e.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := duckdb.RegisterScalarUDF(conn, dialect.SparkTypeFunc, sparkTypeFunc{}); err != nil {
		return fmt.Errorf("register %s: %w", dialect.SparkTypeFunc, err)
	}
	return nil
}
