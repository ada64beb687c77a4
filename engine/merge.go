package engine

import (
	"context"
	"fmt"
	"strconv"
)

// mergeColumns are the result columns of MERGE INTO in Databricks
// (https://docs.databricks.com/aws/en/sql/language-manual/delta-merge-into):
// all rows touched, then by action.
var mergeColumns = []ResultColumn{
	{Name: "num_affected_rows", TypeName: "LONG", TypeText: "BIGINT"},
	{Name: "num_updated_rows", TypeName: "LONG", TypeText: "BIGINT"},
	{Name: "num_deleted_rows", TypeName: "LONG", TypeText: "BIGINT"},
	{Name: "num_inserted_rows", TypeName: "LONG", TypeText: "BIGINT"},
}

// merge runs a MERGE INTO statement (translated and sealed) and counts
// what it did. DuckDB's MERGE reports one count, so the statement runs
// with RETURNING merge_action, which names each row's action
// (https://duckdb.org/docs/stable/sql/statements/merge_into), and the
// actions are counted as the rows come back. The count it returns is of
// existing rows changed (updated or deleted): a MERGE that only inserts
// appends, as far as streaming readers of the table are concerned.
func merge(ctx context.Context, conn execQuerier, translated string, args []any) (*Result, int64, error) {
	rows, err := conn.QueryContext(ctx, translated+" RETURNING merge_action", args...)
	if err != nil {
		return nil, 0, sqlError(err)
	}
	defer rows.Close()
	var updated, deleted, inserted int64
	for rows.Next() {
		var action string
		if err := rows.Scan(&action); err != nil {
			return nil, 0, sqlError(err)
		}
		switch action {
		case "UPDATE":
			updated++
		case "DELETE":
			deleted++
		case "INSERT":
			inserted++
		default:
			return nil, 0, fmt.Errorf("MERGE INTO: DuckDB returned the unknown action %q", action)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, 0, sqlError(err)
	}
	cell := func(n int64) *string { return strp(strconv.FormatInt(n, 10)) }
	return &Result{Columns: mergeColumns, Rows: [][]*string{{cell(updated + deleted + inserted), cell(updated), cell(deleted), cell(inserted)}}}, updated + deleted, nil
}
