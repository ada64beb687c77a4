package lakeview

import (
	"context"
	"fmt"
	"strings"

	"github.com/zbemu/zbemu/engine"
)

// QueryRequest asks for the rows of one widget (Page and Widget) or of one
// dataset's own query (Dataset), with the viewer's filter selections.
type QueryRequest struct {
	Page, Widget string
	Dataset      string
	// Params set dataset parameters directly; Filters set the selection of
	// filter widgets, which bind parameters and fields as the file says.
	Params  []ParamValue
	Filters []FilterValue
	// Published runs the published revision instead of the draft.
	Published bool
}

// ParamValue is a value for the parameter Keyword of Dataset, or of every
// dataset that declares it when Dataset is empty.
type ParamValue struct {
	Dataset, Keyword string
	Value            Value
}

// FilterValue is the selection of the filter widget Widget on Page (the
// request's page when empty).
type FilterValue struct {
	Page, Widget string
	Value        Value
}

// QueryResult is the outcome of one query: Err is set when it failed (the
// others of the request still ran). Compiled is empty if compiling failed.
type QueryResult struct {
	Name, Dataset string
	Compiled      Compiled
	Result        *engine.Result
	Err           error
}

// Query runs the queries of one widget, or one dataset's query, as who:
// the engine checks who's own privileges on every table, so a dashboard
// never shows its viewer rows the viewer could not SELECT. The error is
// for the request as a whole (no such dashboard, widget or filter); each
// query's own failure is in its QueryResult.
func (m *Manager) Query(ctx context.Context, who *engine.Identity, id string, req QueryRequest) ([]QueryResult, error) {
	d, err := m.open(ctx, who, id, CanRun)
	if err != nil {
		return nil, err
	}
	serialized := d.Serialized
	if req.Published {
		p, err := m.st.published(ctx, id)
		if err != nil {
			return nil, err
		}
		serialized = p.Serialized
	}
	f, err := Parse(serialized)
	if err != nil {
		return nil, err
	}
	if err := f.checkSelections(req); err != nil {
		return nil, err
	}
	if req.Dataset != "" {
		if req.Widget != "" {
			return nil, fmt.Errorf("%w: give either dataset or page and widget, not both", engine.ErrInvalidArgument)
		}
		ds := f.Dataset(req.Dataset)
		if ds == nil {
			return nil, fmt.Errorf("%w: dashboard %q has no dataset %q", engine.ErrNotFound, id, req.Dataset)
		}
		r := QueryResult{Dataset: ds.Name}
		sel, err := f.selection(ds.Name, req)
		if err == nil {
			r.Compiled, err = CompileDataset(ds, sel)
		}
		m.run(ctx, who, &r, err)
		return []QueryResult{r}, nil
	}
	if req.Widget == "" {
		return nil, fmt.Errorf("%w: give a dataset, or a page and a widget", engine.ErrInvalidArgument)
	}
	w := f.Widget(req.Page, req.Widget)
	if w == nil {
		return nil, fmt.Errorf("%w: dashboard %q has no widget %q on page %q", engine.ErrNotFound, id, req.Widget, req.Page)
	}
	out := []QueryResult{}
	for _, nq := range w.Queries {
		if len(nq.Query.Fields) == 0 {
			continue // a filter's parameter binding: nothing to run
		}
		r := QueryResult{Name: nq.Name, Dataset: nq.Query.DatasetName}
		sel, err := f.selection(nq.Query.DatasetName, req)
		if err == nil {
			r.Compiled, err = CompileQuery(f.Dataset(nq.Query.DatasetName), &nq.Query, sel)
		}
		m.run(ctx, who, &r, err)
		out = append(out, r)
	}
	return out, nil
}

// run executes r's compiled statement as who, unless compiling failed.
func (m *Manager) run(ctx context.Context, who *engine.Identity, r *QueryResult, compileErr error) {
	if compileErr != nil {
		r.Err = compileErr
		return
	}
	c := r.Compiled
	r.Result, r.Err = m.eng.Execute(ctx, engine.StatementRequest{SQL: c.SQL, Catalog: c.Catalog, Schema: c.Schema,
		Params: c.Params, Identity: who, RowLimit: MaxRows})
}

// checkSelections refuses selections that name nothing in the file, so a
// typo is an error instead of a silently ignored filter.
func (f *File) checkSelections(req QueryRequest) error {
	for i, p := range req.Params {
		found := false
		for _, ds := range f.Datasets {
			if (p.Dataset == "" || p.Dataset == ds.Name) && ds.parameter(p.Keyword) != nil {
				found = true
			}
		}
		switch {
		case found:
		case p.Dataset != "":
			return fmt.Errorf("%w: parameters[%d]: dataset %q has no parameter %q", engine.ErrInvalidArgument, i, p.Dataset, p.Keyword)
		default:
			return fmt.Errorf("%w: parameters[%d]: no dataset has a parameter %q", engine.ErrInvalidArgument, i, p.Keyword)
		}
	}
	for i, fv := range req.Filters {
		if _, err := f.filter(fv, req.Page); err != nil {
			return fmt.Errorf("%w: filters[%d]: %v", engine.ErrInvalidArgument, i, err)
		}
	}
	return nil
}

// filter returns the filter widget a selection names.
func (f *File) filter(fv FilterValue, page string) (*Widget, error) {
	if fv.Page != "" {
		page = fv.Page
	}
	w := f.Widget(page, fv.Widget)
	switch {
	case w == nil:
		return nil, fmt.Errorf("no widget %q on page %q", fv.Widget, page)
	case !strings.HasPrefix(w.Type, "filter-"):
		return nil, fmt.Errorf("widget %q is a %s, not a filter", fv.Widget, w.Type)
	}
	return w, nil
}

// selection gathers what applies to one dataset: direct parameter values,
// then the filters' bindings of its parameters and fields.
func (f *File) selection(dataset string, req QueryRequest) (Selection, error) {
	sel := Selection{Params: map[string]Value{}}
	for _, p := range req.Params {
		if p.Dataset == "" || p.Dataset == dataset {
			sel.Params[p.Keyword] = p.Value
		}
	}
	for _, fv := range req.Filters {
		w, err := f.filter(fv, req.Page)
		if err != nil {
			return Selection{}, err
		}
		for _, b := range w.Bindings {
			q := w.query(b.QueryName)
			if q == nil || q.DatasetName != dataset {
				continue
			}
			if b.ParameterName != "" {
				sel.Params[b.ParameterName] = fv.Value
				continue
			}
			for _, fld := range q.Fields {
				if fld.Name == b.FieldName {
					sel.Filters = append(sel.Filters, FieldFilter{Dataset: dataset, Expression: fld.Expression, Value: fv.Value})
				}
			}
		}
	}
	return sel, nil
}

// query returns the widget's query named name, or nil.
func (w *Widget) query(name string) *Query {
	for i := range w.Queries {
		if w.Queries[i].Name == name {
			return &w.Queries[i].Query
		}
	}
	return nil
}
