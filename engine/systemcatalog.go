package engine

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/zbemu/zbemu/schema"
)

// The system catalog in the Unity Catalog shapes, for the REST API: a
// catalog of type SYSTEM_CATALOG owned by "System user", as Databricks
// lists it (https://docs.databricks.com/aws/en/admin/system-tables/), with
// the schemas and tables of systemTableDefs. It exists while system tables
// are on. Its metadata never changes; created_at is when the workspace was
// first opened.

// systemOwner is the owner Databricks shows for the system catalog.
const systemOwner = "System user"

// SystemCatalog returns the system catalog, and false when system tables
// are off.
func (e *Engine) SystemCatalog(ctx context.Context) (CatalogInfo, bool, error) {
	if e.opts.SystemTables == nil {
		return CatalogInfo{}, false, nil
	}
	created, err := e.workspaceCreated(ctx)
	if err != nil {
		return CatalogInfo{}, false, err
	}
	return CatalogInfo{Name: systemCatalog, FullName: systemCatalog, CatalogType: systemCatalogType, Owner: systemOwner,
		Comment: "System catalog (auto-created)", ID: systemID(systemCatalog), CreatedAt: created, CreatedBy: systemOwner,
		UpdatedAt: created, UpdatedBy: systemOwner}, true, nil
}

// workspaceCreated is when the workspace was first opened (milliseconds),
// kept as a workspace setting.
func (e *Engine) workspaceCreated(ctx context.Context) (int64, error) {
	b, err := e.ids.Setting(ctx, "workspace-created", func() []byte { return []byte(strconv.FormatInt(nowMillis(), 10)) })
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(string(b), 10, 64)
}

// systemID is a stable id for a system securable.
func systemID(name string) string {
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte("zbemu:"+name)).String()
}

// SystemSchemas returns the schemas of the system catalog (none when
// system tables are off).
func (e *Engine) SystemSchemas(ctx context.Context) ([]SchemaInfo, error) {
	c, ok, err := e.SystemCatalog(ctx)
	if !ok || err != nil {
		return nil, err
	}
	var out []SchemaInfo
	for _, n := range e.systemSchemas() {
		out = append(out, SchemaInfo{Name: n, CatalogName: systemCatalog, FullName: systemCatalog + "." + n, Owner: systemOwner,
			ID: systemID(systemCatalog + "." + n), CatalogType: systemCatalogType, CreatedAt: c.CreatedAt, CreatedBy: systemOwner,
			UpdatedAt: c.CreatedAt, UpdatedBy: systemOwner})
	}
	return out, nil
}

// SystemTables returns the tables of one schema of the system catalog.
func (e *Engine) SystemTables(ctx context.Context, schemaName string) ([]TableInfo, error) {
	c, ok, err := e.SystemCatalog(ctx)
	if !ok || err != nil {
		return nil, err
	}
	var out []TableInfo
	for _, d := range systemTableDefs {
		if !strings.EqualFold(d.Schema, schemaName) {
			continue
		}
		ti := TableInfo{Name: d.Name, CatalogName: systemCatalog, SchemaName: d.Schema, FullName: systemCatalog + "." + d.Key(),
			TableType: "MANAGED", DataSourceFormat: "DELTA", Owner: systemOwner, CreatedAt: c.CreatedAt, CreatedBy: systemOwner,
			UpdatedAt: c.CreatedAt, UpdatedBy: systemOwner, TableID: systemID(systemCatalog + "." + d.Key()),
			StorageLocation: "zbemu://" + systemCatalog + "." + d.Key()}
		for i, sc := range d.Columns {
			t, err := schema.Parse(sc.Type)
			if err != nil {
				return nil, fmt.Errorf("system table %s column %s: %w", d.Key(), sc.Name, err)
			}
			ti.Columns = append(ti.Columns, newColumnInfo(schema.Column{Name: sc.Name, Type: t, Nullable: true}, i))
		}
		out = append(out, ti)
	}
	return out, nil
}

// SystemTable returns one table of the system catalog by its full name.
func (e *Engine) SystemTable(ctx context.Context, full string) (TableInfo, error) {
	parts := strings.Split(strings.ToLower(full), ".")
	if len(parts) == 3 && parts[0] == systemCatalog {
		list, err := e.SystemTables(ctx, parts[1])
		if err != nil {
			return TableInfo{}, err
		}
		for _, t := range list {
			if t.Name == parts[2] {
				return t, nil
			}
		}
	}
	return TableInfo{}, systemTableNotFound(full)
}

// systemTableNotFound is the error for a name in the system catalog that
// names no system table (not tableNotFound, whose advice to create the
// table does not apply there).
func systemTableNotFound(full string) error {
	return fmt.Errorf("%w: [TABLE_OR_VIEW_NOT_FOUND] the system table %s does not exist (SHOW TABLES IN system.lakeflow lists them)", ErrTableNotFound, full)
}

// namespaceExists checks that a catalog (schemaName "") or a schema
// exists, in the system catalog too: USE CATALOG system and USE
// system.lakeflow work as in Databricks.
func (e *Engine) namespaceExists(ctx context.Context, catalog, schemaName string) error {
	if strings.EqualFold(catalog, systemCatalog) && e.opts.SystemTables != nil {
		if schemaName == "" || slices.Contains(e.systemSchemas(), strings.ToLower(schemaName)) {
			return nil
		}
		return fmt.Errorf("%w: Schema '%s.%s' does not exist", ErrSchemaNotFound, catalog, schemaName)
	}
	if schemaName == "" {
		_, err := e.GetCatalog(ctx, catalog)
		return err
	}
	_, err := e.GetSchema(ctx, catalog, schemaName)
	return err
}
