package main

import (
	"context"
	"fmt"
	"io"
	"os"
)

const usage = `zbemu — Databricks Zerobus Ingest and the lakehouse around it, offline.

Usage:
  zbemu serve [flags]               run the server (zbemu serve -h for flags)
  zbemu sql [flags] ["STATEMENT"]   run SQL against a running server (REPL without a statement)
  zbemu principal create NAME       create a service principal on a running server
  zbemu token create [--comment C]  create a personal access token (dapi...) on a running server
  zbemu token list|revoke ID        list the caller's personal access tokens, revoke one by its token id
  zbemu schema proto C.S.T          print the .proto file of a table (proto2, as the SDK's generator emits it)
  zbemu schema jsonschema C.S.T     print the JSON Schema a JSON record of a table must satisfy
  zbemu export C.S.T DIR            write a one-off Delta Lake table of a table's current rows into DIR
  zbemu alert create|list|delete    manage SQL alerts over the system tables on a running server
  zbemu fault add|list|clear        inject failures (429, 503, slow acks, stream close/timeout) on a running server
  zbemu pipeline run FILE.sql...    run a declarative pipeline (Lakeflow/DLT SQL) once; also create|start|stop|status|events|delete
  zbemu gen iot|clickstream|applogs --table C.S.T [--create] [--rate N] [--count N | --duration D]
                                    stream workshop events into a table (zbemu gen -h for flags)
  zbemu lab list|open N|check N     the workshop labs: read them, check your progress on a running server
  zbemu otel create-tables C.S.PREFIX
                                    create the OpenTelemetry v2 tables <prefix>_otel_spans, _logs, _metrics (--print: DDL only)
  zbemu bench [flags]               measure ingest throughput and latency
  zbemu import DIR C.S.T            load a Delta table (Databricks, Spark, delta-rs) into a table; the server must allow DIR (--import-dir)
  zbemu version
`

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// Run dispatches a subcommand.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return usageError{fmt.Errorf("missing command")}
	}
	switch args[0] {
	case "serve":
		cfg, err := parseServeConfig(args[1:], os.Getenv, stderr)
		if err != nil {
			return err
		}
		return serve(ctx, cfg, stdout, stderr)
	case "sql":
		return runSQL(ctx, args[1:], stdin, stdout, stderr)
	case "principal":
		return runPrincipal(ctx, args[1:], stdout, stderr)
	case "token":
		return runToken(ctx, args[1:], stdout, stderr)
	case "schema":
		return runSchema(ctx, args[1:], stdout, stderr)
	case "export":
		return runExport(ctx, args[1:], stdout, stderr)
	case "alert":
		return runAlert(ctx, args[1:], stdout, stderr)
	case "fault":
		return runFault(ctx, args[1:], stdout, stderr)
	case "pipeline":
		return runPipeline(ctx, args[1:], stdout, stderr)
	case "gen":
		return runGen(ctx, args[1:], stdout, stderr)
	case "lab":
		return runLab(ctx, args[1:], stdout, stderr)
	case "otel":
		return runOtel(ctx, args[1:], stdout, stderr)
	case "bench":
		return runBench(ctx, args[1:], stdout, stderr)
	case "import":
		return runImport(ctx, args[1:], stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "zbemu", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return usageError{fmt.Errorf("unknown command %q", args[0])}
}
