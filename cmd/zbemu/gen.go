package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/zbemu/zbemu/fixtures/gen"
)

const genUsage = "usage: zbemu gen iot|clickstream|applogs --table C.S.T [--create] [--rate N] [--duration D | --count N] [--devices N | --users N] " +
	"[--anomaly-rate F] [--bad-rate F] [--via rest|grpc] [--batch N] [--seed S]"

// runGen streams a workshop scenario into a table of a running server.
func runGen(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("zbemu gen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := clientFlags(fs)
	o := gen.RunOptions{Progress: stderr, ProgressEvery: time.Second}
	var g gen.Options
	fs.StringVar(&o.Table, "table", "", "catalog.schema.table to write to (required)")
	create := fs.Bool("create", false, "create the table (and its schema) with the scenario's columns if it does not exist")
	fs.IntVar(&o.Rate, "rate", 1000, "records per second; 0 = as fast as the server acknowledges")
	fs.DurationVar(&o.Duration, "duration", 0, "stop after this long (default: until --count, or Ctrl-C)")
	fs.Int64Var(&o.Count, "count", 0, "stop after this many records")
	devices := fs.Int("devices", 0, "devices (iot) or hosts (applogs); default 100")
	users := fs.Int("users", 0, "users (clickstream); default 100")
	fs.Float64Var(&g.AnomalyRate, "anomaly-rate", 0.01, "share of unusual but valid records: spikes, faults, missing fields, out-of-order timestamps")
	fs.Float64Var(&g.BadRate, "bad-rate", 0, "share of records a real client gets wrong (ISO or seconds timestamps, numbers with units, misspelt fields: the server rejects them; millisecond timestamps: accepted with a warning)")
	fs.StringVar(&o.Via, "via", "grpc", "rest or grpc (the Zerobus protocol, as the SDK speaks it)")
	fs.IntVar(&o.Batch, "batch", 100, "records per request, at most")
	seed := fs.Uint64("seed", 0, "seed of the data: the same seed makes the same records (default: a random one, printed)")
	var scenario string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		scenario, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	if scenario == "" && fs.NArg() > 0 {
		scenario = fs.Arg(0)
	} else if fs.NArg() > 0 {
		return usageError{fmt.Errorf("gen: unexpected argument %q; %s", fs.Arg(0), genUsage)}
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	cols, err := gen.Columns(scenario)
	if err != nil {
		return usageError{fmt.Errorf("gen: %w; %s", err, genUsage)}
	}
	if err := checkGenFlags(scenario, o, set, *devices, *users); err != nil {
		return usageError{err}
	}
	if err := gen.CheckVia(o.Via); err != nil {
		return err
	}
	g.Entities = max(*devices, *users)
	if g.Seed = *seed; !set["seed"] {
		g.Seed = rand.Uint64() % 1_000_000
	}
	generator, err := gen.New(scenario, g)
	if err != nil {
		return usageError{fmt.Errorf("gen: %w", err)}
	}
	o.Scenario, o.URL, o.Token, o.Seed = scenario, c.URL, c.Token, g.Seed
	if *create {
		schema := o.Table[:strings.LastIndex(o.Table, ".")]
		for _, q := range []string{"CREATE SCHEMA IF NOT EXISTS " + schema, "CREATE TABLE IF NOT EXISTS " + o.Table + " " + cols} {
			if err := c.Exec(ctx, q); err != nil {
				return fmt.Errorf("--create: %s: %w", q, err)
			}
		}
	}
	fmt.Fprintf(stderr, "zbemu gen %s: seed %d (--seed %d makes the same records again); Ctrl-C stops and prints the summary\n", scenario, g.Seed, g.Seed)
	s, err := gen.Run(ctx, generator, o)
	gen.WriteSummary(stdout, o, s)
	return err
}

// checkGenFlags checks what the flags of zbemu gen can say alone.
func checkGenFlags(scenario string, o gen.RunOptions, set map[string]bool, devices, users int) error {
	if parts := strings.Split(o.Table, "."); len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		return fmt.Errorf("gen: --table must be catalog.schema.table, got %q; %s", o.Table, genUsage)
	}
	switch entity := gen.Entity(scenario); {
	case set["duration"] && set["count"]:
		return fmt.Errorf("gen: give --duration or --count, not both")
	case o.Rate < 0 || o.Count < 0 || o.Duration < 0 || devices < 0 || users < 0:
		return fmt.Errorf("gen: --rate, --count, --duration, --devices and --users must not be negative")
	case o.Batch < 1 || o.Batch > 10000:
		return fmt.Errorf("gen: --batch must be 1 to 10000, got %d", o.Batch)
	case set["users"] && entity != "user":
		return fmt.Errorf("gen: %s counts %ss: use --devices, not --users", scenario, entity)
	case set["devices"] && entity == "user":
		return fmt.Errorf("gen: clickstream counts users: use --users, not --devices")
	}
	return nil
}
