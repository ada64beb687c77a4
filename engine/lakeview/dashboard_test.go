package lakeview_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/zbemu/zbemu/engine"
	"github.com/zbemu/zbemu/engine/lakeview"
	"github.com/zbemu/zbemu/fixtures"
)

// file builds a dashboard around one page's layout and the datasets given.
func file(datasets, layout string) string {
	return `{"datasets": [` + datasets + `], "pages": [{"name": "p1", "displayName": "One", "layout": [` + layout + `]}]}`
}

const okDataset = `{"name": "ds", "displayName": "DS", "queryLines": ["SELECT 1 AS n"],
  "parameters": [{"keyword": "k", "dataType": "STRING", "defaultSelection": {"values": {"values": [{"value": "x"}]}}}]}`

func counterAt(x, width int, dataset string) string {
	b, _ := json.Marshal(map[string]any{
		"widget": map[string]any{"name": "w", "queries": []any{map[string]any{"name": "q", "query": map[string]any{
			"datasetName": dataset, "fields": []any{map[string]any{"name": "n", "expression": "SUM(`n`)"}}, "disaggregated": false}}},
			"spec": map[string]any{"version": 2, "widgetType": "counter", "encodings": map[string]any{"value": map[string]any{"fieldName": "n"}}}},
		"position": map[string]any{"x": x, "y": 0, "width": width, "height": 2}})
	return string(b)
}

// TestParseErrors: a malformed file is refused with the JSON path of the
// first problem and what was expected there.
func TestParseErrors(t *testing.T) {
	textBox := `{"widget": {"name": "t", "multilineTextboxSpec": {"lines": ["# hi"]}}, "position": {"x": 0, "y": 0, "width": 6, "height": 1}}`
	tests := []struct{ name, file, want string }{
		{"not JSON", `{"pages": [`, "serialized_dashboard is not valid JSON"},
		{"not an object", `[1]`, "serialized_dashboard expected an object, got an array"},
		{"datasets not an array", `{"datasets": {}, "pages": []}`, "datasets: expected an array, got an object"},
		{"dataset without name", file(`{"queryLines": ["SELECT 1"]}`, ""), "datasets[0].name: is required (a string)"},
		{"dataset without query", file(`{"name": "a"}`, ""), "datasets[0].queryLines: is required"},
		{"query line not a string", file(`{"name": "a", "queryLines": ["SELECT", 1]}`, ""), "datasets[0].queryLines[1]: expected a string, got a number"},
		{"duplicate dataset", file(okDataset+","+okDataset, ""), `datasets[1].name: dataset "ds" is defined twice`},
		{"bad parameter type", file(`{"name": "a", "queryLines": ["SELECT 1"], "parameters": [{"keyword": "k", "dataType": "BLOB"}]}`, ""),
			`datasets[0].parameters[0].dataType: "BLOB" is not a parameter type`},
		{"bad keyword", file(`{"name": "a", "queryLines": ["SELECT 1"], "parameters": [{"keyword": "a b"}]}`, ""),
			`datasets[0].parameters[0].keyword: "a b" is not a parameter name`},
		{"undefined dataset", file(okDataset, textBox+","+counterAt(0, 2, "x")),
			`pages[0].layout[1].widget.queries[0].query.datasetName: dataset "x" is not defined`},
		{"off the grid", file(okDataset, counterAt(4, 3, "ds")), "pages[0].layout[0].position.width: must be 1 … 2 at x=4 (the grid has 6 columns), got 3"},
		{"negative x", file(okDataset, counterAt(-1, 3, "ds")), "pages[0].layout[0].position.x: must be 0 … 5"},
		{"widget without spec", file("", `{"widget": {"name": "w"}, "position": {"x": 0, "y": 0, "width": 1, "height": 1}}`),
			"pages[0].layout[0].widget: needs a spec"},
		{"unknown widget type", file(okDataset, strings.Replace(counterAt(0, 1, "ds"), `"counter"`, `"gauge"`, 1)),
			`pages[0].layout[0].widget.spec.widgetType: "gauge" is not a Lakeview widget type`},
		{"spec version 4", file(okDataset, strings.Replace(counterAt(0, 1, "ds"), `"version":2`, `"version":4`, 1)),
			"pages[0].layout[0].widget.spec.version: zbemu reads widget spec versions 1, 2 and 3, got 4"},
		{"position not integer", file("", `{"widget": {"name": "t", "multilineTextboxSpec": {"lines": []}}, "position": {"x": 0.5, "y": 0, "width": 1, "height": 1}}`),
			"pages[0].layout[0].position.x: expected an integer, got 0.5"},
		{"filter bound to a missing parameter", file(okDataset, `{"widget": {"name": "f", "queries": [{"name": "pq", "query": {"datasetName": "ds", "parameters": [{"name": "k", "keyword": "k"}]}}],
			"spec": {"version": 2, "widgetType": "filter-single-select", "encodings": {"fields": [{"parameterName": "nope", "queryName": "pq"}]}}},
			"position": {"x": 0, "y": 0, "width": 2, "height": 1}}`), `pages[0].layout[0].widget.spec.encodings.fields[0].parameterName: dataset "ds" has no parameter "nope"`},
		{"filter bound to a missing query", file(okDataset, `{"widget": {"name": "f", "queries": [],
			"spec": {"version": 2, "widgetType": "filter-multi-select", "encodings": {"fields": [{"fieldName": "n", "queryName": "q"}]}}},
			"position": {"x": 0, "y": 0, "width": 2, "height": 1}}`), `pages[0].layout[0].widget.spec.encodings.fields[0].queryName: query "q" is not one of the widget's queries`},
		{"text line not a string", file("", `{"widget": {"name": "t", "multilineTextboxSpec": {"lines": [true]}}, "position": {"x": 0, "y": 0, "width": 1, "height": 1}}`),
			"pages[0].layout[0].widget.multilineTextboxSpec.lines[0]: expected a string, got a boolean"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := lakeview.Parse(tt.file)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, engine.ErrInvalidArgument) {
				t.Errorf("error %v\nwant an invalid-argument error containing %q", err, tt.want)
			}
		})
	}
}

// TestParseTooLarge: a file over MaxSerializedBytes is refused as too large.
func TestParseTooLarge(t *testing.T) {
	big := `{"pages": [], "uiSettings": {"pad": "` + strings.Repeat("x", lakeview.MaxSerializedBytes) + `"}}`
	if _, err := lakeview.Parse(big); !errors.Is(err, engine.ErrTooLarge) {
		t.Errorf("error %v, want ErrTooLarge", err)
	}
}

// TestBuiltinDashboards: the shipped dashboards parse and every widget
// query compiles (the integration tests run them).
func TestBuiltinDashboards(t *testing.T) {
	for _, b := range fixtures.Dashboards() {
		t.Run(b.Key, func(t *testing.T) {
			f, err := lakeview.Parse(b.Serialized)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, pg := range f.Pages {
				for _, it := range pg.Layout {
					for _, q := range it.Widget.Queries {
						if len(q.Query.Fields) == 0 {
							continue
						}
						if _, err := lakeview.CompileQuery(f.Dataset(q.Query.DatasetName), &q.Query, lakeview.Selection{}); err != nil {
							t.Errorf("%s/%s/%s: %v", pg.Name, it.Widget.Name, q.Name, err)
						}
						n++
					}
				}
			}
			if n < 10 {
				t.Errorf("only %d widget queries", n)
			}
		})
	}
}
