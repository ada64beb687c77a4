package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/zbemu/zbemu/engine/delta"
	"github.com/zbemu/zbemu/engine/identity"
)

// ImportResult is what ImportDelta did.
type ImportResult struct {
	Table string `json:"table"`
	// Version is the version of the Delta table that was read.
	Version int64 `json:"version"`
	// Created is set when the table did not exist and was created from
	// the Delta schema.
	Created         bool  `json:"created"`
	NumInsertedRows int64 `json:"num_inserted_rows"`
	// Renamed lists the Delta columns whose names zbemu cannot hold (Delta
	// allows any name with column mapping) as "old -> new".
	Renamed []string `json:"renamed_columns,omitempty"`
}

// columnName returns the name a Delta column gets in zbemu: its own, or,
// when zbemu's names cannot hold it (spaces, punctuation, a leading
// digit), the name with every other character replaced by _.
func columnName(name string) string {
	b := []byte(name)
	for i, c := range b {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			b[i] = '_'
		}
	}
	if len(b) == 0 || b[0] >= '0' && b[0] <= '9' {
		b = append([]byte{'_'}, b...)
	}
	return string(b)
}

// ImportDelta loads the latest snapshot of the Delta table in dir (written
// by Databricks, Spark, delta-rs or zbemu export) into the table full,
// catalog.schema.table: it creates the table from the Delta schema when it
// does not exist (CREATE TABLE on the schema, as CREATE TABLE asks) and
// appends the snapshot's rows through the DML path (MODIFY on an existing
// table, as INSERT asks).
//
// Reading a path is reading files, which Databricks grants with READ
// FILES on an external location; zbemu's equivalent is the server's
// ImportDirs: dir must lie inside one of them after symbolic links are
// resolved, and so must every data file the log names, so neither a path
// nor a log can make the server read elsewhere. The privileges on the
// table are checked before the path is looked at, so a principal without
// them learns nothing of the server's files.
func (e *Engine) ImportDelta(ctx context.Context, id *Identity, dir, full string) (ImportResult, error) {
	if err := e.checkOpen(); err != nil {
		return ImportResult{}, err
	}
	parts := strings.Split(strings.ToLower(full), ".")
	if len(parts) != 3 || slices.Contains(parts, "") {
		return ImportResult{}, fmt.Errorf("%w: table %q: expected a three-part name catalog.schema.table", ErrInvalidArgument, full)
	}
	full = strings.Join(parts, ".")
	z, err := e.Authorizer(ctx, id)
	if err != nil {
		return ImportResult{}, err
	}
	info, getErr := e.GetTable(ctx, full)
	exists := getErr == nil
	if exists {
		err = z.Require(identity.TypeTable, full, "MODIFY")
	} else if errors.Is(getErr, ErrTableNotFound) {
		err = z.Require(identity.TypeSchema, parts[0]+"."+parts[1], "USE SCHEMA", "CREATE TABLE")
	} else {
		err = getErr
	}
	if err != nil {
		return ImportResult{}, err
	}
	dir, err = e.importDir(dir)
	if err != nil {
		return ImportResult{}, err
	}
	snap, err := delta.Load(dir, -1)
	if err != nil {
		return ImportResult{}, deltaError(err, "")
	}
	for _, f := range snap.Files {
		if _, err := e.confined(filepath.Join(dir, filepath.FromSlash(f.Path))); err != nil {
			return ImportResult{}, fmt.Errorf("%w: data file %s of the Delta table: %v", ErrPermissionDenied, f.Path, err)
		}
	}
	cols, err := snap.Columns()
	if err != nil {
		return ImportResult{}, deltaError(err, "")
	}
	res := ImportResult{Table: full, Version: snap.Version}
	for _, c := range cols {
		if n := columnName(c.Name); n != c.Name {
			res.Renamed = append(res.Renamed, c.Name+" -> "+n)
		}
	}
	if !exists {
		spec := TableSpec{Catalog: parts[0], Schema: parts[1], Name: parts[2], Owner: id.ClientID,
			Comment: snap.Metadata.Description, Statement: "zbemu import " + dir}
		for _, c := range cols {
			spec.Columns = append(spec.Columns, ColumnSpec{Name: columnName(c.Name), TypeText: c.TypeText, NotNull: !c.Nullable, Comment: c.Comment})
			if c.Partition {
				spec.PartitionColumns = append(spec.PartitionColumns, columnName(c.Name))
			}
		}
		if info, err = e.CreateTable(ctx, spec, false); err != nil {
			return ImportResult{}, err
		}
		res.Created = true
	}
	_, t, err := e.resolveTable(info.FullName)
	if err != nil {
		return ImportResult{}, err
	}
	m := t.cur.Load().meta
	if m.PipelineID != "" {
		return ImportResult{}, pipelineTableError(m, "INSERT")
	}
	var names []string
	for _, c := range cols {
		n := columnName(c.Name)
		found := false
		for _, tc := range info.Columns {
			found = found || strings.EqualFold(tc.Name, n)
		}
		if !found {
			return ImportResult{}, fmt.Errorf("%w: the Delta table has column %s, which %s lacks (add it with ALTER TABLE ... ADD COLUMNS)", ErrInvalidArgument, n, full)
		}
		names = append(names, quoteIdent(c.Name)+" AS "+quoteIdent(n))
	}
	rel, err := e.snapshotRelation(ctx, dir, snap)
	if err != nil {
		return ImportResult{}, err
	}
	if err := e.Sync(ctx); err != nil {
		return ImportResult{}, err
	}
	conn, err := e.db.Conn(ctx)
	if err != nil {
		return ImportResult{}, err
	}
	defer conn.Close()
	res.NumInsertedRows, err = e.execDML(ctx, conn, "INSERT", []*tableMeta{m}, func(ctx context.Context, x execQuerier) (int64, error) {
		r, err := x.ExecContext(ctx, "INSERT INTO "+duckTable(m)+" BY NAME SELECT "+strings.Join(names, ", ")+" FROM "+rel+" AS imported")
		if err != nil {
			return 0, sqlError(err)
		}
		return r.RowsAffected()
	})
	e.dataWritten()
	if err != nil && res.Created {
		if dropErr := e.DropTable(ctx, full, true); dropErr != nil {
			e.log.Error("drop the table of a failed import", "table", full, "err", dropErr)
		}
	}
	return res, err
}

// importDir checks the directory of an import: absolute, a directory,
// and inside one of the server's ImportDirs once symbolic links are
// resolved. It returns the resolved path.
func (e *Engine) importDir(dir string) (string, error) {
	if len(e.opts.ImportDirs) == 0 {
		return "", fmt.Errorf("%w: this zbemu imports no Delta tables: start it with --import-dir DIR to allow imports from DIR", ErrPermissionDenied)
	}
	if !filepath.IsAbs(dir) {
		return "", fmt.Errorf("%w: path %q: expected an absolute path (the server resolves no relative paths)", ErrInvalidArgument, dir)
	}
	real, err := e.confined(dir)
	if err != nil {
		return "", err
	}
	fi, err := os.Stat(real)
	if err != nil {
		return "", fmt.Errorf("%w: %s doesn't exist, or is not a Delta table", delta.ErrNotTable, dir)
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("%w: path %s is a file; expected the folder of a Delta table (the one that holds _delta_log)", ErrInvalidArgument, dir)
	}
	return real, nil
}

// confined resolves path's symbolic links and checks that the result lies
// inside one of ImportDirs.
func (e *Engine) confined(path string) (string, error) {
	real, err := filepath.EvalSymlinks(filepath.Clean(path))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("%w: %s doesn't exist, or is not a Delta table", delta.ErrNotTable, path)
		}
		return "", fmt.Errorf("%w: %s: %v", ErrInvalidArgument, path, err)
	}
	for _, root := range e.opts.ImportDirs {
		if rel, err := filepath.Rel(root, real); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return real, nil
		}
	}
	return "", fmt.Errorf("%w: path %s is outside the directories this zbemu imports from (--import-dir %s)", ErrPermissionDenied, path, strings.Join(e.opts.ImportDirs, ", "))
}

// resolveDir makes an import directory absolute and free of symbolic
// links, as confined compares against it.
func resolveDir(d string) (string, error) {
	abs, err := filepath.Abs(d)
	if err != nil {
		return "", err
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return "", err
	}
	if fi, err := os.Stat(real); err != nil || !fi.IsDir() {
		return "", errors.New("not a directory")
	}
	return real, nil
}
