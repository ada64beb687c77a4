package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/zbemu/zbemu/engine/dialect"
)

// createTableAsSelect runs CREATE [OR REPLACE] TABLE [IF NOT EXISTS] name
// [(columns)] [clauses] AS query (CTAS,
// https://docs.databricks.com/aws/en/sql/language-manual/sql-ref-syntax-ddl-create-table-using).
// The query runs sealed on the session's connection like any query; the
// new table is an ordinary managed table whose columns take the query's
// result types mapped back to Databricks types (as a query result reports
// them), nullable, named by the query or by the column list. Its first
// history entry is CREATE TABLE AS SELECT (CREATE OR REPLACE TABLE AS
// SELECT for OR REPLACE). The result has Databricks' num_affected_rows and
// num_inserted_rows.
//
// The table is created, then filled: if the query fails at that point the
// table is dropped again. OR REPLACE of a table the query itself reads
// first copies the query's rows to a DuckDB temporary table, so
// CREATE OR REPLACE TABLE t AS SELECT ... FROM t works as in Databricks.
func (e *Engine) createTableAsSelect(ctx context.Context, req *StatementRequest, s *dialect.CreateTable, text string) (*Result, error) {
	full := qualify(req, s.Name)
	parts := strings.Split(full, ".")
	_, getErr := e.GetTable(ctx, full)
	exists := getErr == nil
	if exists && s.IfNotExists {
		return &Result{}, nil
	}
	if exists && !s.OrReplace {
		return nil, fmt.Errorf("%w: Table '%s' already exists", ErrAlreadyExists, full)
	}
	args, translated, err := bindParams(s.AsSelect, req.Params)
	if err != nil {
		return nil, err
	}
	conn, err := e.sessionConn(ctx, req)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if err := e.checkSealed(ctx, conn, s.AsQuery, translated, args, req.timeTravels > 0); err != nil {
		return nil, err
	}
	cols, err := queryColumns(ctx, conn, translated, args, s.Columns)
	if err != nil {
		return nil, err
	}
	source := "(" + translated + ")"
	if exists {
		tmp := "temp.main." + quoteIdent("__zbemu_ctas_"+strings.ReplaceAll(uuid.NewString(), "-", ""))
		if _, err := conn.ExecContext(ctx, "CREATE TEMPORARY TABLE "+tmp+" AS "+translated, args...); err != nil {
			return nil, sqlError(err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), "DROP TABLE IF EXISTS "+tmp)
		source, args = tmp, nil
		if err := e.DropTable(ctx, full, true); err != nil {
			return nil, err
		}
	}
	op := "CREATE TABLE AS SELECT"
	if s.OrReplace {
		op = "CREATE OR REPLACE TABLE AS SELECT"
	}
	info, err := e.CreateTable(ctx, TableSpec{Catalog: parts[0], Schema: parts[1], Name: parts[2], Columns: cols,
		Comment: s.Comment, Properties: s.Properties, PartitionColumns: s.PartitionedBy, ClusterColumns: s.ClusterBy,
		Owner: req.Identity.ClientID, Statement: text, Operation: op}, false)
	if err != nil {
		return nil, err
	}
	r, err := conn.ExecContext(ctx, "INSERT INTO "+info.DuckDB+" SELECT * FROM "+source, args...)
	if err != nil {
		if derr := e.DropTable(context.WithoutCancel(ctx), full, true); derr != nil {
			return nil, errors.Join(sqlError(err), fmt.Errorf("drop the half-created table %s: %w", full, derr))
		}
		return nil, sqlError(err)
	}
	n, _ := r.RowsAffected()
	cnt := strp(strconv.FormatInt(n, 10))
	return &Result{Columns: []ResultColumn{{Name: "num_affected_rows", TypeName: "LONG", TypeText: "BIGINT"},
		{Name: "num_inserted_rows", TypeName: "LONG", TypeText: "BIGINT"}}, Rows: [][]*string{{cnt, cnt}}}, nil
}

// queryColumns returns the columns a CTAS creates for a query: its result
// names and types, or the names (and types, comments, NOT NULL) of the
// statement's column list, which must have as many columns.
func queryColumns(ctx context.Context, conn *sql.Conn, translated string, args []any, defs []dialect.ColumnDef) ([]ColumnSpec, error) {
	rows, err := conn.QueryContext(ctx, "SELECT * FROM ("+translated+") LIMIT 0", args...)
	if err != nil {
		return nil, sqlError(err)
	}
	cts, err := rows.ColumnTypes()
	rows.Close()
	if err != nil {
		return nil, sqlError(err)
	}
	if len(defs) > 0 {
		if len(defs) != len(cts) {
			return nil, fmt.Errorf("%w: the column list names %d columns but the query returns %d", ErrInvalidArgument, len(defs), len(cts))
		}
		return columnSpecs(defs), nil
	}
	out := make([]ColumnSpec, len(cts))
	for i, ct := range cts {
		if err := validName("column", ct.Name()); err != nil {
			return nil, fmt.Errorf("%w (give the expression a name with AS, e.g. count(*) AS n)", err)
		}
		out[i] = ColumnSpec{Name: ct.Name(), TypeText: resultType(ct.DatabaseTypeName()).String()}
	}
	return out, nil
}
