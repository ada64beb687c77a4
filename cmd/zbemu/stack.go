package main

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/zbemu/zbemu/engine"
	"github.com/zbemu/zbemu/engine/lakeview"
	"github.com/zbemu/zbemu/engine/pipeline"
	"github.com/zbemu/zbemu/engine/sqlalert"
	"github.com/zbemu/zbemu/fixtures"
	"github.com/zbemu/zbemu/systables"
	"github.com/zbemu/zbemu/web"
	"github.com/zbemu/zbemu/web/metrics"
)

// stack is one zbemu as Config describes it: metrics, system tables and
// alerts (unless --no-systables), the engine, the built-in dashboards,
// pipelines and the web server, listening. zbemu serve runs it until
// stopped; zbemu bench measures it, so the benchmark pays for what a
// learner's server does.
type stack struct {
	metrics *metrics.Metrics
	sys     *systables.Store // nil without system tables
	e       *engine.Engine
	pipes   *pipeline.Manager
	srv     *web.Server
	caPath  string // the local CA with --tls

	// closers close what openStack opened, last opened first: pipelines,
	// dashboards and alerts before the engine they use, the system tables
	// after the engine, which emits its last commits while closing. Only
	// the engine's and the system tables' errors are reported.
	closers []func(context.Context) error
}

// openStack opens everything cfg asks for and binds the listening address;
// the caller starts serving (srv.Serve) and calls close.
func openStack(ctx context.Context, cfg Config, log *slog.Logger) (_ *stack, err error) {
	s := &stack{metrics: metrics.New()}
	defer func() {
		if err != nil {
			s.closeAll(context.Background())
		}
	}()
	if !cfg.Memory {
		if err := privateDataDir(cfg.DataDir, log); err != nil {
			return nil, err
		}
	}
	eopts := engine.Options{DataDir: cfg.DataDir, Memory: cfg.Memory, Logger: log, Observer: s.metrics,
		DevClientID: cfg.ClientID, DevClientSecret: cfg.ClientSecret, DevToken: cfg.DevToken, FlushInterval: cfg.FlushInterval,
		MaxBacklogBytes: cfg.MaxBacklogBytes, MaxBacklogRecords: cfg.MaxBacklogRecords, MemoryLimit: cfg.DuckDBMemory, Threads: cfg.DuckDBThreads,
		BackgroundNice: backgroundNice(cfg.BackgroundNice), StrictTimestamps: cfg.StrictTimestamps, Delta: cfg.Delta, DeltaInterval: cfg.DeltaInterval,
		ImportDirs: cfg.ImportDirs}
	var ackDelay func() time.Duration
	if cfg.Latency == latencyRealistic {
		ackDelay, eopts.VisibilityDelay = realisticLatency()
	}
	if s.sys, err = openSystables(ctx, cfg, log); err != nil {
		return nil, err
	}
	if s.sys != nil {
		eopts.Events, eopts.SystemTables = s.sys, s.sys
		s.closers = append(s.closers, s.sys.Close)
	}
	if s.e, err = engine.Open(ctx, eopts); err != nil {
		return nil, err
	}
	s.closers = append(s.closers, s.e.Close)
	wopts := web.Options{Addr: cfg.Addr, Logger: log, Version: version, Metrics: s.metrics,
		Timeouts: web.Timeouts{Body: cfg.BodyTimeout, Idle: cfg.IdleTimeout}, AckDelay: ackDelay}
	if cfg.Quotas {
		wopts.Quotas = &cfg.QuotaLimits
	}
	alerts, err := openAlerts(ctx, cfg, s.e, s.sys, log)
	if err != nil {
		return nil, err
	}
	wopts.Alerts = alerts
	s.closers = append(s.closers, alerts.Close)
	dashboards, err := openDashboards(ctx, cfg, s.e)
	if err != nil {
		return nil, err
	}
	wopts.Dashboards = dashboards
	s.closers = append(s.closers, func(context.Context) error { dashboards.Close(); return nil })
	wd, err := os.Getwd()
	if err != nil {
		wd = "."
	}
	if s.pipes, err = pipeline.Open(ctx, s.e, pipeline.Options{WorkDir: wd, Observer: s.metrics}); err != nil {
		return nil, err
	}
	wopts.Pipelines = s.pipes
	s.closers = append(s.closers, func(ctx context.Context) error { s.pipes.Close(ctx); return nil })
	if cfg.TLS {
		dir := filepath.Join(cfg.DataDir, "tls")
		if cfg.Memory {
			dir = filepath.Join(os.TempDir(), "zbemu-tls")
		}
		if wopts.TLSConfig, s.caPath, err = web.LocalTLS(dir); err != nil {
			return nil, err
		}
	}
	wopts.UI = web.UIOptions{DevClientID: cfg.ClientID, DevClientSecret: cfg.ClientSecret, DevToken: cfg.DevToken, CAFile: s.caPath,
		StatsInterval: cfg.StatsInterval}
	s.srv = web.New(s.e, wopts)
	if err := s.srv.Listen(); err != nil {
		return nil, err
	}
	return s, nil
}

// close finishes open calls, then closes what openStack opened; it
// returns the first error.
func (s *stack) close(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	if cerr := s.closeAll(ctx); cerr != nil && err == nil {
		err = cerr
	}
	return err
}

func (s *stack) closeAll(ctx context.Context) error {
	var first error
	for i := len(s.closers) - 1; i >= 0; i-- {
		if err := s.closers[i](ctx); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// openSystables opens <data>/system.db (in memory with --memory), or
// nothing with --no-systables.
func openSystables(ctx context.Context, cfg Config, log *slog.Logger) (*systables.Store, error) {
	if !cfg.SysTables {
		return nil, nil
	}
	opts := systables.Options{Memory: cfg.Memory, Path: filepath.Join(cfg.DataDir, "system.db"), Retention: cfg.SysRetention,
		AccountID: cfg.AccountID, WorkspaceID: cfg.WorkspaceID, Logger: log}
	return systables.Open(ctx, opts)
}

// openDashboards opens <data>/dashboards.db (in memory with --memory) and
// installs the built-in dashboards, owned by the dev principal, that it
// does not hold yet.
func openDashboards(ctx context.Context, cfg Config, e *engine.Engine) (*lakeview.Manager, error) {
	path := filepath.Join(cfg.DataDir, "dashboards.db")
	if cfg.Memory {
		path = ""
	}
	m, err := lakeview.Open(ctx, e, lakeview.Options{Path: path})
	if err != nil {
		return nil, err
	}
	for _, d := range fixtures.Dashboards() {
		if _, err := m.InstallBuiltin(ctx, cfg.ClientID, d.Key, d.DisplayName, d.Serialized); err != nil {
			m.Close()
			return nil, err
		}
	}
	return m, nil
}

// openAlerts opens the SQL alerts (<data>/alerts.db), recording their
// events in the system tables when those are on, and imports the rules an
// older zbemu kept in system.db.
func openAlerts(ctx context.Context, cfg Config, e *engine.Engine, sys *systables.Store, log *slog.Logger) (*sqlalert.Manager, error) {
	opts := sqlalert.Options{Path: filepath.Join(cfg.DataDir, "alerts.db"), Interval: cfg.AlertInterval, WorkspaceID: cfg.WorkspaceID, Logger: log}
	if cfg.Memory {
		opts.Path = ""
	}
	if sys != nil {
		opts.Events = sys
	}
	m, err := sqlalert.Open(ctx, e, opts)
	if err != nil || sys == nil {
		return m, err
	}
	rules, err := sys.LegacyAlertRules(ctx)
	if err == nil {
		err = m.ImportRules(ctx, &engine.Identity{ClientID: cfg.ClientID, Admin: true}, rules)
	}
	if err == nil {
		err = sys.DropLegacyAlertRules(ctx)
	}
	if err != nil {
		m.Close(ctx)
		return nil, err
	}
	return m, nil
}

// backgroundNice maps the flag's 0 (off) to the engine's off switch.
func backgroundNice(nice int) int {
	if nice == 0 {
		return -1
	}
	return nice
}
