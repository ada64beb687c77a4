package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/zbemu/zbemu/engine"
	"github.com/zbemu/zbemu/engine/lowprio"
	"github.com/zbemu/zbemu/engine/sqlalert"
	"github.com/zbemu/zbemu/systables"
	"github.com/zbemu/zbemu/web"
	"github.com/zbemu/zbemu/web/metrics"
)

// Config is everything zbemu serve can be told. Precedence: flags, then
// ZBEMU_* environment variables, then defaults.
type Config struct {
	Addr         string
	DataDir      string
	Memory       bool
	TLS          bool
	ClientID     string
	ClientSecret string
	DevToken     string
	LogLevel     string
	// FlushInterval bounds how long acknowledged records wait before they
	// are written into DuckDB (engine.Options.FlushInterval).
	FlushInterval time.Duration
	// MaxBacklogBytes and MaxBacklogRecords bound the acknowledged records
	// not yet in DuckDB (engine.Options.MaxBacklogBytes, MaxBacklogRecords).
	MaxBacklogBytes   int64
	MaxBacklogRecords int64
	// DuckDBMemory and DuckDBThreads are DuckDB's memory_limit and threads
	// (engine.Options.MemoryLimit, Threads).
	DuckDBMemory  string
	DuckDBThreads int
	// BackgroundNice is the nice value of the materialiser's and the
	// pipelines' threads, 0 for none (engine.Options.BackgroundNice).
	BackgroundNice int
	// System tables (package systables) and alerts.
	SysTables     bool
	SysRetention  time.Duration
	AlertInterval time.Duration
	AccountID     string
	WorkspaceID   string
	// BodyTimeout and IdleTimeout are web.Timeouts.Body and .Idle.
	BodyTimeout time.Duration
	IdleTimeout time.Duration
	// Quotas enforces the real service's limits (web.Options.Quotas), at
	// QuotaLimits, which flags may lower for practice.
	Quotas      bool
	QuotaLimits web.Quotas
	// Latency is "instant" or "realistic" (ack and visibility delays of
	// the real service, see realisticLatency).
	Latency string
	// StrictTimestamps refuses integer timestamps that look like seconds
	// or milliseconds (engine.Options.StrictTimestamps).
	StrictTimestamps bool
	// StatsInterval is the time between the UI's live stats updates
	// (web.UIOptions.StatsInterval).
	StatsInterval time.Duration
	// Delta keeps every table also as a Delta Lake table under
	// <data>/delta, written every DeltaInterval (engine.Options.Delta).
	Delta         bool
	DeltaInterval time.Duration
	// ImportDirs are the directories zbemu import may read Delta tables
	// from (engine.Options.ImportDirs).
	ImportDirs []string
}

// DefaultConfig is what a learner gets with no flags.
func DefaultConfig() Config {
	return Config{Addr: "localhost:8765", DataDir: "./.zbemu", ClientID: "zbemu-dev", ClientSecret: "zbemu-dev-secret",
		DevToken: "dapi-zbemu-dev-token", LogLevel: "info", FlushInterval: 50 * time.Millisecond, SysTables: true, SysRetention: systables.DefaultRetention,
		AlertInterval: sqlalert.DefaultInterval, AccountID: systables.DefaultAccountID, WorkspaceID: systables.DefaultWorkspaceID,
		BodyTimeout: web.DefaultTimeouts.Body, IdleTimeout: web.DefaultTimeouts.Idle,
		MaxBacklogBytes: engine.DefaultMaxBacklogBytes, MaxBacklogRecords: engine.DefaultMaxBacklogRecords,
		DuckDBMemory: engine.DefaultMemoryLimit, DuckDBThreads: engine.DefaultThreads(), BackgroundNice: engine.DefaultBackgroundNice, QuotaLimits: web.DefaultQuotas, Latency: latencyInstant,
		StatsInterval: metrics.DefaultInterval, DeltaInterval: engine.DefaultDeltaInterval}
}

// usageError marks errors in how zbemu was called (exit code 2).
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

// ConfigError names the setting that is wrong.
type ConfigError struct {
	Field, Value string
	Err          error
}

func (e *ConfigError) Error() string { return fmt.Sprintf("%s=%q: %v", e.Field, e.Value, e.Err) }
func (e *ConfigError) Unwrap() error { return e.Err }

var errBadValue = errors.New("invalid value")

// envString and envBool read ZBEMU_* overrides of the defaults.
func envString(getenv func(string) string, name string, def string) string {
	if v := getenv(name); v != "" {
		return v
	}
	return def
}

func envBool(getenv func(string) string, name string, def bool) (bool, error) {
	v := getenv(name)
	if v == "" {
		return def, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, &ConfigError{Field: name, Value: v, Err: errBadValue}
	}
	return b, nil
}

func envInt(getenv func(string) string, name string, def int64) (int64, error) {
	v := getenv(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, &ConfigError{Field: name, Value: v, Err: errBadValue}
	}
	return n, nil
}

func envDuration(getenv func(string) string, name string, def time.Duration) (time.Duration, error) {
	v := getenv(name)
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, &ConfigError{Field: name, Value: v, Err: errBadValue}
	}
	return d, nil
}

// parseServeConfig builds the Config of zbemu serve from args and env.
func parseServeConfig(args []string, getenv func(string) string, stderr io.Writer) (Config, error) {
	c := DefaultConfig()
	c.Addr = envString(getenv, "ZBEMU_ADDR", c.Addr)
	c.DataDir = envString(getenv, "ZBEMU_DATA", c.DataDir)
	c.ClientID = envString(getenv, "ZBEMU_CLIENT_ID", c.ClientID)
	c.ClientSecret = envString(getenv, "ZBEMU_CLIENT_SECRET", c.ClientSecret)
	c.DevToken = envString(getenv, "ZBEMU_TOKEN", c.DevToken)
	c.LogLevel = envString(getenv, "ZBEMU_LOG_LEVEL", c.LogLevel)
	var err error
	if c.Memory, err = envBool(getenv, "ZBEMU_MEMORY", c.Memory); err != nil {
		return c, err
	}
	if c.TLS, err = envBool(getenv, "ZBEMU_TLS", c.TLS); err != nil {
		return c, err
	}
	if c.SysTables, err = envBool(getenv, "ZBEMU_SYSTABLES", c.SysTables); err != nil {
		return c, err
	}
	if c.SysRetention, err = envDuration(getenv, "ZBEMU_SYSTABLES_RETENTION", c.SysRetention); err != nil {
		return c, err
	}
	if c.AlertInterval, err = envDuration(getenv, "ZBEMU_ALERT_INTERVAL", c.AlertInterval); err != nil {
		return c, err
	}
	if c.FlushInterval, err = envDuration(getenv, "ZBEMU_FLUSH_INTERVAL", c.FlushInterval); err != nil {
		return c, err
	}
	if c.StatsInterval, err = envDuration(getenv, "ZBEMU_STATS_INTERVAL", c.StatsInterval); err != nil {
		return c, err
	}
	if c.BodyTimeout, err = envDuration(getenv, "ZBEMU_BODY_TIMEOUT", c.BodyTimeout); err != nil {
		return c, err
	}
	if c.IdleTimeout, err = envDuration(getenv, "ZBEMU_IDLE_TIMEOUT", c.IdleTimeout); err != nil {
		return c, err
	}
	if c.MaxBacklogBytes, err = envInt(getenv, "ZBEMU_MAX_BACKLOG_BYTES", c.MaxBacklogBytes); err != nil {
		return c, err
	}
	if c.MaxBacklogRecords, err = envInt(getenv, "ZBEMU_MAX_BACKLOG_RECORDS", c.MaxBacklogRecords); err != nil {
		return c, err
	}
	c.DuckDBMemory = envString(getenv, "ZBEMU_DUCKDB_MEMORY", c.DuckDBMemory)
	threads, err := envInt(getenv, "ZBEMU_DUCKDB_THREADS", int64(c.DuckDBThreads))
	if err != nil {
		return c, err
	}
	c.DuckDBThreads = int(threads)
	nice, err := envInt(getenv, "ZBEMU_BACKGROUND_NICE", int64(c.BackgroundNice))
	if err != nil {
		return c, err
	}
	c.BackgroundNice = int(nice)
	if c.Quotas, err = envBool(getenv, "ZBEMU_QUOTAS", c.Quotas); err != nil {
		return c, err
	}
	c.Latency = envString(getenv, "ZBEMU_LATENCY", c.Latency)
	if c.StrictTimestamps, err = envBool(getenv, "ZBEMU_STRICT_TIMESTAMPS", c.StrictTimestamps); err != nil {
		return c, err
	}
	if c.Delta, err = envBool(getenv, "ZBEMU_DELTA", c.Delta); err != nil {
		return c, err
	}
	if c.DeltaInterval, err = envDuration(getenv, "ZBEMU_DELTA_INTERVAL", c.DeltaInterval); err != nil {
		return c, err
	}
	if v := getenv("ZBEMU_IMPORT_DIRS"); v != "" {
		c.ImportDirs = filepath.SplitList(v)
	}
	c.AccountID = envString(getenv, "ZBEMU_ACCOUNT_ID", c.AccountID)
	c.WorkspaceID = envString(getenv, "ZBEMU_WORKSPACE_ID", c.WorkspaceID)
	fs := flag.NewFlagSet("zbemu serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.Addr, "addr", c.Addr, "address for every surface: gRPC, OAuth, REST, SQL and Unity Catalog APIs (env ZBEMU_ADDR)")
	fs.StringVar(&c.DataDir, "data", c.DataDir, "data directory, created if missing (env ZBEMU_DATA)")
	fs.BoolVar(&c.Memory, "memory", c.Memory, "keep everything in memory; nothing is written to disk (env ZBEMU_MEMORY)")
	fs.BoolVar(&c.TLS, "tls", c.TLS, "serve TLS with a local CA generated into the data directory (env ZBEMU_TLS)")
	fs.StringVar(&c.ClientID, "client-id", c.ClientID, "client id of the default service principal (env ZBEMU_CLIENT_ID)")
	fs.StringVar(&c.ClientSecret, "client-secret", c.ClientSecret, "secret of the default service principal (env ZBEMU_CLIENT_SECRET)")
	fs.StringVar(&c.DevToken, "token", c.DevToken, "a personal access token of the default principal that is always accepted; empty disables it (env ZBEMU_TOKEN)")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "debug, info, warn or error (env ZBEMU_LOG_LEVEL)")
	noSys := !c.SysTables
	fs.BoolVar(&noSys, "no-systables", noSys, "do not record system tables (system.lakeflow.*, system.zbemu.*; alerts then only log their changes) (env ZBEMU_SYSTABLES=false)")
	fs.DurationVar(&c.SysRetention, "systables-retention", c.SysRetention, "how long system table rows are kept (env ZBEMU_SYSTABLES_RETENTION)")
	fs.DurationVar(&c.FlushInterval, "flush-interval", c.FlushInterval, "how long acknowledged records may wait before they are written into DuckDB when no query waits for them (env ZBEMU_FLUSH_INTERVAL)")
	fs.Int64Var(&c.MaxBacklogBytes, "max-backlog-bytes", c.MaxBacklogBytes, "memory (logged bytes and decoded rows) of acknowledged records not yet written into DuckDB at which acks slow down until it catches up (env ZBEMU_MAX_BACKLOG_BYTES)")
	fs.Int64Var(&c.MaxBacklogRecords, "max-backlog-records", c.MaxBacklogRecords, "acknowledged records not yet written into DuckDB at which acks slow down until it catches up (env ZBEMU_MAX_BACKLOG_RECORDS)")
	fs.StringVar(&c.DuckDBMemory, "duckdb-memory", c.DuckDBMemory, "DuckDB's memory_limit, e.g. 256MB or 1GB; DuckDB spills to the data directory beyond it (env ZBEMU_DUCKDB_MEMORY)")
	fs.IntVar(&c.BackgroundNice, "background-nice", c.BackgroundNice, "nice value (1-19) of the threads that write acknowledged records into DuckDB and run pipelines, so that acks get the CPU first; 0 runs them at the server's priority (env ZBEMU_BACKGROUND_NICE)")
	fs.IntVar(&c.DuckDBThreads, "duckdb-threads", c.DuckDBThreads, "DuckDB's worker threads; the default is one per core but one, at least 1 and at most 4 (env ZBEMU_DUCKDB_THREADS)")
	fs.DurationVar(&c.AlertInterval, "alert-interval", c.AlertInterval, "how often alerts without their own --every are evaluated (env ZBEMU_ALERT_INTERVAL)")
	fs.DurationVar(&c.StatsInterval, "stats-interval", c.StatsInterval, "time between the live stats updates the UI's monitor receives; at least 10ms (env ZBEMU_STATS_INTERVAL)")
	fs.DurationVar(&c.BodyTimeout, "body-timeout", c.BodyTimeout, "how long a REST request body may take to arrive after its headers (env ZBEMU_BODY_TIMEOUT)")
	fs.DurationVar(&c.IdleTimeout, "idle-timeout", c.IdleTimeout, "how long an HTTP keep-alive connection without a request, or a gRPC connection without a stream, stays open (env ZBEMU_IDLE_TIMEOUT)")
	fs.StringVar(&c.AccountID, "account-id", c.AccountID, "account_id written into the system tables (env ZBEMU_ACCOUNT_ID)")
	fs.StringVar(&c.WorkspaceID, "workspace-id", c.WorkspaceID, "workspace_id written into the system tables (env ZBEMU_WORKSPACE_ID)")
	fs.BoolVar(&c.Quotas, "quotas", c.Quotas, "enforce the real service's quotas: records/s and bytes/s per stream, REST requests/s, message size (env ZBEMU_QUOTAS)")
	fs.Float64Var(&c.QuotaLimits.RecordsPerSecond, "quota-records-per-sec", c.QuotaLimits.RecordsPerSecond, "with --quotas: records per second per gRPC stream")
	fs.Float64Var(&c.QuotaLimits.BytesPerSecond, "quota-bytes-per-sec", c.QuotaLimits.BytesPerSecond, "with --quotas: bytes per second per gRPC stream")
	fs.Float64Var(&c.QuotaLimits.RESTPerSecond, "quota-rest-per-sec", c.QuotaLimits.RESTPerSecond, "with --quotas: REST insert requests per second")
	fs.IntVar(&c.QuotaLimits.MessageBytes, "quota-message-bytes", c.QuotaLimits.MessageBytes, "with --quotas: largest gRPC message or REST body, at most 10 MB")
	fs.StringVar(&c.Latency, "latency", c.Latency, "instant, or realistic: acks after ~150 ms and rows queryable after ~5 s, as the real service (env ZBEMU_LATENCY)")
	fs.BoolVar(&c.StrictTimestamps, "strict-timestamps", c.StrictTimestamps, "refuse integer timestamps that look like seconds or milliseconds instead of accepting them with a warning, as the real service does (env ZBEMU_STRICT_TIMESTAMPS)")
	fs.BoolVar(&c.Delta, "delta", c.Delta, "keep every table also as a Delta Lake table under <data>/delta, readable by DuckDB, Spark and delta-rs while zbemu runs; off by default for now, see the README (env ZBEMU_DELTA)")
	fs.DurationVar(&c.DeltaInterval, "delta-interval", c.DeltaInterval, "how often changed rows are written to the Delta tables, at most 5s (env ZBEMU_DELTA_INTERVAL)")
	fromEnv := true
	fs.Func("import-dir", "a directory whose Delta tables zbemu import may load; repeat for several (env ZBEMU_IMPORT_DIRS, "+string(filepath.ListSeparator)+"-separated)", func(d string) error {
		if fromEnv {
			c.ImportDirs, fromEnv = nil, false
		}
		c.ImportDirs = append(c.ImportDirs, d)
		return nil
	})
	if err := fs.Parse(args); err != nil {
		return c, usageError{err}
	}
	c.SysTables = !noSys
	if fs.NArg() > 0 {
		return c, usageError{fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))}
	}
	return c, c.Validate()
}

// minStatsInterval keeps the stats sampler, which summarises every table
// and stream each time, from taking a core of its own.
const minStatsInterval = 10 * time.Millisecond

// duckdbSize is a memory size as DuckDB's memory_limit takes it
// (https://duckdb.org/docs/stable/configuration/overview).
var duckdbSize = regexp.MustCompile(`(?i)^[0-9]+(\.[0-9]+)?\s*(b|bytes|kb|mb|gb|tb|kib|mib|gib|tib)$`)

// Validate checks the settings that can be checked without opening anything.
func (c Config) Validate() error {
	if c.Addr == "" {
		return &ConfigError{Field: "addr", Value: c.Addr, Err: errBadValue}
	}
	if !c.Memory && c.DataDir == "" {
		return &ConfigError{Field: "data", Value: c.DataDir, Err: errors.New("a data directory is required unless --memory is set")}
	}
	if c.ClientID == "" || c.ClientSecret == "" {
		return &ConfigError{Field: "client-id/client-secret", Value: c.ClientID, Err: errors.New("the default principal needs an id and a secret")}
	}
	if c.BodyTimeout <= 0 {
		return &ConfigError{Field: "body-timeout", Value: c.BodyTimeout.String(), Err: errors.New("must be positive")}
	}
	if c.StatsInterval < minStatsInterval {
		return &ConfigError{Field: "stats-interval", Value: c.StatsInterval.String(), Err: fmt.Errorf("must be at least %v", minStatsInterval)}
	}
	if c.IdleTimeout <= 0 {
		return &ConfigError{Field: "idle-timeout", Value: c.IdleTimeout.String(), Err: errors.New("must be positive")}
	}
	if c.DeltaInterval <= 0 || c.DeltaInterval > 5*time.Second {
		// The real service makes rows queryable within ~5 s; the Delta
		// tables promise the same bound.
		return &ConfigError{Field: "delta-interval", Value: c.DeltaInterval.String(), Err: errors.New("must be positive and at most 5s")}
	}
	if c.MaxBacklogBytes <= 0 {
		return &ConfigError{Field: "max-backlog-bytes", Value: strconv.FormatInt(c.MaxBacklogBytes, 10), Err: errors.New("must be positive")}
	}
	if !duckdbSize.MatchString(c.DuckDBMemory) {
		return &ConfigError{Field: "duckdb-memory", Value: c.DuckDBMemory, Err: errors.New("want a size such as 256MB, 1.5GB or 512MiB")}
	}
	if c.DuckDBThreads <= 0 {
		return &ConfigError{Field: "duckdb-threads", Value: strconv.Itoa(c.DuckDBThreads), Err: errors.New("must be positive")}
	}
	if !lowprio.Valid(c.BackgroundNice) {
		return &ConfigError{Field: "background-nice", Value: strconv.Itoa(c.BackgroundNice), Err: fmt.Errorf("want a nice value from 0 (off) to %d", lowprio.MaxNice)}
	}
	if c.MaxBacklogRecords <= 0 {
		return &ConfigError{Field: "max-backlog-records", Value: strconv.FormatInt(c.MaxBacklogRecords, 10), Err: errors.New("must be positive")}
	}
	if c.SysRetention <= 0 {
		return &ConfigError{Field: "systables-retention", Value: c.SysRetention.String(), Err: errBadValue}
	}
	if c.AlertInterval < sqlalert.MinEvaluationEvery {
		return &ConfigError{Field: "alert-interval", Value: c.AlertInterval.String(), Err: fmt.Errorf("must be at least %s", sqlalert.MinEvaluationEvery)}
	}
	if c.Latency != latencyInstant && c.Latency != latencyRealistic {
		return &ConfigError{Field: "latency", Value: c.Latency, Err: errors.New("want instant or realistic")}
	}
	q := c.QuotaLimits
	for _, v := range []struct {
		field string
		v     float64
	}{{"quota-records-per-sec", q.RecordsPerSecond}, {"quota-bytes-per-sec", q.BytesPerSecond}, {"quota-rest-per-sec", q.RESTPerSecond}, {"quota-message-bytes", float64(q.MessageBytes)}} {
		if !(v.v > 0) {
			return &ConfigError{Field: v.field, Value: strconv.FormatFloat(v.v, 'g', -1, 64), Err: errors.New("must be positive")}
		}
	}
	if q.MessageBytes > engine.MaxMessageBytes {
		return &ConfigError{Field: "quota-message-bytes", Value: strconv.Itoa(q.MessageBytes), Err: fmt.Errorf("must be at most %d (10 MB, the real limit)", engine.MaxMessageBytes)}
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return &ConfigError{Field: "log-level", Value: c.LogLevel, Err: errBadValue}
	}
	return nil
}
