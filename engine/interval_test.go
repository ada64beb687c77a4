package engine_test

import (
	"strings"
	"testing"
)

// TestIntervalResults checks that interval results carry Databricks'
// interval type and render as its results do (Hive's text: "d hh:mm:ss.n9"
// for day-time, "y-m" for year-month).
func TestIntervalResults(t *testing.T) {
	e := openEngine(t, "memory", "")
	tests := []struct {
		name, sql, typeText, interval string
		want                          []string // one value per row; "NULL" for NULL
	}{
		{"minutes", "SELECT INTERVAL 5 MINUTES AS i", "INTERVAL DAY TO SECOND", "DAY TO SECOND", []string{"0 00:05:00.000000000"}},
		{"day to second literal", "SELECT INTERVAL '1 02:03:04.5' DAY TO SECOND AS i", "INTERVAL DAY TO SECOND", "DAY TO SECOND", []string{"1 02:03:04.500000000"}},
		{"hours past a day", "SELECT INTERVAL 25 HOURS AS i", "INTERVAL DAY TO SECOND", "DAY TO SECOND", []string{"1 01:00:00.000000000"}},
		{"negative", "SELECT -INTERVAL 90 SECONDS AS i", "INTERVAL DAY TO SECOND", "DAY TO SECOND", []string{"-0 00:01:30.000000000"}},
		{"timestamp difference", "SELECT TIMESTAMP'2026-01-02 03:00:00' - TIMESTAMP'2026-01-01 00:00:00' AS d", "INTERVAL DAY TO SECOND", "DAY TO SECOND", []string{"1 03:00:00.000000000"}},
		{"year to month", "SELECT INTERVAL '1-2' YEAR TO MONTH AS i", "INTERVAL YEAR TO MONTH", "YEAR TO MONTH", []string{"1-2"}},
		{"months with a zero and a NULL", "SELECT * FROM (VALUES (INTERVAL 14 MONTHS), (INTERVAL 0 MONTHS), (NULL)) t(i)",
			"INTERVAL YEAR TO MONTH", "YEAR TO MONTH", []string{"1-2", "0-0", "NULL"}},
		{"only NULL", "SELECT CAST(NULL AS INTERVAL) AS i", "INTERVAL DAY TO SECOND", "DAY TO SECOND", []string{"NULL"}},
		{"months and days mixed", "SELECT INTERVAL 1 MONTH + INTERVAL 1 DAY AS i", "STRING", "", []string{"1 months 1 days 0 microseconds"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := exec(t, e, tc.sql)
			c := r.Columns[0]
			wantName := "INTERVAL"
			if tc.interval == "" {
				wantName = "STRING"
			}
			if c.TypeName != wantName || c.TypeText != tc.typeText || c.IntervalType != tc.interval {
				t.Errorf("column %+v; want type_name %s, type_text %s, interval %q", c, wantName, tc.typeText, tc.interval)
			}
			var got []string
			for _, row := range r.Rows {
				if row[0] == nil {
					got = append(got, "NULL")
				} else {
					got = append(got, *row[0])
				}
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("values %q, want %q", got, tc.want)
			}
		})
	}
}
