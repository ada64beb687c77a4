package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/zbemu/zbemu/web/otlp"
)

const otelUsage = "usage: zbemu otel create-tables [--print] [--url URL] [--token T] CATALOG.SCHEMA.PREFIX"

// runOtel implements `zbemu otel create-tables C.S.PREFIX`: it prints the
// documented DDL of the three OpenTelemetry v2 tables (<prefix>_otel_spans,
// _otel_logs, _otel_metrics) and runs it on the server, as a convenience:
// Zerobus itself never creates tables. --print only prints.
func runOtel(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create-tables" {
		return usageError{fmt.Errorf(otelUsage)}
	}
	fs := flag.NewFlagSet("zbemu otel create-tables", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := clientFlags(fs)
	printOnly := fs.Bool("print", false, "print the DDL without running it")
	if err := fs.Parse(args[1:]); err != nil {
		return usageError{err}
	}
	if fs.NArg() != 1 || strings.Count(fs.Arg(0), ".") != 2 {
		return usageError{fmt.Errorf("%s (a three-part prefix, e.g. main.default.myapp)", otelUsage)}
	}
	for _, ddl := range otlp.CreateTablesDDL(fs.Arg(0)) {
		fmt.Fprintf(stdout, "%s;\n\n", ddl)
		if *printOnly {
			continue
		}
		if _, _, err := c.statement(ctx, map[string]any{"statement": ddl}); err != nil {
			return fmt.Errorf("create table: %w", err)
		}
	}
	if !*printOnly {
		fmt.Fprintf(stderr, "created %s_otel_spans, %s_otel_logs and %s_otel_metrics\n", fs.Arg(0), fs.Arg(0), fs.Arg(0))
	}
	return nil
}
