package lakeview

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/zbemu/zbemu/engine"
	"github.com/zbemu/zbemu/engine/dialect"
)

// The widget query compiler: one widget query of a dashboard becomes one
// SELECT for the Statement API, built as Databricks builds it — the
// dataset's query as a subquery, the query's field expressions selected
// under their names, grouped by the fields that do not aggregate unless
// the query is disaggregated. Selection values never enter the SQL text:
// every one is a bound :name parameter, so a filter value cannot change
// what the statement does. Only marker spellings are rewritten (a range
// parameter's :p.min becomes :p__min, a multi-value :p becomes
// array(:p__0, :p__1)), because the Statement API binds scalars only.

// Selection is what the viewer picked in the dashboard's filters.
type Selection struct {
	// Params are parameter values by keyword; a parameter not in the map
	// takes its defaultSelection.
	Params map[string]Value
	// Filters restrict the dataset's rows (field filters).
	Filters []FieldFilter
	// Now resolves relative dates such as "now-7d/d" in selections and
	// defaults (the zero time: the current time).
	Now time.Time
}

// FieldFilter keeps the rows of a dataset whose Expression (over its
// columns, e.g. `device_id`) is one of Value.Values, or between Value.Min
// and Value.Max (timestamps, inclusive).
type FieldFilter struct {
	Dataset, Expression string
	Value               Value
}

// Compiled is a statement ready for the engine: its SQL, bound parameters
// and the dataset's catalog and schema.
type Compiled struct {
	SQL             string
	Params          []engine.Param
	Catalog, Schema string
}

// aggregates are the Spark SQL aggregate functions: a field calling one
// is an aggregate, the others are grouped by.
var aggregates = map[string]bool{
	"SUM": true, "COUNT": true, "COUNT_IF": true, "AVG": true, "MEAN": true, "MIN": true, "MAX": true,
	"MEDIAN": true, "MODE": true, "PERCENTILE": true, "PERCENTILE_APPROX": true, "APPROX_PERCENTILE": true,
	"PERCENTILE_CONT": true, "PERCENTILE_DISC": true, "STDDEV": true, "STDDEV_POP": true, "STDDEV_SAMP": true, "STD": true,
	"VARIANCE": true, "VAR_POP": true, "VAR_SAMP": true, "ANY_VALUE": true, "FIRST": true, "LAST": true,
	"MIN_BY": true, "MAX_BY": true, "COLLECT_LIST": true, "COLLECT_SET": true, "ARRAY_AGG": true, "STRING_AGG": true,
	"LISTAGG": true, "APPROX_COUNT_DISTINCT": true, "BOOL_AND": true, "BOOL_OR": true, "EVERY": true, "SOME": true,
	"ANY": true, "CORR": true, "COVAR_POP": true, "COVAR_SAMP": true, "SKEWNESS": true, "KURTOSIS": true,
	"BIT_AND": true, "BIT_OR": true, "BIT_XOR": true, "SUM_DISTINCT": true, "COUNT_MIN_SKETCH": true,
	"REGR_SLOPE": true, "REGR_INTERCEPT": true, "REGR_COUNT": true, "REGR_R2": true,
}

// assocColumn is the column Databricks adds to a filter's dataset so that
// a filter's choices can be counted against the other filters
// (COUNT_IF(`associative_filter_predicate_group`)); zbemu counts every row.
const assocColumn = "associative_filter_predicate_group"

// filterPrefix names the parameters of field filters, apart from the
// dataset's own keywords.
const filterPrefix = "zbemu_filter_"

// CompileQuery builds the statement of one widget query over ds.
func CompileQuery(ds *Dataset, q *Query, sel Selection) (Compiled, error) {
	if len(q.Fields) == 0 {
		return Compiled{}, fmt.Errorf("%w: the query on dataset %q has no fields (a filter's parameter binding runs nothing)", engine.ErrInvalidArgument, ds.Name)
	}
	body, params, err := bindDataset(ds, sel)
	if err != nil {
		return Compiled{}, err
	}
	var sel1, group []string
	assoc, anyAgg := false, false
	for _, f := range q.Fields {
		calls, err := dialect.Calls(f.Expression)
		if err != nil {
			return Compiled{}, fmt.Errorf("%w: field %q: expression %q does not parse: %v", engine.ErrInvalidArgument, f.Name, f.Expression, err)
		}
		agg := slices.ContainsFunc(calls, func(c string) bool { return aggregates[c] })
		anyAgg = anyAgg || agg
		if !agg {
			group = append(group, f.Expression)
		}
		names, _ := dialect.Identifiers(f.Expression)
		assoc = assoc || slices.Contains(names, assocColumn)
		sel1 = append(sel1, f.Expression+" AS "+quote(f.Name))
	}
	var b strings.Builder
	b.WriteString("SELECT " + strings.Join(sel1, ", ") + "\nFROM (")
	if assoc {
		b.WriteString("SELECT *, TRUE AS " + quote(assocColumn) + " FROM (")
	}
	b.WriteString("\n" + body + "\n")
	if assoc {
		b.WriteString(")")
	}
	b.WriteString(") AS " + quote(ds.Name))
	where, fparams, err := filterClause(ds, sel)
	if err != nil {
		return Compiled{}, err
	}
	params = append(params, fparams...)
	if where != "" {
		b.WriteString("\nWHERE " + where)
	}
	if !q.Disaggregated && len(group) > 0 && (anyAgg || len(group) == len(q.Fields)) {
		b.WriteString("\nGROUP BY " + strings.Join(group, ", "))
	}
	return Compiled{SQL: b.String(), Params: params, Catalog: ds.Catalog, Schema: ds.Schema}, nil
}

// CompileDataset builds the statement of a dataset's own query, with its
// parameters bound as in CompileQuery (the dashboard's "view dataset").
func CompileDataset(ds *Dataset, sel Selection) (Compiled, error) {
	body, params, err := bindDataset(ds, sel)
	if err != nil {
		return Compiled{}, err
	}
	return Compiled{SQL: body, Params: params, Catalog: ds.Catalog, Schema: ds.Schema}, nil
}

// quote makes name a backtick identifier.
func quote(name string) string { return "`" + strings.ReplaceAll(name, "`", "``") + "`" }

// bindDataset returns ds's query with its markers in the spelling the
// Statement API binds, and the parameters to bind.
func bindDataset(ds *Dataset, sel Selection) (string, []engine.Param, error) {
	body := strings.TrimRight(ds.Query, " \t\r\n;")
	markers, err := dialect.ParamMarkers(body)
	if err != nil {
		return "", nil, fmt.Errorf("%w: dataset %q: the query does not parse: %v", engine.ErrInvalidArgument, ds.Name, err)
	}
	now := sel.Now
	if now.IsZero() {
		now = time.Now()
	}
	var b strings.Builder
	var params []engine.Param
	bound := map[string]bool{}
	bind := func(name, typ string, v *string) {
		if !bound[name] {
			bound[name] = true
			params = append(params, engine.Param{Name: name, Value: v, Type: typ})
		}
	}
	last := 0
	for _, m := range markers {
		p := ds.parameter(m.Name)
		if p == nil {
			return "", nil, fmt.Errorf("%w: dataset %q uses :%s but declares no parameter %q", engine.ErrInvalidArgument, ds.Name, m.Name, m.Name)
		}
		v, ok := sel.Params[p.Keyword]
		if !ok {
			v = p.Default
		}
		typ := paramTypes[p.DataType]
		resolve := func(s *string) (*string, error) {
			if s == nil {
				return nil, nil
			}
			r, err := resolveDate(*s, p.DataType, now)
			if err != nil {
				return nil, fmt.Errorf("%w: parameter %q: %v", engine.ErrInvalidArgument, p.Keyword, err)
			}
			return &r, nil
		}
		b.WriteString(body[last:m.Start])
		last = m.End
		switch p.ComplexType {
		case Range:
			if m.Member != "min" && m.Member != "max" {
				return "", nil, fmt.Errorf("%w: dataset %q: range parameter %q is used as :%s.min and :%s.max, not :%s", engine.ErrInvalidArgument, ds.Name, p.Keyword, p.Keyword, p.Keyword, m.Name)
			}
			edge := v.Min
			if m.Member == "max" {
				edge = v.Max
			}
			r, err := resolve(edge)
			if err != nil {
				return "", nil, err
			}
			name := p.Keyword + "__" + m.Member
			bind(name, typ, r)
			b.WriteString(":" + name)
			continue
		case Multi:
			if len(v.Values) == 0 {
				b.WriteString("CAST(array() AS ARRAY<" + typ + ">)" + body[m.Start+len(m.Name)+1:m.End])
				continue
			}
			items := make([]string, len(v.Values))
			for i, s := range v.Values {
				r, err := resolve(&s)
				if err != nil {
					return "", nil, err
				}
				name := p.Keyword + "__" + strconv.Itoa(i)
				bind(name, typ, r)
				items[i] = ":" + name
			}
			b.WriteString("array(" + strings.Join(items, ", ") + ")" + body[m.Start+len(m.Name)+1:m.End])
			continue
		}
		if len(v.Values) > 1 {
			return "", nil, fmt.Errorf("%w: parameter %q takes one value, got %d", engine.ErrInvalidArgument, p.Keyword, len(v.Values))
		}
		var val *string
		if len(v.Values) == 1 {
			if val, err = resolve(&v.Values[0]); err != nil {
				return "", nil, err
			}
		}
		bind(p.Keyword, typ, val)
		// A member after a single-value marker (:p.x) is left as typed:
		// it reads a field of the value, as in Databricks.
		b.WriteString(body[m.Start:m.End])
	}
	b.WriteString(body[last:])
	return b.String(), params, nil
}

// filterClause is the WHERE condition of the field filters on ds.
func filterClause(ds *Dataset, sel Selection) (string, []engine.Param, error) {
	var conds []string
	var params []engine.Param
	n := 0
	for _, f := range sel.Filters {
		if f.Dataset != ds.Name {
			continue
		}
		if _, err := dialect.Calls(f.Expression); err != nil {
			return "", nil, fmt.Errorf("%w: filter on dataset %q: expression %q does not parse: %v", engine.ErrInvalidArgument, ds.Name, f.Expression, err)
		}
		name := func(k string) string { return fmt.Sprintf("%s%d_%s", filterPrefix, n, k) }
		switch {
		case f.Value.Min != nil || f.Value.Max != nil:
			var parts []string
			for _, side := range []struct {
				k, op string
				v     *string
			}{{"min", ">=", f.Value.Min}, {"max", "<=", f.Value.Max}} {
				if side.v == nil {
					continue
				}
				params = append(params, engine.Param{Name: name(side.k), Value: side.v, Type: "TIMESTAMP"})
				parts = append(parts, "("+f.Expression+") "+side.op+" :"+name(side.k))
			}
			conds = append(conds, strings.Join(parts, " AND "))
		case len(f.Value.Values) > 0:
			items := make([]string, len(f.Value.Values))
			for i := range f.Value.Values {
				params = append(params, engine.Param{Name: name(strconv.Itoa(i)), Value: &f.Value.Values[i], Type: "STRING"})
				items[i] = ":" + name(strconv.Itoa(i))
			}
			conds = append(conds, "CAST(("+f.Expression+") AS STRING) IN ("+strings.Join(items, ", ")+")")
		default:
			continue // nothing selected: the filter keeps every row
		}
		n++
	}
	return strings.Join(conds, " AND "), params, nil
}

// relativeRE is Lakeview's relative date syntax: now, an offset per unit
// (now-7d, now+1h-30m) and a rounding (/d: start of the day).
var relativeRE = regexp.MustCompile(`^now((?:[+-][0-9]{1,6}[yMwdhms])*)(?:/([yMwdhms]))?$`)

var offsetRE = regexp.MustCompile(`([+-])([0-9]+)([yMwdhms])`)

// resolveDate turns a relative date (now-7d/d) into a DATE or timestamp
// literal; other values are returned unchanged.
func resolveDate(v, dataType string, now time.Time) (string, error) {
	m := relativeRE.FindStringSubmatch(v)
	if m == nil {
		if strings.HasPrefix(v, "now") {
			return "", fmt.Errorf("%q is not a relative date (expected e.g. now, now-7d, now-1h/h)", v)
		}
		return v, nil
	}
	t := now.UTC()
	for _, o := range offsetRE.FindAllStringSubmatch(m[1], -1) {
		n, _ := strconv.Atoi(o[2])
		if o[1] == "-" {
			n = -n
		}
		switch o[3] {
		case "y":
			t = t.AddDate(n, 0, 0)
		case "M":
			t = t.AddDate(0, n, 0)
		case "w":
			t = t.AddDate(0, 0, 7*n)
		case "d":
			t = t.AddDate(0, 0, n)
		case "h":
			t = t.Add(time.Duration(n) * time.Hour)
		case "m":
			t = t.Add(time.Duration(n) * time.Minute)
		case "s":
			t = t.Add(time.Duration(n) * time.Second)
		}
	}
	switch m[2] {
	case "y":
		t = time.Date(t.Year(), 1, 1, 0, 0, 0, 0, time.UTC)
	case "M":
		t = time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	case "w":
		t = time.Date(t.Year(), t.Month(), t.Day()-(int(t.Weekday())+6)%7, 0, 0, 0, 0, time.UTC)
	case "d":
		t = t.Truncate(24 * time.Hour)
	case "h":
		t = t.Truncate(time.Hour)
	case "m":
		t = t.Truncate(time.Minute)
	case "s":
		t = t.Truncate(time.Second)
	}
	if dataType == "DATE" {
		return t.Format(time.DateOnly), nil
	}
	return t.Format("2006-01-02T15:04:05.000000Z"), nil
}
