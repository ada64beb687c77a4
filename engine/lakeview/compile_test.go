package lakeview_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zbemu/zbemu/engine"
	"github.com/zbemu/zbemu/engine/lakeview"
	"github.com/zbemu/zbemu/fixtures/golden"
)

// readings is the dataset most cases query: the workshop's sensor table,
// with a single, a multi-value and a range parameter.
const readings = `{"datasets": [{"name": "r", "displayName": "Readings",
  "queryLines": ["SELECT * FROM main.iot.sensor_readings\n", "WHERE (:status = 'All' OR status = :status)\n",
                 "  AND ts BETWEEN :window.min AND :window.max\n", "  AND (size(:devices) = 0 OR array_contains(:devices, device_id));\n"],
  "parameters": [
    {"displayName": "Status", "keyword": "status", "dataType": "STRING",
     "defaultSelection": {"values": {"dataType": "STRING", "values": [{"value": "All"}]}}},
    {"displayName": "Window", "keyword": "window", "dataType": "DATETIME", "complexType": "RANGE",
     "defaultSelection": {"range": {"dataType": "DATETIME", "min": {"value": "now-7d/d"}, "max": {"value": "now"}}}},
    {"displayName": "Devices", "keyword": "devices", "dataType": "STRING", "complexType": "MULTI",
     "defaultSelection": {"values": {"dataType": "STRING", "values": []}}}]},
  {"name": "plain", "queryLines": ["SELECT device_id, ts, temperature FROM main.iot.sensor_readings"], "catalog": "main", "schema": "iot"}],
 "pages": [{"name": "p", "layout": []}]}`

func str(s string) *string { return &s }

// TestCompileGolden compiles widget queries and compares the SQL and the
// bound parameters with testdata/compile/<name>.sql (-update rewrites).
func TestCompileGolden(t *testing.T) {
	d, err := lakeview.Parse(readings)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 2, 9, 30, 15, 0, time.UTC)
	tests := []struct {
		name    string
		dataset string
		query   *lakeview.Query // nil: the dataset's own query
		sel     lakeview.Selection
	}{
		{"counter", "plain", &lakeview.Query{Fields: []lakeview.Field{{"count(*)", "COUNT(*)"}}}, lakeview.Selection{}},
		{"line-per-minute", "plain", &lakeview.Query{Fields: []lakeview.Field{
			{"minute(ts)", "DATE_TRUNC(\"MINUTE\", `ts`)"}, {"avg(temperature)", "AVG(`temperature`)"}, {"device_id", "`device_id`"}}}, lakeview.Selection{}},
		{"table-disaggregated", "plain", &lakeview.Query{Disaggregated: true, Fields: []lakeview.Field{
			{"device_id", "`device_id`"}, {"temperature", "`temperature`"}}}, lakeview.Selection{}},
		{"distinct-values", "plain", &lakeview.Query{Fields: []lakeview.Field{{"device_id", "`device_id`"}}}, lakeview.Selection{}},
		{"filter-choices-associative", "plain", &lakeview.Query{Fields: []lakeview.Field{
			{"device_id", "`device_id`"}, {"device_id_associativity", "COUNT_IF(`associative_filter_predicate_group`)"}}}, lakeview.Selection{}},
		{"name-with-backtick", "plain", &lakeview.Query{Fields: []lakeview.Field{{"sum(`x`)", "SUM(`temperature`)"}}}, lakeview.Selection{}},
		{"parameters-default", "r", &lakeview.Query{Fields: []lakeview.Field{{"sum(temperature)", "SUM(`temperature`)"}}}, lakeview.Selection{Now: now}},
		{"parameters-selected", "r", &lakeview.Query{Fields: []lakeview.Field{{"sum(temperature)", "SUM(`temperature`)"}}}, lakeview.Selection{Now: now,
			Params: map[string]lakeview.Value{"status": {Values: []string{"FAULT' OR 1=1 --"}}, "devices": {Values: []string{"d1", "d2"}},
				"window": {Min: str("2026-11-01T00:00:00Z"), Max: str("now-1h/h")}}}},
		{"field-filters", "plain", &lakeview.Query{Fields: []lakeview.Field{{"count(*)", "COUNT(*)"}}}, lakeview.Selection{
			Filters: []lakeview.FieldFilter{{Dataset: "plain", Expression: "`device_id`", Value: lakeview.Value{Values: []string{"d1", "d3"}}},
				{Dataset: "plain", Expression: "`ts`", Value: lakeview.Value{Min: str("2026-12-01T00:00:00Z")}},
				{Dataset: "other", Expression: "`x`", Value: lakeview.Value{Values: []string{"ignored"}}}}}},
		{"dataset", "r", nil, lakeview.Selection{Now: now}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds := d.Dataset(tt.dataset)
			var c lakeview.Compiled
			var err error
			if tt.query == nil {
				c, err = lakeview.CompileDataset(ds, tt.sel)
			} else {
				tt.query.DatasetName = tt.dataset
				c, err = lakeview.CompileQuery(ds, tt.query, tt.sel)
			}
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			b.WriteString(c.SQL + "\n")
			if c.Catalog != "" || c.Schema != "" {
				fmt.Fprintf(&b, "-- catalog %s, schema %s\n", c.Catalog, c.Schema)
			}
			for _, p := range c.Params {
				v := "NULL"
				if p.Value != nil {
					v = fmt.Sprintf("%q", *p.Value)
				}
				fmt.Fprintf(&b, "-- :%s %s = %s\n", p.Name, p.Type, v)
			}
			golden.Check(t, filepath.Join("testdata", "compile", tt.name+".sql"), []byte(b.String()))
		})
	}
}

// TestCompileErrors: queries that cannot be compiled say why.
func TestCompileErrors(t *testing.T) {
	d, err := lakeview.Parse(readings)
	if err != nil {
		t.Fatal(err)
	}
	undeclared := lakeview.Dataset{Name: "u", Query: "SELECT :nope"}
	misusedRange := lakeview.Dataset{Name: "m", Query: "SELECT :w", Parameters: []lakeview.Parameter{{Keyword: "w", DataType: "DATE", ComplexType: lakeview.Range}}}
	count := &lakeview.Query{Fields: []lakeview.Field{{"n", "COUNT(*)"}}}
	tests := []struct {
		name string
		ds   *lakeview.Dataset
		q    *lakeview.Query
		sel  lakeview.Selection
		want string
	}{
		{"no fields", d.Dataset("plain"), &lakeview.Query{Parameters: []string{"status"}}, lakeview.Selection{}, "has no fields"},
		{"undeclared marker", &undeclared, count, lakeview.Selection{}, `dataset "u" uses :nope but declares no parameter "nope"`},
		{"range without bound", &misusedRange, count, lakeview.Selection{}, `range parameter "w" is used as :w.min and :w.max`},
		{"two values for one", d.Dataset("r"), count, lakeview.Selection{Params: map[string]lakeview.Value{"status": {Values: []string{"a", "b"}}}}, `parameter "status" takes one value, got 2`},
		{"bad relative date", d.Dataset("r"), count, lakeview.Selection{Params: map[string]lakeview.Value{"window": {Min: str("now-7x")}}}, `"now-7x" is not a relative date`},
		{"unlexable expression", d.Dataset("plain"), &lakeview.Query{Fields: []lakeview.Field{{"x", "SUM(`x"}}}, lakeview.Selection{}, `field "x": expression`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := lakeview.CompileQuery(tt.ds, tt.q, tt.sel)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, engine.ErrInvalidArgument) {
				t.Errorf("error %v, want an invalid-argument error containing %q", err, tt.want)
			}
		})
	}
}
