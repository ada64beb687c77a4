package engine

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/zbemu/zbemu/engine/delta"
	"github.com/zbemu/zbemu/schema"
)

// writeFile writes the rows of query src (columns named by physical name)
// to a new Parquet file in folder part of the table with DuckDB's Parquet
// writer, and returns its add action with the file's statistics.
func (d *deltaMirror) writeFile(ctx context.Context, q execQuerier, v *tableVersion, lay deltaLayout, src, part string, values map[string]*string) (*delta.Add, error) {
	rel := "part-00000-" + uuid.NewString() + ".c000.snappy.parquet"
	if part != "" {
		rel = part + "/" + rel
	}
	path := filepath.Join(lay.dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	if _, err := q.ExecContext(ctx, fmt.Sprintf("COPY (%s) TO %s (FORMAT parquet)", src, quoteString(path))); err != nil {
		return nil, err
	}
	stats, err := fileStats(ctx, q, src, statColumns(v, lay))
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	return &delta.Add{Path: delta.AddPath(rel), PartitionValues: values, Size: fi.Size(), ModificationTime: fi.ModTime().UnixMilli(),
		DataChange: true, Stats: stats.JSON(), Tags: map[string]string{tagLayout: layoutTag(lay.meta.SchemaString)}}, nil
}

func layoutTag(schemaString string) string {
	h := fnv.New64a()
	h.Write([]byte(schemaString))
	return strconv.FormatUint(h.Sum64(), 16)
}

// statColumn is a data file column statistics are kept for.
type statColumn struct {
	phys string
	t    *schema.Type
}

func statColumns(v *tableVersion, lay deltaLayout) []statColumn {
	var out []statColumn
	for i, c := range v.cols {
		if !containsFold(lay.meta.PartitionColumns, c.Name) {
			out = append(out, statColumn{phys: lay.phys[i], t: c.Type})
		}
	}
	return out
}

// minMaxExprs renders a column's min and max as stats text, or "" where
// the protocol keeps none (booleans, binary, nested and VARIANT values).
// Strings are cut to 32 characters: a cut minimum is still a lower
// bound, a longer maximum is left out. Timestamps are kept to the
// millisecond, as Spark does: the minimum rounded down, the maximum up.
func minMaxExprs(col string, t *schema.Type) (string, string) {
	switch t.Kind {
	case schema.TinyInt, schema.SmallInt, schema.Int, schema.BigInt, schema.Float, schema.Double, schema.Decimal, schema.Date:
		return "CAST(min(" + col + ") AS VARCHAR)", "CAST(max(" + col + ") AS VARCHAR)"
	case schema.String:
		return "left(min(" + col + "), 32)", "CASE WHEN length(max(" + col + ")) <= 32 THEN max(" + col + ") END"
	case schema.Timestamp:
		return "strftime(min(" + col + "), '%Y-%m-%dT%H:%M:%S.%gZ')", "strftime(max(" + col + ") + INTERVAL 999 MICROSECONDS, '%Y-%m-%dT%H:%M:%S.%gZ')"
	case schema.TimestampNTZ:
		return "strftime(min(" + col + "), '%Y-%m-%dT%H:%M:%S.%g')", "strftime(max(" + col + ") + INTERVAL 999 MICROSECONDS, '%Y-%m-%dT%H:%M:%S.%g')"
	}
	return "", ""
}

// fileStats computes the add action statistics of the rows src selects:
// numRecords, and per column minValues, maxValues and nullCount
// (https://github.com/delta-io/delta/blob/master/PROTOCOL.md#per-file-statistics).
func fileStats(ctx context.Context, q execQuerier, src string, cols []statColumn) (delta.Stats, error) {
	exprs := []string{"count(*)"}
	type slot struct {
		col       statColumn
		min, max  int // result index, -1 for none
		nullCount int
	}
	var slots []slot
	for _, c := range cols {
		col := quoteIdent(c.phys)
		s := slot{col: c, min: -1, max: -1}
		if lo, hi := minMaxExprs(col, c.t); lo != "" {
			s.min, s.max = len(exprs), len(exprs)+1
			exprs = append(exprs, lo, hi)
		}
		s.nullCount = len(exprs)
		exprs = append(exprs, "count(*) - count("+col+")")
		slots = append(slots, s)
	}
	vals := make([]sql.NullString, len(exprs))
	ptrs := make([]any, len(vals))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := queryRow(ctx, q, "SELECT "+strings.Join(exprs, ", ")+" FROM ("+src+")").Scan(ptrs...); err != nil {
		return delta.Stats{}, err
	}
	n, _ := strconv.ParseInt(vals[0].String, 10, 64)
	st := delta.Stats{NumRecords: n, MinValues: map[string]any{}, MaxValues: map[string]any{}, NullCount: map[string]any{}}
	for _, s := range slots {
		nc, _ := strconv.ParseInt(vals[s.nullCount].String, 10, 64)
		st.NullCount[s.col.phys] = nc
		if s.min < 0 {
			continue
		}
		if v, ok := statValue(s.col.t, vals[s.min]); ok {
			st.MinValues[s.col.phys] = v
		}
		if v, ok := statValue(s.col.t, vals[s.max]); ok {
			st.MaxValues[s.col.phys] = v
		}
	}
	return st, nil
}

// statValue is a min or max as stats JSON: a number for numeric types
// (none for NaN and infinities, which bound nothing), else the text.
func statValue(t *schema.Type, v sql.NullString) (any, bool) {
	if !v.Valid {
		return nil, false
	}
	switch t.Kind {
	case schema.String, schema.Date, schema.Timestamp, schema.TimestampNTZ:
		return v.String, true
	}
	f, err := strconv.ParseFloat(v.String, 64)
	if err != nil || f != f || f > 1.7976931348623157e308 || f < -1.7976931348623157e308 {
		return nil, false
	}
	return json.Number(v.String), true
}
