package engine

import (
	"context"
	"database/sql/driver"
	"fmt"
	"slices"
	"strings"

	"github.com/zbemu/zbemu/engine/rowcheck"
	"github.com/zbemu/zbemu/schema"
)

// DROP COLUMN and RENAME COLUMN. Delta allows them only on tables with
// column mapping, 'delta.columnMapping.mode' = 'name'
// (https://docs.databricks.com/aws/en/delta/column-mapping), and so does
// zbemu. Each is a new table version: DuckDB's table, the metadata, the
// compiled decoders and the published JSON Schema and .proto follow at
// once. Streams opened before keep their schema for other changes, but not
// for these: their next request is refused with an error that says to open
// a new stream (the SDK's record would name columns that are gone). Rows
// acknowledged before the change and not yet stored are stored by column
// id (storedColumn.ID), so none is lost or lands in another column.

// PropColumnMappingMode is Delta's column mapping mode property.
const PropColumnMappingMode = "delta.columnMapping.mode"

// columnID is the id of column i of m: its ID, or for a table that never
// dropped or renamed a column, its position from 1.
func columnID(m *tableMeta, i int) int {
	if id := m.Columns[i].ID; id != 0 {
		return id
	}
	return i + 1
}

// numberColumns gives every column its id (the first DROP or RENAME).
func numberColumns(m *tableMeta) {
	for i := range m.Columns {
		m.Columns[i].ID = columnID(m, i)
	}
}

// numberNewColumns gives columns added to a numbered table the next ids.
func numberNewColumns(m *tableMeta) {
	top := 0
	for _, c := range m.Columns {
		top = max(top, c.ID)
	}
	if top == 0 {
		return // positions are the ids
	}
	for i := range m.Columns {
		if m.Columns[i].ID == 0 {
			top++
			m.Columns[i].ID = top
		}
	}
}

// otherLayout returns from if its columns are laid out unlike to's.
func otherLayout(from, to *tableVersion) *tableVersion {
	if from == to || from.meta.Layout == to.meta.Layout {
		return nil
	}
	return from
}

// remapRows returns an appendRow that moves the values of rows decoded
// with from to the columns of to, by column id (NULL for columns from
// does not have), then calls next.
func remapRows(from, to *tableVersion, next func([]any) error) func([]any) error {
	idx := make([]int, len(to.cols))
	for i := range to.cols {
		idx[i] = -1
		for j := range from.cols {
			if columnID(from.meta, j) == columnID(to.meta, i) {
				idx[i] = j
			}
		}
	}
	old := make([]driver.Value, len(from.cols))
	row := make([]any, len(to.cols))
	return func(r []any) error {
		expandRow(old, r)
		for i, j := range idx {
			row[i] = nil
			if j >= 0 {
				row[i] = old[j]
			}
		}
		return next(row)
	}
}

// columnMapping refuses command unless the table has column mapping by name.
func columnMapping(m *tableMeta, errClass, command string) error {
	if strings.EqualFold(strings.TrimSpace(m.Properties[PropColumnMappingMode]), "name") {
		return nil
	}
	return fmt.Errorf("%w: [%s] %s is not supported for your Delta table. Please upgrade your table to reader version 2 and writer version 5 "+
		"and change the column mapping mode to 'name' mapping. You can use the following command:\n\nALTER TABLE %s SET TBLPROPERTIES (\n"+
		"   'delta.columnMapping.mode' = 'name',\n   'delta.minReaderVersion' = '2',\n   'delta.minWriterVersion' = '5')",
		ErrInvalidArgument, errClass, command, m.fullName())
}

// constraintsOn lists the CHECK constraints of m that read column name:
// those that no longer compile without it.
func constraintsOn(m *tableMeta, name string) []string {
	var rest []schema.Column
	for _, c := range m.Columns {
		if t, err := schema.Parse(c.Type); err == nil && !strings.EqualFold(c.Name, name) {
			rest = append(rest, schema.Column{Name: c.Name, Type: t, Nullable: c.Nullable})
		}
	}
	var out []string
	for n, expr := range constraintsOf(m) {
		if _, err := rowcheck.Compile(rest, n, expr, rowcheck.Options{}); err != nil {
			out = append(out, n+" ("+expr+")")
		}
	}
	slices.Sort(out)
	return out
}

// dependentColumn refuses to drop or rename a column that a CHECK
// constraint or the partitioning reads, as Delta does.
func dependentColumn(m *tableMeta, name, verb string) error {
	if cs := constraintsOn(m, name); len(cs) > 0 {
		return fmt.Errorf("%w: [DELTA_CONSTRAINT_DEPENDENT_COLUMN_CHANGE] Cannot %s column %s because this column is referenced by the following check constraint(s):\n%s",
			ErrInvalidArgument, verb, name, strings.Join(cs, "\n"))
	}
	for _, p := range m.PartitionColumns {
		if strings.EqualFold(p, name) && verb == "drop" {
			return fmt.Errorf("%w: cannot drop partition column %s of table %s", ErrInvalidArgument, name, m.fullName())
		}
	}
	for _, p := range m.ClusterColumns {
		if strings.EqualFold(p, name) && verb == "drop" {
			return fmt.Errorf("%w: cannot drop clustering column %s of table %s; change CLUSTER BY first", ErrInvalidArgument, name, m.fullName())
		}
	}
	return nil
}

// DropColumns drops columns (ALTER TABLE ... DROP COLUMN[S]); with
// ifExists, columns that do not exist are skipped.
func (e *Engine) DropColumns(ctx context.Context, full string, columns []string, ifExists bool, statement string) (TableInfo, error) {
	// Rows acknowledged before the change should be stored before it, so
	// that a restart never decodes them again under the new columns.
	if err := e.syncAll(ctx); err != nil {
		return TableInfo{}, err
	}
	return e.dropColumns(ctx, full, columns, ifExists, statement)
}

// dropColumns is DropColumns without waiting for the backlog first (rows
// acknowledged meanwhile are stored by column id all the same).
func (e *Engine) dropColumns(ctx context.Context, full string, columns []string, ifExists bool, statement string) (TableInfo, error) {
	return e.alterTable(ctx, full, "DROP COLUMNS", statement, func(m *tableMeta) ([]string, map[string]any, error) {
		if err := columnMapping(m, "DELTA_UNSUPPORTED_DROP_COLUMN", "DROP COLUMN"); err != nil {
			return nil, nil, err
		}
		numberColumns(m)
		var ddl, dropped []string
		for _, name := range columns {
			i, err := findColumn(m, name)
			if err != nil {
				if ifExists {
					continue
				}
				return nil, nil, err
			}
			c := m.Columns[i]
			if err := dependentColumn(m, c.Name, "drop"); err != nil {
				return nil, nil, err
			}
			if len(m.Columns) == 1 {
				return nil, nil, fmt.Errorf("%w: cannot drop column %s: it is the last column of table %s", ErrInvalidArgument, c.Name, full)
			}
			m.Columns = slices.Delete(m.Columns, i, i+1)
			if strings.EqualFold(m.Properties[PropRescueColumn], c.Name) {
				delete(m.Properties, PropRescueColumn)
			}
			ddl = append(ddl, fmt.Sprintf("ALTER TABLE %s DROP COLUMN %s", duckTable(m), quoteIdent(strings.ToLower(c.Name))))
			dropped = append(dropped, c.Name)
		}
		if len(dropped) == 0 {
			return nil, nil, errNoChange
		}
		m.Layout++
		return ddl, map[string]any{"columns": dropped}, nil
	})
}

// RenameColumn renames a column (ALTER TABLE ... RENAME COLUMN a TO b).
func (e *Engine) RenameColumn(ctx context.Context, full, from, to, statement string) (TableInfo, error) {
	if err := e.syncAll(ctx); err != nil {
		return TableInfo{}, err
	}
	return e.renameColumn(ctx, full, from, to, statement)
}

// renameColumn is RenameColumn without waiting for the backlog first.
func (e *Engine) renameColumn(ctx context.Context, full, from, to, statement string) (TableInfo, error) {
	return e.alterTable(ctx, full, "RENAME COLUMN", statement, func(m *tableMeta) ([]string, map[string]any, error) {
		if err := columnMapping(m, "DELTA_UNSUPPORTED_RENAME_COLUMN", "Column rename"); err != nil {
			return nil, nil, err
		}
		i, err := findColumn(m, from)
		if err != nil {
			return nil, nil, err
		}
		if err := validName("column", to); err != nil {
			return nil, nil, err
		}
		c := &m.Columns[i]
		if c.Name == to {
			return nil, nil, errNoChange
		}
		if j, err := findColumn(m, to); err == nil && j != i {
			return nil, nil, fmt.Errorf("%w: cannot rename column %s to %s: table %s already has a column %s", ErrAlreadyExists, c.Name, to, full, m.Columns[j].Name)
		}
		if err := dependentColumn(m, c.Name, "rename"); err != nil {
			return nil, nil, err
		}
		numberColumns(m)
		old := c.Name
		m.PartitionColumns, m.ClusterColumns = slices.Clone(m.PartitionColumns), slices.Clone(m.ClusterColumns)
		for _, list := range [][]string{m.PartitionColumns, m.ClusterColumns} {
			for k := range list {
				if strings.EqualFold(list[k], old) {
					list[k] = to
				}
			}
		}
		if strings.EqualFold(m.Properties[PropRescueColumn], old) {
			m.Properties[PropRescueColumn] = to
		}
		c.Name = to
		m.Layout++
		var ddl []string
		if !strings.EqualFold(old, to) {
			ddl = append(ddl, fmt.Sprintf("ALTER TABLE %s RENAME COLUMN %s TO %s", duckTable(m), quoteIdent(strings.ToLower(old)), quoteIdent(strings.ToLower(to))))
		}
		return ddl, map[string]any{"oldColumnPath": old, "newColumnPath": to}, nil
	})
}
