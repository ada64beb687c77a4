package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strings"
)

const schemaUsage = "usage: zbemu schema proto|jsonschema [--url URL] [--token T] CATALOG.SCHEMA.TABLE"

// runSchema prints a table's contract as the running server generates it:
// `proto` the .proto file the SDK's generator would emit (proto2, required
// for NOT NULL), `jsonschema` the JSON Schema a JSON record must satisfy.
func runSchema(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "proto" && args[0] != "jsonschema") {
		return usageError{fmt.Errorf("%s", schemaUsage)}
	}
	kind := args[0]
	fs := flag.NewFlagSet("zbemu schema "+kind, flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := clientFlags(fs)
	if err := fs.Parse(args[1:]); err != nil {
		return usageError{err}
	}
	if fs.NArg() != 1 {
		return usageError{fmt.Errorf("%s", schemaUsage)}
	}
	table := fs.Arg(0)
	if parts := strings.Split(table, "."); len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		return usageError{fmt.Errorf("table name %q must have exactly 3 parts (catalog.schema.table)", table)}
	}
	doc, err := c.GetText(ctx, "/zbemu/v1/tables/"+url.PathEscape(table)+"/"+kind)
	if err != nil {
		return err
	}
	_, err = io.WriteString(stdout, doc)
	return err
}
