package engine

import (
	"fmt"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

// Spark has two interval types that never mix, year-month and day-time
// (https://docs.databricks.com/sql/language-manual/data-types/interval-type.html);
// DuckDB has one INTERVAL of months, days and microseconds. A result column
// of DuckDB intervals therefore gets its Databricks type from its values:
// YEAR TO MONTH when every value is whole months, DAY TO SECOND otherwise
// (also when it has no values, which is what timestamp arithmetic yields).
const (
	dayToSecond = "DAY TO SECOND"
	yearToMonth = "YEAR TO MONTH"
)

// zeroDayTime is how formatInterval renders an empty interval; in a
// YEAR TO MONTH column it becomes zeroYearMonth.
const (
	zeroDayTime   = "0 00:00:00.000000000"
	zeroYearMonth = "0-0"
)

// intervalColumn records which parts the values of an INTERVAL column had.
type intervalColumn struct {
	months, dayTime bool
}

func (c *intervalColumn) add(iv duckdb.Interval) {
	c.months = c.months || iv.Months != 0
	c.dayTime = c.dayTime || iv.Days != 0 || iv.Micros != 0
}

// settle gives col its Databricks interval type and rewrites the column's
// empty intervals to that type's text. A column that mixes months with
// days or time has no Spark type; it stays STRING (a known difference:
// Spark refuses such arithmetic).
func (c *intervalColumn) settle(col *ResultColumn, rows [][]*string, i int) {
	if c.months && c.dayTime {
		return
	}
	col.IntervalType = dayToSecond
	if c.months {
		col.IntervalType = yearToMonth
		for _, row := range rows {
			if row[i] != nil && *row[i] == zeroDayTime {
				row[i] = strp(zeroYearMonth)
			}
		}
	}
	col.TypeName, col.TypeText = "INTERVAL", "INTERVAL "+col.IntervalType
}

// formatInterval renders an interval as Databricks' results do, which is
// Hive's text: "1 02:03:04.000000000" for day-time (days, then the rest of
// 86400 s days, nanosecond digits) and "1-2" for year-month, signed as a
// whole (https://docs.databricks.com/sql/language-manual/functions/make_dt_interval.html,
// https://docs.databricks.com/sql/language-manual/functions/make_ym_interval.html).
// An interval with both months and days or time, which Spark cannot
// hold, keeps DuckDB's parts.
func formatInterval(iv duckdb.Interval) string {
	dayTime := iv.Days != 0 || iv.Micros != 0
	switch {
	case iv.Months != 0 && dayTime:
		return fmt.Sprintf("%d months %d days %d microseconds", iv.Months, iv.Days, iv.Micros)
	case iv.Months != 0:
		m, sign := signed(int64(iv.Months))
		return fmt.Sprintf("%s%d-%d", sign, m/12, m%12)
	}
	const microsPerDay = 86_400_000_000
	us, sign := signed(int64(iv.Days)*microsPerDay + iv.Micros)
	secs := us / 1_000_000
	return fmt.Sprintf("%s%d %02d:%02d:%02d.%06d000", sign, us/microsPerDay, secs/3600%24, secs/60%60, secs%60, us%1_000_000)
}

// signed is the magnitude of n and "-" when it is negative.
func signed(n int64) (uint64, string) {
	if n < 0 {
		return uint64(-n), "-"
	}
	return uint64(n), ""
}
