package engine

import (
	"cmp"
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"slices"
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
// A round that fails never moves that index: when the store is at fault
// (disk full, I/O, memory) the entries stay pending, the engine reports
// itself degraded (Health) and the round is retried with backoff until it
// succeeds. When DuckDB refuses a value (validation should have caught it)
// the catalog's batch is halved until the entry at fault is found; that
// entry goes to <catalog>.__zbemu.quarantine in the transaction that moves
// the applied index past it, and the rest is applied. So an acknowledged
// record is always either queryable, quarantined with its reason, or still
// pending and retried.
//
// It is the only writer of ingested rows. DDL that changes a table's layout
// calls pause() so that no appender is open on the old layout.
type materializer struct {
	e *Engine

	// mu guards pending, pendingRows and the backlog: the records and
	// memory (logEntry.backlogBytes) of the entries acknowledged but not
	// yet applied (pending or in a round). The ingest log writer waits while the backlog is at
	// its bound (waitRoom).
	mu          sync.Mutex
	pending     []*logEntry
	pendingRows int
	// visibleAt is the latest visibleAt given to an entry: later entries
	// never become visible before earlier ones (Options.VisibilityDelay).
	visibleAt time.Time
	// taken is the highest index a round has taken from pending.
	taken          uint64
	backlogRecords int64
	backlogBytes   int64

	wake chan struct{}
	// waiters counts those blocked on the materialiser (sync and
	// waitRoom): while there are any, rounds run at the ordinary CPU
	// priority (see urgent).
	waiters atomic.Int32
	applied atomic.Uint64 // every entry up to here is in DuckDB (applied or quarantined)
	// degraded holds why the last round could not apply everything (an
	// ErrUnavailable error); nil while healthy.
	degraded atomic.Pointer[error]
	// retryAt (unix nanoseconds) and backoff pace the retries of a
	// degraded materialiser; backoff is guarded by flushMu.
	retryAt atomic.Int64
	backoff time.Duration
	// quarantined counts entries moved to the quarantine since Open.
	quarantined atomic.Int64

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

// Retry pacing of a degraded materialiser: the first retry comes after
// minRetry, each failure doubles the wait up to maxRetry.
const (
	minRetry = 100 * time.Millisecond
	maxRetry = 5 * time.Second
)

func newMaterializer(e *Engine) *materializer {
	return &materializer{e: e, wake: make(chan struct{}, 1), appliedCh: make(chan struct{})}
}

func (m *materializer) enqueue(batch []*logEntry) {
	m.mu.Lock()
	var records, bytes int64
	delay := m.e.opts.VisibilityDelay
	for _, ent := range batch {
		if delay != nil && !ent.ackedAt.IsZero() {
			m.visibleAt = later(m.visibleAt, ent.ackedAt.Add(delay()))
			ent.visibleAt = m.visibleAt
		}
		m.pending = append(m.pending, ent)
		m.pendingRows += ent.count
		records += int64(ent.count)
		bytes += ent.backlogBytes()
	}
	m.growBacklogLocked(records, bytes)
	full := m.pendingRows >= m.e.opts.FlushRows
	m.mu.Unlock()
	if full {
		m.poke()
	}
}

// growBacklogLocked adds to the backlog (negative: applied or forgotten)
// and reports it; the caller holds mu, so reports arrive in order.
func (m *materializer) growBacklogLocked(records, bytes int64) {
	m.backlogRecords += records
	m.backlogBytes += bytes
	m.e.opts.Observer.Backlog(m.backlogRecords, m.backlogBytes)
}

// waitRoom blocks the ingest log writer while the backlog is at its bound,
// poking the materialiser to flush now, and returns how long it waited.
// Every round ends by closing appliedCh, which wakes it. It stops waiting
// with the reason when the materialiser is degraded: the backlog will not
// shrink until the store heals, and ingest is refused meanwhile (Health).
func (m *materializer) waitRoom() (time.Duration, error) {
	var began time.Time
	waited := func() time.Duration {
		if began.IsZero() {
			return 0
		}
		return time.Since(began)
	}
	for {
		m.appliedMu.Lock()
		ch := m.appliedCh
		m.appliedMu.Unlock()
		m.mu.Lock()
		full := m.backlogRecords >= m.e.opts.MaxBacklogRecords || m.backlogBytes >= m.e.opts.MaxBacklogBytes
		m.mu.Unlock()
		if !full {
			return waited(), nil
		}
		if errp := m.degraded.Load(); errp != nil {
			return waited(), *errp
		}
		if began.IsZero() {
			began = time.Now()
			m.waiters.Add(1)
			defer m.waiters.Add(-1)
		}
		m.poke()
		<-ch
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
		var retry <-chan time.Time
		if m.degraded.Load() != nil {
			retry = time.After(time.Until(time.Unix(0, m.retryAt.Load())))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-m.wake:
		case <-retry:
		}
		if m.urgent() {
			// Priority inheritance: someone at the ordinary priority
			// waits for this round, so it runs at that priority, on an
			// ordinary goroutine's thread (DuckDB works on the calling
			// thread).
			done := make(chan struct{})
			go func() { defer close(done); m.flush(ctx) }()
			<-done
			continue
		}
		m.flush(ctx)
	}
}

// urgent reports whether the next round must not wait behind other work:
// a query or the log writer waits for it, or the backlog is past a
// quarter of its bound (acks would wait soon). Otherwise rounds run on the
// materialiser's own thread, at Options.BackgroundNice: on a machine that
// is busy with other processes that thread gets little CPU, and without
// this the acknowledged backlog (and memory) would grow to its bound.
func (m *materializer) urgent() bool {
	if m.waiters.Load() > 0 {
		return true
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return 4*m.backlogRecords >= m.e.opts.MaxBacklogRecords || 4*m.backlogBytes >= m.e.opts.MaxBacklogBytes
}

// pause blocks materialisation until the returned func is called.
func (m *materializer) pause() func() {
	m.flushMu.Lock()
	return m.flushMu.Unlock
}

// forgetTable drops pending rows of a table that is being dropped; the
// caller holds pause().
func (m *materializer) forgetTable(t *tableState) {
	m.forget(func(ent *logEntry) bool { return ent.table == t })
}

func (m *materializer) forgetCatalog(alias string) {
	m.forget(func(ent *logEntry) bool { return ent.tv.alias == alias })
}

// forget drops the rows of the pending entries that match; the caller
// holds pause(). Their payloads stay (and count in the backlog) until the
// next round retires the entries.
func (m *materializer) forget(match func(*logEntry) bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var records int64
	for _, ent := range m.pending {
		if match(ent) {
			records += int64(ent.count)
			ent.rows, ent.redecode, ent.arrow, ent.count, ent.bad = nil, nil, nil, 0, nil
		}
	}
	m.growBacklogLocked(-records, 0)
}

// sync waits until every entry acknowledged so far is queryable. While the
// materialiser is degraded it fails at once with the reason rather than
// answer without rows that were acknowledged.
func (m *materializer) sync(ctx context.Context, target uint64) error {
	m.waiters.Add(1)
	defer m.waiters.Add(-1)
	for {
		m.appliedMu.Lock()
		ch := m.appliedCh
		m.appliedMu.Unlock()
		if m.applied.Load() >= target {
			return nil
		}
		if errp := m.degraded.Load(); errp != nil {
			return fmt.Errorf("%w; a query now would miss acknowledged records", *errp)
		}
		m.poke()
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("%w: waiting for acknowledged records to become queryable: %v", ErrCanceled, ctx.Err())
		}
	}
}

// visibleTarget is the log index a query must wait for: everything
// acknowledged (lastDurable) unless entries are held back by
// Options.VisibilityDelay, then the last entry visible by now.
func (m *materializer) visibleTarget(lastDurable uint64) uint64 {
	if m.e.opts.VisibilityDelay == nil {
		return lastDurable
	}
	now := time.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	target := max(m.taken, m.applied.Load())
	for _, ent := range m.pending {
		if ent.visibleAt.After(now) {
			break
		}
		target = ent.index
	}
	return min(target, lastDurable)
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// reveal makes every pending entry visible to the next round.
func (m *materializer) reveal() {
	m.mu.Lock()
	for _, ent := range m.pending {
		ent.visibleAt = time.Time{}
	}
	m.mu.Unlock()
}

// closeFinal applies whatever is still pending at shutdown, visible or not.
func (m *materializer) closeFinal(ctx context.Context) {
	m.reveal()
	m.flush(ctx)
	if m.conn != nil {
		m.conn.Close()
		m.conn = nil
	}
}

type tableBatch struct {
	tv *tableVersion
	// parts are the rows in log order: runs of decoded rows, and lazily
	// kept entries, which are decoded again from their payload.
	parts  []batchPart
	rows   int
	bytes  map[string]int64 // per stream
	counts map[string]int64
}

// batchPart is either rows or an entry whose rows are not kept (lazy).
type batchPart struct {
	rows [][]any
	lazy *logEntry
	// from is the version the rows were decoded with when its column
	// layout is not the batch's (a column was dropped or renamed since);
	// nil otherwise.
	from *tableVersion
}

// flush applies all pending entries. Entries it cannot apply because the
// store failed stay pending (and in the ingest log) and are retried after a
// backoff; Health reports why meanwhile.
func (m *materializer) flush(ctx context.Context) {
	m.flushMu.Lock()
	defer m.flushMu.Unlock()
	if m.degraded.Load() != nil && time.Now().UnixNano() < m.retryAt.Load() {
		return
	}
	m.mu.Lock()
	batch := m.pending
	m.pending, m.pendingRows = nil, 0
	if m.e.opts.VisibilityDelay != nil {
		// Only the entries visible by now; the rest wait for a later round.
		now := time.Now()
		n := 0
		for n < len(batch) && !batch[n].visibleAt.After(now) {
			n++
		}
		batch, m.pending = batch[:n], batch[n:]
		for _, ent := range m.pending {
			m.pendingRows += ent.count
		}
	}
	if len(batch) > 0 {
		m.taken = max(m.taken, batch[len(batch)-1].index)
	}
	m.mu.Unlock()
	if len(batch) == 0 {
		return
	}
	maxIdx := batch[len(batch)-1].index
	ctx = context.WithoutCancel(ctx)
	kept, err := m.apply(ctx, batch)
	// Retire what this round applied (or quarantined) from the backlog
	// before waking waiters; kept entries stay in it.
	var records, bytes int64
	for _, ent := range batch {
		records += int64(ent.count)
		bytes += ent.backlogBytes()
	}
	for _, ent := range kept {
		records -= int64(ent.count)
		bytes -= ent.backlogBytes()
	}
	m.mu.Lock()
	m.growBacklogLocked(-records, -bytes)
	m.mu.Unlock()
	if len(kept) > 0 {
		m.keep(kept, err)
	} else {
		if m.degraded.Swap(nil) != nil {
			m.e.log.Info("materialiser recovered: every acknowledged record is queryable again")
		}
		m.backoff = 0
		m.applied.Store(maxIdx)
	}
	m.e.dataWritten()
	now := time.Now()
	m.lagMu.Lock()
	for _, ent := range batch {
		if !ent.ackedAt.IsZero() && len(m.lags) < maxLagSamples {
			m.lags = append(m.lags, now.Sub(ent.ackedAt))
		}
	}
	m.lagMu.Unlock()
	if len(kept) == 0 && records <= int64(m.e.opts.FlushRows) {
		// The buffers of a round of ordinary size are reused by the next
		// requests. Those of a larger one (the backlog of a burst) are
		// left to the GC like those of a failed round (which spares
		// finding the applied ones among the kept): pooled, they would
		// stay live through two more GC cycles and raise the heap with
		// the burst's whole backlog.
		for _, ent := range batch {
			ent.release()
		}
	}
	m.appliedMu.Lock()
	close(m.appliedCh)
	m.appliedCh = make(chan struct{})
	m.appliedMu.Unlock()
}

// keep puts entries that could not be applied back in front of the queue
// (in index order), holds the applied index below the first of them and
// enters the degraded state until a retry succeeds.
func (m *materializer) keep(kept []*logEntry, cause error) {
	slices.SortFunc(kept, func(a, b *logEntry) int { return cmp.Compare(a.index, b.index) })
	rows := 0
	var tables []string
	for _, ent := range kept {
		rows += ent.count
		if name := ent.tv.meta.fullName(); !slices.Contains(tables, name) {
			tables = append(tables, name)
		}
	}
	m.mu.Lock()
	m.pending = append(kept, m.pending...)
	m.pendingRows += rows
	m.mu.Unlock()
	m.applied.Store(kept[0].index - 1)
	if m.conn != nil {
		// The retry starts on a fresh connection, in case this one broke.
		m.conn.Close()
		m.conn = nil
	}
	m.backoff = min(max(2*m.backoff, minRetry), maxRetry)
	m.retryAt.Store(time.Now().Add(m.backoff).UnixNano())
	err := fmt.Errorf("%w: acknowledged records cannot be written to DuckDB: %v; they are kept and retried, ingest is refused until then", ErrUnavailable, cause)
	m.degraded.Store(&err)
	m.e.log.Error("materialise acknowledged records into DuckDB failed; the applied index stays, the records are retried",
		"tables", strings.Join(tables, ","), "entries", len(kept), "rows", rows, "from_index", kept[0].index, "to_index", kept[len(kept)-1].index,
		"retry_in", m.backoff, "err", cause)
}

// apply applies a round catalog by catalog and returns the entries it
// could not apply, with the error.
func (m *materializer) apply(ctx context.Context, batch []*logEntry) ([]*logEntry, error) {
	if m.conn == nil {
		c, err := m.e.db.Conn(ctx)
		if err != nil {
			return batch, err
		}
		m.conn = c
	}
	byCatalog := map[string][]*logEntry{}
	var order []string
	for _, ent := range batch {
		if ent.count == 0 && ent.bad == nil {
			continue // a dropped table's rows, or an empty entry
		}
		alias := ent.tv.alias
		if _, ok := byCatalog[alias]; !ok {
			order = append(order, alias)
		}
		byCatalog[alias] = append(byCatalog[alias], ent)
	}
	var kept []*logEntry
	var firstErr error
	for _, alias := range order {
		ents := byCatalog[alias]
		n, err := m.applyEntries(ctx, alias, ents)
		if n < len(ents) {
			kept = append(kept, ents[n:]...)
			if firstErr == nil {
				firstErr = fmt.Errorf("catalog %s: %w", ents[0].tv.meta.Catalog, err)
			}
		}
	}
	return kept, firstErr
}

// applyEntries applies the entries of one catalog in index order and
// returns how many it applied or quarantined; the rest failed with err. A
// value DuckDB refuses is found by halving the batch, and its entry goes to
// the quarantine; a failure of the store stops at once.
func (m *materializer) applyEntries(ctx context.Context, alias string, ents []*logEntry) (int, error) {
	err := m.commit(ctx, alias, ents)
	if err == nil {
		return len(ents), nil
	}
	if storeFault(err) {
		return 0, err
	}
	if len(ents) == 1 {
		ent := ents[0]
		ent.bad = err
		if qerr := m.commit(ctx, alias, ents); qerr != nil {
			ent.bad = nil
			return 0, qerr
		}
		return 1, nil
	}
	half := len(ents) / 2
	n, err := m.applyEntries(ctx, alias, ents[:half])
	if n < half {
		return n, err
	}
	n, err = m.applyEntries(ctx, alias, ents[half:])
	return half + n, err
}

// commit applies entries of one catalog in one transaction: their rows, the
// quarantine rows of entries marked bad, and the applied index.
func (m *materializer) commit(ctx context.Context, alias string, ents []*logEntry) error {
	began := time.Now()
	tabs := map[*tableState]*tableBatch{}
	var order []*tableBatch
	var bad []*logEntry
	for _, ent := range ents {
		if ent.bad != nil {
			bad = append(bad, ent)
			continue
		}
		tb, ok := tabs[ent.table]
		if !ok {
			tb = &tableBatch{tv: ent.table.cur.Load(), bytes: map[string]int64{}, counts: map[string]int64{}}
			tabs[ent.table] = tb
			order = append(order, tb)
		}
		// One part per entry: joining the entries' rows would copy every
		// row's slice header, and grow, once per round. from marks rows
		// decoded with another column layout (columnmapping.go).
		from := otherLayout(ent.tv, tb.tv)
		if ent.redecode != nil || ent.arrow != nil {
			tb.parts = append(tb.parts, batchPart{lazy: ent, from: from})
		} else {
			tb.parts = append(tb.parts, batchPart{rows: ent.rows, from: from})
		}
		tb.rows += ent.count
		tb.bytes[ent.streamID] += ent.bytes
		tb.counts[ent.streamID] += int64(ent.count)
	}
	if _, err := m.conn.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		return err
	}
	err := m.conn.Raw(func(dc any) error {
		for _, tb := range order {
			if err := appendRows(dc.(driver.Conn), tb); err != nil {
				return err
			}
		}
		return nil
	})
	for _, ent := range bad {
		if err == nil {
			err = m.quarantine(ctx, alias, ent, began)
		}
	}
	if err == nil {
		// The round's only bookkeeping: one UPDATE of the one row (the
		// catalog's bookkeeping DDL makes sure it exists), sent with the
		// COMMIT in one call.
		q := fmt.Sprintf("UPDATE %s.__zbemu.applied SET log_index = %d; COMMIT", quoteIdent(alias), ents[len(ents)-1].index)
		_, err = m.conn.ExecContext(ctx, q)
	}
	if err != nil {
		m.conn.ExecContext(ctx, "ROLLBACK")
		return err
	}
	if m.e.delta != nil {
		for _, ent := range ents {
			if !ent.ackedAt.IsZero() {
				ent.table.unmirrored.CompareAndSwap(0, ent.ackedAt.UnixNano())
			}
		}
	}
	now := time.Now()
	for _, tb := range order {
		m.e.opts.Observer.Commit(tb.tv.meta.fullName(), tb.rows, now.Sub(began))
		m.emitCommits(tb, now)
	}
	for _, ent := range bad {
		m.quarantined.Add(1)
		m.e.log.Error("quarantined acknowledged records that DuckDB refuses; read them in system.zbemu.quarantined_records",
			"catalog", ent.tv.meta.Catalog, "table", ent.tv.meta.fullName(), "stream_id", ent.streamID, "index", ent.index, "err", ent.bad)
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

func appendRows(dc driver.Conn, tb *tableBatch) (err error) {
	meta := tb.tv.meta
	a, err := duckdb.NewAppender(dc, tb.tv.alias, strings.ToLower(meta.Schema), strings.ToLower(meta.Name))
	if err != nil {
		return fmt.Errorf("appender for %s: %w", meta.fullName(), err)
	}
	defer func() {
		// A value of an unexpected Go type must cost its entry, not the
		// server: convertRow asserts the types the decoders produce.
		if p := recover(); p != nil {
			a.Close()
			err = &valueError{fmt.Errorf("append to %s: %v", meta.fullName(), p)}
		}
	}()
	args := make([]driver.Value, len(tb.tv.cols))
	appendRow := func(row []any) error {
		expandRow(args, row)
		if tb.tv.convert {
			convertRow(tb.tv, args)
		}
		if err := a.AppendRow(args...); err != nil {
			return &valueError{fmt.Errorf("append to %s: %w", meta.fullName(), err)}
		}
		return nil
	}
	for _, p := range tb.parts {
		appendRow := appendRow
		if p.from != nil {
			appendRow = remapRows(p.from, tb.tv, appendRow)
		}
		if p.lazy == nil {
			for _, row := range p.rows {
				if err := appendRow(row); err != nil {
					a.Close()
					return err
				}
			}
		} else if err := appendLazy(p.lazy, appendRow); err != nil {
			a.Close()
			return err
		}
	}
	if err := a.Close(); err != nil {
		return &valueError{fmt.Errorf("flush appender of %s: %w", meta.fullName(), err)}
	}
	return nil
}

// appendLazy decodes the records of a lazily kept entry again from its
// payload, one at a time into one reused row of the entry's table version
// (columns added since are NULL, as for kept rows), and appends them.
func appendLazy(ent *logEntry, appendRow func([]any) error) error {
	if ent.arrow != nil {
		return appendArrow(ent, appendRow)
	}
	scratch := scratchRow(len(ent.tv.cols))
	defer releaseRow(scratch)
	row := *scratch
	var p decodedPayload
	err := eachPayloadRecord(ent.payload, &p, func(uint64) {}, func(r []byte) error {
		if err := ent.redecode.Decode(r, row); err != nil {
			// Validated when accepted: the entry goes to the quarantine.
			return &valueError{fmt.Errorf("decode logged record of %s again: %w", ent.tv.meta.fullName(), err)}
		}
		err := appendRow(row)
		clear(row)
		return err
	})
	if errors.Is(err, errCorruptEntry) {
		return &valueError{fmt.Errorf("entry %d of %s: %w", ent.index, ent.tv.meta.fullName(), err)}
	}
	return err
}

// valueError is a failure to append a row, which is the values' fault
// unless DuckDB names a failure of the store (see storeFault).
type valueError struct{ err error }

func (e *valueError) Error() string { return e.err.Error() }
func (e *valueError) Unwrap() error { return e.err }

// storeFault reports whether err is a failure of the store that may pass
// (disk full, I/O, memory, a commit that could not be written), as opposed
// to a value DuckDB refuses. DuckDB's error type decides where there is
// one (https://pkg.go.dev/github.com/duckdb/duckdb-go/v2#ErrorType);
// otherwise only a failure to append a row is the values' fault.
func storeFault(err error) bool {
	var de *duckdb.Error
	if errors.As(err, &de) {
		switch de.Type {
		case duckdb.ErrorTypeIO, duckdb.ErrorTypeOutOfMemory, duckdb.ErrorTypeTransaction, duckdb.ErrorTypeFatal,
			duckdb.ErrorTypeInterrupt, duckdb.ErrorTypeConnection, duckdb.ErrorTypePermission, duckdb.ErrorTypeInternal:
			return true
		}
		return false
	}
	var ve *valueError
	return !errors.As(err, &ve)
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
