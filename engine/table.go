package engine

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/zbemu/zbemu/engine/rowcheck"
	"github.com/zbemu/zbemu/schema"
)

// storedColumn is a column as persisted in the catalog file.
type storedColumn struct {
	Name     string `json:"name"`
	Type     string `json:"type"` // canonical Databricks type text
	Nullable bool   `json:"nullable"`
	Comment  string `json:"comment,omitempty"`
	// Tags are the column's Unity Catalog tags (SET TAGS); a tag without a
	// value has the value "". zerobus-rescue marks the rescue column.
	Tags map[string]string `json:"tags,omitempty"`
	// Default is the column's DEFAULT expression as typed ("" for none).
	Default string `json:"default,omitempty"`
	// ID identifies the column across DROP and RENAME COLUMN (Delta's
	// column mapping id); 0 until the table's first such change, when
	// columns are numbered by position from 1 (see columnID).
	ID int `json:"id,omitempty"`
}

// tableMeta is the metadata DuckDB does not hold natively. It is stored as
// JSON in <catalog>.__zbemu.tables, in the same transaction as the DDL.
type tableMeta struct {
	TableID          string            `json:"table_id"`
	Catalog          string            `json:"-"`
	Schema           string            `json:"schema"`
	Name             string            `json:"name"`
	Columns          []storedColumn    `json:"columns"`
	Comment          string            `json:"comment,omitempty"`
	Properties       map[string]string `json:"properties,omitempty"`
	PartitionColumns []string          `json:"partition_columns,omitempty"`
	ClusterColumns   []string          `json:"cluster_columns,omitempty"`
	Owner            string            `json:"owner,omitempty"`
	CreatedAt        int64             `json:"created_at"`
	UpdatedAt        int64             `json:"updated_at"`
	Version          int64             `json:"version"`
	Statement        string            `json:"statement,omitempty"` // the Databricks DDL as typed
	// TableType is Unity Catalog's table_type when it is not MANAGED:
	// VIEW, or a pipeline's dataset (STREAMING_TABLE, MATERIALIZED_VIEW).
	// View holds a view's definition (view.go); PipelineID is the
	// pipeline that publishes a dataset (pipelinetable.go).
	TableType  string   `json:"table_type,omitempty"`
	View       *viewDef `json:"view,omitempty"`
	PipelineID string   `json:"pipeline_id,omitempty"`
	// Layout counts the changes that moved or renamed columns (DROP and
	// RENAME COLUMN): rows decoded with another layout are mapped by
	// column id when they are stored (columnmapping.go).
	Layout int64 `json:"layout,omitempty"`
}

func (m *tableMeta) fullName() string { return m.Catalog + "." + m.Schema + "." + m.Name }

// tableVersion is an immutable snapshot of a table: metadata plus the
// compiled column model and JSON decoder. Streams keep the snapshot they
// opened with, as the real service does; REST uses the newest.
type tableVersion struct {
	meta    *tableMeta
	alias   string // DuckDB database
	cols    []schema.Column
	jsonDec *schema.JSONDecoder
	// convert is true when some column needs a value conversion before the
	// DuckDB appender (DECIMAL, MAP, VARIANT), so primitive tables skip the pass.
	convert bool
	// autoMerge is zbemu.autoMerge: new JSON fields become columns.
	autoMerge bool
	// checks and defaults are the table's CHECK constraints and column
	// DEFAULTs compiled against cols (constraint.go); nil for most tables.
	checks   rowcheck.Set
	defaults []columnDefault
}

// tableState is a live table: the current version, swapped atomically on
// schema changes.
type tableState struct {
	cur atomic.Pointer[tableVersion]
	// alterMu serialises the schema changes of this table. They do not
	// hold Engine.mu, which every ingest request and query takes to
	// resolve table names: adding many columns runs one DuckDB ALTER per
	// column and takes seconds.
	alterMu sync.Mutex
	// samples bounds this table's rows of system.zbemu.warnings.
	samples warnSampler
	// unmirrored is when the oldest row not yet in the Delta table was
	// acknowledged (unix ns; 0 when none), for the mirror's lag.
	unmirrored atomic.Int64
}

func newTableState(m *tableMeta, alias string) (*tableState, error) {
	v, err := compileVersion(m, alias)
	if err != nil {
		return nil, err
	}
	ts := &tableState{}
	ts.cur.Store(v)
	return ts, nil
}

func compileVersion(m *tableMeta, alias string) (*tableVersion, error) {
	cols := make([]schema.Column, len(m.Columns))
	convert := false
	for i, c := range m.Columns {
		t, err := schema.Parse(c.Type)
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", c.Name, err)
		}
		cols[i] = schema.Column{Name: c.Name, Type: t, Nullable: c.Nullable, Comment: c.Comment,
			Rescue: isRescue(m, c) && t.Kind == schema.Variant && c.Nullable}
		if needsConvert(t) {
			convert = true
		}
	}
	v := &tableVersion{meta: m, alias: alias, cols: cols, jsonDec: schema.NewJSONDecoder(decoderColumns(m, cols)), convert: convert,
		autoMerge: propTrue(m, PropAutoMerge)}
	if err := v.compileRules(); err != nil {
		return nil, err
	}
	return v, nil
}

// ColumnInfo is a column in the Unity Catalog REST shape.
type ColumnInfo struct {
	Name           string `json:"name"`
	TypeText       string `json:"type_text"`
	TypeName       string `json:"type_name"`
	TypeJSON       string `json:"type_json"`
	TypePrecision  int    `json:"type_precision"`
	TypeScale      int    `json:"type_scale"`
	Position       int    `json:"position"`
	Nullable       bool   `json:"nullable"`
	Comment        string `json:"comment,omitempty"`
	PartitionIndex *int   `json:"partition_index,omitempty"`
	// DataType is the Databricks type text as DESCRIBE shows it.
	DataType string `json:"-"`
	// Default is the column's DEFAULT expression ("" for none), for SHOW
	// CREATE TABLE and DESCRIBE.
	Default string `json:"-"`
	// Tags are the column's Unity Catalog tags (SET TAGS); Databricks
	// serves them through the entity tag assignments API, not here.
	Tags map[string]string `json:"-"`
}

// TableInfo is a table in the Unity Catalog REST shape.
type TableInfo struct {
	Name             string            `json:"name"`
	CatalogName      string            `json:"catalog_name"`
	SchemaName       string            `json:"schema_name"`
	FullName         string            `json:"full_name"`
	TableType        string            `json:"table_type"`
	DataSourceFormat string            `json:"data_source_format"`
	Columns          []ColumnInfo      `json:"columns"`
	StorageLocation  string            `json:"storage_location"`
	Comment          string            `json:"comment,omitempty"`
	Properties       map[string]string `json:"properties,omitempty"`
	Owner            string            `json:"owner,omitempty"`
	CreatedAt        int64             `json:"created_at"`
	CreatedBy        string            `json:"created_by,omitempty"`
	UpdatedAt        int64             `json:"updated_at"`
	UpdatedBy        string            `json:"updated_by,omitempty"`
	TableID          string            `json:"table_id"`
	ViewDefinition   string            `json:"view_definition,omitempty"`
	PartitionColumns []string          `json:"-"`
	ClusterColumns   []string          `json:"-"`
	// Version counts schema and property changes (DESCRIBE HISTORY).
	Version int64 `json:"-"`
	// DuckDB is the table's three-part name in DuckDB.
	DuckDB string `json:"-"`
	// PipelineID is set on the datasets a pipeline publishes, as UC does.
	PipelineID string `json:"pipeline_id,omitempty"`
}

// MarshalJSON writes the Unity Catalog shape. As UC does for every Delta
// table, the properties include delta.lastUpdateVersion (the table version
// of DESCRIBE HISTORY; zbemu counts schema and property changes, not data
// commits) and delta.lastCommitTimestamp (milliseconds of that change).
func (t TableInfo) MarshalJSON() ([]byte, error) {
	type plain TableInfo // the same fields without this method
	p := plain(t)
	p.Properties = make(map[string]string, len(t.Properties)+2)
	for k, v := range t.Properties {
		p.Properties[k] = v
	}
	p.Properties["delta.lastUpdateVersion"] = strconv.FormatInt(t.Version, 10)
	p.Properties["delta.lastCommitTimestamp"] = strconv.FormatInt(t.UpdatedAt, 10)
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // type text is full of < and >
	if err := enc.Encode(p); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

func (v *tableVersion) info() TableInfo {
	m := v.meta
	ti := TableInfo{Name: m.Name, CatalogName: m.Catalog, SchemaName: m.Schema, FullName: m.fullName(),
		TableType: m.tableType(), PipelineID: m.PipelineID, DataSourceFormat: "DELTA", Comment: m.Comment, Properties: copyProps(m.Properties),
		Owner: m.Owner, CreatedAt: m.CreatedAt, CreatedBy: m.Owner, UpdatedAt: m.UpdatedAt, UpdatedBy: m.Owner,
		TableID: m.TableID, PartitionColumns: m.PartitionColumns, ClusterColumns: m.ClusterColumns, Version: m.Version,
		StorageLocation: "zbemu://" + m.fullName(),
		DuckDB:          quoteIdent(v.alias) + "." + quoteIdent(strings.ToLower(m.Schema)) + "." + quoteIdent(strings.ToLower(m.Name))}
	if m.TableType != "" {
		ti.TableType = m.TableType
	}
	if m.View != nil {
		ti.ViewDefinition = m.View.Text
	}
	for i, c := range v.cols {
		ci := newColumnInfo(c, i)
		ci.Default, ci.Tags = m.Columns[i].Default, copyProps(m.Columns[i].Tags)
		for pi, p := range m.PartitionColumns {
			if strings.EqualFold(p, c.Name) {
				pi := pi
				ci.PartitionIndex = &pi
			}
		}
		ti.Columns = append(ti.Columns, ci)
	}
	return ti
}

// newColumnInfo is the Unity Catalog shape of column c at position pos.
func newColumnInfo(c schema.Column, pos int) ColumnInfo {
	ci := ColumnInfo{Name: c.Name, TypeText: c.Type.CatalogString(), TypeName: c.Type.TypeName(),
		TypeJSON: schema.ColumnTypeJSON(c), Position: pos, Nullable: c.Nullable, Comment: c.Comment, DataType: c.Type.String()}
	if c.Type.Kind == schema.Decimal {
		ci.TypePrecision, ci.TypeScale = c.Type.Precision, c.Type.Scale
	}
	return ci
}

func copyProps(p map[string]string) map[string]string {
	if len(p) == 0 {
		return nil
	}
	out := make(map[string]string, len(p))
	for k, v := range p {
		out[k] = v
	}
	return out
}

// ColumnSpec is a column of CREATE TABLE or ADD COLUMNS.
type ColumnSpec struct {
	Name     string
	TypeText string
	NotNull  bool
	Comment  string
	Default  string // DEFAULT expression, "" for none
}

// TableSpec describes a table to create.
type TableSpec struct {
	Catalog, Schema, Name string
	Columns               []ColumnSpec
	Comment               string
	Properties            map[string]string
	PartitionColumns      []string
	ClusterColumns        []string
	Owner                 string
	Statement             string
	// TableType and PipelineID mark a pipeline's dataset (see tableMeta).
	TableType, PipelineID string
	// Operation names the first history entry; empty is CREATE TABLE.
	Operation string
	// Constraints are the table's CHECK constraints.
	Constraints []ConstraintSpec
}

// ConstraintSpec is a CHECK constraint of CREATE TABLE.
type ConstraintSpec struct{ Name, Check string }

func (e *Engine) buildColumns(specs []ColumnSpec, existing []storedColumn) ([]storedColumn, error) {
	seen := map[string]bool{}
	for _, c := range existing {
		seen[strings.ToLower(c.Name)] = true
	}
	var out []storedColumn
	for _, c := range specs {
		if err := validName("column", c.Name); err != nil {
			return nil, err
		}
		if seen[strings.ToLower(c.Name)] {
			return nil, fmt.Errorf("%w: column %q is defined more than once", ErrAlreadyExists, c.Name)
		}
		seen[strings.ToLower(c.Name)] = true
		t, err := schema.Parse(c.TypeText)
		if err != nil {
			return nil, fmt.Errorf("%w: column %s: %v", ErrInvalidArgument, c.Name, err)
		}
		out = append(out, storedColumn{Name: c.Name, Type: t.String(), Nullable: !c.NotNull, Comment: c.Comment, Default: c.Default})
	}
	return out, nil
}

func columnDDL(c storedColumn) (string, error) {
	t, err := schema.Parse(c.Type)
	if err != nil {
		return "", err
	}
	s := quoteIdent(strings.ToLower(c.Name)) + " " + t.DuckDB()
	if c.Default != "" {
		// DuckDB fills it in for INSERTs with a column list that omit it.
		d, err := rowcheck.CompileDefault(t, c.Default)
		if err != nil {
			return "", err
		}
		s += " DEFAULT " + d.SQL
	}
	if !c.Nullable {
		s += " NOT NULL"
	}
	return s, nil
}

// CreateTable creates a managed table.
func (e *Engine) CreateTable(ctx context.Context, spec TableSpec, ifNotExists bool) (TableInfo, error) {
	if err := validName("table", spec.Name); err != nil {
		return TableInfo{}, err
	}
	if len(spec.Columns) == 0 {
		return TableInfo{}, fmt.Errorf("%w: table %s needs at least one column", ErrInvalidArgument, spec.Name)
	}
	cols, err := e.buildColumns(spec.Columns, nil)
	if err != nil {
		return TableInfo{}, err
	}
	for _, lists := range [][]string{spec.PartitionColumns, spec.ClusterColumns} {
		for _, p := range lists {
			if !hasColumn(cols, p) {
				return TableInfo{}, fmt.Errorf("%w: partition/cluster column %q is not a column of the table", ErrInvalidArgument, p)
			}
		}
	}
	props, err := createRules(spec, cols)
	if err != nil {
		return TableInfo{}, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	c, s, err := e.schemaLocked(spec.Catalog, spec.Schema)
	if err != nil {
		return TableInfo{}, err
	}
	key := strings.ToLower(s.Name + "." + spec.Name)
	if t, ok := c.tables[key]; ok {
		if ifNotExists {
			return t.cur.Load().info(), nil
		}
		return TableInfo{}, fmt.Errorf("%w: Table '%s.%s.%s' already exists", ErrAlreadyExists, c.info.Name, s.Name, spec.Name)
	}
	now := nowMillis()
	m := &tableMeta{TableID: uuid.NewString(), Catalog: c.info.Name, Schema: s.Name, Name: spec.Name, Columns: cols,
		Comment: spec.Comment, Properties: props, PartitionColumns: spec.PartitionColumns,
		ClusterColumns: spec.ClusterColumns, Owner: spec.Owner, CreatedAt: now, UpdatedAt: now, Version: 0, Statement: spec.Statement,
		TableType: spec.TableType, PipelineID: spec.PipelineID}
	ts, err := newTableState(m, c.alias)
	if err != nil {
		return TableInfo{}, fmt.Errorf("%w: %v", ErrInvalidArgument, err)
	}
	var defs []string
	for _, col := range cols {
		d, err := columnDDL(col)
		if err != nil {
			return TableInfo{}, err
		}
		defs = append(defs, d)
	}
	ddl := fmt.Sprintf("CREATE TABLE %s (%s)", ts.cur.Load().info().DuckDB, strings.Join(defs, ", "))
	err = e.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, ddl); err != nil {
			return err
		}
		if err := e.writeMetaTx(ctx, tx, c.alias, m); err != nil {
			return err
		}
		op := spec.Operation
		if op == "" {
			op = "CREATE TABLE"
		}
		return e.historyTx(ctx, tx, c.alias, m, op, map[string]any{"columns": len(cols), "properties": m.Properties})
	})
	if err != nil {
		return TableInfo{}, fmt.Errorf("create table %s: %w", m.fullName(), err)
	}
	c.tables[key] = ts
	return ts.cur.Load().info(), nil
}

func hasColumn(cols []storedColumn, name string) bool {
	for _, c := range cols {
		if strings.EqualFold(c.Name, name) {
			return true
		}
	}
	return false
}

func (e *Engine) writeMetaTx(ctx context.Context, tx *sql.Tx, alias string, m *tableMeta) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("DELETE FROM %s.__zbemu.tables WHERE schema_name = ? AND name = ?", quoteIdent(alias)), strings.ToLower(m.Schema), strings.ToLower(m.Name)); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, fmt.Sprintf("INSERT INTO %s.__zbemu.tables VALUES (?, ?, ?)", quoteIdent(alias)), strings.ToLower(m.Schema), strings.ToLower(m.Name), string(b))
	return err
}

func (e *Engine) historyTx(ctx context.Context, tx *sql.Tx, alias string, m *tableMeta, op string, params map[string]any) error {
	p, _ := json.Marshal(params)
	_, err := tx.ExecContext(ctx, fmt.Sprintf("INSERT INTO %s.__zbemu.history VALUES (?, ?, ?, ?, ?, ?)", quoteIdent(alias)),
		m.TableID, m.Version, time.UnixMilli(m.UpdatedAt).UTC(), op, string(p), m.Statement)
	return err
}

// resolveTable finds a table by its three-part name.
func (e *Engine) resolveTable(full string) (*catalogState, *tableState, error) {
	parts := strings.Split(full, ".")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		return nil, nil, fmt.Errorf("%w: table name %q must have exactly 3 parts (catalog.schema.table)", ErrInvalidArgument, full)
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	c, ok := e.catalogs[strings.ToLower(parts[0])]
	if !ok {
		return nil, nil, tableNotFound(full)
	}
	t, ok := c.tables[strings.ToLower(parts[1]+"."+parts[2])]
	if !ok {
		return nil, nil, tableNotFound(full)
	}
	return c, t, nil
}

// GetTable returns a table by its three-part name.
func (e *Engine) GetTable(ctx context.Context, full string) (TableInfo, error) {
	_, t, err := e.resolveTable(full)
	if err != nil {
		return TableInfo{}, err
	}
	return t.cur.Load().info(), nil
}

// ListTables returns the tables of a schema sorted by name.
func (e *Engine) ListTables(ctx context.Context, catalog, schemaName string) ([]TableInfo, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	c, s, err := e.schemaLocked(catalog, schemaName)
	if err != nil {
		return nil, err
	}
	prefix := strings.ToLower(s.Name) + "."
	var out []TableInfo
	for k, t := range c.tables {
		if strings.HasPrefix(k, prefix) {
			out = append(out, t.cur.Load().info())
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// DropTable removes a table and its rows.
func (e *Engine) DropTable(ctx context.Context, full string, ifExists bool) error {
	c, t, err := e.resolveTable(full)
	if err != nil {
		if ifExists && errors.Is(err, ErrTableNotFound) {
			return nil
		}
		return err
	}
	if t.cur.Load().meta.TableType == tableTypeView {
		return fmt.Errorf("%w: %s is a view; use DROP VIEW", ErrInvalidArgument, full)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	v := t.cur.Load()
	e.mat.forgetTable(t)
	err = e.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "DROP TABLE "+v.info().DuckDB); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, fmt.Sprintf("DELETE FROM %s.__zbemu.tables WHERE schema_name = ? AND name = ?", quoteIdent(c.alias)), strings.ToLower(v.meta.Schema), strings.ToLower(v.meta.Name))
		return err
	})
	if err != nil {
		return fmt.Errorf("drop table %s: %w", full, err)
	}
	delete(c.tables, strings.ToLower(v.meta.Schema+"."+v.meta.Name))
	return e.ids.DropGrants(ctx, v.meta.fullName())
}

// alterTable applies change to a copy of the table's metadata, runs the
// DuckDB DDL it returns and records a new version, all in one transaction.
func (e *Engine) alterTable(ctx context.Context, full, op, statement string, change func(m *tableMeta) (ddl []string, params map[string]any, err error)) (TableInfo, error) {
	return e.alterTableVerified(ctx, full, op, statement, change, nil)
}

// alterTableVerified is alterTable with a check of the rows already in the
// table: the new version is in force (enforced on ingest) while verify
// runs, and is withdrawn if verify fails (see AddConstraint).
func (e *Engine) alterTableVerified(ctx context.Context, full, op, statement string, change func(m *tableMeta) (ddl []string, params map[string]any, err error),
	verify func(ctx context.Context, nv *tableVersion) error) (TableInfo, error) {
	c, t, err := e.resolveTable(full)
	if err != nil {
		return TableInfo{}, err
	}
	t.alterMu.Lock()
	defer t.alterMu.Unlock()
	old := t.cur.Load()
	if !old.meta.mayChange(ctx) {
		return TableInfo{}, pipelineTableError(old.meta, "ALTER TABLE ("+op+")")
	}
	m := *old.meta
	m.Columns = append([]storedColumn(nil), old.meta.Columns...)
	m.Properties = copyProps(old.meta.Properties)
	ddl, params, err := change(&m)
	if errors.Is(err, errNoChange) {
		return old.info(), nil
	}
	if err != nil {
		return TableInfo{}, err
	}
	numberNewColumns(&m)
	m.Version++
	m.UpdatedAt = nowMillis()
	m.Statement = statement
	nv, err := compileVersion(&m, c.alias)
	if err != nil {
		return TableInfo{}, fmt.Errorf("%w: %v", ErrInvalidArgument, err)
	}
	if verify != nil {
		t.cur.Store(nv)
		if err := verify(ctx, nv); err != nil {
			t.cur.Store(old)
			return TableInfo{}, err
		}
	}
	// The materialiser must not hold an appender on the old layout.
	unlock := e.mat.pause()
	defer unlock()
	err = e.inTx(ctx, func(tx *sql.Tx) error {
		for _, q := range ddl {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		if err := e.writeMetaTx(ctx, tx, c.alias, &m); err != nil {
			return err
		}
		return e.historyTx(ctx, tx, c.alias, &m, op, params)
	})
	if err != nil {
		t.cur.Store(old)
		return TableInfo{}, fmt.Errorf("alter table %s: %w", full, err)
	}
	t.cur.Store(nv)
	return nv.info(), nil
}

// SetTableOwner makes a principal (client id or display name) the owner
// of a table or view, as ALTER TABLE ... SET OWNER TO does; the history
// records it as SET OWNER. The caller has checked that it may.
func (e *Engine) SetTableOwner(ctx context.Context, full, owner string) (TableInfo, error) {
	p, err := e.ids.LookupPrincipal(ctx, owner)
	if err != nil {
		return TableInfo{}, fmt.Errorf("owner: %w", err)
	}
	return e.alterTable(ctx, full, "SET OWNER", "", func(m *tableMeta) ([]string, map[string]any, error) {
		if m.Owner == p.ClientID {
			return nil, nil, errNoChange
		}
		m.Owner = p.ClientID
		return nil, map[string]any{"owner": p.ClientID}, nil
	})
}

// AddColumns adds nullable columns (Zerobus producers keep working: omitted
// nullable columns are written as NULL).
func (e *Engine) AddColumns(ctx context.Context, full string, specs []ColumnSpec, statement string) (TableInfo, error) {
	return e.alterTable(ctx, full, "ADD COLUMNS", statement, func(m *tableMeta) ([]string, map[string]any, error) {
		cols, err := e.buildColumns(specs, m.Columns)
		if err != nil {
			return nil, nil, err
		}
		var ddl []string
		var names []string
		for _, c := range cols {
			if !c.Nullable {
				return nil, nil, fmt.Errorf("%w: added column %q must be nullable (existing rows and producers cannot supply it)", ErrInvalidArgument, c.Name)
			}
			if err := addColumnDefault(c); err != nil {
				return nil, nil, err
			}
			d, err := columnDDL(c)
			if err != nil {
				return nil, nil, err
			}
			ddl = append(ddl, fmt.Sprintf("ALTER TABLE %s.%s.%s ADD COLUMN %s", quoteIdent(duckAlias(m.Catalog)), quoteIdent(strings.ToLower(m.Schema)), quoteIdent(strings.ToLower(m.Name)), d))
			names = append(names, c.Name)
		}
		m.Columns = append(m.Columns, cols...)
		return ddl, map[string]any{"columns": names}, nil
	})
}

// SetProperties sets (or with unset, removes) table properties.
func (e *Engine) SetProperties(ctx context.Context, full string, props map[string]string, unset []string, statement string) (TableInfo, error) {
	op := "SET TBLPROPERTIES"
	if unset != nil {
		op = "UNSET TBLPROPERTIES"
	}
	if err := reservedProperties(props, unset); err != nil {
		return TableInfo{}, err
	}
	return e.alterTable(ctx, full, op, statement, func(m *tableMeta) ([]string, map[string]any, error) {
		if m.Properties == nil {
			m.Properties = map[string]string{}
		}
		for k, v := range props {
			m.Properties[k] = v
		}
		for _, k := range unset {
			delete(m.Properties, k)
		}
		return nil, map[string]any{"properties": props, "unset": unset}, nil
	})
}

// SetColumnComment changes a column's comment.
func (e *Engine) SetColumnComment(ctx context.Context, full, column, comment, statement string) (TableInfo, error) {
	return e.alterTable(ctx, full, "CHANGE COLUMN", statement, func(m *tableMeta) ([]string, map[string]any, error) {
		for i := range m.Columns {
			if strings.EqualFold(m.Columns[i].Name, column) {
				m.Columns[i].Comment = comment
				return nil, map[string]any{"column": column, "comment": comment}, nil
			}
		}
		return nil, nil, fmt.Errorf("%w: column %q does not exist in table %s", ErrInvalidArgument, column, full)
	})
}

// HistoryEntry is one row of DESCRIBE HISTORY.
type HistoryEntry struct {
	Version    int64
	Timestamp  time.Time
	Operation  string
	Parameters string
	Statement  string
}

// History returns a table's versions, newest first.
func (e *Engine) History(ctx context.Context, full string) ([]HistoryEntry, error) {
	c, t, err := e.resolveTable(full)
	if err != nil {
		return nil, err
	}
	return e.history(ctx, c.alias, t.cur.Load().meta.TableID)
}

// history reads the versions of the table with id tableID in the DuckDB
// database alias, newest first.
func (e *Engine) history(ctx context.Context, alias, tableID string) ([]HistoryEntry, error) {
	rows, err := e.db.QueryContext(ctx, fmt.Sprintf("SELECT version, ts, operation, parameters, statement FROM %s.__zbemu.history WHERE table_id = ? ORDER BY version DESC", quoteIdent(alias)), tableID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []HistoryEntry
	for rows.Next() {
		var h HistoryEntry
		if err := rows.Scan(&h.Version, &h.Timestamp, &h.Operation, &h.Parameters, &h.Statement); err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}
