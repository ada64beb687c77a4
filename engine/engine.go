package engine

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

// Options configures an Engine. The zero value of each field means its
// documented default; cmd/zbemu fills these from flags and environment.
type Options struct {
	// DataDir holds every file zbemu writes. Ignored when Memory is set.
	DataDir string
	// Memory keeps everything in memory: nothing is written to disk and
	// nothing survives Close.
	Memory bool
	// Logger receives operational logs; nil discards them.
	Logger *slog.Logger
	// Events receives stream and commit events (system tables); nil drops them.
	Events EventSink
	// Observer receives ingest measurements (metrics, stats); nil measures nothing.
	Observer Observer
	// SystemTables serves system.lakeflow.* and system.zbemu.* to SQL; nil
	// makes queries of them fail with a message that they are switched off.
	SystemTables SystemTables
	// DevClientID and DevClientSecret are the credentials of the default
	// service principal, which holds every privilege.
	DevClientID, DevClientSecret string
	// DevToken is a personal access token of the default principal that is
	// always accepted (handy for notebooks and curl). Empty disables it.
	DevToken string
	// FlushInterval is how often acknowledged records are materialised into
	// DuckDB when nobody is waiting for them (default 50ms).
	FlushInterval time.Duration
	// FlushRows materialises early once this many rows are pending (default 50,000).
	FlushRows int
	// CheckpointThreshold is DuckDB's WAL size that triggers a checkpoint
	// (default "256MB"). Checkpoints only stall materialisation, never acks.
	CheckpointThreshold string
	// MemoryLimit caps DuckDB's buffer memory (default "256MB"); DuckDB
	// spills to disk beyond it, so it bounds RSS rather than data size.
	MemoryLimit string
	// LogGenerationBytes is the preallocated size of an ingest log segment;
	// applied segments are deleted or reused whole (default 64 MiB).
	LogGenerationBytes int64
	// NoSync skips fsync of the ingest log. Acks then no longer mean durable;
	// only for benchmarks that measure everything but the disk.
	NoSync bool
}

func (o *Options) setDefaults() {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Events == nil {
		o.Events = nopSink{}
	}
	if o.Observer == nil {
		o.Observer = nopObserver{}
	}
	if o.FlushInterval <= 0 {
		o.FlushInterval = 50 * time.Millisecond
	}
	if o.FlushRows <= 0 {
		o.FlushRows = 50000
	}
	if o.CheckpointThreshold == "" {
		o.CheckpointThreshold = "256MB"
	}
	if o.LogGenerationBytes <= 0 {
		o.LogGenerationBytes = 64 << 20
	}
	if o.MemoryLimit == "" {
		o.MemoryLimit = "256MB"
	}
	if o.DevClientID == "" {
		o.DevClientID = "zbemu-dev"
	}
}

// Engine owns the DuckDB databases (one file per catalog), the workspace
// store (principals, grants, tokens), the ingest log and the materialiser.
// It is safe for concurrent use. Open starts its goroutines; Close stops them.
type Engine struct {
	opts Options
	log  *slog.Logger

	db *sql.DB // DuckDB: in-memory primary database, one attached database per catalog
	ws *workspace

	// mu guards the catalog metadata cache below. DDL holds it for writing
	// while it changes DuckDB and the cache together.
	mu       sync.RWMutex
	catalogs map[string]*catalogState // key: lower-case catalog name

	ilog *ingestLog
	mat  *materializer

	ready  atomic.Bool
	closed atomic.Bool
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// Open opens (or creates) the data directory, replays the ingest log into
// DuckDB and starts the background work. The engine is ready when Open
// returns without error.
func Open(ctx context.Context, opts Options) (*Engine, error) {
	opts.setDefaults()
	e := &Engine{opts: opts, log: opts.Logger, catalogs: map[string]*catalogState{}}
	e.ctx, e.cancel = context.WithCancel(context.Background())
	if !opts.Memory {
		if opts.DataDir == "" {
			return nil, fmt.Errorf("%w: a data directory is required unless Memory is set", ErrInvalidArgument)
		}
		if err := os.MkdirAll(filepath.Join(opts.DataDir, "catalogs"), 0o755); err != nil {
			return nil, fmt.Errorf("create data directory: %w", err)
		}
	}
	if err := e.openStores(ctx); err != nil {
		e.closeStores()
		return nil, err
	}
	e.mat = newMaterializer(e)
	il, err := openIngestLog(e)
	if err != nil {
		e.closeStores()
		return nil, err
	}
	e.ilog = il
	if err := e.replay(ctx); err != nil {
		e.ilog.close()
		e.closeStores()
		return nil, fmt.Errorf("replay ingest log: %w", err)
	}
	e.wg.Add(2)
	go func() { defer e.wg.Done(); e.ilog.run(e.ctx) }()
	go func() { defer e.wg.Done(); e.mat.run(e.ctx) }()
	e.ready.Store(true)
	return e, nil
}

func (e *Engine) openStores(ctx context.Context) error {
	connector, err := duckdb.NewConnector("", func(execer driver.ExecerContext) error {
		for _, q := range []string{
			"SET checkpoint_threshold = '" + e.opts.CheckpointThreshold + "'",
			"SET TimeZone = 'UTC'",
			// Databricks sorts NULLs first ascending and last descending.
			"SET default_null_order = 'nulls_first_on_asc_last_on_desc'",
			"SET memory_limit = '" + e.opts.MemoryLimit + "'",
			"SET autoinstall_known_extensions = false",
			"SET autoload_known_extensions = false",
		} {
			if _, err := execer.ExecContext(ctx, q, nil); err != nil {
				return fmt.Errorf("%s: %w", q, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("open duckdb: %w", err)
	}
	e.db = sql.OpenDB(connector)
	ws, err := openWorkspace(ctx, e.opts)
	if err != nil {
		return err
	}
	e.ws = ws
	if err := e.ensureDevPrincipal(ctx); err != nil {
		return fmt.Errorf("default principal: %w", err)
	}
	if err := e.openSystemTables(ctx); err != nil {
		return err
	}
	return e.loadCatalogs(ctx)
}

func (e *Engine) closeStores() {
	if e.db != nil {
		// DuckDB checkpoints attached databases on detach/close, so files
		// open cleanly in the DuckDB shell afterwards.
		e.mu.Lock()
		for _, c := range e.catalogs {
			if _, err := e.db.Exec("CHECKPOINT " + quoteIdent(c.alias)); err != nil {
				e.log.Warn("checkpoint on close", "catalog", c.info.Name, "err", err)
			}
		}
		e.mu.Unlock()
		e.db.Close()
	}
	if e.ws != nil {
		e.ws.close()
	}
}

// Ready reports whether storage is open and the ingest log replayed.
func (e *Engine) Ready() bool { return e.ready.Load() && !e.closed.Load() }

// Close stops accepting work, makes every acknowledged record queryable,
// stops the goroutines and closes the files. It is safe to call once.
func (e *Engine) Close(ctx context.Context) error {
	if e.closed.Swap(true) {
		return nil
	}
	e.ready.Store(false)
	// Drain: the log writer finishes what it has, the materialiser applies it.
	e.ilog.shutdown()
	e.cancel()
	done := make(chan struct{})
	go func() { e.wg.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = fmt.Errorf("close: %w", ctx.Err())
		<-done
	}
	e.mat.closeFinal(context.WithoutCancel(ctx))
	e.ilog.close()
	e.closeStores()
	return err
}

// Options returns the options the engine runs with (defaults applied).
func (e *Engine) Options() Options { return e.opts }

// errClosedIfShutdown converts context cancellation during shutdown into ErrClosed.
func (e *Engine) checkOpen() error {
	if e.closed.Load() {
		return ErrClosed
	}
	return nil
}
