package systables

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/zbemu/zbemu/engine"
)

// Defaults of Options.
const (
	// DefaultAccountID and DefaultWorkspaceID fill account_id and
	// workspace_id; the workspace id is the example of Databricks' docs.
	DefaultAccountID   = "zbemu-account"
	DefaultWorkspaceID = "1234567890123456"
	// DefaultRetention is how long rows are kept, as Databricks does.
	DefaultRetention     = 365 * 24 * time.Hour
	DefaultBatchInterval = 100 * time.Millisecond
	DefaultPruneInterval = time.Hour
	DefaultQueueSize     = 100000
	DefaultMaxRejected   = 100000
)

// Options configures a Store. Zero values mean the documented defaults.
type Options struct {
	// Path is the SQLite file, created if missing (<data>/system.db).
	// Ignored when Memory is set.
	Path string
	// Memory keeps the tables in memory; nothing is written to disk.
	Memory bool
	// AccountID and WorkspaceID are written into every row that has them.
	AccountID, WorkspaceID string
	// Retention: rows older than this are pruned (by event or commit time).
	Retention time.Duration
	// BatchInterval is the longest an event waits in the queue before it is
	// written, unless a read flushes it earlier.
	BatchInterval time.Duration
	// PruneInterval is how often retention is enforced (also at Open).
	PruneInterval time.Duration
	// QueueSize bounds the events waiting to be written; beyond it events
	// are dropped (and the drops logged) rather than slowing ingest.
	QueueSize int
	// MaxRejected is how many rows rejected_records and warnings each keep
	// (the newest).
	MaxRejected int
	// Logger receives operational logs; nil discards them.
	Logger *slog.Logger
	// Now is the clock for pruning and alert times; nil means time.Now.
	Now func() time.Time
}

func (o *Options) setDefaults() {
	if o.AccountID == "" {
		o.AccountID = DefaultAccountID
	}
	if o.WorkspaceID == "" {
		o.WorkspaceID = DefaultWorkspaceID
	}
	if o.Retention <= 0 {
		o.Retention = DefaultRetention
	}
	if o.BatchInterval <= 0 {
		o.BatchInterval = DefaultBatchInterval
	}
	if o.PruneInterval <= 0 {
		o.PruneInterval = DefaultPruneInterval
	}
	if o.QueueSize <= 0 {
		o.QueueSize = DefaultQueueSize
	}
	if o.MaxRejected <= 0 {
		o.MaxRejected = DefaultMaxRejected
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Store holds the system tables in SQLite. It is the engine's event sink
// and the source of its system views.
type Store struct {
	opts Options
	log  *slog.Logger
	db   *sql.DB

	// mu guards the queue and the counters below it.
	mu      sync.Mutex
	queue   []any // engine.StreamEvent, engine.CommitEvent, engine.RejectedRecord, sqlalert.Event
	enq     uint64
	written uint64        // events up to this sequence number are in SQLite
	flushed chan struct{} // closed (and replaced) whenever written grows
	dropped int64
	closed  bool

	// versionBase is, per table id, the highest commit_version stored before
	// Open: the engine counts commits from 1 in each process, so versions
	// continue from there. Only the writer uses it after Open.
	versionBase map[string]int64

	kick    chan struct{} // asks the writer to write now
	ctx     context.Context
	cancel  context.CancelFunc
	stopped chan struct{} // closed when the writer has exited
}

var (
	_ engine.EventSink    = (*Store)(nil)
	_ engine.SystemTables = (*Store)(nil)
)

// Open opens (or creates) the system tables and starts the writer.
func Open(ctx context.Context, opts Options) (*Store, error) {
	opts.setDefaults()
	dsn := "file:" + opts.Path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=busy_timeout(5000)"
	if opts.Memory {
		dsn = ":memory:"
	} else if opts.Path == "" {
		return nil, fmt.Errorf("%w: a path is required unless Memory is set", engine.ErrInvalidArgument)
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open system tables: %w", err)
	}
	if opts.Memory {
		// Every connection to :memory: is its own database: keep exactly one.
		db.SetMaxOpenConns(1)
		db.SetConnMaxLifetime(0)
		db.SetConnMaxIdleTime(0)
	}
	if _, err := db.ExecContext(ctx, schemaDDL()); err != nil {
		db.Close()
		return nil, fmt.Errorf("create system tables in %s: %w", opts.Path, err)
	}
	s := &Store{opts: opts, log: opts.Logger, db: db, flushed: make(chan struct{}), kick: make(chan struct{}, 1),
		stopped: make(chan struct{})}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.prune()
	if s.versionBase, err = loadVersionBase(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	go s.run()
	return s, nil
}

func loadVersionBase(ctx context.Context, db *sql.DB) (map[string]int64, error) {
	rows, err := db.QueryContext(ctx, "SELECT table_id, max(commit_version) FROM zerobus_ingest WHERE table_id IS NOT NULL GROUP BY table_id")
	if err != nil {
		return nil, fmt.Errorf("read commit versions: %w", err)
	}
	defer rows.Close()
	base := map[string]int64{}
	for rows.Next() {
		var id string
		var v int64
		if err := rows.Scan(&id, &v); err != nil {
			return nil, err
		}
		base[id] = v
	}
	return base, rows.Err()
}

// Close writes every queued event, stops the writer and closes the file.
// If ctx ends first the remaining events are still written before Close
// returns; the error then reports ctx's.
func (s *Store) Close(ctx context.Context) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	var err error
	select {
	case <-s.stopped:
	case <-ctx.Done():
		err = fmt.Errorf("close system tables: %w", ctx.Err())
		<-s.stopped
	}
	if cerr := s.db.Close(); cerr != nil && err == nil {
		err = cerr
	}
	return err
}

// StreamEvent implements engine.EventSink.
func (s *Store) StreamEvent(ev engine.StreamEvent) { s.enqueue(ev) }

// CommitEvent implements engine.EventSink.
func (s *Store) CommitEvent(ev engine.CommitEvent) { s.enqueue(ev) }

// RejectedRecord implements engine.EventSink.
func (s *Store) RejectedRecord(ev engine.RejectedRecord) { s.enqueue(ev) }

// TimestampWarning implements engine.EventSink.
func (s *Store) TimestampWarning(ev engine.TimestampWarning) { s.enqueue(ev) }

func (s *Store) enqueue(ev any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || len(s.queue) >= s.opts.QueueSize {
		s.dropped++
		return
	}
	s.queue = append(s.queue, ev)
	s.enq++
}

// Flush waits until every event queued before the call is in SQLite.
func (s *Store) Flush(ctx context.Context) error {
	s.mu.Lock()
	target := s.enq
	for s.written < target {
		ch := s.flushed
		s.mu.Unlock()
		select {
		case s.kick <- struct{}{}:
		default:
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-s.stopped:
			return ErrClosed
		}
		s.mu.Lock()
	}
	s.mu.Unlock()
	return nil
}

// run is the writer: it drains the queue every BatchInterval (or when a
// read asks), prunes every PruneInterval, and drains a last time on Close.
func (s *Store) run() {
	defer close(s.stopped)
	batch := time.NewTicker(s.opts.BatchInterval)
	defer batch.Stop()
	prune := time.NewTicker(s.opts.PruneInterval)
	defer prune.Stop()
	for {
		select {
		case <-s.ctx.Done():
			s.writeQueued()
			return
		case <-prune.C:
			s.prune()
			continue
		case <-s.kick:
		case <-batch.C:
		}
		s.writeQueued()
	}
}

func (s *Store) writeQueued() {
	s.mu.Lock()
	batch, target, dropped := s.queue, s.enq, s.dropped
	s.queue, s.dropped = nil, 0
	s.mu.Unlock()
	if dropped > 0 {
		s.log.Warn("system tables: events dropped (queue full or closed)", "count", dropped)
	}
	if len(batch) > 0 {
		if err := s.write(batch); err != nil {
			// Retrying could stall every later event; the loss is logged.
			s.log.Error("system tables: write failed, events lost", "count", len(batch), "err", err)
		}
	}
	s.mu.Lock()
	if target > s.written {
		s.written = target
		close(s.flushed)
		s.flushed = make(chan struct{})
	}
	s.mu.Unlock()
}

// write inserts one batch in one transaction.
func (s *Store) write(batch []any) error {
	ctx := context.WithoutCancel(s.ctx)
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	stmts := map[*tableSpec]*sql.Stmt{}
	capped := map[string]bool{} // tables written to that keep MaxRejected rows
	for _, ev := range batch {
		r := s.toRow(ev)
		st, ok := stmts[r.spec]
		if !ok {
			if st, err = tx.PrepareContext(ctx, r.spec.insert); err != nil {
				return err
			}
			stmts[r.spec] = st
		}
		if _, err := st.ExecContext(ctx, r.vals...); err != nil {
			return fmt.Errorf("insert into %s: %w", r.spec.sqlName, err)
		}
		if n := r.spec.sqlName; n == "rejected_records" || n == "warnings" {
			capped[n] = true
		}
	}
	for n := range capped {
		// Keep the newest MaxRejected rows: ids only grow.
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("DELETE FROM %[1]s WHERE id <= (SELECT max(id) FROM %[1]s) - ?", n), s.opts.MaxRejected); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// prune deletes rows older than the retention period.
func (s *Store) prune() {
	cutoff := formatTime(s.opts.Now().Add(-s.opts.Retention))
	ctx := context.WithoutCancel(s.ctx)
	for _, sp := range specs {
		res, err := s.db.ExecContext(ctx, fmt.Sprintf("DELETE FROM %s WHERE %s < ?", sp.sqlName, quoteIdent(sp.timeCol)), cutoff)
		if err != nil {
			s.log.Error("system tables: prune failed", "table", sp.sqlName, "err", err)
			continue
		}
		if n, _ := res.RowsAffected(); n > 0 {
			s.log.Info("system tables: pruned rows past retention", "table", sp.sqlName, "rows", n, "retention", s.opts.Retention)
		}
	}
}
