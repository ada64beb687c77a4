package engine

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/zbemu/zbemu/engine/delta"
)

// OptimizeResult is what OPTIMIZE reports: the table's Delta folder and
// how many files the rewrite removed and added.
type OptimizeResult struct {
	Path                     string
	FilesRemoved, FilesAdded int
}

// compact rewrites the small files of each partition (those written with
// the current schema) into one file, in a version of remove and add
// actions with dataChange=false, named OPTIMIZE: when a partition has
// deltaCompactFiles of them, or with force (OPTIMIZE) two.
func (d *deltaMirror) compact(ctx context.Context, v *tableVersion, mt *mirrorTable, force bool) (OptimizeResult, error) {
	res := OptimizeResult{Path: mt.dir}
	if mt.meta == nil {
		return res, nil
	}
	lay := mt.currentLayout()
	tag := layoutTag(lay.meta.SchemaString)
	groups := map[string][]delta.Add{}
	for _, p := range sortedKeys(mt.files) {
		a := mt.files[p]
		if a.Size < deltaSmallFile && a.Tags[tagLayout] == tag {
			k := partitionKey(a.PartitionValues)
			groups[k] = append(groups[k], a)
		}
	}
	threshold := deltaCompactFiles
	if force {
		threshold = 2
	}
	keys := sortedKeys(groups)
	var partCols []string
	var dataCols []string
	for i, c := range v.cols {
		if containsFold(lay.meta.PartitionColumns, c.Name) {
			partCols = append(partCols, lay.phys[i])
		} else {
			dataCols = append(dataCols, quoteIdent(lay.phys[i]))
		}
	}
	var actions []delta.Action
	for _, k := range keys {
		files := groups[k]
		if len(files) < threshold {
			continue
		}
		paths := make([]string, len(files))
		for i, a := range files {
			p, err := delta.FilePath(mt.dir, a.Path)
			if err != nil {
				return res, err
			}
			paths[i] = quoteString(p)
		}
		values := files[0].PartitionValues
		pv := make([]*string, len(partCols))
		for i, c := range partCols {
			pv[i] = values[c]
		}
		part := ""
		if len(partCols) > 0 {
			part = delta.PartitionDir(partCols, pv)
		}
		src := "SELECT " + strings.Join(dataCols, ", ") + " FROM read_parquet([" + strings.Join(paths, ", ") + "])"
		add, err := d.writeFile(ctx, d.conn, v, lay, src, part, values)
		if err != nil {
			return res, err
		}
		add.DataChange = false
		now := add.ModificationTime
		for _, a := range files {
			size := a.Size
			actions = append(actions, delta.Action{Remove: &delta.Remove{Path: a.Path, DeletionTimestamp: &now, DataChange: false,
				ExtendedFileMetadata: true, PartitionValues: a.PartitionValues, Size: &size}})
		}
		actions = append(actions, delta.Action{Add: add})
		res.FilesRemoved += len(files)
		res.FilesAdded++
	}
	if len(actions) == 0 {
		return res, nil
	}
	params := map[string]string{"predicate": "[]", "zOrderBy": "[]", "auto": strconv.FormatBool(!force)}
	return res, d.commit(ctx, mt, "OPTIMIZE", params, actions)
}

// partitionKey identifies a partition by its values.
func partitionKey(values map[string]*string) string {
	keys := sortedKeys(values)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(strconv.Quote(k))
		if v := values[k]; v != nil {
			b.WriteString("=" + strconv.Quote(*v))
		}
		b.WriteByte(0)
	}
	return b.String()
}

// OptimizeTable runs OPTIMIZE on table full: the Delta table is brought up
// to date, then every partition's small files are rewritten as one. With
// the mirror off there are no files to compact.
func (e *Engine) OptimizeTable(ctx context.Context, full string) (OptimizeResult, error) {
	_, t, err := e.resolveTable(full)
	if err != nil {
		return OptimizeResult{}, err
	}
	if m := t.cur.Load().meta; m.TableType == tableTypeView {
		return OptimizeResult{}, fmt.Errorf("%w: %s is a view; OPTIMIZE takes a table", ErrInvalidArgument, full)
	}
	if e.delta == nil {
		return OptimizeResult{}, nil
	}
	if err := e.Sync(ctx); err != nil {
		return OptimizeResult{}, err
	}
	d := e.delta
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, err := d.syncTable(ctx, t); err != nil {
		return OptimizeResult{}, err
	}
	t.alterMu.Lock()
	defer t.alterMu.Unlock()
	v := t.cur.Load()
	mt, err := d.state(v.meta)
	if err != nil {
		return OptimizeResult{}, err
	}
	return d.compact(ctx, v, mt, true)
}

// ExportDelta writes a one-off Delta table of the current rows of table
// full (version 0: protocol, metaData and the data files, as a WRITE) to w
// as a tar archive whose root is the table folder.
func (e *Engine) ExportDelta(ctx context.Context, full string, w io.Writer) error {
	if e.delta == nil {
		return ErrDeltaOff
	}
	_, t, err := e.resolveTable(full)
	if err != nil {
		return err
	}
	if m := t.cur.Load().meta; m.TableType == tableTypeView {
		return fmt.Errorf("%w: %s is a view; export takes a table", ErrInvalidArgument, full)
	}
	if err := e.Sync(ctx); err != nil {
		return err
	}
	d := e.delta
	dir, err := os.MkdirTemp(d.root, ".export-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	err = func() error {
		d.mu.Lock()
		defer d.mu.Unlock()
		t.alterMu.Lock()
		defer t.alterMu.Unlock()
		mt := newMirrorTable(dir)
		return d.mirror(ctx, t, t.cur.Load(), mt, true)
	}()
	if err != nil {
		return fmt.Errorf("export %s: %w", full, err)
	}
	return tarDir(dir, w)
}

// tarDir writes the files under dir to w as a tar archive.
func tarDir(dir string, w io.Writer) error {
	tw := tar.NewWriter(w)
	var files []string
	err := filepath.WalkDir(dir, func(path string, de os.DirEntry, err error) error {
		if err == nil && !de.IsDir() {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		return err
	}
	sort.Strings(files)
	for _, path := range files {
		fi, err := os.Stat(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		if err := tw.WriteHeader(&tar.Header{Name: filepath.ToSlash(rel), Mode: 0o644, Size: fi.Size(), ModTime: fi.ModTime()}); err != nil {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		_, err = io.Copy(tw, f)
		f.Close()
		if err != nil {
			return err
		}
	}
	return tw.Close()
}

// optimize answers OPTIMIZE as Databricks does: the table's path and the
// metrics of the rewrite.
func (e *Engine) optimize(ctx context.Context, full string) (*Result, error) {
	r, err := e.OptimizeTable(ctx, full)
	if err != nil {
		return nil, err
	}
	metrics := fmt.Sprintf(`{"numFilesAdded":%d,"numFilesRemoved":%d}`, r.FilesAdded, r.FilesRemoved)
	return &Result{Columns: []ResultColumn{{Name: "path", TypeName: "STRING", TypeText: "STRING"},
		{Name: "metrics", TypeName: "STRUCT", TypeText: "STRUCT<numFilesAdded: BIGINT, numFilesRemoved: BIGINT>"}},
		Rows: [][]*string{{strp(r.Path), strp(metrics)}}}, nil
}
