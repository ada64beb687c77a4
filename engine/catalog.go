package engine

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
)

// CatalogInfo is a Unity Catalog catalog (JSON names as in the UC REST API).
type CatalogInfo struct {
	Name     string `json:"name"`
	FullName string `json:"full_name"`
	// CatalogType is MANAGED_CATALOG, or SYSTEM_CATALOG for system.
	CatalogType string            `json:"catalog_type"`
	Comment     string            `json:"comment,omitempty"`
	Owner       string            `json:"owner,omitempty"`
	Properties  map[string]string `json:"properties,omitempty"`
	ID          string            `json:"id"`
	CreatedAt   int64             `json:"created_at"`
	CreatedBy   string            `json:"created_by,omitempty"`
	UpdatedAt   int64             `json:"updated_at"`
	UpdatedBy   string            `json:"updated_by,omitempty"`
	// DuckDB is the name of the DuckDB database that holds the catalog
	// (the catalog name, except for names DuckDB reserves such as main).
	DuckDB string `json:"-"`
}

// SchemaInfo is a Unity Catalog schema.
type SchemaInfo struct {
	Name        string            `json:"name"`
	CatalogName string            `json:"catalog_name"`
	FullName    string            `json:"full_name"`
	Comment     string            `json:"comment,omitempty"`
	Owner       string            `json:"owner,omitempty"`
	Properties  map[string]string `json:"properties,omitempty"`
	ID          string            `json:"schema_id"`
	CatalogType string            `json:"catalog_type"`
	CreatedAt   int64             `json:"created_at"`
	CreatedBy   string            `json:"created_by,omitempty"`
	UpdatedAt   int64             `json:"updated_at"`
	UpdatedBy   string            `json:"updated_by,omitempty"`
}

// Catalog types of CatalogInfo.CatalogType.
const (
	managedCatalog    = "MANAGED_CATALOG"
	systemCatalogType = "SYSTEM_CATALOG"
)

// fill sets the fields that metadata written by older zbemu versions lacks.
func (ci *CatalogInfo) fill() {
	ci.FullName, ci.CatalogType = ci.Name, managedCatalog
	if ci.CreatedBy == "" {
		ci.CreatedBy, ci.UpdatedBy = ci.Owner, ci.Owner
	}
}

// fill sets the fields that metadata written by older zbemu versions lacks.
func (si *SchemaInfo) fill() {
	si.CatalogType = managedCatalog
	if si.CreatedBy == "" {
		si.CreatedBy, si.UpdatedBy = si.Owner, si.Owner
	}
}

// catalogState is the cached metadata of one catalog and its DuckDB file.
type catalogState struct {
	info    CatalogInfo
	alias   string                 // DuckDB database name
	path    string                 // file path, or ":memory:"
	schemas map[string]*SchemaInfo // key: lower-case schema name
	tables  map[string]*tableState // key: lower-case "schema.table"
}

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// duckReserved are database names DuckDB refuses for ATTACH.
var duckReserved = map[string]bool{"main": true, "temp": true, "memory": true, "system": true}

func validName(kind, name string) error {
	if !identRE.MatchString(name) || len(name) > 255 {
		return fmt.Errorf("%w: %s name %q must start with a letter or underscore and contain only ASCII letters, digits and underscores", ErrInvalidArgument, kind, name)
	}
	return nil
}

// duckAlias maps a catalog name to its DuckDB database name. DuckDB
// reserves main/temp/memory/system, so those catalogs get the suffix _db
// (the same name the DuckDB shell gives a file called main.duckdb).
func duckAlias(catalog string) string {
	c := strings.ToLower(catalog)
	if duckReserved[c] {
		return c + "_db"
	}
	return c
}

func nowMillis() int64 { return time.Now().UnixMilli() }

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func quoteString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

const bookkeepingDDL = `
CREATE SCHEMA IF NOT EXISTS %[1]s.__zbemu;
CREATE TABLE IF NOT EXISTS %[1]s.__zbemu.catalog (meta VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS %[1]s.__zbemu.schemas (name VARCHAR NOT NULL, meta VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS %[1]s.__zbemu.tables (schema_name VARCHAR NOT NULL, name VARCHAR NOT NULL, meta VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS %[1]s.__zbemu.history (table_id VARCHAR NOT NULL, version BIGINT NOT NULL, ts TIMESTAMPTZ NOT NULL, operation VARCHAR NOT NULL, parameters VARCHAR NOT NULL, statement VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS %[1]s.__zbemu.applied (log_index UBIGINT NOT NULL);
INSERT INTO %[1]s.__zbemu.applied SELECT 0 WHERE NOT EXISTS (SELECT * FROM %[1]s.__zbemu.applied);
CREATE TABLE IF NOT EXISTS %[1]s.__zbemu.quarantine (time TIMESTAMPTZ NOT NULL, table_name VARCHAR NOT NULL, stream_id VARCHAR NOT NULL,
	log_index UBIGINT NOT NULL, record_index BIGINT NOT NULL, reason VARCHAR NOT NULL, raw VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS %[1]s.__zbemu.table_changes (table_id VARCHAR NOT NULL, ts TIMESTAMPTZ NOT NULL);
CREATE TABLE IF NOT EXISTS %[1]s.__zbemu.pipelines (pipeline_id VARCHAR NOT NULL, meta VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS %[1]s.__zbemu.pipeline_updates (pipeline_id VARCHAR NOT NULL, update_id VARCHAR NOT NULL, created TIMESTAMPTZ NOT NULL, meta VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS %[1]s.__zbemu.pipeline_offsets (pipeline_id VARCHAR NOT NULL, flow VARCHAR NOT NULL, source_id VARCHAR NOT NULL,
	last_rowid BIGINT NOT NULL, consumed BIGINT NOT NULL, changes BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS %[1]s.__zbemu.pipeline_events (id VARCHAR NOT NULL, seq BIGINT NOT NULL, pipeline_id VARCHAR NOT NULL,
	pipeline_name VARCHAR NOT NULL, update_id VARCHAR, flow_name VARCHAR, dataset_name VARCHAR, ts TIMESTAMPTZ NOT NULL,
	message VARCHAR NOT NULL, level VARCHAR NOT NULL, maturity_level VARCHAR NOT NULL, error VARCHAR, details VARCHAR NOT NULL, event_type VARCHAR NOT NULL);
`

func (e *Engine) catalogPath(name string) string {
	if e.opts.Memory {
		return ":memory:"
	}
	return filepath.Join(e.opts.DataDir, "catalogs", strings.ToLower(name)+".duckdb")
}

func (e *Engine) attach(ctx context.Context, path, alias string) error {
	q := fmt.Sprintf("ATTACH %s AS %s", quoteString(path), quoteIdent(alias))
	if _, err := e.db.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("attach %s: %w", path, err)
	}
	if _, err := e.db.ExecContext(ctx, fmt.Sprintf(bookkeepingDDL, quoteIdent(alias))); err != nil {
		return fmt.Errorf("initialise %s: %w", path, err)
	}
	return nil
}

// detach detaches a catalog's database. DuckDB refuses to detach the
// default database of the connection that asks, and a pooled connection
// keeps the one a query chose with USE, so the connection first uses the
// in-memory database.
func (e *Engine) detach(ctx context.Context, alias string) error {
	conn, err := e.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "USE memory.main"); err != nil {
		return err
	}
	_, err = conn.ExecContext(ctx, "DETACH "+quoteIdent(alias))
	return err
}

// loadCatalogs attaches every catalog file of the data directory and reads
// its metadata. On the very first start it creates main.default.
func (e *Engine) loadCatalogs(ctx context.Context) error {
	if !e.opts.Memory {
		files, err := filepath.Glob(filepath.Join(e.opts.DataDir, "catalogs", "*.duckdb"))
		if err != nil {
			return err
		}
		sort.Strings(files)
		for _, f := range files {
			name := strings.TrimSuffix(filepath.Base(f), ".duckdb")
			if err := e.loadCatalog(ctx, name, f); err != nil {
				return err
			}
		}
	}
	if err := e.refreshQuarantineView(ctx); err != nil {
		return err
	}
	first, err := e.ids.Setting(ctx, "initialised", func() []byte { return []byte("no") })
	if err != nil {
		return err
	}
	if string(first) == "no" {
		owner := e.opts.DevClientID
		if _, err := e.CreateCatalog(ctx, CatalogInfo{Name: "main", Comment: "Default catalog", Owner: owner}, true); err != nil {
			return err
		}
		if _, err := e.CreateSchema(ctx, SchemaInfo{CatalogName: "main", Name: "default", Comment: "Default schema", Owner: owner}, true); err != nil {
			return err
		}
		if err := e.ids.SetSetting(ctx, "initialised", []byte("yes")); err != nil {
			return err
		}
	}
	return nil
}

func (e *Engine) loadCatalog(ctx context.Context, name, path string) error {
	alias := duckAlias(name)
	if err := e.attach(ctx, path, alias); err != nil {
		return err
	}
	cs := &catalogState{alias: alias, path: path, schemas: map[string]*SchemaInfo{}, tables: map[string]*tableState{}}
	var meta string
	err := e.db.QueryRowContext(ctx, fmt.Sprintf("SELECT meta FROM %s.__zbemu.catalog LIMIT 1", quoteIdent(alias))).Scan(&meta)
	if err == sql.ErrNoRows {
		// A crash between creating the file and recording its metadata:
		// adopt the file with default metadata.
		cs.info = CatalogInfo{Name: name, ID: uuid.NewString(), CreatedAt: nowMillis(), UpdatedAt: nowMillis()}
	} else if err != nil {
		return fmt.Errorf("read catalog metadata of %s: %w", path, err)
	} else if err := json.Unmarshal([]byte(meta), &cs.info); err != nil {
		return fmt.Errorf("decode catalog metadata of %s: %w", path, err)
	}
	cs.info.DuckDB = alias
	cs.info.fill()
	rows, err := e.db.QueryContext(ctx, fmt.Sprintf("SELECT meta FROM %s.__zbemu.schemas", quoteIdent(alias)))
	if err != nil {
		return err
	}
	for rows.Next() {
		var m string
		if err := rows.Scan(&m); err != nil {
			rows.Close()
			return err
		}
		var si SchemaInfo
		if err := json.Unmarshal([]byte(m), &si); err != nil {
			rows.Close()
			return fmt.Errorf("decode schema metadata in %s: %w", path, err)
		}
		si.fill()
		cs.schemas[strings.ToLower(si.Name)] = &si
	}
	rows.Close()
	trows, err := e.db.QueryContext(ctx, fmt.Sprintf("SELECT meta FROM %s.__zbemu.tables", quoteIdent(alias)))
	if err != nil {
		return err
	}
	defer trows.Close()
	for trows.Next() {
		var m string
		if err := trows.Scan(&m); err != nil {
			return err
		}
		var tm tableMeta
		if err := json.Unmarshal([]byte(m), &tm); err != nil {
			return fmt.Errorf("decode table metadata in %s: %w", path, err)
		}
		tm.Catalog = cs.info.Name
		ts, err := newTableState(&tm, alias)
		if err != nil {
			return fmt.Errorf("table %s.%s.%s: %w", cs.info.Name, tm.Schema, tm.Name, err)
		}
		cs.tables[strings.ToLower(tm.Schema+"."+tm.Name)] = ts
	}
	e.mu.Lock()
	e.catalogs[strings.ToLower(cs.info.Name)] = cs
	e.mu.Unlock()
	return trows.Err()
}

// CreateCatalog creates a catalog backed by its own DuckDB file.
func (e *Engine) CreateCatalog(ctx context.Context, ci CatalogInfo, ifNotExists bool) (CatalogInfo, error) {
	if err := validName("catalog", ci.Name); err != nil {
		return CatalogInfo{}, err
	}
	lower := strings.ToLower(ci.Name)
	if lower == "system" || strings.HasSuffix(lower, "_db") && duckReserved[strings.TrimSuffix(lower, "_db")] || lower == "__zbemu" {
		return CatalogInfo{}, fmt.Errorf("%w: catalog name %q is reserved", ErrReservedName, ci.Name)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if c, ok := e.catalogs[lower]; ok {
		if ifNotExists {
			return c.info, nil
		}
		return CatalogInfo{}, fmt.Errorf("%w: catalog %q already exists", ErrAlreadyExists, ci.Name)
	}
	now := nowMillis()
	ci.ID, ci.CreatedAt, ci.UpdatedAt = uuid.NewString(), now, now
	ci.fill()
	alias := duckAlias(ci.Name)
	ci.DuckDB = alias
	path := e.catalogPath(ci.Name)
	if err := e.attach(ctx, path, alias); err != nil {
		return CatalogInfo{}, err
	}
	meta, _ := json.Marshal(ci)
	if _, err := e.db.ExecContext(ctx, fmt.Sprintf("INSERT INTO %s.__zbemu.catalog VALUES (?)", quoteIdent(alias)), string(meta)); err != nil {
		return CatalogInfo{}, fmt.Errorf("record catalog: %w", err)
	}
	e.catalogs[lower] = &catalogState{info: ci, alias: alias, path: path, schemas: map[string]*SchemaInfo{}, tables: map[string]*tableState{}}
	if err := e.refreshQuarantineView(ctx); err != nil {
		return CatalogInfo{}, err
	}
	return ci, nil
}

// DropCatalog removes a catalog and its file. Without cascade the catalog
// must have no schemas.
func (e *Engine) DropCatalog(ctx context.Context, name string, ifExists, cascade bool) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	c, ok := e.catalogs[strings.ToLower(name)]
	if !ok {
		if ifExists {
			return nil
		}
		return fmt.Errorf("%w: Catalog '%s' does not exist", ErrCatalogNotFound, name)
	}
	if len(c.schemas) > 0 && !cascade {
		return fmt.Errorf("%w: catalog %q is not empty (it has %d schemas); use DROP CATALOG %s CASCADE", ErrNotEmpty, name, len(c.schemas), name)
	}
	e.mat.forgetCatalog(c.alias)
	if err := e.detach(ctx, c.alias); err != nil {
		return fmt.Errorf("detach catalog %s: %w", name, err)
	}
	if c.path != ":memory:" {
		for _, p := range []string{c.path, c.path + ".wal"} {
			if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
				return fmt.Errorf("remove %s: %w", p, err)
			}
		}
	}
	delete(e.catalogs, strings.ToLower(name))
	if err := e.refreshQuarantineView(ctx); err != nil {
		return err
	}
	// A catalog created later under the same name starts without grants.
	return e.ids.DropGrants(ctx, c.info.Name)
}

// ListCatalogs returns the catalogs sorted by name.
func (e *Engine) ListCatalogs(ctx context.Context) []CatalogInfo {
	e.mu.RLock()
	defer e.mu.RUnlock()
	out := make([]CatalogInfo, 0, len(e.catalogs))
	for _, c := range e.catalogs {
		out = append(out, c.info)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// GetCatalog returns one catalog.
func (e *Engine) GetCatalog(ctx context.Context, name string) (CatalogInfo, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	c, err := e.catalogLocked(name)
	if err != nil {
		return CatalogInfo{}, err
	}
	return c.info, nil
}

func (e *Engine) catalogLocked(name string) (*catalogState, error) {
	c, ok := e.catalogs[strings.ToLower(name)]
	if !ok {
		return nil, fmt.Errorf("%w: Catalog '%s' does not exist", ErrCatalogNotFound, name)
	}
	return c, nil
}

func (e *Engine) schemaLocked(catalog, schema string) (*catalogState, *SchemaInfo, error) {
	c, err := e.catalogLocked(catalog)
	if err != nil {
		return nil, nil, err
	}
	s, ok := c.schemas[strings.ToLower(schema)]
	if !ok {
		return nil, nil, fmt.Errorf("%w: Schema '%s.%s' does not exist", ErrSchemaNotFound, catalog, schema)
	}
	return c, s, nil
}

// CreateSchema creates a schema in a catalog.
func (e *Engine) CreateSchema(ctx context.Context, si SchemaInfo, ifNotExists bool) (SchemaInfo, error) {
	if err := validName("schema", si.Name); err != nil {
		return SchemaInfo{}, err
	}
	if strings.EqualFold(si.Name, "__zbemu") || strings.EqualFold(si.Name, "information_schema") {
		return SchemaInfo{}, fmt.Errorf("%w: schema name %q is reserved", ErrReservedName, si.Name)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	c, err := e.catalogLocked(si.CatalogName)
	if err != nil {
		return SchemaInfo{}, err
	}
	if s, ok := c.schemas[strings.ToLower(si.Name)]; ok {
		if ifNotExists {
			return *s, nil
		}
		return SchemaInfo{}, fmt.Errorf("%w: Schema '%s.%s' already exists", ErrAlreadyExists, si.CatalogName, si.Name)
	}
	now := nowMillis()
	si.CatalogName = c.info.Name
	si.FullName = c.info.Name + "." + si.Name
	si.ID, si.CreatedAt, si.UpdatedAt = uuid.NewString(), now, now
	si.fill()
	meta, _ := json.Marshal(si)
	err = e.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("CREATE SCHEMA IF NOT EXISTS %s.%s", quoteIdent(c.alias), quoteIdent(strings.ToLower(si.Name)))); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, fmt.Sprintf("INSERT INTO %s.__zbemu.schemas VALUES (?, ?)", quoteIdent(c.alias)), strings.ToLower(si.Name), string(meta))
		return err
	})
	if err != nil {
		return SchemaInfo{}, fmt.Errorf("create schema %s: %w", si.FullName, err)
	}
	c.schemas[strings.ToLower(si.Name)] = &si
	return si, nil
}

// DropSchema removes a schema; without cascade it must have no tables.
func (e *Engine) DropSchema(ctx context.Context, catalog, schema string, ifExists, cascade bool) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	c, s, err := e.schemaLocked(catalog, schema)
	if err != nil {
		if ifExists && errors.Is(err, ErrSchemaNotFound) {
			return nil
		}
		return err
	}
	prefix := strings.ToLower(s.Name) + "."
	var tables []string
	for k := range c.tables {
		if strings.HasPrefix(k, prefix) {
			tables = append(tables, k)
		}
	}
	if len(tables) > 0 && !cascade {
		return fmt.Errorf("%w: schema '%s' is not empty (it has %d tables); use DROP SCHEMA %s CASCADE", ErrNotEmpty, s.FullName, len(tables), s.FullName)
	}
	for _, k := range tables {
		e.mat.forgetTable(c.tables[k])
	}
	err = e.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("DROP SCHEMA %s.%s CASCADE", quoteIdent(c.alias), quoteIdent(strings.ToLower(s.Name)))); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("DELETE FROM %s.__zbemu.tables WHERE schema_name = ?", quoteIdent(c.alias)), strings.ToLower(s.Name)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, fmt.Sprintf("DELETE FROM %s.__zbemu.schemas WHERE name = ?", quoteIdent(c.alias)), strings.ToLower(s.Name))
		return err
	})
	if err != nil {
		return fmt.Errorf("drop schema %s: %w", s.FullName, err)
	}
	for _, k := range tables {
		delete(c.tables, k)
	}
	delete(c.schemas, strings.ToLower(s.Name))
	return e.ids.DropGrants(ctx, s.FullName)
}

// ListSchemas returns the schemas of a catalog sorted by name.
func (e *Engine) ListSchemas(ctx context.Context, catalog string) ([]SchemaInfo, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	c, err := e.catalogLocked(catalog)
	if err != nil {
		return nil, err
	}
	out := make([]SchemaInfo, 0, len(c.schemas))
	for _, s := range c.schemas {
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// GetSchema returns one schema by catalog and schema name.
func (e *Engine) GetSchema(ctx context.Context, catalog, schema string) (SchemaInfo, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	_, s, err := e.schemaLocked(catalog, schema)
	if err != nil {
		return SchemaInfo{}, err
	}
	return *s, nil
}

// MetadataUpdate is what the Unity Catalog PATCH of a catalog or schema
// changes; nil fields stay as they are. Properties replace the object's
// properties as a whole: a client sends the full map it wants.
type MetadataUpdate struct {
	Comment    *string
	Owner      *string
	Properties *map[string]string
}

// apply applies u to an object's fields; the owner must be a principal
// (named by client id or display name) and is stored by client id.
func (e *Engine) apply(ctx context.Context, u MetadataUpdate, by string, comment, owner *string, props *map[string]string, updatedAt *int64, updatedBy *string) error {
	if u.Owner != nil {
		p, err := e.ids.LookupPrincipal(ctx, *u.Owner)
		if err != nil {
			return fmt.Errorf("owner: %w", err)
		}
		*owner = p.ClientID
	}
	if u.Comment != nil {
		*comment = *u.Comment
	}
	if u.Properties != nil {
		*props = copyProps(*u.Properties)
	}
	*updatedAt, *updatedBy = nowMillis(), by
	return nil
}

// UpdateCatalog applies u to a catalog on behalf of principal by (the
// caller has checked that by may).
func (e *Engine) UpdateCatalog(ctx context.Context, name string, u MetadataUpdate, by string) (CatalogInfo, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c, err := e.catalogLocked(name)
	if err != nil {
		return CatalogInfo{}, err
	}
	ci := c.info
	if err := e.apply(ctx, u, by, &ci.Comment, &ci.Owner, &ci.Properties, &ci.UpdatedAt, &ci.UpdatedBy); err != nil {
		return CatalogInfo{}, err
	}
	meta, _ := json.Marshal(ci)
	if _, err := e.db.ExecContext(ctx, fmt.Sprintf("UPDATE %s.__zbemu.catalog SET meta = ?", quoteIdent(c.alias)), string(meta)); err != nil {
		return CatalogInfo{}, fmt.Errorf("update catalog %s: %w", name, err)
	}
	c.info = ci
	return ci, nil
}

// UpdateSchema applies u to a schema on behalf of principal by.
func (e *Engine) UpdateSchema(ctx context.Context, catalog, schema string, u MetadataUpdate, by string) (SchemaInfo, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c, s, err := e.schemaLocked(catalog, schema)
	if err != nil {
		return SchemaInfo{}, err
	}
	si := *s
	if err := e.apply(ctx, u, by, &si.Comment, &si.Owner, &si.Properties, &si.UpdatedAt, &si.UpdatedBy); err != nil {
		return SchemaInfo{}, err
	}
	meta, _ := json.Marshal(si)
	if _, err := e.db.ExecContext(ctx, fmt.Sprintf("UPDATE %s.__zbemu.schemas SET meta = ? WHERE name = ?", quoteIdent(c.alias)), string(meta), strings.ToLower(si.Name)); err != nil {
		return SchemaInfo{}, fmt.Errorf("update schema %s: %w", si.FullName, err)
	}
	*s = si
	return si, nil
}

// inTx runs f in one DuckDB transaction. DuckDB DDL is transactional, so
// a table and its metadata row appear or vanish together.
func (e *Engine) inTx(ctx context.Context, f func(tx *sql.Tx) error) error {
	tx, err := e.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := f(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	e.dataWritten()
	return nil
}
