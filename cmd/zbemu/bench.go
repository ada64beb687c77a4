package main

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/zbemu/zbemu/engine"
	"github.com/zbemu/zbemu/fixtures/zbclient"
	"github.com/zbemu/zbemu/web/zerobuspb"
)

// zbemu bench measures the ingest path end to end (an in-process server on
// a fresh data directory, driven over loopback by a client that speaks the
// SDK's wire protocol) against a baseline measured in the same run: the raw
// DuckDB appender committing every 1000 rows. Baseline and workload run
// alternately; the median of the per-pair ratios is reported, because these
// machines are noisy (research/performance.md §B10).

const benchDDL = "(device_id STRING NOT NULL, ts TIMESTAMP NOT NULL, temperature DOUBLE, humidity DOUBLE, status STRING, seq BIGINT)"

type benchConfig struct {
	pairs       int
	records     int
	loadDur     time.Duration
	only        string
	tmp         string
	rssRows     int
	startupRows int
	soak        time.Duration
	soakRate    int
}

type benchFigures struct {
	recs, bytes int64
	elapsed     time.Duration
	cpu         time.Duration
	lats        []time.Duration
}

func (f benchFigures) rate() float64 { return float64(f.recs) / f.elapsed.Seconds() }

func (f benchFigures) cpuPerRecord() float64 { return float64(f.cpu.Microseconds()) / float64(f.recs) }

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("zbemu bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg benchConfig
	short := fs.Bool("short", false, "quick run: 3 pairs, 100k records, 5 s fixed load")
	fs.IntVar(&cfg.pairs, "pairs", 5, "baseline/workload pairs per workload")
	fs.IntVar(&cfg.records, "records", 300000, "records per workload run")
	fs.DurationVar(&cfg.loadDur, "load-duration", 10*time.Second, "duration of the fixed 50,000 records/s load")
	fs.StringVar(&cfg.only, "only", "", "run only workloads whose name contains this text")
	fs.IntVar(&cfg.rssRows, "rss-rows", 5000000, "rows to ingest before the RSS line")
	fs.IntVar(&cfg.startupRows, "startup-rows", 5000000, "rows in the data directory of the start-up line (after kill -9 and after a clean stop)")
	fs.DurationVar(&cfg.soak, "soak", 0, "run only a soak of this duration at --soak-rate, printing RSS every minute")
	fs.IntVar(&cfg.soakRate, "soak-rate", 20000, "records/s offered during --soak")
	compare := fs.String("compare", "", "alternate whole bench runs of this build and of this older zbemu binary, --pairs times, and print new/old per workload")
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("bench: unexpected argument %q", fs.Arg(0))}
	}
	if *short {
		// Flags given explicitly win over the quick run's defaults.
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if !set["pairs"] {
			cfg.pairs = 3
		}
		if !set["records"] {
			cfg.records = 100000
		}
		if !set["load-duration"] {
			cfg.loadDur = 5 * time.Second
		}
		if !set["rss-rows"] {
			cfg.rssRows = 1000000
		}
		if !set["startup-rows"] {
			cfg.startupRows = 1000000
		}
	}
	if cfg.rssRows < 100 || cfg.startupRows < 100 || cfg.soakRate < 100 || cfg.soak < 0 {
		return usageError{fmt.Errorf("bench: --rss-rows, --startup-rows and --soak-rate must be at least 100 and --soak not negative, got %d, %d, %d and %s",
			cfg.rssRows, cfg.startupRows, cfg.soakRate, cfg.soak)}
	}
	if cfg.pairs < 1 || cfg.records < 100 {
		return usageError{fmt.Errorf("bench: --pairs must be at least 1 and --records at least 100, got %d and %d", cfg.pairs, cfg.records)}
	}
	if *compare != "" {
		return runCompare(ctx, cfg, *compare, stdout, stderr)
	}
	dir, err := os.MkdirTemp("", "zbemu-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	cfg.tmp = dir
	if cfg.soak > 0 {
		return benchSoak(ctx, stdout, dir, cfg.soakRate, cfg.soak)
	}
	fmt.Fprintf(stdout, "zbemu bench: %d cores (GOMAXPROCS %d), %s, %d records per run, %d pairs; row: 6 columns (IoT), JSON ~111 B\n",
		runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version(), cfg.records, cfg.pairs)
	fmt.Fprintf(stdout, "%-34s %12s %9s %9s %9s %11s %17s %15s %8s  %s\n", "workload", "records/s", "MB/s", "ack p50", "ack p99", "CPU µs/rec",
		"ratio [min-max]", "appender rows/s", "µs/row", "targets (issue 16)")
	workloads := []struct {
		name string
		run  func(ctx context.Context, b *benchEnv, n int) (benchFigures, error)
	}{
		{"grpc json batch=100", func(ctx context.Context, b *benchEnv, n int) (benchFigures, error) {
			return b.grpcRun(ctx, 1, n, 100, false, 256)
		}},
		{"grpc json batch=1000", func(ctx context.Context, b *benchEnv, n int) (benchFigures, error) {
			return b.grpcRun(ctx, 1, n, 1000, false, 64)
		}},
		{"grpc proto batch=100", func(ctx context.Context, b *benchEnv, n int) (benchFigures, error) {
			return b.grpcRun(ctx, 1, n, 100, true, 256)
		}},
		{"grpc json single, 1000 in flight", func(ctx context.Context, b *benchEnv, n int) (benchFigures, error) {
			return b.grpcRun(ctx, 1, n/5, 1, false, 1000)
		}},
		{"grpc json 4 streams x 4 tables", func(ctx context.Context, b *benchEnv, n int) (benchFigures, error) {
			return b.grpcRun(ctx, 4, n, 100, false, 256)
		}},
		{"grpc proto 4 streams x 4 tables", func(ctx context.Context, b *benchEnv, n int) (benchFigures, error) {
			return b.grpcRun(ctx, 4, n, 100, true, 256)
		}},
		{"rest batch=1000, 4 clients", func(ctx context.Context, b *benchEnv, n int) (benchFigures, error) { return b.restRun(ctx, 4, n, 1000) }},
		{"arrow flight batch=10000", func(ctx context.Context, b *benchEnv, n int) (benchFigures, error) {
			return b.arrowRun(ctx, n, 10000, 16)
		}},
	}
	for _, w := range workloads {
		if cfg.only != "" && !strings.Contains(w.name, cfg.only) {
			continue
		}
		var ratios, rates, cpus, bases, baseCPUs []float64
		var last benchFigures
		for p := 0; p < cfg.pairs; p++ {
			base, baseCPU, err := baselineAppender(filepath.Join(dir, fmt.Sprintf("base-%d.duckdb", p)), cfg.records)
			if err != nil {
				return fmt.Errorf("baseline: %w", err)
			}
			f, err := withBenchEnv(ctx, dir, func(b *benchEnv) (benchFigures, error) { return w.run(ctx, b, cfg.records) })
			if err != nil {
				return fmt.Errorf("%s: %w", w.name, err)
			}
			ratios, rates, bases, last = append(ratios, f.rate()/base), append(rates, f.rate()), append(bases, base), f
			cpus, baseCPUs = append(cpus, f.cpuPerRecord()), append(baseCPUs, baseCPU)
		}
		ratio := fmt.Sprintf("%.2f [%.2f-%.2f]", median(ratios), minOf(ratios), maxOf(ratios))
		fmt.Fprintf(stdout, "%-34s %12.0f %9.1f %9s %9s %11.2f %17s %15.0f %8.2f  %s\n", w.name, median(rates),
			median(rates)*float64(last.bytes)/float64(last.recs)/1e6, ms(percentile(last.lats, 0.5)), ms(percentile(last.lats, 0.99)),
			median(cpus), ratio, median(bases), median(baseCPUs),
			verdicts(w.name, map[string]float64{figRatio: median(ratios), figCPU: median(cpus)}))
	}
	toggles := []struct {
		name    string
		on, off func(*Config)
	}{
		{"system tables", nil, noSysTables},
		{"Delta mirror", func(c *Config) { c.Delta = true }, func(c *Config) { c.Delta = false }},
	}
	for _, tg := range toggles {
		for _, w := range workloads {
			if name := tg.name + " on/off, " + w.name; (w.name == "grpc json batch=100" || strings.HasPrefix(w.name, "rest")) && (cfg.only == "" || strings.Contains(name, cfg.only)) {
				if err := benchToggle(ctx, stdout, dir, name, tg.on, tg.off, cfg.pairs, func(b *benchEnv) (benchFigures, error) { return w.run(ctx, b, cfg.records) }); err != nil {
					return err
				}
			}
		}
	}
	if cfg.only == "" || strings.Contains("fixed load", cfg.only) {
		f, lag, err := withBenchEnvLag(ctx, dir, nil, func(b *benchEnv) (benchFigures, error) { return b.fixedLoad(ctx, 50000, cfg.loadDur) })
		if err != nil {
			return fmt.Errorf("fixed load: %w", err)
		}
		figs := map[string]float64{figAckP99: msFloat(percentile(f.lats, 0.99)), figAckMax: msFloat(percentile(f.lats, 1)), figQueryP99: msFloat(percentile(lag, 0.99))}
		fmt.Fprintf(stdout, "\n%s for %s (batches of 100, open loop): achieved %.0f records/s, ack p50 %s p99 %s max %s ms; ack→queryable p50 %s p99 %s ms; targets: %s\n",
			fixedLoadName, cfg.loadDur, f.rate(), ms(percentile(f.lats, 0.5)), ms(percentile(f.lats, 0.99)), ms(percentile(f.lats, 1)), ms(percentile(lag, 0.5)), ms(percentile(lag, 0.99)),
			verdicts(fixedLoadName, figs))
	}
	for _, m := range []struct {
		name string
		run  func() error
	}{
		{"allocations", func() error { return benchAllocs(ctx, stdout, dir, cfg.records) }},
		{"rss", func() error { return benchRSS(ctx, stdout, dir, cfg.rssRows) }},
		{"start-up", func() error { return benchStartup(ctx, stdout, dir, cfg.startupRows) }},
		{"pipeline", func() error { return benchPipeline(ctx, stdout, dir, cfg) }},
		{"generator", func() error { return benchGen(ctx, stdout, dir, cfg.pairs, cfg.records) }},
		{"otlp", func() error { return benchOTel(ctx, stdout, dir, cfg.pairs, cfg.records) }},
	} {
		if cfg.only == "" || strings.Contains(m.name, cfg.only) {
			if err := m.run(); err != nil {
				return fmt.Errorf("%s: %w", m.name, err)
			}
		}
	}
	if cfg.only == "" || strings.Contains("validation", cfg.only) {
		if err := benchValidation(stdout, cfg.pairs); err != nil {
			return fmt.Errorf("validation: %w", err)
		}
		if err := benchDepthEndToEnd(ctx, stdout, dir, cfg.pairs, cfg.records); err != nil {
			return fmt.Errorf("validation end to end: %w", err)
		}
	}
	return nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f", msFloat(d)) }

func msFloat(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// percentile is the p-quantile of ack latencies.
var percentile = zbclient.Percentile

// median is the middle value, or the mean of the two middle ones.
func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	switch {
	case len(s) == 0:
		return math.NaN()
	case len(s)%2 == 0:
		return (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return s[len(s)/2]
}

func minOf(v []float64) float64 {
	m := math.Inf(1)
	for _, x := range v {
		m = math.Min(m, x)
	}
	return m
}

func maxOf(v []float64) float64 {
	m := math.Inf(-1)
	for _, x := range v {
		m = math.Max(m, x)
	}
	return m
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchRow returns record i as JSON, as proto2 bytes and as appender values.
func benchRow(i int) (string, []byte, []driver.Value) {
	dev := fmt.Sprintf("device-%05d", i%10000)
	ts := int64(1795521600000000 + i*1000)
	temp, hum := float64(i%400)/10, float64(i%1000)/10
	status := []string{"ok", "warn", "fail"}[i%3]
	j := string(benchJSON(nil, i))
	var p []byte
	p = protowire.AppendTag(p, 1, protowire.BytesType)
	p = protowire.AppendString(p, dev)
	p = protowire.AppendTag(p, 2, protowire.VarintType)
	p = protowire.AppendVarint(p, uint64(ts))
	p = protowire.AppendTag(p, 3, protowire.Fixed64Type)
	p = protowire.AppendFixed64(p, math.Float64bits(temp))
	p = protowire.AppendTag(p, 4, protowire.Fixed64Type)
	p = protowire.AppendFixed64(p, math.Float64bits(hum))
	p = protowire.AppendTag(p, 5, protowire.BytesType)
	p = protowire.AppendString(p, status)
	p = protowire.AppendTag(p, 6, protowire.VarintType)
	p = protowire.AppendVarint(p, uint64(i))
	return j, p, []driver.Value{dev, time.UnixMicro(ts).UTC(), temp, hum, status, int64(i)}
}

// benchJSON appends benchRow's JSON record i to b, without fmt, for
// loads that make their records as they go.
func benchJSON(b []byte, i int) []byte {
	b = append(b, `{"device_id":"device-`...)
	d := i % 10000
	for div := 10000; div > 0; div /= 10 {
		b = append(b, byte('0'+d/div%10))
	}
	b = append(b, `","ts":`...)
	b = strconv.AppendInt(b, int64(1795521600000000+i*1000), 10)
	b = append(b, `,"temperature":`...)
	b = strconv.AppendFloat(b, float64(i%400)/10, 'g', -1, 64)
	b = append(b, `,"humidity":`...)
	b = strconv.AppendFloat(b, float64(i%1000)/10, 'g', -1, 64)
	b = append(b, `,"status":"`...)
	b = append(b, []string{"ok", "warn", "fail"}[i%3]...)
	b = append(b, `","seq":`...)
	b = strconv.AppendInt(b, int64(i), 10)
	return append(b, '}')
}

func benchDescriptor() []byte {
	f := func(name string, n int32, label descriptorpb.FieldDescriptorProto_Label, typ descriptorpb.FieldDescriptorProto_Type) *descriptorpb.FieldDescriptorProto {
		return &descriptorpb.FieldDescriptorProto{Name: proto.String(name), Number: proto.Int32(n), Label: label.Enum(), Type: typ.Enum()}
	}
	req, opt := descriptorpb.FieldDescriptorProto_LABEL_REQUIRED, descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL
	d := &descriptorpb.DescriptorProto{Name: proto.String("bench"), Field: []*descriptorpb.FieldDescriptorProto{
		f("device_id", 1, req, descriptorpb.FieldDescriptorProto_TYPE_STRING), f("ts", 2, req, descriptorpb.FieldDescriptorProto_TYPE_INT64),
		f("temperature", 3, opt, descriptorpb.FieldDescriptorProto_TYPE_DOUBLE), f("humidity", 4, opt, descriptorpb.FieldDescriptorProto_TYPE_DOUBLE),
		f("status", 5, opt, descriptorpb.FieldDescriptorProto_TYPE_STRING), f("seq", 6, opt, descriptorpb.FieldDescriptorProto_TYPE_INT64)}}
	b, _ := proto.Marshal(d)
	return b
}

// baselineAppender appends n rows with the raw DuckDB appender, committing
// every 1000 rows, and returns rows/s and the process's CPU µs per row.
func baselineAppender(path string, n int) (rate, cpuPerRow float64, err error) {
	defer os.Remove(path)
	defer os.Remove(path + ".wal")
	c, err := duckdb.NewConnector(path, nil)
	if err != nil {
		return 0, 0, err
	}
	db := sql.OpenDB(c)
	defer db.Close()
	if _, err := db.Exec("CREATE TABLE t (device_id VARCHAR NOT NULL, ts TIMESTAMPTZ NOT NULL, temperature DOUBLE, humidity DOUBLE, status VARCHAR, seq BIGINT)"); err != nil {
		return 0, 0, err
	}
	rows := make([][]driver.Value, n)
	for i := range rows {
		_, _, rows[i] = benchRow(i)
	}
	return appendRows(db, "t", rows, 1000)
}

// appendRows appends rows to table with the raw DuckDB appender, flushing
// every `every` rows, and returns rows/s and the process's CPU µs per row.
func appendRows(db *sql.DB, table string, rows [][]driver.Value, every int) (rate, cpuPerRow float64, err error) {
	conn, err := db.Conn(context.Background())
	if err != nil {
		return 0, 0, err
	}
	defer conn.Close()
	cpu0, start := cpuTime(), time.Now()
	err = conn.Raw(func(dc any) error {
		a, err := duckdb.NewAppender(dc.(driver.Conn), "", "", table)
		if err != nil {
			return err
		}
		for i, r := range rows {
			if err := a.AppendRow(r...); err != nil {
				return err
			}
			if (i+1)%every == 0 {
				if err := a.Flush(); err != nil {
					return err
				}
			}
		}
		return a.Close()
	})
	elapsed, cpu := time.Since(start), cpuTime()-cpu0
	n := len(rows)
	return float64(n) / elapsed.Seconds(), float64(cpu.Microseconds()) / float64(n), err
}

// benchEnv is an in-process zbemu on a fresh data directory.
type benchEnv struct {
	*stack
	addr string
}

var benchSeq int

// benchAdmin is the dev admin the bench environment runs SQL and streams as.
var benchAdmin = &engine.Identity{ClientID: DefaultConfig().ClientID, Admin: true}

// openBenchEnv opens the stack serve runs, with its defaults (metrics,
// system tables and alerts, the Delta mirror) changed by tweak, on loopback and a fresh data
// directory, and creates the benchmark's tables.
func openBenchEnv(ctx context.Context, root string, tweak func(*Config)) (*benchEnv, error) {
	benchSeq++
	cfg := DefaultConfig()
	cfg.Addr, cfg.DataDir = "127.0.0.1:0", filepath.Join(root, fmt.Sprintf("run-%d", benchSeq))
	if tweak != nil {
		tweak(&cfg)
	}
	cfg.ClientSecret, cfg.DevToken = "bench", "dapi-bench"
	st, err := openStack(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		return nil, err
	}
	go st.srv.Serve()
	b := &benchEnv{stack: st, addr: st.srv.Addr()}
	ddl := []string{"CREATE TABLE main.default.nested30 " + nested30DDL()}
	for i := 0; i < 4; i++ {
		ddl = append(ddl, fmt.Sprintf("CREATE TABLE main.default.bench%d %s", i, benchDDL))
	}
	for _, q := range ddl {
		if _, err := b.e.Execute(ctx, engine.StatementRequest{SQL: q, Identity: benchAdmin}); err != nil {
			b.close(ctx)
			return nil, err
		}
	}
	return b, nil
}

func withBenchEnv(ctx context.Context, root string, f func(*benchEnv) (benchFigures, error)) (benchFigures, error) {
	fig, _, err := withBenchEnvLag(ctx, root, nil, f)
	return fig, err
}

// withBenchEnvLag also returns the ack→queryable lags seen during f.
func withBenchEnvLag(ctx context.Context, root string, tweak func(*Config), f func(*benchEnv) (benchFigures, error)) (benchFigures, []time.Duration, error) {
	b, err := openBenchEnv(ctx, root, tweak)
	if err != nil {
		return benchFigures{}, nil, err
	}
	defer b.close(ctx)
	b.e.QueryableLags() // reset
	runtime.GC()
	fig, err := f(b)
	if err != nil {
		return fig, nil, err
	}
	// Every acked record must be in DuckDB.
	res, err := b.e.Execute(ctx, engine.StatementRequest{SQL: "SELECT (SELECT count(*) FROM bench0)+(SELECT count(*) FROM bench1)+(SELECT count(*) FROM bench2)+(SELECT count(*) FROM bench3)+(SELECT count(*) FROM nested30)", Identity: benchAdmin})
	if err != nil {
		return fig, nil, err
	}
	if got := *res.Rows[0][0]; got != fmt.Sprint(fig.recs) {
		return fig, nil, fmt.Errorf("acked %d records but the tables hold %s", fig.recs, got)
	}
	return fig, b.e.QueryableLags(), nil
}

func noSysTables(c *Config) { c.SysTables = false }

// benchToggle runs f with a feature off and on in alternating pairs, so
// drift of the machine hits both sides, and prints both rates, ack p99s
// and (for the Delta mirror) how long acknowledged rows took to reach a
// Delta version.
func benchToggle(ctx context.Context, stdout io.Writer, dir, name string, on, off func(*Config), pairs int, f func(*benchEnv) (benchFigures, error)) error {
	var onR, offR, ratios, cpuOn, cpuOff, p99On, p99Off []float64
	var mirrorLags []time.Duration
	for p := 0; p < pairs; p++ {
		var figs [2]benchFigures
		for i, tweak := range []func(*Config){off, on} {
			fig, _, err := withBenchEnvLag(ctx, dir, tweak, func(b *benchEnv) (benchFigures, error) {
				fig, err := f(b)
				if err == nil && i == 1 {
					// The versions written during the run.
					mirrorLags = append(mirrorLags, b.e.DeltaLags()...)
				}
				return fig, err
			})
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			figs[i] = fig
		}
		offR, onR, ratios = append(offR, figs[0].rate()), append(onR, figs[1].rate()), append(ratios, figs[1].rate()/figs[0].rate())
		cpuOff, cpuOn = append(cpuOff, figs[0].cpuPerRecord()), append(cpuOn, figs[1].cpuPerRecord())
		p99Off, p99On = append(p99Off, msFloat(percentile(figs[0].lats, 0.99))), append(p99On, msFloat(percentile(figs[1].lats, 0.99)))
	}
	// CPU per record is the steadier figure when other work shares the machine.
	fmt.Fprintf(stdout, "%s: %.0f records/s on, %.0f off, on/off %.3f [%.3f-%.3f]; CPU µs/rec on %.2f, off %.2f; ack p99 on %.2f, off %.2f ms",
		name, median(onR), median(offR), median(ratios), minOf(ratios), maxOf(ratios), median(cpuOn), median(cpuOff), median(p99On), median(p99Off))
	if len(mirrorLags) > 0 {
		fmt.Fprintf(stdout, "; ack→Delta version p50 %s p99 %s ms", ms(percentile(mirrorLags, 0.5)), ms(percentile(mirrorLags, 0.99)))
	}
	fmt.Fprintln(stdout)
	return nil
}

// grpcRun sends n records per stream-set over `streams` streams (one table
// each) in batches, keeping `window` requests in flight per stream.
func (b *benchEnv) grpcRun(ctx context.Context, streams, n, batch int, useProto bool, window int) (benchFigures, error) {
	return b.grpcRunRows(ctx, iotRows, streams, n, batch, useProto, window)
}

// benchRows is what a gRPC workload sends: the table of stream s and
// record i as JSON and as protobuf.
type benchRows struct {
	table func(s int) string
	row   func(i int) (string, []byte)
}

var iotRows = benchRows{
	table: func(s int) string { return fmt.Sprintf("main.default.bench%d", s) },
	row: func(i int) (string, []byte) {
		j, p, _ := benchRow(i)
		return j, p
	},
}

func (b *benchEnv) grpcRunRows(ctx context.Context, rows benchRows, streams, n, batch int, useProto bool, window int) (benchFigures, error) {
	per := n / streams
	type payload struct {
		js []string
		pb [][]byte
	}
	var bytesTotal int64
	reqs := make([][]payload, streams)
	for s := 0; s < streams; s++ {
		for i := 0; i < per; i += batch {
			var p payload
			for k := i; k < i+batch && k < per; k++ {
				j, pb := rows.row(s*per + k)
				if useProto {
					p.pb = append(p.pb, pb)
					bytesTotal += int64(len(pb))
				} else {
					p.js = append(p.js, j)
					bytesTotal += int64(len(j))
				}
			}
			reqs[s] = append(reqs[s], p)
		}
	}
	cc, err := zbclient.Dial(b.addr)
	if err != nil {
		return benchFigures{}, err
	}
	defer cc.Close()
	rt, desc := zerobuspb.RecordType_JSON, []byte(nil)
	if useProto {
		rt, desc = zerobuspb.RecordType_PROTO, benchDescriptor()
	}
	sts := make([]*zbclient.Stream, streams)
	for s := range sts {
		if sts[s], err = zbclient.OpenStream(ctx, cc, zbclient.StreamOptions{Token: "dapi-bench", Table: rows.table(s), RecordType: rt, Descriptor: desc, Window: window}); err != nil {
			return benchFigures{}, err
		}
	}
	cpu0, start := cpuTime(), time.Now()
	var wg sync.WaitGroup
	errs := make([]error, streams)
	for s := range sts {
		wg.Add(1)
		go func(s int) {
			defer wg.Done()
			for _, p := range reqs[s] {
				if err := sts[s].Send(zbclient.Batch{JSON: p.js, Proto: p.pb}); err != nil {
					errs[s] = err
					return
				}
			}
			errs[s] = sts[s].Finish()
		}(s)
	}
	wg.Wait()
	fig := benchFigures{recs: int64(per * streams), bytes: bytesTotal, elapsed: time.Since(start), cpu: cpuTime() - cpu0}
	for s, st := range sts {
		if errs[s] != nil {
			return fig, errs[s]
		}
		fig.lats = append(fig.lats, st.TakeLatencies()...)
	}
	return fig, nil
}

// restRun posts JSON arrays of `batch` records from `clients` keep-alive clients.
func (b *benchEnv) restRun(ctx context.Context, clients, n, batch int) (benchFigures, error) {
	per := n / clients
	bodies := make([][][]byte, clients)
	var bytesTotal int64
	for c := 0; c < clients; c++ {
		for i := 0; i < per; i += batch {
			var recs []string
			for k := i; k < i+batch && k < per; k++ {
				j, _, _ := benchRow(c*per + k)
				recs = append(recs, j)
			}
			body := zbclient.JSONArray(recs)
			bytesTotal += int64(len(body))
			bodies[c] = append(bodies[c], body)
		}
	}
	rc := &zbclient.REST{URL: "http://" + b.addr, Token: "dapi-bench", HTTP: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}}
	cpu0, start := cpuTime(), time.Now()
	lats, err := timedCalls(clients, func(c int) int { return len(bodies[c]) }, func(c, i int) error {
		return rc.Insert(ctx, fmt.Sprintf("main.default.bench%d", c), bodies[c][i])
	})
	return benchFigures{recs: int64(per * clients), bytes: bytesTotal, elapsed: time.Since(start), cpu: cpuTime() - cpu0, lats: lats}, err
}

// timedCalls runs clients goroutines; client c makes calls(c) calls, one
// after the other, call(c, 0), call(c, 1), ..., and stops at its first
// error. It returns every call's latency and the first error.
func timedCalls(clients int, calls func(c int) int, call func(c, i int) error) ([]time.Duration, error) {
	var wg sync.WaitGroup
	var mu sync.Mutex
	var lats []time.Duration
	var firstErr error
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < calls(c); i++ {
				t0 := time.Now()
				err := call(c, i)
				mu.Lock()
				lats = append(lats, time.Since(t0))
				if err != nil && firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
				if err != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	return lats, firstErr
}

// fixedLoad offers `rate` records/s in batches of 100 on one stream, open
// loop: latency counts from the scheduled send time.
func (b *benchEnv) fixedLoad(ctx context.Context, rate int, dur time.Duration) (benchFigures, error) {
	const batch = 100
	cc, err := zbclient.Dial(b.addr)
	if err != nil {
		return benchFigures{}, err
	}
	defer cc.Close()
	st, err := zbclient.OpenStream(ctx, cc, zbclient.StreamOptions{Token: "dapi-bench", Table: "main.default.bench0", RecordType: zerobuspb.RecordType_JSON, Window: 100000})
	if err != nil {
		return benchFigures{}, err
	}
	interval := time.Second / time.Duration(rate/batch)
	total := int(dur / interval)
	payloads := make([][]string, total)
	var bytesTotal int64
	for i := range payloads {
		for k := 0; k < batch; k++ {
			j, _, _ := benchRow(i*batch + k)
			payloads[i] = append(payloads[i], j)
			bytesTotal += int64(len(j))
		}
	}
	cpu0, start := cpuTime(), time.Now()
	for i, p := range payloads {
		at := start.Add(time.Duration(i) * interval)
		if d := time.Until(at); d > 0 {
			time.Sleep(d)
		}
		if err := st.SendAt(zbclient.Batch{JSON: p}, at); err != nil {
			return benchFigures{}, err
		}
	}
	if err := st.Finish(); err != nil {
		return benchFigures{}, err
	}
	return benchFigures{recs: int64(total * batch), bytes: bytesTotal, elapsed: time.Since(start), cpu: cpuTime() - cpu0, lats: st.TakeLatencies()}, nil
}
