package engine

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/zbemu/zbemu/engine/delta"
	"github.com/zbemu/zbemu/engine/dialect"
)

// restoreTable runs RESTORE TABLE t TO VERSION|TIMESTAMP AS OF: the rows
// of t become those of the snapshot, through the DML path (one
// transaction that deletes every row and inserts the snapshot's, counted
// as a change for the pipelines that stream from t), so everything that
// watches the table's writes sees it. The answer has Databricks' restore
// metrics (https://docs.databricks.com/aws/en/sql/language-manual/delta-restore),
// computed from the files of the current and the restored version.
// Columns the table no longer has are left out; columns it gained since
// are null.
func (e *Engine) restoreTable(ctx context.Context, req *StatementRequest, s *dialect.RestoreTable) (*Result, error) {
	full := qualify(req, s.Name)
	info, err := e.GetTable(ctx, full)
	if err != nil {
		return nil, err
	}
	if info.TableType == "VIEW" || info.TableType == TableTypeMaterializedView {
		return nil, fmt.Errorf("%w: RESTORE TABLE needs a table; %s is a %s", ErrInvalidArgument, info.FullName, strings.ToLower(info.TableType))
	}
	_, t, err := e.resolveTable(info.FullName)
	if err != nil {
		return nil, err
	}
	m := t.cur.Load().meta
	if m.PipelineID != "" {
		return nil, pipelineTableError(m, "RESTORE")
	}
	dir, err := e.deltaTable(ctx, info)
	if err != nil {
		return nil, err
	}
	if s.To.Multiple {
		return nil, withCondition(fmt.Errorf("%w: Cannot specify time travel in multiple formats.", ErrInvalidArgument),
			"DELTA_UNSUPPORTED_TIME_TRAVEL_MULTIPLE_FORMATS", "42613")
	}
	v, err := e.resolveVersion(ctx, dir, s.To.Version, s.To.Timestamp, s.To.Calls, true)
	if err != nil {
		return nil, err
	}
	target, err := delta.Load(dir, v)
	if err != nil {
		return nil, deltaError(err, info.FullName)
	}
	current, err := delta.Load(dir, -1)
	if err != nil {
		return nil, deltaError(err, info.FullName)
	}
	rel, err := e.snapshotRelation(ctx, dir, target)
	if err != nil {
		return nil, err
	}
	cols, err := target.Columns()
	if err != nil {
		return nil, deltaError(err, info.FullName)
	}
	var names []string
	for _, c := range cols {
		for _, tc := range info.Columns {
			if strings.EqualFold(tc.Name, c.Name) {
				names = append(names, quoteIdent(c.Name))
			}
		}
	}
	conn, err := e.sessionConn(ctx, req)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	table := duckTable(m)
	_, err = e.execDML(ctx, conn, "DELETE", []*tableMeta{m}, func(ctx context.Context, x execQuerier) (int64, error) {
		r, err := x.ExecContext(ctx, "DELETE FROM "+table)
		if err != nil {
			return 0, sqlError(err)
		}
		deleted, _ := r.RowsAffected()
		if len(names) == 0 {
			return deleted, nil
		}
		r, err = x.ExecContext(ctx, "INSERT INTO "+table+" BY NAME SELECT "+strings.Join(names, ", ")+" FROM "+rel+" AS restored")
		if err != nil {
			return 0, sqlError(err)
		}
		inserted, _ := r.RowsAffected()
		return deleted + inserted + 1, nil // +1: a restore changes the table even when both are empty
	})
	if err != nil {
		return nil, err
	}
	return restoreMetrics(current, target), nil
}

// restoreMetrics compares the files of the current and the restored
// version as Delta's RESTORE reports them.
func restoreMetrics(current, target *delta.Snapshot) *Result {
	cur := map[string]int64{}
	for _, f := range current.Files {
		cur[f.Path] = f.Size
	}
	var size, removed, removedSize, restored, restoredSize int64
	kept := map[string]bool{}
	for _, f := range target.Files {
		size += f.Size
		if _, ok := cur[f.Path]; ok {
			kept[f.Path] = true
		} else {
			restored++
			restoredSize += f.Size
		}
	}
	for p, sz := range cur {
		if !kept[p] {
			removed++
			removedSize += sz
		}
	}
	res := &Result{}
	for _, kv := range []struct {
		name string
		v    int64
	}{{"table_size_after_restore", size}, {"num_of_files_after_restore", int64(len(target.Files))},
		{"num_removed_files", removed}, {"num_restored_files", restored},
		{"removed_files_size", removedSize}, {"restored_files_size", restoredSize}} {
		res.Columns = append(res.Columns, ResultColumn{Name: kv.name, TypeName: "LONG", TypeText: "BIGINT"})
		if len(res.Rows) == 0 {
			res.Rows = [][]*string{{}}
		}
		res.Rows[0] = append(res.Rows[0], strp(strconv.FormatInt(kv.v, 10)))
	}
	return res
}
