package engine

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/zbemu/zbemu/engine/delta"
	"github.com/zbemu/zbemu/schema"
)

// tagLayout names, in an add action's tags, the schema its file was
// written with, so compaction only joins files of one layout.
const tagLayout = "zbemu.layout"

// syncTable mirrors table t's changes since the last version (see
// deltamirror.go); the caller holds d.mu. It holds the table's alterMu, so
// no schema change commits while its rows are read.
func (d *deltaMirror) syncTable(ctx context.Context, t *tableState) (*mirrorTable, error) {
	t.alterMu.Lock()
	defer t.alterMu.Unlock()
	v := t.cur.Load()
	mt, err := d.state(v.meta)
	if err != nil {
		return nil, err
	}
	if err := d.mirror(ctx, t, v, mt, false); err != nil {
		return mt, fmt.Errorf("mirror %s to Delta: %w", v.meta.fullName(), err)
	}
	return mt, nil
}

// deltaLayout is a metaData the mirror commits with what writing files
// under it needs: the physical name of each column.
type deltaLayout struct {
	dir   string // the table's folder
	meta  delta.Metadata
	proto delta.Protocol
	phys  []string
}

// layout builds the metaData and protocol of table version v, continuing
// mt's column mapping.
func (d *deltaMirror) layout(mt *mirrorTable, v *tableVersion) (deltaLayout, error) {
	m := v.meta
	var have delta.Features
	if mt.meta != nil {
		have = delta.FeaturesOf(mt.proto)
	}
	mapping := have.ColumnMapping || strings.EqualFold(m.Properties[PropColumnMappingMode], "name")
	prevPhys := map[int64]string{}
	var maxID int64
	if mt.schema != nil {
		for i, f := range mt.schema.Fields {
			id, pn := f.MappingOf()
			if id == 0 {
				// Mapping starts now: existing columns keep their names as
				// physical names, and their ids are their positions
				// (columnID), as Delta does when it turns mapping on.
				id, pn = int64(i+1), f.Name
			}
			prevPhys[id] = pn
		}
		maxID, _ = strconv.ParseInt(mt.meta.Configuration[delta.PropMappingMaxID], 10, 64)
	}
	config := map[string]string{}
	constraints := false
	for k, val := range m.Properties {
		lk := strings.ToLower(k)
		if strings.HasPrefix(lk, PropConstraintPrefix) {
			constraints = true
		} else if strings.HasPrefix(lk, "delta.") {
			// Other delta.* properties would declare features (change
			// data feed, deletion vectors, ...) the mirror does not write.
			continue
		}
		config[k] = val
	}
	cols := make([]delta.Column, len(v.cols))
	phys := make([]string, len(v.cols))
	for i, c := range v.cols {
		pn := c.Name
		id := int64(columnID(m, i))
		if mapping {
			if p, ok := prevPhys[id]; ok {
				pn = p
			} else {
				pn = "col-" + uuid.NewString()
			}
		}
		phys[i] = pn
		cols[i] = delta.Column{Name: c.Name, Type: c.Type, Nullable: c.Nullable, Comment: c.Comment}
		if mapping {
			cols[i].ID, cols[i].PhysicalName = id, pn
		}
	}
	s, newMax, err := delta.EncodeSchema(cols, mapping, mt.schema, maxID)
	if err != nil {
		return deltaLayout{}, err
	}
	if mapping {
		config[delta.PropMappingMode] = "name"
		config[delta.PropMappingMaxID] = strconv.FormatInt(newMax, 10)
	}
	parts := make([]string, 0, len(m.PartitionColumns))
	for _, p := range m.PartitionColumns {
		for _, c := range v.cols {
			if strings.EqualFold(c.Name, p) {
				parts = append(parts, c.Name)
			}
		}
	}
	created := m.CreatedAt
	meta := delta.Metadata{ID: m.TableID, Name: m.Name, Description: m.Comment, Format: delta.Format{Provider: "parquet", Options: map[string]string{}},
		SchemaString: s, PartitionColumns: parts, Configuration: config, CreatedTime: &created}
	want := delta.Features{TimestampNTZ: delta.HasTimestampNTZ(cols), ColumnMapping: mapping, CheckConstraints: constraints}
	return deltaLayout{dir: mt.dir, meta: meta, proto: delta.ChooseProtocol(have.Union(want)), phys: phys}, nil
}

// currentLayout is the layout mt's latest metaData describes, whose
// columns are those of v.
func (mt *mirrorTable) currentLayout() deltaLayout {
	l := deltaLayout{dir: mt.dir, meta: *mt.meta, proto: mt.proto}
	for _, f := range mt.schema.Fields {
		_, pn := f.MappingOf()
		if pn == "" {
			pn = f.Name
		}
		l.phys = append(l.phys, pn)
	}
	return l
}

func sameMetadata(a, b *delta.Metadata) bool {
	return a.SchemaString == b.SchemaString && slices.Equal(a.PartitionColumns, b.PartitionColumns) &&
		maps.Equal(a.Configuration, b.Configuration) && a.Description == b.Description
}

func sameProtocol(a, b delta.Protocol) bool {
	return a.MinReaderVersion == b.MinReaderVersion && a.MinWriterVersion == b.MinWriterVersion &&
		slices.Equal(a.ReaderFeatures, b.ReaderFeatures) && slices.Equal(a.WriterFeatures, b.WriterFeatures)
}

// mirror writes what changed in table version v since mt's latest version.
// single puts everything in one version (export).
func (d *deltaMirror) mirror(ctx context.Context, t *tableState, v *tableVersion, mt *mirrorTable, single bool) error {
	var schemaActions []delta.Action
	var lay deltaLayout
	first := mt.version < 0
	if first || mt.txn[deltaAppTable] != v.meta.Version || mt.meta.ID != v.meta.TableID {
		var err error
		if lay, err = d.layout(mt, v); err != nil {
			return err
		}
		if first || !sameProtocol(lay.proto, mt.proto) {
			p := lay.proto
			schemaActions = append(schemaActions, delta.Action{Protocol: &p})
		}
		if first || !sameMetadata(&lay.meta, mt.meta) {
			m := lay.meta
			schemaActions = append(schemaActions, delta.Action{MetaData: &m})
		}
		schemaActions = append(schemaActions, delta.Action{Txn: &delta.Txn{AppID: deltaAppTable, Version: v.meta.Version}})
	} else {
		lay = mt.currentLayout()
	}
	var since int64
	if !single {
		since = t.unmirrored.Swap(0)
	}
	tx, err := d.conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	data, op, err := d.readChanges(ctx, tx, v, mt, lay, single)
	if err != nil {
		if since != 0 {
			t.unmirrored.CompareAndSwap(0, since)
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	schemaOp := "WRITE" // an export: one version of the table as it is
	if !single {
		schemaOp = d.historyOp(ctx, v)
	}
	switch {
	case len(schemaActions) > 0 && (single || (first && strings.HasSuffix(schemaOp, "AS SELECT"))):
		if err := d.commit(ctx, mt, schemaOp, nil, append(schemaActions, data...)); err != nil {
			return err
		}
		data = nil
	case len(schemaActions) > 0:
		if err := d.commit(ctx, mt, schemaOp, nil, schemaActions); err != nil {
			return err
		}
	}
	if len(data) > 0 {
		if err := d.commit(ctx, mt, op, map[string]string{"outputMode": "Append"}, data); err != nil {
			return err
		}
		if since != 0 {
			d.lagMu.Lock()
			if len(d.lags) < maxLagSamples {
				d.lags = append(d.lags, time.Since(time.Unix(0, since)))
			}
			d.lagMu.Unlock()
		}
	}
	if !single {
		_, err = d.compact(ctx, v, mt, false)
	}
	return err
}

// historyOp is the DESCRIBE HISTORY operation of table version v.
func (d *deltaMirror) historyOp(ctx context.Context, v *tableVersion) string {
	hist, err := d.e.history(ctx, v.alias, v.meta.TableID)
	if err == nil {
		for _, h := range hist {
			if h.Version == v.meta.Version {
				return h.Operation
			}
		}
	}
	if v.meta.Version == 0 {
		return "CREATE TABLE"
	}
	return "SET TBLPROPERTIES"
}

// readChanges writes the Parquet files of the rows changed since mt's
// latest version, as tx sees the table, and returns the actions that add
// them (with the txn actions that record the new position) and the
// operation name; no actions when nothing changed.
func (d *deltaMirror) readChanges(ctx context.Context, tx *sql.Tx, v *tableVersion, mt *mirrorTable, lay deltaLayout, single bool) ([]delta.Action, string, error) {
	table := v.info().DuckDB
	var changes int64
	if err := tx.QueryRowContext(ctx, fmt.Sprintf("SELECT count(*) FROM %s.__zbemu.table_changes WHERE table_id = ?", quoteIdent(v.alias)), v.meta.TableID).Scan(&changes); err != nil {
		return nil, "", err
	}
	last, consumed := int64(-1), int64(0)
	if r, ok := mt.txn[deltaAppRowid]; ok {
		last, consumed = r, mt.txn[deltaAppRows]
	}
	var out []delta.Action
	var where, op string
	full := changes != mt.txn[deltaAppChanges]
	if full {
		// Copy-on-write: the version holds the table's rows anew.
		now := time.Now().UnixMilli()
		for _, p := range sortedKeys(mt.files) {
			a := mt.files[p]
			size := a.Size
			out = append(out, delta.Action{Remove: &delta.Remove{Path: a.Path, DeletionTimestamp: &now, DataChange: true,
				ExtendedFileMetadata: true, PartitionValues: a.PartitionValues, Size: &size}})
		}
		if err := tx.QueryRowContext(ctx, "SELECT coalesce(max(rowid), -1), count(*) FROM "+table).Scan(&last, &consumed); err != nil {
			return nil, "", err
		}
		where = "true"
		op = "WRITE"
	} else {
		r, err := AppendedRange(ctx, tx, table, last, consumed, changes != 0)
		if err != nil {
			return nil, "", err
		}
		if r.NewRows == 0 {
			return nil, "", nil
		}
		where = fmt.Sprintf("rowid > %d AND rowid <= %d", r.From, r.To)
		last, consumed = r.To, consumed+r.NewRows
		op = "STREAMING UPDATE"
	}
	if noted, ok := d.ops.LoadAndDelete(v.meta.TableID); ok && !single {
		op = noted.(string)
	}
	adds, err := d.writeFiles(ctx, tx, v, lay, "SELECT %s FROM "+table+" WHERE "+where)
	if err != nil {
		return nil, "", err
	}
	out = append(out, adds...)
	return append(out,
		delta.Action{Txn: &delta.Txn{AppID: deltaAppRowid, Version: last}},
		delta.Action{Txn: &delta.Txn{AppID: deltaAppRows, Version: consumed}},
		delta.Action{Txn: &delta.Txn{AppID: deltaAppChanges, Version: changes}}), op, nil
}

// Range is the rows of a table appended after a reader's position: row
// ids From (exclusive) to To (inclusive), NewRows of them.
type Range struct{ From, To, NewRows int64 }

// AppendedRange finds the rows of table (its DuckDB name) appended since a
// reader read up to row id last, consumed rows in all. A table that never
// had a non-append change (changed false) has row ids 0..n-1; after one,
// DuckDB may have renumbered them, so the position is found again by
// counting: the first consumed rows are the ones read.
func AppendedRange(ctx context.Context, q execQuerier, table string, last, consumed int64, changed bool) (Range, error) {
	upTo := last + 1
	if changed {
		if err := queryRow(ctx, q, "SELECT count(*) FROM "+table+" WHERE rowid <= ?", last).Scan(&upTo); err != nil {
			return Range{}, err
		}
	}
	if upTo != consumed {
		last = -1
		if consumed > 0 {
			if err := queryRow(ctx, q, "SELECT rowid FROM "+table+" ORDER BY rowid LIMIT 1 OFFSET ?", consumed-1).Scan(&last); err != nil {
				return Range{}, fmt.Errorf("find the read position in %s again: %w", table, err)
			}
		}
	}
	r := Range{From: last}
	err := queryRow(ctx, q, "SELECT coalesce(max(rowid), ?), count(*) FROM "+table+" WHERE rowid > ?", last, last).Scan(&r.To, &r.NewRows)
	return r, err
}

// queryRow is QueryRowContext for an execQuerier.
func queryRow(ctx context.Context, q execQuerier, query string, args ...any) *rowScanner {
	rows, err := q.QueryContext(ctx, query, args...)
	return &rowScanner{rows: rows, err: err}
}

type rowScanner struct {
	rows *sql.Rows
	err  error
}

func (r *rowScanner) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	defer r.rows.Close()
	if !r.rows.Next() {
		if err := r.rows.Err(); err != nil {
			return err
		}
		return sql.ErrNoRows
	}
	return r.rows.Scan(dest...)
}

// partitionExpr renders a partition column's value as the protocol's
// partition value text
// (https://github.com/delta-io/delta/blob/master/PROTOCOL.md#partition-value-serialization).
func partitionExpr(col string, t *schema.Type) string {
	switch t.Kind {
	case schema.Timestamp, schema.TimestampNTZ:
		return "strftime(" + col + ", '%Y-%m-%d %H:%M:%S.%f')"
	}
	return "CAST(" + col + " AS VARCHAR)"
}

// writeFiles writes the rows that query selects (a format string taking
// the column list) as Parquet files, one per partition, and returns their
// add actions.
func (d *deltaMirror) writeFiles(ctx context.Context, q execQuerier, v *tableVersion, lay deltaLayout, query string) ([]delta.Action, error) {
	var partIdx []int
	var dataCols []string
	isPart := map[int]bool{}
	for _, p := range lay.meta.PartitionColumns {
		for i, c := range v.cols {
			if c.Name == p {
				partIdx = append(partIdx, i)
				isPart[i] = true
			}
		}
	}
	for i, c := range v.cols {
		if isPart[i] {
			continue
		}
		expr := quoteIdent(strings.ToLower(c.Name))
		if c.Type.Kind == schema.Variant {
			expr = "CAST(" + expr + " AS VARCHAR)"
		}
		dataCols = append(dataCols, expr+" AS "+quoteIdent(lay.phys[i]))
	}
	if len(dataCols) == 0 {
		return nil, fmt.Errorf("%w: every column of %s is a partition column; a Delta data file needs one more", ErrInvalidArgument, v.meta.fullName())
	}
	partitions := [][]*string{nil}
	if len(partIdx) > 0 {
		exprs := make([]string, len(partIdx))
		for j, i := range partIdx {
			exprs[j] = partitionExpr(quoteIdent(strings.ToLower(v.cols[i].Name)), v.cols[i].Type)
		}
		rows, err := q.QueryContext(ctx, fmt.Sprintf(query, "DISTINCT "+strings.Join(exprs, ", ")))
		if err != nil {
			return nil, err
		}
		partitions = partitions[:0]
		for rows.Next() {
			vals := make([]sql.NullString, len(partIdx))
			ptrs := make([]any, len(vals))
			for j := range vals {
				ptrs[j] = &vals[j]
			}
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				return nil, err
			}
			pv := make([]*string, len(vals))
			for j, s := range vals {
				if s.Valid {
					pv[j] = &s.String
				}
			}
			partitions = append(partitions, pv)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	} else {
		var n int64
		if err := queryRow(ctx, q, fmt.Sprintf(query, "count(*)")).Scan(&n); err != nil {
			return nil, err
		}
		if n == 0 {
			return nil, nil
		}
	}
	var out []delta.Action
	for _, pv := range partitions {
		src := fmt.Sprintf(query, strings.Join(dataCols, ", "))
		partCols := make([]string, len(partIdx))
		values := map[string]*string{}
		for j, i := range partIdx {
			expr := partitionExpr(quoteIdent(strings.ToLower(v.cols[i].Name)), v.cols[i].Type)
			if pv[j] == nil {
				src += " AND " + expr + " IS NULL"
			} else {
				src += " AND " + expr + " = " + quoteString(*pv[j])
			}
			partCols[j] = lay.phys[i]
			values[lay.phys[i]] = pv[j]
		}
		add, err := d.writeFile(ctx, q, v, lay, src, delta.PartitionDir(partCols, pv), values)
		if err != nil {
			return nil, err
		}
		out = append(out, delta.Action{Add: add})
	}
	return out, nil
}
