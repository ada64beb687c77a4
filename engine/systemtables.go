package engine

import (
	"context"
	"fmt"
	"strings"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/zbemu/zbemu/schema"
)

// System tables are queried like a workspace's: system.lakeflow.zerobus_stream
// and friends are three-part names in ordinary SQL. DuckDB reserves the
// database name "system", so the catalog is the in-memory DuckDB database
// system_db (duckAlias maps the name, as for main); its tables are views over
// the table function systemTableFunc, which pages rows out of the
// SystemTables store (package systables, SQLite) while DuckDB runs the query.
// Joins with user tables, GROUP BY and every other DuckDB feature therefore
// work unchanged, and nothing is copied ahead of a query.

// SystemTables is the read side of the system tables that the engine needs
// to serve them to SQL. Package systables implements it; the engine does not
// import it. Implementations must be safe for concurrent use.
type SystemTables interface {
	// SystemSnapshot makes every event recorded so far readable and returns
	// the highest row key of table ("lakeflow.zerobus_stream"); a scan reads
	// the keys up to it, so a statement sees every event that happened before
	// it started and nothing that happens while it runs.
	SystemSnapshot(ctx context.Context, table string) (int64, error)
	// SystemRows returns up to limit rows of table whose keys are in
	// (after, upTo], in key order, with the key of the last row returned.
	// Each row holds the values of SystemTableDef.Columns in order: nil,
	// string, int64, time.Time or []StreamError (the errors arrays).
	SystemRows(ctx context.Context, table string, after, upTo int64, limit int) ([][]any, int64, error)
}

// SystemTableDef describes one system table: its schema in the system
// catalog, its name and its columns with Databricks type text.
type SystemTableDef struct {
	Schema  string
	Name    string
	Columns []SystemColumn
}

// Key is the table's name within the system catalog, e.g. "lakeflow.zerobus_stream".
func (d SystemTableDef) Key() string { return d.Schema + "." + d.Name }

// SystemColumn is one column of a system table.
type SystemColumn struct {
	Name string
	Type string // Databricks type text
}

// ErrorsType is the type of the errors columns (research/databricks-surface.md §1.2).
const ErrorsType = "ARRAY<STRUCT<error_code: STRING, error_message: STRING, timestamp: TIMESTAMP>>"

func cols(spec ...string) []SystemColumn {
	out := make([]SystemColumn, len(spec)/2)
	for i := range out {
		out[i] = SystemColumn{Name: spec[2*i], Type: spec[2*i+1]}
	}
	return out
}

// systemTableDefs are the system tables zbemu serves. Column order is the
// contract with SystemTables.SystemRows.
var systemTableDefs = []SystemTableDef{
	{Schema: "lakeflow", Name: "zerobus_stream", Columns: cols(
		"account_id", "STRING", "workspace_id", "STRING", "stream_id", "STRING", "event_time", "TIMESTAMP",
		"producer_id", "STRING", "opened_time", "TIMESTAMP", "closed_time", "TIMESTAMP", "table_id", "STRING",
		"table_name", "STRING", "protocol", "STRING", "data_format", "STRING", "errors", ErrorsType)},
	{Schema: "lakeflow", Name: "zerobus_ingest", Columns: cols(
		"account_id", "STRING", "workspace_id", "STRING", "stream_id", "STRING", "table_id", "STRING",
		"table_name", "STRING", "commit_version", "BIGINT", "commit_time", "TIMESTAMP", "committed_records", "BIGINT",
		"committed_bytes", "BIGINT", "errors", ErrorsType)},
	{Schema: "zbemu", Name: "rejected_records", Columns: cols(
		"time", "TIMESTAMP", "table_name", "STRING", "stream_id", "STRING", "protocol", "STRING",
		"offset_id", "BIGINT", "record_index", "BIGINT", "column_name", "STRING", "reason", "STRING",
		"hint", "STRING", "message", "STRING", "raw", "STRING")},
	{Schema: "zbemu", Name: "warnings", Columns: cols(
		"time", "TIMESTAMP", "table_name", "STRING", "stream_id", "STRING", "protocol", "STRING",
		"offset_id", "BIGINT", "record_index", "BIGINT", "column_name", "STRING", "unit", "STRING",
		"value", "BIGINT", "records", "BIGINT", "unsampled", "BIGINT", "hint", "STRING", "raw", "STRING")},
	{Schema: "zbemu", Name: "alert_events", Columns: cols(
		"event_time", "TIMESTAMP", "alert_name", "STRING", "state", "STRING", "row_count", "BIGINT",
		"result_sample", "STRING", "message", "STRING", "query", "STRING", "webhook_url", "STRING",
		"webhook_status", "STRING")},
}

// SystemTableDefs returns the system tables zbemu serves, in catalog order.
func SystemTableDefs() []SystemTableDef {
	out := make([]SystemTableDef, len(systemTableDefs))
	for i, d := range systemTableDefs {
		d.Columns = append([]SystemColumn(nil), d.Columns...)
		out[i] = d
	}
	return out
}

// systemCatalog is the Unity Catalog name of the system catalog.
const systemCatalog = "system"

// systemTableFunc is the DuckDB table function behind the system views.
const systemTableFunc = "__zbemu_system_table"

// systemPageRows is how many rows a scan fetches from the store at a time:
// memory stays bounded whatever the table size, and a LIMIT stops early.
const systemPageRows = 2048

// openSystemTables registers the table function and creates the system
// catalog's views. It runs with or without a store: without one, a query of
// a system table fails with a message saying they are switched off.
func (e *Engine) openSystemTables(ctx context.Context) error {
	conn, err := e.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	varchar, _ := duckdb.NewTypeInfo(duckdb.TYPE_VARCHAR)
	err = duckdb.RegisterTableUDF(conn, systemTableFunc, duckdb.RowTableFunction{
		Config:               duckdb.TableFunctionConfig{Arguments: []duckdb.TypeInfo{varchar}},
		BindArgumentsContext: e.bindSystemScan,
	})
	if err != nil {
		return fmt.Errorf("register %s: %w", systemTableFunc, err)
	}
	alias := duckAlias(systemCatalog)
	q := []string{"ATTACH ':memory:' AS " + quoteIdent(alias)}
	for _, d := range systemTableDefs {
		q = append(q, fmt.Sprintf("CREATE SCHEMA IF NOT EXISTS %s.%s", quoteIdent(alias), quoteIdent(d.Schema)),
			fmt.Sprintf("CREATE VIEW %s.%s.%s AS SELECT * FROM %s(%s)", quoteIdent(alias), quoteIdent(d.Schema), quoteIdent(d.Name),
				systemTableFunc, quoteString(d.Key())))
	}
	for _, s := range q {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("create system tables: %s: %w", s, err)
		}
	}
	return nil
}

func systemTableDef(key string) (SystemTableDef, bool) {
	for _, d := range systemTableDefs {
		if strings.EqualFold(d.Key(), key) {
			return d, true
		}
	}
	return SystemTableDef{}, false
}

// bindSystemScan runs when DuckDB binds a query that reads a system view:
// it fixes the snapshot the query reads.
func (e *Engine) bindSystemScan(ctx context.Context, _ map[string]any, args ...any) (duckdb.RowTableSource, error) {
	key, _ := args[0].(string)
	d, ok := systemTableDef(key)
	if !ok {
		return nil, fmt.Errorf("no system table %q", key)
	}
	infos := make([]duckdb.ColumnInfo, len(d.Columns))
	for i, c := range d.Columns {
		t, err := schema.Parse(c.Type)
		if err != nil {
			return nil, err
		}
		ti, err := duckTypeInfo(t)
		if err != nil {
			return nil, fmt.Errorf("column %s of %s: %w", c.Name, key, err)
		}
		infos[i] = duckdb.ColumnInfo{Name: c.Name, T: ti}
	}
	sc := &systemScan{ctx: ctx, store: e.opts.SystemTables, key: key, infos: infos}
	if sc.store != nil {
		upTo, err := sc.store.SystemSnapshot(ctx, key)
		if err != nil {
			return nil, err
		}
		sc.upTo = upTo
	}
	return sc, nil
}

// duckTypeInfo builds the DuckDB type of a system column. Only the types
// the system tables use are needed.
func duckTypeInfo(t *schema.Type) (duckdb.TypeInfo, error) {
	switch t.Kind {
	case schema.String:
		return duckdb.NewTypeInfo(duckdb.TYPE_VARCHAR)
	case schema.BigInt:
		return duckdb.NewTypeInfo(duckdb.TYPE_BIGINT)
	case schema.Timestamp:
		return duckdb.NewTypeInfo(duckdb.TYPE_TIMESTAMP_TZ)
	case schema.Array:
		elem, err := duckTypeInfo(t.Elem)
		if err != nil {
			return nil, err
		}
		return duckdb.NewListInfo(elem)
	case schema.Struct:
		entries := make([]duckdb.StructEntry, len(t.Fields))
		for i, f := range t.Fields {
			ft, err := duckTypeInfo(f.Type)
			if err != nil {
				return nil, err
			}
			if entries[i], err = duckdb.NewStructEntry(ft, f.Name); err != nil {
				return nil, err
			}
		}
		return duckdb.NewStructInfo(entries[0], entries[1:]...)
	}
	return nil, fmt.Errorf("%w: system column type %s", ErrUnsupported, t)
}

// systemScan is one query's scan of a system table. DuckDB calls FillRow
// from one thread at a time (a RowTableSource is sequential).
type systemScan struct {
	ctx   context.Context
	store SystemTables
	key   string
	infos []duckdb.ColumnInfo

	upTo, after int64
	page        [][]any
	next        int
	done        bool
}

func (s *systemScan) ColumnInfos() []duckdb.ColumnInfo     { return s.infos }
func (s *systemScan) Cardinality() *duckdb.CardinalityInfo { return nil }
func (s *systemScan) Init()                                {}

// FillRow fills one row and reports whether it did.
func (s *systemScan) FillRow(row duckdb.Row) (bool, error) {
	if s.store == nil {
		return false, fmt.Errorf("system tables are switched off on this server (zbemu serve --no-systables or ZBEMU_SYSTABLES=false)")
	}
	if s.next >= len(s.page) {
		if s.done {
			return false, nil
		}
		page, last, err := s.store.SystemRows(s.ctx, s.key, s.after, s.upTo, systemPageRows)
		if err != nil {
			return false, fmt.Errorf("read system table %s: %w", s.key, err)
		}
		s.page, s.next, s.after = page, 0, last
		s.done = len(page) < systemPageRows
		if len(page) == 0 {
			return false, nil
		}
	}
	vals := s.page[s.next]
	s.page[s.next] = nil // let the page's rows go as they are consumed
	s.next++
	for i := range s.infos {
		if !row.IsProjected(i) {
			continue
		}
		var v any
		if i < len(vals) {
			v = duckValue(vals[i])
		}
		if err := row.SetRowValue(i, v); err != nil {
			return false, fmt.Errorf("system table %s column %s: %w", s.key, s.infos[i].Name, err)
		}
	}
	return true, nil
}

// duckValue converts a SystemRows value to what the DuckDB vector takes.
func duckValue(v any) any {
	switch x := v.(type) {
	case time.Time:
		if x.IsZero() {
			return nil
		}
		return x
	case []StreamError:
		out := make([]any, len(x))
		for i, se := range x {
			out[i] = map[string]any{"error_code": se.Code, "error_message": se.Message, "timestamp": se.Time}
		}
		return out
	}
	return v
}

// describeSystemTable answers DESCRIBE TABLE for system.schema.table.
func describeSystemTable(full string) (*Result, bool) {
	catalog, key, ok := strings.Cut(full, ".")
	if !ok || !strings.EqualFold(catalog, systemCatalog) {
		return nil, false
	}
	d, ok := systemTableDef(key)
	if !ok && strings.EqualFold(key, quarantineTableDef.Key()) {
		d, ok = quarantineTableDef, true
	}
	if !ok {
		return nil, false
	}
	res := &Result{Columns: stringCols("col_name", "data_type", "comment")}
	for _, c := range d.Columns {
		t, err := schema.Parse(c.Type)
		if err != nil {
			return nil, false
		}
		res.Rows = append(res.Rows, []*string{strp(c.Name), strp(strings.ToLower(t.String())), nil})
	}
	return res, true
}
