package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/zbemu/zbemu/engine/delta"
)

// The Delta mirror keeps every table also as a Delta Lake table under
// <data>/delta/<catalog>/<schema>/<table>/ (package engine/delta), so any
// Delta reader sees the rows while zbemu runs. It reads committed rows out
// of DuckDB on its own connection, never on the ack path: every
// Options.DeltaInterval (and on syncDelta) each table whose rows or schema
// changed gets one new Delta version:
//   - a schema or property change: a metaData action (and a protocol one
//     when the table needs more features), named like its DESCRIBE HISTORY
//     entry (CREATE TABLE, ADD COLUMNS, ...);
//   - rows appended (ingest, INSERT): Parquet files of the new rows (DuckDB
//     row ids above the last mirrored one, the same ranges package pipeline
//     streams), one per partition, as STREAMING UPDATE or WRITE;
//   - an UPDATE, DELETE or MERGE (table_changes grew): copy-on-write, every
//     live file removed and the table's rows added again, so each version
//     is a correct snapshot.
//
// What was mirrored is in the log itself, in the txn actions of the version
// that wrote it (deltaApp*): the last row id and row count mirrored, the
// table_changes count and the table version. A crash between the Parquet
// write and the commit leaves a file no version names; the next start
// deletes it and writes those rows again, so nothing is lost or doubled.
// Commit files are created whole or not at all (delta.WriteCommit).
//
// Small files are compacted by an OPTIMIZE-like rewrite (remove + add with
// dataChange=false) once a partition has deltaCompactFiles of them, and on
// demand by OPTIMIZE. Every deltaCheckpointEvery versions a Parquet
// checkpoint is written.

// txn application ids that record what a version mirrored.
const (
	deltaAppRowid   = "zbemu.mirror.rowid"
	deltaAppRows    = "zbemu.mirror.rows"
	deltaAppChanges = "zbemu.mirror.changes"
	deltaAppTable   = "zbemu.mirror.tableVersion"
)

const (
	// DefaultDeltaInterval is how often the mirror looks for changes.
	DefaultDeltaInterval = 2 * time.Second
	// deltaCheckpointEvery is the checkpoint interval in versions
	// (Delta's default delta.checkpointInterval).
	deltaCheckpointEvery = 10
	// deltaSmallFile is the size under which a file counts as small, and
	// deltaCompactFiles how many small files of a partition trigger
	// compaction.
	deltaSmallFile    = 32 << 20
	deltaCompactFiles = 10
)

// ErrDeltaOff reports a Delta operation while the mirror is switched off
// (zbemu serve --delta=false, or an in-memory engine).
var ErrDeltaOff = fmt.Errorf("%w: the Delta Lake mirror is off (start zbemu with --delta=true and a data directory)", ErrUnsupported)

// deltaMirror is the Engine's Delta Lake writer (see the top of the file).
type deltaMirror struct {
	e    *Engine
	root string

	// mu serialises the mirror's work: one table at a time on conn.
	mu     sync.Mutex
	conn   *sql.Conn
	tables map[string]*mirrorTable // by table id

	// ops remembers the SQL operation that last wrote a table (table id →
	// commitInfo operation) for the next version's commitInfo.
	ops sync.Map

	wake chan struct{}

	lagMu sync.Mutex
	lags  []time.Duration
}

// mirrorTable is the mirror's view of one Delta table: its latest version.
type mirrorTable struct {
	dir     string
	tableID string
	version int64 // -1: no log yet
	meta    *delta.Metadata
	schema  *delta.StructType
	proto   delta.Protocol
	files   map[string]delta.Add // live files by path
	removed map[string]delta.Remove
	txn     map[string]int64
}

func newMirrorTable(dir string) *mirrorTable {
	return &mirrorTable{dir: dir, version: -1, files: map[string]delta.Add{}, removed: map[string]delta.Remove{}, txn: map[string]int64{}}
}

// deltaRoot is the folder that holds the Delta tables of the data
// directory, one per table at delta.TableDir(deltaRoot, c, s, t), whether
// the mirror is on or not (DuckDB's allowed directories name it at Open);
// "" in memory.
func (e *Engine) deltaRoot() string {
	if e.opts.Memory || e.opts.DataDir == "" {
		return ""
	}
	return filepath.Join(e.opts.DataDir, "delta")
}

// syncDelta brings the Delta table of catalog.schema.table up to date with
// every row acknowledged so far and returns its latest version. With the
// mirror off nothing is written: it reports the latest version of whatever
// log is there (one written while the mirror was on, or copied in), and
// delta.ErrNotTable when there is none.
func (e *Engine) syncDelta(ctx context.Context, catalog, schema, table string) (int64, error) {
	if e.delta == nil {
		root := e.deltaRoot()
		if root == "" {
			return -1, fmt.Errorf("%w: an in-memory zbemu keeps no Delta tables", delta.ErrNotTable)
		}
		dir := delta.TableDir(root, catalog, schema, table)
		vs, err := delta.Versions(dir)
		if err != nil {
			return -1, err
		}
		if len(vs) == 0 {
			return -1, &delta.NotTableError{Dir: dir}
		}
		return vs[len(vs)-1], nil
	}
	_, t, err := e.resolveTable(catalog + "." + schema + "." + table)
	if err != nil {
		return -1, err
	}
	if err := e.Sync(ctx); err != nil {
		return -1, err
	}
	d := e.delta
	d.mu.Lock()
	defer d.mu.Unlock()
	mt, err := d.syncTable(ctx, t)
	if err != nil {
		return -1, err
	}
	return mt.version, nil
}

func openDeltaMirror(ctx context.Context, e *Engine) (*deltaMirror, error) {
	d := &deltaMirror{e: e, root: e.deltaRoot(), tables: map[string]*mirrorTable{}, wake: make(chan struct{}, 1)}
	if err := os.MkdirAll(d.root, 0o755); err != nil {
		return nil, fmt.Errorf("create Delta folder: %w", err)
	}
	c, err := e.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	d.conn = c
	// What an interrupted export or removal left.
	left, _ := filepath.Glob(filepath.Join(d.root, ".*-*"))
	for _, f := range left {
		os.RemoveAll(f)
	}
	d.removeStale()
	return d, nil
}

// removeStale deletes the Delta tables of tables that no longer exist
// (dropped while the mirror was not looking).
func (d *deltaMirror) removeStale() {
	live := map[string]bool{}
	for _, t := range d.e.liveTables() {
		m := t.cur.Load().meta
		live[strings.ToLower(filepath.Join(m.Catalog, m.Schema, m.Name))] = true
	}
	dirs, _ := filepath.Glob(filepath.Join(d.root, "*", "*", "*"))
	for _, dir := range dirs {
		rel, _ := filepath.Rel(d.root, dir)
		if !live[rel] {
			if err := d.removeDir(dir, ""); err != nil {
				d.e.log.Warn("Delta mirror: remove the Delta table of a dropped table", "dir", dir, "err", err)
			}
		}
	}
}

func (d *deltaMirror) run(ctx context.Context) {
	t := time.NewTicker(d.e.opts.DeltaInterval)
	defer t.Stop()
	last := ^uint64(0)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-d.wake:
			last = ^uint64(0)
		}
		// Nothing written since the last pass: nothing to mirror.
		if dv := d.e.DataVersion(); dv != last {
			last = dv
			d.syncAll(ctx)
		}
	}
}

// syncAll mirrors every table and forgets the Delta tables of dropped ones.
func (d *deltaMirror) syncAll(ctx context.Context) {
	live := d.e.liveTables()
	d.mu.Lock()
	defer d.mu.Unlock()
	ids := map[string]bool{}
	for _, t := range live {
		ids[t.cur.Load().meta.TableID] = true
		if _, err := d.syncTable(ctx, t); err != nil {
			d.e.log.Warn("Delta mirror: table not mirrored this round", "table", t.cur.Load().meta.fullName(), "err", err)
		}
	}
	for id, mt := range d.tables {
		if !ids[id] {
			delete(d.tables, id)
			if err := d.removeDir(mt.dir, id); err != nil {
				d.e.log.Warn("Delta mirror: remove the Delta table of a dropped table", "dir", mt.dir, "err", err)
			}
		}
	}
}

// close writes what is still unmirrored and releases the connection.
func (d *deltaMirror) close(ctx context.Context) {
	d.syncAll(ctx)
	d.mu.Lock()
	defer d.mu.Unlock()
	d.conn.Close()
}

// liveTables lists every table (views excluded) of every catalog.
func (e *Engine) liveTables() []*tableState {
	e.mu.RLock()
	defer e.mu.RUnlock()
	var out []*tableState
	for _, c := range e.catalogs {
		for _, t := range c.tables {
			if t.cur.Load().meta.TableType != tableTypeView {
				out = append(out, t)
			}
		}
	}
	return out
}

// noteOp records the SQL operation (commitInfo name) that wrote a table.
func (d *deltaMirror) noteOp(tableID, kind string) {
	op := map[string]string{"INSERT": "WRITE", "UPDATE": "UPDATE", "DELETE": "DELETE", "MERGE": "MERGE"}[kind]
	if op != "" {
		d.ops.Store(tableID, op)
	}
}

// removeDir deletes the Delta table at dir, if its log belongs to the
// table with id tableID (a table of the same name created since owns it
// otherwise).
func (d *deltaMirror) removeDir(dir, tableID string) error {
	if mt, err := loadMirrorTable(dir); tableID != "" && err == nil && mt.meta != nil && mt.meta.ID != tableID {
		return nil
	}
	trash, err := os.MkdirTemp(d.root, ".trash-")
	if err != nil {
		return err
	}
	if err := os.Rename(dir, filepath.Join(trash, "t")); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return os.RemoveAll(trash)
}

// state returns the mirror's state of table m, reading its log the first
// time; a log of another table of the same name (dropped since) goes.
func (d *deltaMirror) state(m *tableMeta) (*mirrorTable, error) {
	if mt, ok := d.tables[m.TableID]; ok {
		return mt, nil
	}
	dir := delta.TableDir(d.root, strings.ToLower(m.Catalog), strings.ToLower(m.Schema), strings.ToLower(m.Name))
	mt, err := loadMirrorTable(dir)
	if err != nil {
		return nil, err
	}
	if mt.meta != nil && mt.meta.ID != m.TableID {
		if err := d.removeDir(dir, mt.meta.ID); err != nil {
			return nil, err
		}
		mt, err = loadMirrorTable(dir)
		if err != nil {
			return nil, err
		}
	}
	mt.tableID = m.TableID
	d.tables[m.TableID] = mt
	return mt, nil
}

// loadMirrorTable replays the log at dir into the writer's state, then
// deletes what an interrupted writer left: temporary log files and data
// files no version names.
func loadMirrorTable(dir string) (*mirrorTable, error) {
	mt := newMirrorTable(dir)
	versions, err := delta.Versions(dir)
	if err != nil {
		return nil, err
	}
	named := map[string]bool{}
	for _, v := range versions {
		if v != mt.version+1 {
			return nil, fmt.Errorf("Delta log of %s: version %d follows %d", dir, v, mt.version)
		}
		actions, err := delta.ReadCommit(dir, v)
		if err != nil {
			return nil, err
		}
		if err := mt.apply(actions); err != nil {
			return nil, err
		}
		for _, a := range actions {
			if a.Add != nil {
				named[a.Add.Path] = true
			}
		}
		mt.version = v
	}
	if len(versions) == 0 {
		return mt, nil
	}
	if err := delta.RemoveTemporary(dir); err != nil {
		return nil, err
	}
	err = filepath.WalkDir(dir, func(path string, de os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if de.IsDir() {
			if de.Name() == delta.LogDir {
				return filepath.SkipDir
			}
			return nil
		}
		rel, _ := filepath.Rel(dir, path)
		if strings.HasSuffix(rel, ".parquet") && !named[delta.AddPath(filepath.ToSlash(rel))] {
			return os.Remove(path)
		}
		return nil
	})
	return mt, err
}

// apply replays one version's actions.
func (mt *mirrorTable) apply(actions []delta.Action) error {
	for _, a := range actions {
		switch {
		case a.Protocol != nil:
			mt.proto = *a.Protocol
		case a.MetaData != nil:
			s, err := delta.ParseSchema(a.MetaData.SchemaString)
			if err != nil {
				return err
			}
			mt.meta, mt.schema = a.MetaData, s
		case a.Add != nil:
			mt.files[a.Add.Path] = *a.Add
			delete(mt.removed, a.Add.Path)
		case a.Remove != nil:
			delete(mt.files, a.Remove.Path)
			mt.removed[a.Remove.Path] = *a.Remove
		case a.Txn != nil:
			mt.txn[a.Txn.AppID] = a.Txn.Version
		}
	}
	return nil
}

// commit writes actions as the next version and applies them, then
// checkpoints every deltaCheckpointEvery versions.
func (d *deltaMirror) commit(ctx context.Context, mt *mirrorTable, op string, params map[string]string, actions []delta.Action) error {
	v := mt.version + 1
	read := mt.version
	info := &delta.CommitInfo{Timestamp: time.Now().UnixMilli(), Operation: op, OperationParameters: params, EngineInfo: "zbemu"}
	if read >= 0 {
		info.ReadVersion = &read
	}
	blind := true
	for _, a := range actions {
		if a.Remove != nil {
			blind = false
		}
	}
	info.IsBlindAppend = &blind
	actions = append([]delta.Action{{CommitInfo: info}}, actions...)
	if err := delta.WriteCommit(mt.dir, v, actions); err != nil {
		// Another writer (none should exist) or a failed write: read the
		// log again next time.
		delete(d.tables, mt.tableID)
		return err
	}
	if err := mt.apply(actions); err != nil {
		return err
	}
	mt.version = v
	if v > 0 && v%deltaCheckpointEvery == 0 {
		if err := d.checkpoint(ctx, mt); err != nil {
			// A checkpoint only speeds reading up; the log is complete.
			d.e.log.Warn("Delta mirror: checkpoint failed", "dir", mt.dir, "version", v, "err", err)
		}
	}
	return nil
}

// snapshot is the table's state as a checkpoint holds it.
func (mt *mirrorTable) snapshot() []delta.Action {
	proto, meta := mt.proto, *mt.meta
	out := []delta.Action{{Protocol: &proto}, {MetaData: &meta}}
	apps := make([]string, 0, len(mt.txn))
	for app := range mt.txn {
		apps = append(apps, app)
	}
	sort.Strings(apps)
	for _, app := range apps {
		out = append(out, delta.Action{Txn: &delta.Txn{AppID: app, Version: mt.txn[app]}})
	}
	for _, p := range sortedKeys(mt.files) {
		a := mt.files[p]
		out = append(out, delta.Action{Add: &a})
	}
	for _, p := range sortedKeys(mt.removed) {
		r := mt.removed[p]
		out = append(out, delta.Action{Remove: &r})
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// checkpointColumns is the checkpoint schema
// (https://github.com/delta-io/delta/blob/master/PROTOCOL.md#checkpoint-schema)
// as DuckDB types for read_json.
const checkpointColumns = `{
	txn: 'STRUCT(appId VARCHAR, version BIGINT, lastUpdated BIGINT)',
	add: 'STRUCT(path VARCHAR, partitionValues MAP(VARCHAR, VARCHAR), size BIGINT, modificationTime BIGINT, dataChange BOOLEAN, stats VARCHAR, tags MAP(VARCHAR, VARCHAR))',
	remove: 'STRUCT(path VARCHAR, deletionTimestamp BIGINT, dataChange BOOLEAN, extendedFileMetadata BOOLEAN, partitionValues MAP(VARCHAR, VARCHAR), size BIGINT)',
	metaData: 'STRUCT(id VARCHAR, name VARCHAR, description VARCHAR, format STRUCT(provider VARCHAR, options MAP(VARCHAR, VARCHAR)), schemaString VARCHAR, partitionColumns VARCHAR[], configuration MAP(VARCHAR, VARCHAR), createdTime BIGINT)',
	protocol: 'STRUCT(minReaderVersion INTEGER, minWriterVersion INTEGER, readerFeatures VARCHAR[], writerFeatures VARCHAR[])'
}`

// checkpoint writes the Parquet checkpoint of mt's latest version with
// DuckDB's Parquet writer.
func (d *deltaMirror) checkpoint(ctx context.Context, mt *mirrorTable) error {
	return delta.WriteCheckpoint(mt.dir, mt.version, mt.snapshot(), func(jsonPath, parquetPath string) error {
		q := fmt.Sprintf("COPY (SELECT txn, add, remove, metaData, protocol FROM read_json(%s, format = 'newline_delimited', columns = %s)) TO %s (FORMAT parquet)",
			quoteString(jsonPath), checkpointColumns, quoteString(parquetPath))
		_, err := d.conn.ExecContext(ctx, q)
		return err
	})
}

// DeltaLags returns (and forgets) how long acknowledged rows waited until a
// Delta version held them, one sample per mirrored version of appended
// rows (the oldest row's wait).
func (e *Engine) DeltaLags() []time.Duration {
	if e.delta == nil {
		return nil
	}
	d := e.delta
	d.lagMu.Lock()
	defer d.lagMu.Unlock()
	out := d.lags
	d.lags = nil
	return out
}
