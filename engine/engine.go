package engine

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/zbemu/zbemu/engine/identity"
	"github.com/zbemu/zbemu/engine/lowprio"
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
	// (default DefaultCheckpointThreshold). Checkpoints only stall
	// materialisation, never acks; what the WAL holds at a crash is what
	// DuckDB replays at the next start.
	CheckpointThreshold string
	// MemoryLimit caps DuckDB's buffer memory (default DefaultMemoryLimit);
	// DuckDB spills to disk beyond it, so it bounds RSS rather than data size.
	MemoryLimit string
	// Threads is how many worker threads DuckDB runs (default
	// DefaultThreads()).
	Threads int
	// BackgroundNice is the nice value (1..19) of the OS threads that run
	// background work — the materialiser's DuckDB appends, commits and
	// checkpoints, and whatever runs through Background (pipeline
	// updates) — so that the ack path (request handlers, the ingest log
	// writer) gets the CPU first and the background work the rest
	// (package engine/lowprio). 0 means DefaultBackgroundNice; a negative
	// value runs background work at the process's own priority.
	BackgroundNice int
	// LogGenerationBytes is the preallocated size of an ingest log segment;
	// applied segments are deleted or reused whole (default 64 MiB).
	LogGenerationBytes int64
	// MaxBacklogBytes and MaxBacklogRecords bound the acknowledged records
	// that are not yet in DuckDB, by the memory they hold (their logged
	// bytes and their decoded rows, see rowsMem) and by their number
	// (defaults DefaultMaxBacklogBytes and DefaultMaxBacklogRecords). While
	// the backlog is at either bound the ingest log writer holds new
	// requests back until the materialiser catches up: acks slow down (a
	// client's in-flight window then slows it), nothing is refused, and
	// memory stays bounded instead of growing with the lag.
	MaxBacklogBytes   int64
	MaxBacklogRecords int64
	// VisibilityDelay, when set, holds each acknowledged request back from
	// queries for what it returns (zbemu serve --latency realistic), as the
	// real service makes rows queryable seconds after the ack. Durability,
	// acks and their order are unaffected; Close applies everything.
	VisibilityDelay func() time.Duration
	// StrictTimestamps refuses records with an integer timestamp that looks
	// like seconds or milliseconds (schema.ClassifyMicros) instead of
	// accepting them with a warning, as the real service accepts them.
	StrictTimestamps bool
	// Delta keeps every table also as a Delta Lake table under
	// <DataDir>/delta (deltamirror.go); ignored with Memory.
	Delta bool
	// DeltaInterval is how often the Delta mirror writes what changed
	// (default DefaultDeltaInterval): the bound on how long a
	// materialised row takes to reach the Delta table, plus its write.
	DeltaInterval time.Duration
	// ImportDirs are the directories whose Delta tables ImportDelta may
	// read (zbemu serve --import-dir); none disables import. They are
	// resolved to absolute paths without symbolic links at Open and added
	// to DuckDB's allowed directories, which are fixed from then on.
	ImportDirs []string
	// NoSync skips fsync of the ingest log. Acks then no longer mean durable;
	// only for benchmarks that measure everything but the disk.
	NoSync bool
}

// Default bounds of the backlog (Options.MaxBacklogBytes and
// MaxBacklogRecords): 40 materialiser rounds of FlushRows records, and a
// quarter GiB of logged bytes and decoded rows, which fits a 2–4 GiB
// machine next to DuckDB's own MemoryLimit.
const (
	DefaultMaxBacklogBytes   = 256 << 20
	DefaultMaxBacklogRecords = 2_000_000
)

// DuckDB's resources. DuckDB's own defaults are 80% of RAM, a thread per
// core and a 16 MB WAL (https://duckdb.org/docs/stable/configuration/overview).
// zbemu shares the machine with the ingest path, whose backlog may hold
// DefaultMaxBacklogBytes, so DuckDB gets a fixed 128 MB buffer pool
// (it spills to its temp directory beyond that) and at most 4 threads,
// leaving a core to the ack path (see DefaultThreads):
// ingest appends on one connection, and every thread takes memory of its
// own outside the buffer pool. With 256 MB a 30-minute soak at 20k
// records/s levelled off at 344–354 MB RSS, past issue 16's 300 MB. The
// checkpoint threshold bounds the WAL DuckDB replays after kill -9 before
// zbemu can answer, at 20–40 ms of CPU per MB of WAL (measured: 0.7 s for
// 33 MB; ~0.5 s for 13 MB on a loaded machine), so 4 MB keeps it near
// 0.1–0.2 s; checkpoints run in the materialiser, never on the ack path.
const (
	DefaultMemoryLimit         = "128MB"
	DefaultCheckpointThreshold = "4MB"
	maxDefaultThreads          = 4
)

// DefaultBackgroundNice is Options.BackgroundNice's default. At nice 10 a
// busy background thread gets about a tenth of a core that a busy ack
// path thread wants as well (the kernel's weights for nice 0 and 10 are
// 1024 and 110, https://docs.kernel.org/scheduler/sched-nice-design.html),
// and all of any core the ack path leaves idle, so materialisation keeps
// up at every rate the log writer takes (the backlog bound slows acks
// before it could fall behind for good).
const DefaultBackgroundNice = 10

// DefaultThreads is the number of DuckDB threads when Options.Threads is
// 0: one per core but one, at least 1 and at most 4. The core left over
// belongs to the ack path (log writer, gRPC): while a worker runs a task,
// DuckDB's calling thread spins waiting for it
// (https://github.com/duckdb/duckdb/issues/22178), so on a 2-core machine
// two DuckDB threads held both cores during each pipeline cycle and
// doubled ingest ack p99.
func DefaultThreads() int { return max(1, min(runtime.NumCPU()-1, maxDefaultThreads)) }

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
		o.CheckpointThreshold = DefaultCheckpointThreshold
	}
	if o.Threads <= 0 {
		o.Threads = DefaultThreads()
	}
	if o.BackgroundNice == 0 {
		o.BackgroundNice = DefaultBackgroundNice
	}
	if o.LogGenerationBytes <= 0 {
		o.LogGenerationBytes = 64 << 20
	}
	if o.MaxBacklogBytes <= 0 {
		o.MaxBacklogBytes = DefaultMaxBacklogBytes
	}
	if o.MaxBacklogRecords <= 0 {
		o.MaxBacklogRecords = DefaultMaxBacklogRecords
	}
	if o.MemoryLimit == "" {
		o.MemoryLimit = DefaultMemoryLimit
	}
	if o.DeltaInterval <= 0 {
		o.DeltaInterval = DefaultDeltaInterval
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

	db  *sql.DB         // DuckDB: in-memory primary database, one attached database per catalog
	ids *identity.Store // workspace.db: principals, tokens, grants, settings, descriptors

	// mu guards the catalog metadata cache below. DDL holds it for writing
	// while it changes DuckDB and the cache together.
	mu       sync.RWMutex
	catalogs map[string]*catalogState // key: lower-case catalog name

	ilog *ingestLog
	mat  *materializer
	// delta is the Delta Lake mirror; nil when it is off.
	delta *deltaMirror

	// eventLog answers event_log(...) in SQL (SetEventLogSource).
	eventLog eventLogHolder

	// dataVersion grows after every write that may change rows
	// (DataVersion).
	dataVersion atomic.Uint64

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
	if !opts.Memory && opts.DataDir != "" {
		// DuckDB's allowed_directories compares absolute paths.
		abs, err := filepath.Abs(opts.DataDir)
		if err != nil {
			return nil, fmt.Errorf("data directory: %w", err)
		}
		opts.DataDir = abs
	}
	for i, d := range opts.ImportDirs {
		abs, err := resolveDir(d)
		if err != nil {
			return nil, fmt.Errorf("import directory %s: %w", d, err)
		}
		opts.ImportDirs[i] = abs
	}
	e := &Engine{opts: opts, log: opts.Logger, catalogs: map[string]*catalogState{}}
	e.ctx, e.cancel = context.WithCancel(context.Background())
	if !opts.Memory {
		if opts.DataDir == "" {
			return nil, fmt.Errorf("%w: a data directory is required unless Memory is set", ErrInvalidArgument)
		}
		catalogs, spill := e.duckDirs()
		for _, d := range []string{catalogs, spill} {
			if err := os.MkdirAll(d, 0o700); err != nil {
				return nil, fmt.Errorf("create data directory: %w", err)
			}
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
	if opts.Delta && !opts.Memory {
		if e.delta, err = openDeltaMirror(ctx, e); err != nil {
			e.ilog.close()
			e.closeStores()
			return nil, err
		}
		e.wg.Add(1)
		// Like the materialiser, the mirror gives the ack path the CPU first.
		e.Background(func() { defer e.wg.Done(); e.delta.run(e.ctx) })
	}
	e.wg.Add(2)
	go func() { defer e.wg.Done(); e.ilog.run(e.ctx) }()
	e.Background(func() { defer e.wg.Done(); e.mat.run(e.ctx) })
	e.ready.Store(true)
	return e, nil
}

func (e *Engine) openStores(ctx context.Context) error {
	// The settings are global and locked after the first connection, so
	// only that connection applies them; later ones inherit them.
	var mu sync.Mutex
	configured := false
	connector, err := duckdb.NewConnector("", func(execer driver.ExecerContext) error {
		mu.Lock()
		defer mu.Unlock()
		if configured {
			return nil
		}
		for _, q := range e.duckSettings() {
			if _, err := execer.ExecContext(ctx, q, nil); err != nil {
				return fmt.Errorf("%s: %w", q, err)
			}
		}
		configured = true
		return nil
	})
	if err != nil {
		return fmt.Errorf("open duckdb: %w", err)
	}
	e.db = sql.OpenDB(connector)
	ids, err := identity.Open(ctx, identity.Options{Path: e.workspacePath(), DevClientID: e.opts.DevClientID,
		DevClientSecret: e.opts.DevClientSecret, DevToken: e.opts.DevToken})
	if err != nil {
		return err
	}
	e.ids = ids
	if err := e.openSystemTables(ctx); err != nil {
		return err
	}
	if err := e.registerSparkType(ctx); err != nil {
		return err
	}
	return e.loadCatalogs(ctx)
}

// duckSettings are the global DuckDB settings zbemu runs with. The last
// ones seal DuckDB against the SQL that users send (see
// https://duckdb.org/docs/stable/operations_manual/securing_duckdb/overview):
// no file, network or extension access outside the directories zbemu's own
// work needs (the catalog files, which CREATE CATALOG attaches at run time,
// and DuckDB's spill directory), and a locked configuration.
//
// What lock_configuration blocks, found by experiment with DuckDB 1.5: every
// SET and RESET, of global and session settings alike (so TimeZone and the
// NULL order are set GLOBAL here, before the lock, and new connections
// inherit them). It does not block USE, ATTACH/DETACH of paths in
// allowed_directories, CHECKPOINT, or SET VARIABLE / getvariable (user
// variables are not configuration; the statement checks in seal.go refuse
// those).
func (e *Engine) duckSettings() []string {
	qs := []string{
		"SET checkpoint_threshold = " + quoteString(e.opts.CheckpointThreshold),
		"SET GLOBAL TimeZone = 'UTC'",
		// Databricks sorts NULLs first ascending and last descending.
		"SET GLOBAL default_null_order = 'nulls_first_on_asc_last_on_desc'",
		"SET memory_limit = " + quoteString(e.opts.MemoryLimit),
		"SET threads = " + strconv.Itoa(e.opts.Threads),
		// DuckDB's allocator (jemalloc on Linux) hands freed memory back
		// to the OS from a background thread instead of only when a
		// thread allocates again, so RSS follows what DuckDB holds.
		"SET allocator_background_threads = true",
		"SET autoinstall_known_extensions = false",
		"SET autoload_known_extensions = false",
	}
	var dirs []string
	if !e.opts.Memory {
		catalogs, spill := e.duckDirs()
		qs = append(qs, "SET temp_directory = "+quoteString(spill))
		dirs = append(dirs, catalogs, spill, e.deltaRoot())
	}
	if dirs = append(dirs, e.opts.ImportDirs...); len(dirs) > 0 {
		for i, d := range dirs {
			dirs[i] = quoteString(d + string(filepath.Separator))
		}
		qs = append(qs, "SET allowed_directories = ["+strings.Join(dirs, ", ")+"]")
	}
	return append(qs,
		"SET enable_external_access = false",
		"SET lock_configuration = true")
}

// duckDirs returns the directories DuckDB may touch: the catalog files and
// its spill directory.
func (e *Engine) duckDirs() (catalogs, spill string) {
	return filepath.Join(e.opts.DataDir, "catalogs"), filepath.Join(e.opts.DataDir, "duckdb_tmp")
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
	if e.ids != nil {
		e.ids.Close()
	}
}

// Ready reports whether storage is open and the ingest log replayed.
func (e *Engine) Ready() bool { return e.ready.Load() && !e.closed.Load() }

// Health is nil while the engine takes and applies writes. Otherwise it is
// an ErrUnavailable error naming the cause (the ingest log cannot be
// written, or acknowledged records cannot be written to DuckDB, e.g. a full
// disk): ingest is refused with it, /readyz reports it, and the engine
// retries in the background until the cause is gone.
func (e *Engine) Health() error {
	if errp := e.ilog.failed.Load(); errp != nil {
		return *errp
	}
	if errp := e.mat.degraded.Load(); errp != nil {
		return *errp
	}
	return nil
}

// Quarantined is the number of log entries moved to the quarantine since
// Open, replay included (system.zbemu.quarantined_records lists them).
func (e *Engine) Quarantined() int64 { return e.mat.quarantined.Load() }

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
	if e.delta != nil {
		e.delta.close(context.WithoutCancel(ctx))
	}
	e.ilog.close()
	e.closeStores()
	return err
}

// Background runs f on a goroutine whose OS thread runs at
// Options.BackgroundNice (package engine/lowprio); the thread ends with f.
// DuckDB work f does runs on that thread. Work that a client waits for
// with a deadline does not belong here.
func (e *Engine) Background(f func()) {
	lowprio.Go(min(max(e.opts.BackgroundNice, 0), lowprio.MaxNice), func(err error) {
		e.log.Warn("background work runs at the ordinary priority", "err", err)
	}, f)
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

// workspacePath is the file of the workspace store; empty keeps it in memory.
func (e *Engine) workspacePath() string {
	if e.opts.Memory {
		return ""
	}
	return filepath.Join(e.opts.DataDir, "workspace.db")
}
