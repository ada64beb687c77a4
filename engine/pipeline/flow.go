package pipeline

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/zbemu/zbemu/engine"
	"github.com/zbemu/zbemu/engine/dialect"
)

// A flow writes one published dataset in one DuckDB transaction on the
// pipeline's catalog: it reads its sources, evaluates the expectations,
// writes the rows, moves its read positions and records its flow_progress
// event, all or nothing.
//
// Streaming reads. A source table only grows by appends between
// non-append changes (UPDATE, DELETE, MERGE, a pipeline's full refresh),
// which the engine counts per table (engine.TableChangesTx). DuckDB gives
// the rows of a table that only grows contiguous row ids in commit order,
// and a transaction sees a prefix of them: the rows committed before it
// began. A flow's position in a source is therefore (last row id read,
// rows read so far, the source's change count then), stored in
// __zbemu.pipeline_offsets in the flow's transaction. The next read takes
// the rows after the last row id that the transaction sees. Before it, the
// position is checked: a different change count means rows changed under
// the flow, which fails it as Databricks fails a stream over a changed
// Delta table (DELTA_SOURCE_TABLE_IGNORE_CHANGES) until a full refresh;
// and if the number of rows up to the last row id is not the number read
// (DuckDB renumbered the rows of the table after deleted ones were
// vacuumed), the position is found again by counting rows, which is exact
// because no row changed since. (A table that never had such a change has
// row ids 0..n-1, whose count up to the last row id read needs no scan.)

// streamRange is what a flow reads of one source table in this run.
type streamRange struct {
	table    engine.TableInfo
	last     int64 // last row id read before (exclusive lower bound)
	hi       int64 // last row id visible now (inclusive upper bound)
	consumed int64 // rows read before
	newRows  int64
	changes  int64
}

// flowResult is what one run of a flow did.
type flowResult struct {
	rowsIn, written, dropped int64
	exps                     []ExpectationResult
}

// expectationError fails an update when an ON VIOLATION FAIL UPDATE
// expectation fails, with Databricks' error class and message shape
// (https://docs.databricks.com/aws/en/ldp/expectations).
type expectationError struct {
	flow, expectation, record string
}

func (e *expectationError) Error() string {
	return fmt.Sprintf("[EXPECTATION_VIOLATION.VERBOSE_ALL] Flow '%s' failed to meet the expectation. Violated expectations: '%s'. Input data: '%s'.",
		e.flow, e.expectation, e.record)
}

// flowContext holds what translating one flow's query needs.
type flowContext struct {
	r       *updateRun
	tx      *sql.Tx // nil when only the shape of the query is wanted
	db      string
	d       *dataset
	full    bool
	sources map[string]*streamRange // by table id
	order   []*streamRange
}

// translate renders d's query for DuckDB. Pipeline views are inlined;
// with a transaction, streamed tables become the rows appended since the
// flow's position, otherwise every table is read whole.
func (fc *flowContext) translate(ctx context.Context, d *dataset) (string, error) {
	return d.def.TranslateQuery(fc.r.m.eng.TranslateOptions(ctx, fc.r.who), func(ref dialect.DatasetRef) (string, error) {
		rr, ok := d.findRef(ref)
		if !ok {
			return "", fmt.Errorf("%w: dataset %s: reference %s was not resolved", engine.ErrInvalidArgument, d.name, ref.Name)
		}
		if rr.ds != nil && !rr.ds.published() {
			q, err := fc.translate(ctx, rr.ds)
			if err != nil {
				return "", err
			}
			return "(" + q + ")", nil
		}
		t, err := fc.r.table(ctx, rr)
		if err != nil {
			return "", err
		}
		if fc.tx == nil || !rr.ref.Stream || !fc.d.streaming() {
			return t.DuckDB, nil
		}
		sr, err := fc.streamRange(ctx, t)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("(SELECT * FROM %s WHERE rowid > %d AND rowid <= %d)", t.DuckDB, sr.last, sr.hi), nil
	})
}

// findRef returns the resolved form of one of the dataset's references.
func (d *dataset) findRef(ref dialect.DatasetRef) (resolvedRef, bool) {
	for _, r := range d.refs {
		if r.ref.Live == ref.Live && r.ref.Stream == ref.Stream && slices.Equal(r.ref.Name.Parts, ref.Name.Parts) {
			return r, true
		}
	}
	return resolvedRef{}, false
}

// streamRange finds the flow's position in a source table and the rows
// appended since (see the top of this file).
func (fc *flowContext) streamRange(ctx context.Context, t engine.TableInfo) (*streamRange, error) {
	if sr := fc.sources[t.TableID]; sr != nil {
		return sr, nil
	}
	tx, flow := fc.tx, fc.d.name
	sr := &streamRange{table: t, last: -1}
	changes, err := engine.TableChangesTx(ctx, tx, t)
	if err != nil {
		return nil, err
	}
	var stored int64
	err = tx.QueryRowContext(ctx, "SELECT last_rowid, consumed, changes FROM "+fc.db+".__zbemu.pipeline_offsets WHERE pipeline_id = ? AND flow = ? AND source_id = ?",
		fc.r.p.ID, flow, t.TableID).Scan(&sr.last, &sr.consumed, &stored)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return nil, err
	case stored != changes && !fc.full:
		return nil, fmt.Errorf("[DELTA_SOURCE_TABLE_IGNORE_CHANGES] Flow '%s' reads %s as a stream, and rows of it were updated or deleted since the last update "+
			"(only appended rows can be streamed). Run a full refresh of the pipeline to recompute its datasets from the current rows", flow, t.FullName)
	}
	sr.changes = changes
	r, err := engine.AppendedRange(ctx, tx, t.DuckDB, sr.last, sr.consumed, changes != 0)
	if err != nil {
		return nil, err
	}
	sr.last, sr.hi, sr.newRows = r.From, r.To, r.NewRows
	fc.sources[t.TableID] = sr
	fc.order = append(fc.order, sr)
	return sr, nil
}

// saveOffsets stores the flow's new positions.
func (fc *flowContext) saveOffsets(ctx context.Context) error {
	for _, sr := range fc.order {
		res, err := fc.tx.ExecContext(ctx, "UPDATE "+fc.db+".__zbemu.pipeline_offsets SET last_rowid = ?, consumed = ?, changes = ? WHERE pipeline_id = ? AND flow = ? AND source_id = ?",
			sr.hi, sr.consumed+sr.newRows, sr.changes, fc.r.p.ID, fc.d.name, sr.table.TableID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n > 0 {
			continue
		}
		if _, err := fc.tx.ExecContext(ctx, "INSERT INTO "+fc.db+".__zbemu.pipeline_offsets VALUES (?, ?, ?, ?, ?, ?)",
			fc.r.p.ID, fc.d.name, sr.table.TableID, sr.hi, sr.consumed+sr.newRows, sr.changes); err != nil {
			return err
		}
	}
	return nil
}

// runFlow runs d's flow once. always records a flow_progress event even
// when no new row arrived (triggered updates; continuous runs record only
// the batches that did something).
func (r *updateRun) runFlow(ctx context.Context, d *dataset, always bool) (flowResult, error) {
	var res flowResult
	out, err := r.table(ctx, resolvedRef{ds: d})
	if err != nil {
		return res, err
	}
	err = r.m.eng.CatalogTx(ctx, r.p.Spec.Catalog, func(tx *sql.Tx, db string) error {
		fc := &flowContext{r: r, tx: tx, db: db, d: d, full: r.refresh[d], sources: map[string]*streamRange{}}
		if d.streaming() && fc.full {
			if _, err := tx.ExecContext(ctx, "DELETE FROM "+out.DuckDB); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, "DELETE FROM "+db+".__zbemu.pipeline_offsets WHERE pipeline_id = ? AND flow = ?", r.p.ID, d.name); err != nil {
				return err
			}
			if err := engine.BumpTableChangesTx(ctx, tx, out); err != nil {
				return err
			}
		}
		q, err := fc.translate(ctx, d)
		if err != nil {
			return err
		}
		if d.streaming() {
			for _, sr := range fc.order {
				res.rowsIn += sr.newRows
			}
			if res.rowsIn == 0 && !fc.full {
				if !always {
					return errNothingNew
				}
				res.exps = r.zeroExpectations(d)
				return insertEvents(ctx, tx, db, r.flowProgress(d, res))
			}
		}
		if len(d.def.Expectations) > 0 {
			if err := r.evaluate(ctx, tx, d, q, &res); err != nil {
				return err
			}
		}
		if !d.streaming() {
			if _, err := tx.ExecContext(ctx, "DELETE FROM "+out.DuckDB); err != nil {
				return err
			}
		}
		ins := "INSERT INTO " + out.DuckDB + " BY NAME SELECT * FROM (" + q + ") AS __src" + r.keepWhere(d)
		n, err := tx.ExecContext(ctx, ins)
		if err != nil {
			return fmt.Errorf("flow %s: write %s: %w", d.name, out.FullName, err)
		}
		res.written, _ = n.RowsAffected()
		if len(d.def.Expectations) == 0 && !d.streaming() {
			res.rowsIn = res.written // nothing dropped: the query's rows
		}
		if err := fc.saveOffsets(ctx); err != nil {
			return err
		}
		return insertEvents(ctx, tx, db, r.flowProgress(d, res))
	})
	if errors.Is(err, errNothingNew) {
		return res, nil
	}
	if err == nil {
		delete(r.refresh, d)
	}
	return res, err
}

// errNothingNew rolls back a continuous batch that found no new row.
var errNothingNew = errors.New("no new rows")

// keepWhere is the filter of ON VIOLATION DROP ROW expectations. A row is
// kept only where the condition is true: NULL violates (see doc.go).
func (r *updateRun) keepWhere(d *dataset) string {
	var conds []string
	for _, e := range d.def.Expectations {
		if e.Action == dialect.ExpectDrop {
			conds = append(conds, "("+e.ConditionSQL+") IS TRUE")
		}
	}
	if len(conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(conds, " AND ")
}

// evaluate counts the batch's rows and each expectation's passed and failed
// records, and fails the flow on a failed FAIL UPDATE expectation with a
// sample of the violating records.
func (r *updateRun) evaluate(ctx context.Context, tx *sql.Tx, d *dataset, q string, res *flowResult) error {
	exps := d.def.Expectations
	cols := []string{"count(*)"}
	for _, e := range exps {
		cols = append(cols, "coalesce(count_if(("+e.ConditionSQL+") IS TRUE), 0)")
	}
	drop := strings.TrimPrefix(r.keepWhere(d), " WHERE ")
	if drop == "" {
		drop = "true"
	}
	cols = append(cols, "coalesce(count_if(NOT ("+drop+")), 0)") // count_if of no rows is NULL
	vals := make([]int64, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := tx.QueryRowContext(ctx, "SELECT "+strings.Join(cols, ", ")+" FROM ("+q+") AS __src", ptrs...).Scan(ptrs...); err != nil {
		return fmt.Errorf("flow %s: evaluate expectations: %w", d.name, err)
	}
	total := vals[0]
	if !d.streaming() {
		res.rowsIn = total
	}
	res.dropped = vals[len(vals)-1]
	res.exps = r.zeroExpectations(d)
	for i, e := range exps {
		res.exps[i].PassedRecords, res.exps[i].FailedRecords = vals[i+1], total-vals[i+1]
		if e.Action == dialect.ExpectFail && total > vals[i+1] {
			var record string
			err := tx.QueryRowContext(ctx, "SELECT to_json(__src)::VARCHAR FROM ("+q+") AS __src WHERE ("+e.ConditionSQL+") IS NOT TRUE LIMIT 1").Scan(&record)
			if err != nil {
				record = "(unavailable: " + err.Error() + ")"
			}
			return &expectationError{flow: d.name, expectation: e.Name, record: record}
		}
	}
	return nil
}

func (r *updateRun) zeroExpectations(d *dataset) []ExpectationResult {
	out := make([]ExpectationResult, len(d.def.Expectations))
	for i, e := range d.def.Expectations {
		out[i] = ExpectationResult{Name: e.Name, Dataset: d.name, Action: e.Action}
	}
	return out
}

// flowProgress is the COMPLETED flow_progress event of one flow run, with
// the metrics Databricks' data-quality queries read:
// details:flow_progress.metrics.num_output_rows and
// details:flow_progress.data_quality.{dropped_records, expectations}.
func (r *updateRun) flowProgress(d *dataset, res flowResult) Event {
	exps := make([]map[string]any, len(res.exps))
	for i, e := range res.exps {
		exps[i] = map[string]any{"name": e.Name, "dataset": e.Dataset, "passed_records": e.PassedRecords, "failed_records": e.FailedRecords}
	}
	details := map[string]any{"status": "COMPLETED", "metrics": map[string]any{"num_output_rows": res.written},
		"data_quality": map[string]any{"dropped_records": res.dropped, "expectations": exps}}
	return r.m.newEvent(r.p, r.updateID, d.name, d.name, "flow_progress", "METRICS",
		fmt.Sprintf("Flow '%s' has COMPLETED: %d rows read, %d written, %d dropped.", d.name, res.rowsIn, res.written, res.dropped), details)
}
