package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
)

const importUsage = "usage: zbemu import [--url URL] [--token T] DIR CATALOG.SCHEMA.TABLE"

// runImport loads the Delta table in DIR into a table of the running
// server (POST /zbemu/v1/delta/import). The server reads DIR itself, so
// DIR is made absolute here and must lie in one of the server's
// --import-dir directories.
func runImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("zbemu import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := clientFlags(fs)
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	if fs.NArg() != 2 {
		return usageError{errors.New(importUsage)}
	}
	dir, err := filepath.Abs(fs.Arg(0))
	if err != nil {
		return fmt.Errorf("path %s: %w", fs.Arg(0), err)
	}
	var out struct {
		Table           string   `json:"table"`
		Version         int64    `json:"version"`
		Created         bool     `json:"created"`
		NumInsertedRows int64    `json:"num_inserted_rows"`
		Renamed         []string `json:"renamed_columns"`
	}
	if err := c.Do(ctx, http.MethodPost, "/zbemu/v1/delta/import", map[string]string{"path": dir, "table": fs.Arg(1)}, &out); err != nil {
		return err
	}
	verb := "appended to"
	if out.Created {
		verb = "created"
	}
	fmt.Fprintf(stdout, "%s: %s from version %d of %s, %d rows\n", out.Table, verb, out.Version, dir, out.NumInsertedRows)
	if len(out.Renamed) > 0 {
		fmt.Fprintf(stdout, "renamed columns zbemu cannot name: %s\n", strings.Join(out.Renamed, ", "))
	}
	return nil
}
