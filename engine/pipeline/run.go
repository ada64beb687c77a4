package pipeline

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/zbemu/zbemu/engine"
	"github.com/zbemu/zbemu/engine/dialect"
	"github.com/zbemu/zbemu/engine/identity"
)

// updateRun is one update in progress.
type updateRun struct {
	m           *Manager
	pp          *pipe
	p           Pipeline // the pipeline as the update started
	updateID    string
	fullRefresh bool
	who         *engine.Identity
	g           *graph
	tables      map[string]engine.TableInfo // by full name
	// refresh are the streaming flows whose next run starts over: all of
	// them in a full refresh, and those whose table was created anew.
	refresh map[*dataset]bool
	// lastRecompute is when the materialized views were last recomputed.
	lastRecompute time.Time
	flows         map[string]*FlowSummary // by dataset name
}

// table returns the table a resolved reference reads (a published dataset
// or a catalog table), looked up once per update.
func (r *updateRun) table(ctx context.Context, rr resolvedRef) (engine.TableInfo, error) {
	full := rr.table
	if rr.ds != nil {
		full = rr.ds.full
	}
	if t, ok := r.tables[full]; ok {
		return t, nil
	}
	t, err := r.m.eng.GetTable(ctx, full)
	if err != nil {
		return engine.TableInfo{}, err
	}
	r.tables[full] = t
	return t, nil
}

// run drives the update through its states until it completes, fails or
// is canceled (Stop, Close).
func (r *updateRun) run(ctx context.Context) {
	start := time.Now()
	state, err := r.execute(ctx)
	if err != nil && state == UpdateFailed {
		r.m.log.Warn("pipeline update failed", "pipeline_id", r.p.ID, "update_id", r.updateID, "err", err)
	}
	r.m.finish(r, state, err)
	r.m.opts.Observer.UpdateDone(r.p.ID, state, time.Since(start))
}

// execute runs the phases of an update and returns its final state.
func (r *updateRun) execute(ctx context.Context) (string, error) {
	r.m.setState(ctx, r, UpdateInitializing, nil)
	g, err := compile(r.p.Spec, r.m.opts.WorkDir, r.m.eng.TranslateOptions(ctx, nil))
	if err != nil {
		return UpdateFailed, err
	}
	r.g = g
	if r.who, err = r.m.eng.PrincipalIdentity(ctx, r.p.Owner); err != nil {
		return UpdateFailed, fmt.Errorf("%w: the pipeline's owner %s cannot run it: %v", engine.ErrPermissionDenied, r.p.Owner, err)
	}
	r.m.setState(ctx, r, UpdateSettingUp, nil)
	if err := r.setUp(ctx); err != nil {
		return stateOf(ctx, err), err
	}
	r.m.setState(ctx, r, UpdateRunning, nil)
	var seen uint64 // the engine's DataVersion before the last cycle
	for first := true; ; first = false {
		// An update starts from every record acknowledged before it;
		// later cycles of a continuous update take what the materialiser
		// has committed since, at its own pace: waiting for it (Sync)
		// would make it flush early, adding commits to the ingest path.
		if first {
			if err := r.m.eng.Sync(ctx); err != nil {
				return stateOf(ctx, err), err
			}
		}
		if !first && r.schemaChanged(ctx) {
			// A table the flows read or write changed its schema: plan
			// the flows again (Databricks restarts the update for it).
			r.tables = map[string]engine.TableInfo{}
			if err := r.setUp(ctx); err != nil {
				return stateOf(ctx, err), err
			}
		}
		// A cycle that nothing was written for since the last one would
		// only find no new rows: skip it without opening a transaction
		// (a cycle reads what committed before it, and every later commit
		// moves DataVersion).
		if first || r.m.eng.DataVersion() != seen || r.viewsStale() {
			seen = r.m.eng.DataVersion()
			if err := r.cycle(ctx, first); err != nil {
				return stateOf(ctx, err), err
			}
		}
		if !r.p.Spec.Continuous {
			return UpdateCompleted, nil
		}
		select {
		case <-ctx.Done():
			return UpdateCanceled, nil
		case <-time.After(r.m.opts.ContinuousInterval):
		}
	}
}

// schemaChanged reports whether a table the update looked up has another
// version (or was replaced) since.
func (r *updateRun) schemaChanged(ctx context.Context) bool {
	for full, t := range r.tables {
		cur, err := r.m.eng.GetTable(ctx, full)
		if err != nil || cur.TableID != t.TableID || cur.Version != t.Version {
			return true
		}
	}
	return false
}

// stateOf is the final state of an update that stopped with err.
func stateOf(ctx context.Context, err error) string {
	if ctx.Err() != nil || errors.Is(err, context.Canceled) {
		return UpdateCanceled
	}
	return UpdateFailed
}

// cycle runs every flow once, in dependency order. Materialized views are
// recomputed on the first cycle, whenever a streaming flow wrote rows, and
// at least every recomputeEvery.
func (r *updateRun) cycle(ctx context.Context, first bool) error {
	wrote := false
	for _, d := range r.g.order {
		if !d.published() {
			continue
		}
		if !d.streaming() && !first && !wrote && !r.viewsStale() {
			continue
		}
		res, err := r.runFlow(ctx, d, first)
		if err != nil {
			if ctx.Err() == nil {
				r.flowFailed(ctx, d, err)
			}
			return err
		}
		if d.streaming() && res.written > 0 {
			wrote = true
		}
		r.m.recordFlow(r, d, res)
		if !d.streaming() {
			r.lastRecompute = time.Now()
		}
	}
	return nil
}

// viewsStale reports whether the update has materialized views that were
// last recomputed recomputeEvery ago.
func (r *updateRun) viewsStale() bool {
	for _, d := range r.g.order {
		if d.published() && !d.streaming() {
			return time.Since(r.lastRecompute) >= recomputeEvery
		}
	}
	return false
}

// recomputeEvery bounds how stale a continuous pipeline's materialized
// views get when no new rows arrive: their queries may depend on the time
// (current_timestamp() - INTERVAL 5 MINUTES windows).
const recomputeEvery = 5 * time.Second

// flowFailed records a failed flow: its summary and a flow_progress FAILED
// event with the error.
func (r *updateRun) flowFailed(ctx context.Context, d *dataset, err error) {
	r.m.mu.Lock()
	r.flowLocked(d).Status = UpdateFailed
	r.m.syncFlowsLocked(r)
	r.m.mu.Unlock()
	ev := r.m.newEvent(r.p, r.updateID, d.name, d.name, "flow_progress", "ERROR",
		fmt.Sprintf("Flow '%s' has FAILED.", d.name), map[string]any{"status": "FAILED"})
	ev.Error = errorJSON(err)
	r.m.emit(ctx, r.p.Spec.Catalog, ev)
}

// setUp authorizes the update as the pipeline's owner, checks every
// query against the sealed-SQL rules, and creates (or checks) the
// published tables, in dependency order since a dataset's columns come
// from its query over the datasets before it.
func (r *updateRun) setUp(ctx context.Context) error {
	z, err := r.m.eng.Authorizer(ctx, r.who)
	if err != nil {
		return err
	}
	spec := r.p.Spec
	if err := z.Require(identity.TypeSchema, spec.Catalog+"."+spec.Schema, "USE SCHEMA"); err != nil {
		return fmt.Errorf("pipeline %s runs as %s: %w", r.p.ID, r.p.Owner, err)
	}
	for _, d := range r.g.order {
		for _, rr := range d.refs {
			if rr.ds == nil {
				if err := z.Require(identity.TypeTable, rr.table, "SELECT"); err != nil {
					return fmt.Errorf("pipeline %s runs as %s: dataset %s reads %s: %w", r.p.ID, r.p.Owner, d.name, rr.table, err)
				}
			}
		}
	}
	if err := r.m.eng.Sync(ctx); err != nil {
		return err
	}
	for _, d := range r.g.order {
		if d.streaming() && r.fullRefresh {
			r.refresh[d] = true
		}
		fc := &flowContext{r: r, d: d}
		q, err := fc.translate(ctx, d)
		if err != nil {
			return err
		}
		names, err := userNames(d)
		if err != nil {
			return err
		}
		if err := r.m.eng.CheckSealed(ctx, names, checkedQuery(d, q)); err != nil {
			return fmt.Errorf("dataset %s: %w", d.name, err)
		}
		if !d.published() {
			continue
		}
		if err := r.setUpTable(ctx, z, d, q); err != nil {
			return err
		}
		r.m.emit(ctx, spec.Catalog, r.m.newEvent(r.p, r.updateID, d.name, d.name, "flow_definition", "INFO",
			fmt.Sprintf("Flow '%s' is defined as %s.", d.name, d.def.Kind),
			map[string]any{"output_dataset": d.full, "input_datasets": inputNames(d), "flow_type": flowType(d), "explain_text": d.def.Query}))
	}
	return nil
}

// checkedQuery is the query the sealed-SQL rules check for d: its query
// with every expectation's condition evaluated over its rows.
func checkedQuery(d *dataset, q string) string {
	if len(d.def.Expectations) == 0 {
		return q
	}
	conds := make([]string, len(d.def.Expectations))
	for i, e := range d.def.Expectations {
		conds[i] = "(" + e.ConditionSQL + ")"
	}
	return "SELECT " + strings.Join(conds, ", ") + " FROM (" + q + ") AS __src"
}

// subqueryRE finds a subquery in an expectation's condition, which
// Databricks does not allow to read other tables
// (https://docs.databricks.com/aws/en/ldp/expectations).
var subqueryRE = regexp.MustCompile(`(?i)\bselect\b`)

// userNames are the names of the Databricks SQL a dataset's author wrote:
// its query and each expectation's condition, for the sealed-SQL checks.
func userNames(d *dataset) ([]*dialect.Query, error) {
	out := []*dialect.Query{{Calls: d.def.Calls, Qualifiers: d.def.Qualifiers, Paths: d.def.Paths}}
	for _, e := range d.def.Expectations {
		if subqueryRE.MatchString(e.Condition) {
			return nil, fmt.Errorf("%w: dataset %s: expectation %s: a condition cannot contain a subquery (it checks each row on its own)", engine.ErrInvalidArgument, d.name, e.Name)
		}
		st, err := dialect.Parse("SELECT " + e.Condition)
		if err != nil {
			return nil, fmt.Errorf("%w: dataset %s: expectation %s: %v", engine.ErrInvalidArgument, d.name, e.Name, err)
		}
		if q, ok := st.(*dialect.Query); ok {
			out = append(out, q)
		}
	}
	return out, nil
}

func inputNames(d *dataset) []string {
	var out []string
	for _, rr := range d.refs {
		if rr.ds != nil {
			out = append(out, rr.ds.name)
		} else {
			out = append(out, rr.table)
		}
	}
	return out
}

func flowType(d *dataset) string {
	if d.streaming() {
		return "APPEND"
	}
	return "COMPLETE"
}

// setUpTable creates a dataset's table, or checks the existing one: it
// must be this pipeline's and have the query's columns. A materialized
// view whose columns changed, or any dataset in a full refresh, is
// created again; a streaming table needs a full refresh for that.
func (r *updateRun) setUpTable(ctx context.Context, z *engine.Authorizer, d *dataset, q string) error {
	cols, err := r.m.eng.QueryColumns(ctx, q)
	if err != nil {
		return fmt.Errorf("dataset %s: %w", d.name, err)
	}
	cols = mergeDeclared(cols, d.def.Columns)
	kind := d.def.Kind
	if kind != engine.TableTypeStreaming {
		kind = engine.TableTypeMaterializedView
	}
	cur, err := r.m.eng.GetTable(ctx, d.full)
	switch {
	case errors.Is(err, engine.ErrTableNotFound):
	case err != nil:
		return err
	case cur.PipelineID != r.p.ID:
		return fmt.Errorf("%w: table %s exists and is not a dataset of this pipeline; drop or rename it, or rename the dataset", engine.ErrAlreadyExists, d.full)
	case sameColumns(cur.Columns, cols[:min(len(cols), len(cur.Columns))]) && len(cols) >= len(cur.Columns) && cur.TableType == kind:
		if err := z.Require(identity.TypeTable, d.full, "SELECT", "MODIFY"); err != nil {
			return fmt.Errorf("pipeline %s runs as %s: %w", r.p.ID, r.p.Owner, err)
		}
		if extra := cols[len(cur.Columns):]; len(extra) > 0 {
			// The query returns new columns (a source gained columns):
			// the table gains them too, as Databricks evolves a
			// dataset's schema; earlier rows have NULL in them.
			for i := range extra {
				extra[i].NotNull = false
			}
			if cur, err = r.m.eng.AddColumns(engine.AsPipeline(ctx, r.p.ID), d.full, extra, "pipeline schema evolution"); err != nil {
				return fmt.Errorf("dataset %s: add the query's new columns: %w", d.name, err)
			}
		}
		r.tables[d.full] = cur
		return nil
	case d.streaming() && !r.refresh[d]:
		return fmt.Errorf("%w: streaming table %s has other columns than its query now returns; run a full refresh to recreate it", engine.ErrInvalidArgument, d.full)
	default:
		if err := r.m.eng.DropTable(ctx, d.full, true); err != nil {
			return err
		}
	}
	parts := strings.Split(d.full, ".")
	if err := z.Require(identity.TypeSchema, parts[0]+"."+parts[1], "USE SCHEMA", "CREATE TABLE"); err != nil {
		return fmt.Errorf("pipeline %s runs as %s: %w", r.p.ID, r.p.Owner, err)
	}
	t, err := r.m.eng.CreateTable(ctx, engine.TableSpec{Catalog: parts[0], Schema: parts[1], Name: d.name, Columns: cols,
		Comment: d.def.Comment, Properties: d.def.Properties, PartitionColumns: d.def.PartitionedBy, ClusterColumns: d.def.ClusterBy,
		Owner: r.p.Owner, Statement: "CREATE OR REFRESH " + strings.ReplaceAll(kind, "_", " ") + " " + d.name + " AS " + d.def.Query,
		TableType: kind, PipelineID: r.p.ID}, false)
	if err != nil {
		return fmt.Errorf("dataset %s: %w", d.name, err)
	}
	r.tables[d.full] = t
	if d.streaming() {
		r.refresh[d] = true // a new table holds nothing: read every source row
	}
	return nil
}

// mergeDeclared applies the column list of the dataset's definition (types
// and comments given there) to the columns its query returns.
func mergeDeclared(cols []engine.ColumnSpec, declared []dialect.ColumnDef) []engine.ColumnSpec {
	for _, dc := range declared {
		for i := range cols {
			if strings.EqualFold(cols[i].Name, dc.Name) {
				if dc.TypeText != "" {
					cols[i].TypeText = dc.TypeText
				}
				cols[i].Comment = dc.Comment
			}
		}
	}
	return cols
}

func sameColumns(have []engine.ColumnInfo, want []engine.ColumnSpec) bool {
	if len(have) != len(want) {
		return false
	}
	for i := range have {
		if !strings.EqualFold(have[i].Name, want[i].Name) {
			return false
		}
	}
	return true
}
