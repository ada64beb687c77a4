package main

import (
	"archive/tar"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

const exportUsage = "usage: zbemu export [--url URL] [--token T] CATALOG.SCHEMA.TABLE DIR"

// runExport writes a one-off Delta Lake table of a table's current rows
// into DIR (which must not exist or be empty), through the running
// server's export API (GET /zbemu/v1/tables/{table}/delta, a tar archive).
func runExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("zbemu export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := clientFlags(fs)
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	if fs.NArg() != 2 {
		return usageError{errors.New(exportUsage)}
	}
	table, dir := fs.Arg(0), fs.Arg(1)
	if parts := strings.Split(table, "."); len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		return usageError{fmt.Errorf("table name %q must have exactly 3 parts (catalog.schema.table)", table)}
	}
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return usageError{fmt.Errorf("DIR %s is not empty; export writes a new Delta table", dir)}
	}
	archive, err := c.GetText(ctx, "/zbemu/v1/tables/"+url.PathEscape(table)+"/delta")
	if err != nil {
		return err
	}
	n, err := untar(strings.NewReader(archive), dir)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "exported %s to %s (%d files); read it with e.g.\n  duckdb -c \"SELECT * FROM delta_scan('%s')\"\n", table, dir, n, dir)
	return nil
}

// untar unpacks a tar archive of regular files under dir, refusing names
// that would land outside it.
func untar(r io.Reader, dir string) (int, error) {
	tr := tar.NewReader(r)
	n := 0
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, fmt.Errorf("read export archive: %w", err)
		}
		name := filepath.FromSlash(h.Name)
		if h.Typeflag != tar.TypeReg || !filepath.IsLocal(name) {
			return n, fmt.Errorf("export archive: unexpected entry %q", h.Name)
		}
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return n, err
		}
		f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		if err != nil {
			return n, err
		}
		_, err = io.Copy(f, tr)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return n, err
		}
		n++
	}
}
