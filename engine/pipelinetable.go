package engine

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/zbemu/zbemu/engine/dialect"
	"github.com/zbemu/zbemu/engine/identity"
	"github.com/zbemu/zbemu/schema"
)

// What package pipeline needs from the engine: the datasets a pipeline
// publishes are tables of the catalog with a Unity Catalog table_type of
// their own, protected from users' writes; each source table counts its
// non-append changes, so a streaming read can refuse a source whose rows
// changed under it; a pipeline runs its flows in transactions on the
// target catalog; and event_log(...) in SQL reads its event log.
//
// Package pipeline imports engine, never the reverse: the event log is
// reached through EventLogSource, which the pipeline manager registers.

// Unity Catalog table types of the datasets a pipeline publishes.
const (
	TableTypeStreaming        = "STREAMING_TABLE"
	TableTypeMaterializedView = "MATERIALIZED_VIEW"
)

func (m *tableMeta) tableType() string {
	if m.TableType == "" {
		return "MANAGED"
	}
	return m.TableType
}

// pipelineTableError refuses a user's change to a pipeline's dataset, as
// Databricks does: the pipeline is the only writer
// (https://docs.databricks.com/aws/en/error-messages/streaming-table-operation-not-allowed-error-class).
func pipelineTableError(m *tableMeta, op string) error {
	class := "STREAMING_TABLE_OPERATION_NOT_ALLOWED"
	if m.TableType == TableTypeMaterializedView {
		class = "MATERIALIZED_VIEW_OPERATION_NOT_ALLOWED"
	}
	return fmt.Errorf("%w: [%s.UNSUPPORTED_OPERATION] The operation %s is not allowed on %s %s: pipeline %s maintains it. "+
		"Change the pipeline's CREATE OR REFRESH statement and run an update instead (DROP TABLE is allowed)",
		ErrInvalidArgument, class, op, strings.ReplaceAll(strings.ToLower(m.TableType), "_", " "), m.fullName(), m.PipelineID)
}

// pipelineKey marks a context as a pipeline's own change of its datasets.
type pipelineKey struct{}

// AsPipeline marks ctx as pipeline id's: schema changes of its own
// datasets made with it (AddColumns, as the pipeline evolves a streaming
// table's schema) are let through.
func AsPipeline(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, pipelineKey{}, id)
}

// mayChange reports whether a change made with ctx may alter m.
func (m *tableMeta) mayChange(ctx context.Context) bool {
	id, _ := ctx.Value(pipelineKey{}).(string)
	return m.PipelineID == "" || m.PipelineID == id
}

// dmlKinds are the dialect.Query kinds that write a table; the ones marked
// true change or remove existing rows (a non-append change).
var dmlKinds = map[string]bool{"INSERT": false, "UPDATE": true, "DELETE": true, "MERGE": true}

// dmlTargets returns the tables a DML statement writes (the names
// tableRefs marks MODIFY), refusing pipeline datasets.
func (e *Engine) dmlTargets(req *StatementRequest, kind, text string) ([]*tableMeta, error) {
	var out []*tableMeta
	err := e.tableRefs(req, text, func(o identity.Object, privs []string) error {
		if !slices.Contains(privs, "MODIFY") {
			return nil
		}
		_, t, err := e.resolveTable(o.Name())
		if err != nil {
			return nil
		}
		m := t.cur.Load().meta
		if m.PipelineID != "" {
			return pipelineTableError(m, kind)
		}
		out = append(out, m)
		return nil
	})
	return out, err
}

// execDML runs a users' DML statement. UPDATE, DELETE and MERGE count a
// change of each target in the same transaction (table_changes), so a
// pipeline that streams from the table sees that its rows changed.
func (e *Engine) execDML(ctx context.Context, conn *sql.Conn, kind string, targets []*tableMeta, run func(context.Context, execQuerier) (int64, error)) (int64, error) {
	// Tables with CHECK constraints are checked after the statement, in
	// its transaction, which a violation rolls back (constraint.go).
	var checked []*tableVersion
	for _, m := range targets {
		if _, t, err := e.resolveTable(m.fullName()); err == nil {
			if v := t.cur.Load(); len(v.checks) > 0 {
				checked = append(checked, v)
			}
		}
	}
	if (!dmlKinds[kind] || len(targets) == 0) && len(checked) == 0 {
		n, err := run(ctx, conn)
		if err == nil {
			e.noteDeltaOp(kind, targets, n)
		}
		return n, err
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return 0, sqlError(err)
	}
	defer tx.Rollback()
	n, err := run(ctx, tx)
	if err != nil {
		return 0, err
	}
	for _, v := range checked {
		if err := e.firstViolation(ctx, tx, v); err != nil {
			return 0, err
		}
	}
	if n > 0 && dmlKinds[kind] {
		for _, m := range targets {
			if err := bumpChangesTx(ctx, tx, duckAlias(m.Catalog), m.TableID); err != nil {
				return 0, fmt.Errorf("record the change of %s: %w", m.fullName(), err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, sqlError(err)
	}
	e.noteDeltaOp(kind, targets, n)
	return n, nil
}

// noteDeltaOp tells the Delta mirror which statement wrote targets, for
// the commitInfo of the version that mirrors it.
func (e *Engine) noteDeltaOp(kind string, targets []*tableMeta, n int64) {
	if e.delta == nil || n == 0 {
		return
	}
	for _, m := range targets {
		e.delta.noteOp(m.TableID, kind)
	}
}

// execQuerier runs statements: a connection, or a transaction on one.
type execQuerier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// bumpChangesTx records one non-append change of a table. The counter is a
// row per change, never an update of a shared row, so concurrent changes of
// different tables never conflict.
func bumpChangesTx(ctx context.Context, tx *sql.Tx, alias, tableID string) error {
	_, err := tx.ExecContext(ctx, fmt.Sprintf("INSERT INTO %s.__zbemu.table_changes VALUES (?, ?)", quoteIdent(alias)), tableID, time.Now())
	return err
}

// TableChangesTx returns how many non-append changes (UPDATE, DELETE,
// MERGE that changed rows, a pipeline's full refresh) table t has had, as
// tx sees it.
func TableChangesTx(ctx context.Context, tx *sql.Tx, t TableInfo) (int64, error) {
	var n int64
	err := tx.QueryRowContext(ctx, fmt.Sprintf("SELECT count(*) FROM %s.__zbemu.table_changes WHERE table_id = ?", quoteIdent(duckAlias(t.CatalogName))), t.TableID).Scan(&n)
	return n, err
}

// BumpTableChangesTx records a non-append change of t (a pipeline's
// truncation of its own dataset) in tx.
func BumpTableChangesTx(ctx context.Context, tx *sql.Tx, t TableInfo) error {
	return bumpChangesTx(ctx, tx, duckAlias(t.CatalogName), t.TableID)
}

// CatalogTx runs fn in one DuckDB transaction that may write to catalog's
// database (DuckDB lets a transaction write to one attached database; it
// may read all). db is the database's quoted DuckDB name, for
// db.__zbemu.<table> names. The transaction commits when fn returns nil.
func (e *Engine) CatalogTx(ctx context.Context, catalog string, fn func(tx *sql.Tx, db string) error) error {
	if err := e.checkOpen(); err != nil {
		return err
	}
	c, err := e.GetCatalog(ctx, catalog)
	if err != nil {
		return err
	}
	return e.inTx(ctx, func(tx *sql.Tx) error { return fn(tx, quoteIdent(c.DuckDB)) })
}

// DataVersion grows after every write that may add or change rows of a
// table: a materialiser round, a statement other than a query, a
// transaction of the engine (CatalogTx, DDL), each counted once it has
// committed. Two equal readings mean that no such write committed between
// them, which lets a continuous pipeline skip a cycle without a DuckDB
// transaction.
func (e *Engine) DataVersion() uint64 { return e.dataVersion.Load() }

func (e *Engine) dataWritten() { e.dataVersion.Add(1) }

// DuckDBName is the quoted DuckDB database name of a catalog.
func DuckDBName(catalog string) string { return quoteIdent(duckAlias(catalog)) }

// TranslateOptions are the options users' SQL is translated with (catalog
// names mapped to DuckDB databases, event_log(...) answered for who).
func (e *Engine) TranslateOptions(ctx context.Context, who *Identity) dialect.TranslateOptions {
	opts := dialect.TranslateOptions{CatalogAlias: duckAlias}
	if src := e.eventLog.Load(); src != nil {
		opts.EventLog = func(ref dialect.EventLogRef) (string, error) {
			return (*src).EventLogSQL(ctx, who, ref)
		}
	}
	return opts
}

// QueryColumns returns the columns (Databricks types) of a translated query
// without running it, for the table that will hold its rows.
func (e *Engine) QueryColumns(ctx context.Context, translated string) ([]ColumnSpec, error) {
	rows, err := e.db.QueryContext(ctx, "SELECT * FROM ("+translated+") LIMIT 0")
	if err != nil {
		return nil, sqlError(err)
	}
	defer rows.Close()
	cts, err := rows.ColumnTypes()
	if err != nil {
		return nil, err
	}
	out := make([]ColumnSpec, 0, len(cts))
	for _, ct := range cts {
		dt := ct.DatabaseTypeName()
		if dt == "HUGEINT" {
			dt = "BIGINT" // as scanResult: Databricks' SUM of integers is BIGINT
		}
		t, err := schema.FromDuckDB(dt)
		if err != nil || t == nil {
			return nil, fmt.Errorf("%w: column %s has DuckDB type %s, which no Databricks type holds; cast it in the query", ErrUnsupported, ct.Name(), dt)
		}
		out = append(out, ColumnSpec{Name: ct.Name(), TypeText: t.String()})
	}
	return out, rows.Err()
}

// CheckSealed applies the sealed-SQL checks of users' statements (seal.go)
// to SQL a pipeline runs for its owner: names are the names of the texts
// the user wrote (a dataset's query, each expectation's condition), as
// the dialect lists them for a query, and translated is the DuckDB query
// built from them.
func (e *Engine) CheckSealed(ctx context.Context, names []*dialect.Query, translated string) error {
	for _, q := range names {
		if err := checkNames(q); err != nil {
			return err
		}
	}
	conn, err := e.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "USE memory.main"); err != nil {
		return err
	}
	typ, err := statementType(conn, translated)
	if err != nil {
		return err
	}
	if allowedStatementTypes[typ] != "SELECT" {
		return sealError("a dataset's query must be a SELECT")
	}
	return checkPlan(ctx, conn, translated, nil, false)
}

// PrincipalIdentity is the identity a pipeline's update runs as: its
// owner's, with the owner's admin flag and grants as they are now.
func (e *Engine) PrincipalIdentity(ctx context.Context, clientID string) (*Identity, error) {
	p, err := e.ids.LookupPrincipal(ctx, clientID)
	if err != nil {
		return nil, err
	}
	return &Identity{ClientID: p.ClientID, Admin: p.Admin, Kind: "pipeline"}, nil
}

// EventLogSource answers the event_log table-valued function: the relation
// SQL over a pipeline's stored events that who may read, or an error
// (unknown pipeline, no permission).
type EventLogSource interface {
	EventLogSQL(ctx context.Context, who *Identity, ref dialect.EventLogRef) (string, error)
}

// SetEventLogSource makes event_log(...) in SQL ask src (nil switches it
// off again).
func (e *Engine) SetEventLogSource(src EventLogSource) {
	if src == nil {
		e.eventLog.Store(nil)
		return
	}
	e.eventLog.Store(&src)
}

// eventLogHolder is the registered EventLogSource.
type eventLogHolder = atomic.Pointer[EventLogSource]
