package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"text/template"
	"time"

	"github.com/zbemu/zbemu/engine"
	"github.com/zbemu/zbemu/engine/lakeview"
	"github.com/zbemu/zbemu/engine/pipeline"
	"github.com/zbemu/zbemu/engine/sqlalert"
	"github.com/zbemu/zbemu/fixtures"
	"github.com/zbemu/zbemu/systables"
	"github.com/zbemu/zbemu/web"
)

func newLogger(level string, w io.Writer) *slog.Logger {
	var l slog.Level
	l.UnmarshalText([]byte(level))
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}

// serve wires Config into the engine and web Options and runs until ctx ends.
func serve(ctx context.Context, cfg Config, stdout, stderr io.Writer) error {
	began := time.Now()
	log := newLogger(cfg.LogLevel, stderr)
	restrictUmask()
	if !cfg.Memory {
		if err := privateDataDir(cfg.DataDir, log); err != nil {
			return err
		}
	}
	metrics := web.NewMetrics()
	eopts := engine.Options{DataDir: cfg.DataDir, Memory: cfg.Memory, Logger: log, Observer: metrics,
		DevClientID: cfg.ClientID, DevClientSecret: cfg.ClientSecret, DevToken: cfg.DevToken, FlushInterval: cfg.FlushInterval,
		MaxBacklogBytes: cfg.MaxBacklogBytes, MaxBacklogRecords: cfg.MaxBacklogRecords, MemoryLimit: cfg.DuckDBMemory, Threads: cfg.DuckDBThreads}
	// closers close what serve opened, last opened first: pipelines,
	// dashboards and alerts before the engine they use, the system tables
	// after the engine, which emits its last commits while closing. Only
	// the engine's and the system tables' errors are reported.
	var closers []func(context.Context) error
	closeAll := func(ctx context.Context) error {
		var first error
		for i := len(closers) - 1; i >= 0; i-- {
			if err := closers[i](ctx); err != nil && first == nil {
				first = err
			}
		}
		return first
	}
	sys, err := openSystables(ctx, cfg, log)
	if err != nil {
		return err
	}
	if sys != nil {
		eopts.Events, eopts.SystemTables = sys, sys
		closers = append(closers, sys.Close)
	}
	e, err := engine.Open(ctx, eopts)
	if err != nil {
		closeAll(context.Background())
		return err
	}
	closers = append(closers, e.Close)
	wopts := web.Options{Addr: cfg.Addr, Logger: log, Version: version, Metrics: metrics,
		Timeouts: web.Timeouts{Body: cfg.BodyTimeout, Idle: cfg.IdleTimeout}}
	alerts, err := openAlerts(ctx, cfg, e, sys, log)
	if err != nil {
		closeAll(context.Background())
		return err
	}
	wopts.Alerts = alerts
	closers = append(closers, alerts.Close)
	dashboards, err := openDashboards(ctx, cfg, e)
	if err != nil {
		closeAll(context.Background())
		return err
	}
	wopts.Dashboards = dashboards
	closers = append(closers, func(context.Context) error { dashboards.Close(); return nil })
	wd, err := os.Getwd()
	if err != nil {
		wd = "."
	}
	pipes, err := pipeline.Open(ctx, e, pipeline.Options{WorkDir: wd, Observer: metrics})
	if err != nil {
		closeAll(context.Background())
		return err
	}
	wopts.Pipelines = pipes
	closers = append(closers, func(ctx context.Context) error { pipes.Close(ctx); return nil })
	caPath := ""
	if cfg.TLS {
		dir := filepath.Join(cfg.DataDir, "tls")
		if cfg.Memory {
			dir = filepath.Join(os.TempDir(), "zbemu-tls")
		}
		tc, ca, err := web.LocalTLS(dir)
		if err != nil {
			closeAll(context.Background())
			return err
		}
		wopts.TLSConfig, caPath = tc, ca
	}
	wopts.UI = web.UIOptions{DevClientID: cfg.ClientID, DevClientSecret: cfg.ClientSecret, DevToken: cfg.DevToken, CAFile: caPath}
	srv := web.New(e, wopts)
	if err := srv.Listen(); err != nil {
		closeAll(context.Background())
		return err
	}
	startup := time.Since(began)
	log.Info("started", "startup", startup, "addr", srv.Addr())
	printBanner(stdout, cfg, srv.Addr(), caPath, startup)
	if n := e.Quarantined(); n > 0 {
		fmt.Fprintf(stdout, "WARNING: %d ingest log entries could not be applied at start and were quarantined:\n"+
			"  zbemu sql \"SELECT * FROM system.zbemu.quarantined_records\"\n", n)
	}
	if err := e.Health(); err != nil {
		fmt.Fprintf(stdout, "WARNING: started degraded, ingest is refused until this clears by itself: %v\n", err)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve() }()
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	log.Info("shutting down: finishing open calls, making acknowledged records queryable")
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if serr := srv.Shutdown(sctx); serr != nil && err == nil {
		err = serr
	}
	if cerr := closeAll(sctx); cerr != nil && err == nil {
		err = cerr
	}
	return err
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

var bannerTmpl = template.Must(template.New("banner").Parse(`
zbemu {{.Version}} — Databricks Zerobus Ingest emulator, ready in {{.Startup}}.

  Web UI             {{.URL}}/
  Workspace URL      {{.URL}}
  Zerobus endpoint   {{.URL}}
  Data directory     {{.Data}}
  Client id / secret {{.ClientID}} / {{.ClientSecret}}
  Token (PAT)        {{.Token}}
{{- if .CA}}
  TLS CA             {{.CA}}
    export SSL_CERT_FILE={{.CA}}
{{- end}}

Run SQL:   zbemu sql "SHOW TABLES IN main.default"
           curl -s -H "Authorization: Bearer {{.Token}}" {{.URL}}/api/2.0/sql/statements \
             -d '{"statement": "SELECT 1", "warehouse_id": "zbemu"}'
REST:      curl -s -H "Authorization: Bearer {{.Token}}" -H "Content-Type: application/json" \
             {{.URL}}/zerobus/v1/tables/main.default.events/insert -d '[{"id": 1}]'
SDK (Node):
  const sdk = new ZerobusSdk("{{.URL}}", "{{.URL}}");
  const stream = await sdk.createStream({ tableName: "main.default.events" },
      "{{.ClientID}}", "{{.ClientSecret}}", { recordType: RecordType.Json });
  await stream.ingestRecordOffset({ id: 1 }); await stream.close();
SDK (Python):
  sdk = ZerobusSdk("{{.URL}}", "{{.URL}}")
  stream = sdk.create_stream("{{.ClientID}}", "{{.ClientSecret}}", TableProperties("main.default.events"),
                             StreamConfigurationOptions(record_type=RecordType.JSON))
If you use an HTTP proxy: export NO_PROXY=localhost,127.0.0.1
`))

// printBanner prints how to connect; startup is how long opening the
// stores, replaying the ingest log and binding the port took.
func printBanner(w io.Writer, cfg Config, addr, ca string, startup time.Duration) {
	scheme := "http"
	if ca != "" {
		scheme = "https"
	}
	host := addr
	if strings.HasPrefix(cfg.Addr, "localhost:") {
		host = "localhost:" + addr[strings.LastIndex(addr, ":")+1:]
	}
	data := cfg.DataDir
	if cfg.Memory {
		data = "(in memory: nothing is written to disk)"
	} else if abs, err := filepath.Abs(data); err == nil {
		data = abs
	}
	token := cfg.DevToken
	if token == "" {
		token = "<create one: zbemu token create>"
	}
	bannerTmpl.Execute(w, map[string]string{"Version": version, "URL": fmt.Sprintf("%s://%s", scheme, host), "Data": data,
		"ClientID": cfg.ClientID, "ClientSecret": cfg.ClientSecret, "Token": token, "CA": ca,
		"Startup": startup.Round(time.Millisecond).String()})
}
