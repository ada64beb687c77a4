package engine

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

// materializer applies acknowledged entries to DuckDB with the Appender in
// large transactions, one per catalog file per round. Each transaction also
// records the highest log index it covers in <catalog>.__zbemu.applied, so
// replay after a crash skips exactly what that catalog already holds: rows
// are applied once, none are missing.
//
// It is the only writer of ingested rows. DDL that changes a table's layout
// calls pause() so that no appender is open on the old layout.
type materializer struct {
	e *Engine

	// mu guards pending and pendingRows.
	mu          sync.Mutex
	pending     []*logEntry
	pendingRows int

	wake    chan struct{}
	applied atomic.Uint64 // every entry up to here is queryable (or failed to apply)
	// kept is the index up to which entries are safely in DuckDB; after a
	// failed round it stops, so the ingest log keeps those entries for the
	// replay at the next start.
	kept   atomic.Uint64
	broken atomic.Bool

	// appliedMu guards appliedCh, which is closed and replaced after each
	// round so that waiters can select on progress.
	appliedMu sync.Mutex
	appliedCh chan struct{}

	// flushMu is held for a whole round; DDL takes it through pause().
	flushMu sync.Mutex
	conn    *sql.Conn

	commitVersion sync.Map // table id → *atomic.Int64

	// lagMu guards lags: how long acknowledged entries waited to become
	// queryable, for the benchmark's time-to-queryable figure.
	lagMu sync.Mutex
	lags  []time.Duration
}

const maxLagSamples = 1 << 18

func newMaterializer(e *Engine) *materializer {
	return &materializer{e: e, wake: make(chan struct{}, 1), appliedCh: make(chan struct{})}
}

func (m *materializer) enqueue(batch []*logEntry) {
	m.mu.Lock()
	for _, ent := range batch {
		m.pending = append(m.pending, ent)
		m.pendingRows += len(ent.rows)
	}
	full := m.pendingRows >= m.e.opts.FlushRows
	m.mu.Unlock()
	if full {
		m.poke()
	}
}

func (m *materializer) poke() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

func (m *materializer) run(ctx context.Context) {
	t := time.NewTicker(m.e.opts.FlushInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-m.wake:
		}
		m.flush(ctx)
	}
}

// pause blocks materialisation until the returned func is called.
func (m *materializer) pause() func() {
	m.flushMu.Lock()
	return m.flushMu.Unlock
}

// forgetTable drops pending rows of a table that is being dropped; the
// caller holds pause().
func (m *materializer) forgetTable(t *tableState) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, ent := range m.pending {
		if ent.table == t {
			ent.rows = nil
		}
	}
}

func (m *materializer) forgetCatalog(alias string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, ent := range m.pending {
		if ent.tv.alias == alias {
			ent.rows = nil
		}
	}
}

// sync waits until every entry acknowledged so far is queryable.
func (m *materializer) sync(ctx context.Context, target uint64) error {
	for {
		m.appliedMu.Lock()
		ch := m.appliedCh
		m.appliedMu.Unlock()
		if m.applied.Load() >= target {
			return nil
		}
		m.poke()
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("%w: waiting for acknowledged records to become queryable: %v", ErrCanceled, ctx.Err())
		}
	}
}

// closeFinal applies whatever is still pending at shutdown.
func (m *materializer) closeFinal(ctx context.Context) {
	m.flush(ctx)
	if m.conn != nil {
		m.conn.Close()
		m.conn = nil
	}
}

type tableBatch struct {
	tv     *tableVersion
	rows   [][]any
	bytes  map[string]int64 // per stream
	counts map[string]int64
}

// flush applies all pending entries. Errors are logged, not returned: the
// entries stay in the ingest log and are retried on the next start.
func (m *materializer) flush(ctx context.Context) {
	m.flushMu.Lock()
	defer m.flushMu.Unlock()
	m.mu.Lock()
	batch := m.pending
	m.pending, m.pendingRows = nil, 0
	m.mu.Unlock()
	if len(batch) == 0 {
		return
	}
	maxIdx := batch[len(batch)-1].index
	ctx = context.WithoutCancel(ctx)
	if err := m.apply(ctx, batch, maxIdx); err != nil {
		m.broken.Store(true)
		m.e.log.Error("materialise acknowledged records into DuckDB failed; they stay in the ingest log and are retried at the next start", "err", err)
	}
	if !m.broken.Load() {
		m.kept.Store(maxIdx)
	}
	m.applied.Store(maxIdx)
	now := time.Now()
	m.lagMu.Lock()
	for _, ent := range batch {
		if !ent.ackedAt.IsZero() && len(m.lags) < maxLagSamples {
			m.lags = append(m.lags, now.Sub(ent.ackedAt))
		}
	}
	m.lagMu.Unlock()
	m.appliedMu.Lock()
	close(m.appliedCh)
	m.appliedCh = make(chan struct{})
	m.appliedMu.Unlock()
}

func (m *materializer) apply(ctx context.Context, batch []*logEntry, maxIdx uint64) error {
	if m.conn == nil {
		c, err := m.e.db.Conn(ctx)
		if err != nil {
			return err
		}
		m.conn = c
	}
	// Group by catalog, then by table, keeping arrival order within a table.
	byCatalog := map[string]map[*tableState]*tableBatch{}
	var order []string
	for _, ent := range batch {
		if len(ent.rows) == 0 {
			continue
		}
		alias := ent.tv.alias
		tabs, ok := byCatalog[alias]
		if !ok {
			tabs = map[*tableState]*tableBatch{}
			byCatalog[alias] = tabs
			order = append(order, alias)
		}
		tb, ok := tabs[ent.table]
		if !ok {
			tb = &tableBatch{tv: ent.table.cur.Load(), bytes: map[string]int64{}, counts: map[string]int64{}}
			tabs[ent.table] = tb
		}
		if tb.rows == nil {
			tb.rows = ent.rows // no copy of a big request's rows: decodeRows makes len == cap, so the next append copies
		} else {
			tb.rows = append(tb.rows, ent.rows...)
		}
		tb.bytes[ent.streamID] += ent.bytes
		tb.counts[ent.streamID] += int64(len(ent.rows))
	}
	var firstErr error
	for _, alias := range order {
		if err := m.applyCatalog(ctx, alias, byCatalog[alias], maxIdx); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	return firstErr
}

func (m *materializer) applyCatalog(ctx context.Context, alias string, tabs map[*tableState]*tableBatch, maxIdx uint64) error {
	began := time.Now()
	if _, err := m.conn.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		return err
	}
	err := m.conn.Raw(func(dc any) error {
		for _, tb := range tabs {
			if err := appendRows(dc.(driver.Conn), tb); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		q := fmt.Sprintf("DELETE FROM %[1]s.__zbemu.applied; INSERT INTO %[1]s.__zbemu.applied VALUES (%[2]d)", quoteIdent(alias), maxIdx)
		_, err = m.conn.ExecContext(ctx, q)
	}
	if err == nil {
		_, err = m.conn.ExecContext(ctx, "COMMIT")
	}
	if err != nil {
		m.conn.ExecContext(ctx, "ROLLBACK")
		return fmt.Errorf("catalog %s: %w", alias, err)
	}
	now := time.Now()
	for _, tb := range tabs {
		m.e.opts.Observer.Commit(tb.tv.meta.fullName(), len(tb.rows), now.Sub(began))
		m.emitCommits(tb, now)
	}
	return nil
}

func (m *materializer) emitCommits(tb *tableBatch, now time.Time) {
	meta := tb.tv.meta
	v, _ := m.commitVersion.LoadOrStore(meta.TableID, new(atomic.Int64))
	for stream, n := range tb.counts {
		m.e.opts.Events.CommitEvent(CommitEvent{StreamID: stream, TableID: meta.TableID, TableName: meta.fullName(),
			CommitVersion: v.(*atomic.Int64).Add(1), CommitTime: now, CommittedRecords: n, CommittedBytes: tb.bytes[stream]})
	}
}

func appendRows(dc driver.Conn, tb *tableBatch) error {
	meta := tb.tv.meta
	a, err := duckdb.NewAppender(dc, tb.tv.alias, strings.ToLower(meta.Schema), strings.ToLower(meta.Name))
	if err != nil {
		return fmt.Errorf("appender for %s: %w", meta.fullName(), err)
	}
	ncols := len(tb.tv.cols)
	args := make([]driver.Value, ncols)
	for _, row := range tb.rows {
		expandRow(args, row)
		if tb.tv.convert {
			convertRow(tb.tv, args)
		}
		if err := a.AppendRow(args...); err != nil {
			a.Close()
			return fmt.Errorf("append to %s: %w", meta.fullName(), err)
		}
	}
	if err := a.Close(); err != nil {
		return fmt.Errorf("flush appender of %s: %w", meta.fullName(), err)
	}
	return nil
}

// QueryableLags returns (and forgets) how long acknowledged requests waited
// until they were queryable, one sample per request.
func (e *Engine) QueryableLags() []time.Duration {
	m := e.mat
	m.lagMu.Lock()
	defer m.lagMu.Unlock()
	out := m.lags
	m.lags = nil
	return out
}
