package lakeview

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/zbemu/zbemu/engine"
)

// File is what zbemu reads of a .lvdash.json file: enough to check it
// and to compile its widgets' queries. The file itself is stored as it
// came, so fields zbemu does not know survive a round trip untouched.
type File struct {
	Datasets []Dataset
	Pages    []Page
}

// Dataset is one entry of datasets[]: a named SQL query.
type Dataset struct {
	Name, DisplayName string
	// Query is queryLines joined as they are (each line keeps its "\n").
	Query string
	// Catalog and Schema resolve unqualified names (optional).
	Catalog, Schema string
	Parameters      []Parameter
}

// Complex types of a parameter (Parameter.ComplexType).
const (
	Single = ""      // one value
	Multi  = "MULTI" // an ARRAY of values (array_contains(:p, col))
	Range  = "RANGE" // :p.min and :p.max
)

// Parameter is one of a dataset's parameters (:keyword in its query).
type Parameter struct {
	Keyword, DisplayName string
	// DataType is the Lakeview type: STRING, INTEGER, DECIMAL, DATE,
	// DATETIME (a timestamp) or BOOLEAN.
	DataType    string
	ComplexType string
	// Default is defaultSelection: Values, or Min/Max for a range.
	Default Value
}

// Value is a selection for a parameter or a field filter: Values, or for
// a range Min and Max (nil: open on that side).
type Value struct {
	Values   []string
	Min, Max *string
}

// Page is one entry of pages[].
type Page struct {
	Name, DisplayName string
	Layout            []LayoutItem
}

// GridColumns is the width of Lakeview's layout grid.
const GridColumns = 6

// LayoutItem places a widget on its page's grid.
type LayoutItem struct {
	Widget   Widget
	Position Position
}

// Position is a rectangle of the grid, in cells; y grows downwards.
type Position struct{ X, Y, Width, Height int }

// Widget is a chart, counter, table, filter or text box.
type Widget struct {
	Name    string
	Queries []NamedQuery
	// Type is spec.widgetType ("" for a text box); Version spec.version.
	Type    string
	Version int
	// Text is multilineTextboxSpec.lines of a text box.
	Text []string
	// Bindings are the filter's encodings.fields: which query feeds the
	// filter's choices and which parameter or field its selection sets.
	Bindings []Binding
}

// Binding is one entry of a filter widget's encodings.fields.
type Binding struct {
	QueryName     string
	ParameterName string // a dataset parameter the selection binds, or
	FieldName     string // a field of the query whose values it filters
}

// NamedQuery is one entry of a widget's queries[].
type NamedQuery struct {
	Name  string
	Query Query
}

// Query is what a widget asks of a dataset.
type Query struct {
	DatasetName string
	Fields      []Field
	// Disaggregated false groups by the fields that do not aggregate.
	Disaggregated bool
	// Parameters are the dataset parameters a filter's parameter query
	// binds (keywords).
	Parameters []string
}

// Field is one expression of a query and the name of its result column.
type Field struct{ Name, Expression string }

// The widget types zbemu renders (spec.widgetType). Others are kept in
// the file and shown as unsupported by the page.
var WidgetTypes = map[string]bool{
	"counter": true, "bar": true, "line": true, "area": true, "pie": true, "scatter": true, "table": true,
	"filter-single-select": true, "filter-multi-select": true, "filter-date-range-picker": true,
	"filter-date-picker": true, "filter-text-entry": true, "range-slider": true, "heatmap": true,
	"histogram": true, "combo": true, "pivot": true, "symbol-map": true, "choropleth-map": true,
	"funnel": true, "sankey": true, "box": true, "word-cloud": true,
}

// MaxSerializedBytes bounds serialized_dashboard. Databricks' exports are
// tens of KiB; the largest public ones stay well below 1 MiB.
const MaxSerializedBytes = 4 << 20

// Parse reads and checks a serialized dashboard. Errors wrap
// engine.ErrInvalidArgument and name the JSON path of the problem, e.g.
// pages[0].layout[3].widget.queries[0].query.datasetName.
func Parse(serialized string) (*File, error) {
	if len(serialized) > MaxSerializedBytes {
		return nil, fmt.Errorf("%w: serialized_dashboard is %d bytes; zbemu accepts at most %d", engine.ErrTooLarge, len(serialized), MaxSerializedBytes)
	}
	dec := json.NewDecoder(strings.NewReader(serialized))
	dec.UseNumber()
	var root any
	if err := dec.Decode(&root); err != nil {
		return nil, invalid("", "is not valid JSON: %v", err)
	}
	if dec.More() {
		return nil, invalid("", "has more than one JSON value")
	}
	p := &parser{}
	d := p.dashboard(root)
	if p.err != nil {
		return nil, p.err
	}
	return d, nil
}

// ParseError is a problem at one JSON path of a dashboard file.
type ParseError struct {
	Path, Msg string
}

func (e *ParseError) Error() string {
	if e.Path == "" {
		return "serialized_dashboard " + e.Msg
	}
	return "serialized_dashboard: " + e.Path + ": " + e.Msg
}

// Unwrap classifies every parse error as invalid input.
func (e *ParseError) Unwrap() error { return engine.ErrInvalidArgument }

func invalid(path, format string, args ...any) error {
	return &ParseError{Path: path, Msg: fmt.Sprintf(format, args...)}
}

// parser walks the decoded JSON and keeps the first error.
type parser struct{ err error }

func (p *parser) fail(path, format string, args ...any) {
	if p.err == nil {
		p.err = invalid(path, format, args...)
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

// jsonType names the JSON type of v for messages.
func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	}
	return "an object"
}

func (p *parser) object(path string, v any) map[string]any {
	m, ok := v.(map[string]any)
	if !ok {
		p.fail(path, "expected an object, got %s", jsonType(v))
	}
	return m
}

func (p *parser) array(path string, m map[string]any, key string, required bool) []any {
	v, ok := m[key]
	if !ok || v == nil {
		if required {
			p.fail(join(path, key), "is required (an array)")
		}
		return nil
	}
	a, ok := v.([]any)
	if !ok {
		p.fail(join(path, key), "expected an array, got %s", jsonType(v))
	}
	return a
}

func (p *parser) str(path string, m map[string]any, key string, required bool) string {
	v, ok := m[key]
	if !ok || v == nil {
		if required {
			p.fail(join(path, key), "is required (a string)")
		}
		return ""
	}
	s, ok := v.(string)
	if !ok {
		p.fail(join(path, key), "expected a string, got %s", jsonType(v))
	}
	if required && s == "" {
		p.fail(join(path, key), "must not be empty")
	}
	return s
}

func (p *parser) integer(path string, m map[string]any, key string) int {
	v, ok := m[key]
	if !ok {
		p.fail(join(path, key), "is required (an integer)")
		return 0
	}
	n, ok := v.(json.Number)
	if !ok {
		p.fail(join(path, key), "expected an integer, got %s", jsonType(v))
		return 0
	}
	i, err := n.Int64()
	if err != nil || i > math.MaxInt32 || i < math.MinInt32 {
		p.fail(join(path, key), "expected an integer, got %s", n)
	}
	return int(i)
}

func (p *parser) boolean(path string, m map[string]any, key string) bool {
	v, ok := m[key]
	if !ok || v == nil {
		return false
	}
	b, ok := v.(bool)
	if !ok {
		p.fail(join(path, key), "expected a boolean, got %s", jsonType(v))
	}
	return b
}

func (p *parser) dashboard(root any) *File {
	m := p.object("", root)
	if m == nil {
		return nil
	}
	d := &File{}
	datasets := map[string]*Dataset{}
	for i, v := range p.array("", m, "datasets", false) {
		ds := p.dataset(index("datasets", i), v)
		if p.err != nil {
			return nil
		}
		if _, dup := datasets[ds.Name]; dup {
			p.fail(index("datasets", i)+".name", "dataset %q is defined twice", ds.Name)
			return nil
		}
		d.Datasets = append(d.Datasets, ds)
		datasets[ds.Name] = &d.Datasets[len(d.Datasets)-1]
	}
	seen := map[string]bool{}
	for i, v := range p.array("", m, "pages", false) {
		pg := p.page(index("pages", i), v, datasets)
		if p.err != nil {
			return nil
		}
		if seen[pg.Name] {
			p.fail(index("pages", i)+".name", "page %q is defined twice", pg.Name)
			return nil
		}
		seen[pg.Name] = true
		d.Pages = append(d.Pages, pg)
	}
	return d
}

func (p *parser) dataset(path string, v any) Dataset {
	m := p.object(path, v)
	if m == nil {
		return Dataset{}
	}
	ds := Dataset{Name: p.str(path, m, "name", true), DisplayName: p.str(path, m, "displayName", false),
		Catalog: p.str(path, m, "catalog", false), Schema: p.str(path, m, "schema", false)}
	if _, ok := m["queryLines"]; ok {
		var b strings.Builder
		for i, l := range p.array(path, m, "queryLines", true) {
			s, ok := l.(string)
			if !ok {
				p.fail(index(join(path, "queryLines"), i), "expected a string, got %s", jsonType(l))
				return ds
			}
			b.WriteString(s)
		}
		ds.Query = b.String()
	} else {
		// Files exported before queryLines carry the query as one string.
		ds.Query = p.str(path, m, "query", false)
	}
	if p.err == nil && strings.TrimSpace(ds.Query) == "" {
		p.fail(join(path, "queryLines"), "is required: the dataset's SQL query")
	}
	seen := map[string]bool{}
	for i, pv := range p.array(path, m, "parameters", false) {
		prm := p.parameter(index(join(path, "parameters"), i), pv)
		if p.err != nil {
			return ds
		}
		if seen[prm.Keyword] {
			p.fail(index(join(path, "parameters"), i)+".keyword", "parameter %q is defined twice", prm.Keyword)
			return ds
		}
		seen[prm.Keyword] = true
		ds.Parameters = append(ds.Parameters, prm)
	}
	return ds
}

// paramTypes maps Lakeview parameter data types to the Statement API types
// they are bound as.
var paramTypes = map[string]string{
	"STRING": "STRING", "INTEGER": "BIGINT", "DECIMAL": "DOUBLE", "DATE": "DATE", "DATETIME": "TIMESTAMP", "BOOLEAN": "BOOLEAN",
}

func (p *parser) parameter(path string, v any) Parameter {
	m := p.object(path, v)
	if m == nil {
		return Parameter{}
	}
	prm := Parameter{Keyword: p.str(path, m, "keyword", true), DisplayName: p.str(path, m, "displayName", false),
		DataType: strings.ToUpper(p.str(path, m, "dataType", false)), ComplexType: strings.ToUpper(p.str(path, m, "complexType", false))}
	if p.err != nil {
		return prm
	}
	if !validKeyword(prm.Keyword) {
		p.fail(join(path, "keyword"), "%q is not a parameter name (letters, digits and _, not starting with a digit)", prm.Keyword)
	}
	if prm.DataType == "" {
		prm.DataType = "STRING"
	}
	if _, ok := paramTypes[prm.DataType]; !ok {
		p.fail(join(path, "dataType"), "%q is not a parameter type (expected STRING, INTEGER, DECIMAL, DATE, DATETIME or BOOLEAN)", prm.DataType)
	}
	if prm.ComplexType != Single && prm.ComplexType != Multi && prm.ComplexType != Range {
		p.fail(join(path, "complexType"), "%q is not a parameter kind (expected MULTI or RANGE, or none)", prm.ComplexType)
	}
	sel, ok := m["defaultSelection"]
	if !ok || sel == nil {
		return prm
	}
	sp := join(path, "defaultSelection")
	sm := p.object(sp, sel)
	if sm == nil {
		return prm
	}
	if r, ok := sm["range"]; ok {
		rp := join(sp, "range")
		rm := p.object(rp, r)
		bound := func(key string) *string {
			b, ok := rm[key]
			if !ok || b == nil {
				return nil
			}
			bm := p.object(join(rp, key), b)
			s := p.str(join(rp, key), bm, "value", false)
			return &s
		}
		if rm != nil {
			prm.Default.Min, prm.Default.Max = bound("min"), bound("max")
		}
		return prm
	}
	if vals, ok := sm["values"]; ok {
		vp := join(sp, "values")
		vm := p.object(vp, vals)
		if vm == nil {
			return prm
		}
		for i, e := range p.array(vp, vm, "values", false) {
			em := p.object(index(join(vp, "values"), i), e)
			if em == nil {
				return prm
			}
			prm.Default.Values = append(prm.Default.Values, p.scalar(index(join(vp, "values"), i), em, "value"))
		}
	}
	return prm
}

// scalar reads a selection value: a string, or a number or boolean as
// some exports write them.
func (p *parser) scalar(path string, m map[string]any, key string) string {
	switch v := m[key].(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	case bool:
		if v {
			return "true"
		}
		return "false"
	default:
		p.fail(join(path, key), "expected a string, number or boolean, got %s", jsonType(v))
		return ""
	}
}

func validKeyword(k string) bool {
	for i, r := range k {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return k != ""
}

func (p *parser) page(path string, v any, datasets map[string]*Dataset) Page {
	m := p.object(path, v)
	if m == nil {
		return Page{}
	}
	pg := Page{Name: p.str(path, m, "name", true), DisplayName: p.str(path, m, "displayName", false)}
	widgets := map[string]bool{}
	for i, lv := range p.array(path, m, "layout", false) {
		lp := index(join(path, "layout"), i)
		lm := p.object(lp, lv)
		if lm == nil {
			return pg
		}
		item := LayoutItem{Widget: p.widget(join(lp, "widget"), lm["widget"], datasets), Position: p.position(join(lp, "position"), lm["position"])}
		if p.err != nil {
			return pg
		}
		if widgets[item.Widget.Name] {
			p.fail(join(lp, "widget.name"), "widget %q is defined twice on page %q", item.Widget.Name, pg.Name)
			return pg
		}
		widgets[item.Widget.Name] = true
		pg.Layout = append(pg.Layout, item)
	}
	return pg
}

func (p *parser) position(path string, v any) Position {
	m := p.object(path, v)
	if m == nil {
		return Position{}
	}
	pos := Position{X: p.integer(path, m, "x"), Y: p.integer(path, m, "y"), Width: p.integer(path, m, "width"), Height: p.integer(path, m, "height")}
	switch {
	case p.err != nil:
	case pos.X < 0 || pos.X >= GridColumns:
		p.fail(join(path, "x"), "must be 0 … %d (the grid has %d columns), got %d", GridColumns-1, GridColumns, pos.X)
	case pos.Width < 1 || pos.X+pos.Width > GridColumns:
		p.fail(join(path, "width"), "must be 1 … %d at x=%d (the grid has %d columns), got %d", GridColumns-pos.X, pos.X, GridColumns, pos.Width)
	case pos.Y < 0:
		p.fail(join(path, "y"), "must not be negative, got %d", pos.Y)
	case pos.Height < 1:
		p.fail(join(path, "height"), "must be at least 1, got %d", pos.Height)
	}
	return pos
}

func (p *parser) widget(path string, v any, datasets map[string]*Dataset) Widget {
	m := p.object(path, v)
	if m == nil {
		return Widget{}
	}
	w := Widget{Name: p.str(path, m, "name", true)}
	if tb, ok := m["multilineTextboxSpec"]; ok {
		tp := join(path, "multilineTextboxSpec")
		tm := p.object(tp, tb)
		for i, l := range p.array(tp, tm, "lines", false) {
			s, ok := l.(string)
			if !ok {
				p.fail(index(join(tp, "lines"), i), "expected a string, got %s", jsonType(l))
				return w
			}
			w.Text = append(w.Text, s)
		}
		return w
	}
	names := map[string]*Query{}
	for i, qv := range p.array(path, m, "queries", false) {
		qp := index(join(path, "queries"), i)
		qm := p.object(qp, qv)
		if qm == nil {
			return w
		}
		nq := NamedQuery{Name: p.str(qp, qm, "name", true), Query: p.query(join(qp, "query"), qm["query"], datasets)}
		if p.err != nil {
			return w
		}
		if names[nq.Name] != nil {
			p.fail(join(qp, "name"), "query %q is defined twice in widget %q", nq.Name, w.Name)
			return w
		}
		w.Queries = append(w.Queries, nq)
		names[nq.Name] = &w.Queries[len(w.Queries)-1].Query
	}
	spec, ok := m["spec"]
	if !ok {
		p.fail(path, "needs a spec (a chart, counter, table or filter) or a multilineTextboxSpec (a text box)")
		return w
	}
	sp := join(path, "spec")
	sm := p.object(sp, spec)
	if sm == nil {
		return w
	}
	w.Version = p.integer(sp, sm, "version")
	w.Type = p.str(sp, sm, "widgetType", true)
	if p.err != nil {
		return w
	}
	if w.Version < 1 || w.Version > 3 {
		p.fail(join(sp, "version"), "zbemu reads widget spec versions 1, 2 and 3, got %d", w.Version)
		return w
	}
	if !WidgetTypes[w.Type] {
		p.fail(join(sp, "widgetType"), "%q is not a Lakeview widget type (e.g. counter, bar, line, area, pie, scatter, table, filter-single-select)", w.Type)
		return w
	}
	if !strings.HasPrefix(w.Type, "filter-") {
		return w
	}
	ep := join(sp, "encodings")
	em, _ := sm["encodings"].(map[string]any)
	for i, fv := range p.array(ep, em, "fields", false) {
		fp := index(join(ep, "fields"), i)
		fm := p.object(fp, fv)
		if fm == nil {
			return w
		}
		b := Binding{QueryName: p.str(fp, fm, "queryName", true), ParameterName: p.str(fp, fm, "parameterName", false),
			FieldName: p.str(fp, fm, "fieldName", false)}
		if p.err != nil {
			return w
		}
		q := names[b.QueryName]
		switch {
		case q == nil:
			p.fail(join(fp, "queryName"), "query %q is not one of the widget's queries", b.QueryName)
		case b.ParameterName != "":
			if ds := datasets[q.DatasetName]; ds.parameter(b.ParameterName) == nil {
				p.fail(join(fp, "parameterName"), "dataset %q has no parameter %q", q.DatasetName, b.ParameterName)
			}
		case b.FieldName != "":
			if !q.hasField(b.FieldName) {
				p.fail(join(fp, "fieldName"), "query %q has no field %q", b.QueryName, b.FieldName)
			}
		default:
			p.fail(fp, "needs a parameterName or a fieldName")
		}
		w.Bindings = append(w.Bindings, b)
	}
	return w
}

func (p *parser) query(path string, v any, datasets map[string]*Dataset) Query {
	m := p.object(path, v)
	if m == nil {
		return Query{}
	}
	q := Query{DatasetName: p.str(path, m, "datasetName", true), Disaggregated: p.boolean(path, m, "disaggregated")}
	if p.err != nil {
		return q
	}
	ds := datasets[q.DatasetName]
	if ds == nil {
		p.fail(join(path, "datasetName"), "dataset %q is not defined", q.DatasetName)
		return q
	}
	seen := map[string]bool{}
	for i, fv := range p.array(path, m, "fields", false) {
		fp := index(join(path, "fields"), i)
		fm := p.object(fp, fv)
		if fm == nil {
			return q
		}
		f := Field{Name: p.str(fp, fm, "name", true), Expression: p.str(fp, fm, "expression", true)}
		if p.err != nil {
			return q
		}
		if seen[f.Name] {
			p.fail(join(fp, "name"), "field %q is defined twice", f.Name)
			return q
		}
		seen[f.Name] = true
		q.Fields = append(q.Fields, f)
	}
	for i, pv := range p.array(path, m, "parameters", false) {
		pp := index(join(path, "parameters"), i)
		pm := p.object(pp, pv)
		if pm == nil {
			return q
		}
		k := p.str(pp, pm, "keyword", true)
		if p.err == nil && ds.parameter(k) == nil {
			p.fail(join(pp, "keyword"), "dataset %q has no parameter %q", q.DatasetName, k)
		}
		q.Parameters = append(q.Parameters, k)
	}
	return q
}

// parameter returns the dataset's parameter with keyword k, or nil.
func (ds *Dataset) parameter(k string) *Parameter {
	for i := range ds.Parameters {
		if ds.Parameters[i].Keyword == k {
			return &ds.Parameters[i]
		}
	}
	return nil
}

func (q *Query) hasField(name string) bool {
	for _, f := range q.Fields {
		if f.Name == name {
			return true
		}
	}
	return false
}

// Dataset returns the dataset named name, or nil.
func (d *File) Dataset(name string) *Dataset {
	for i := range d.Datasets {
		if d.Datasets[i].Name == name {
			return &d.Datasets[i]
		}
	}
	return nil
}

// Widget returns the widget named widget on the page named page, or nil.
func (d *File) Widget(page, widget string) *Widget {
	for _, pg := range d.Pages {
		if pg.Name != page {
			continue
		}
		for i := range pg.Layout {
			if pg.Layout[i].Widget.Name == widget {
				return &pg.Layout[i].Widget
			}
		}
	}
	return nil
}
