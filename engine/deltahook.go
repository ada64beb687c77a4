package engine

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/zbemu/zbemu/engine/delta"
)

// deltaRoot is the folder that holds the Delta tables of the data
// directory, one per table at delta.TableDir(deltaRoot, c, s, t).
func (e *Engine) deltaRoot() string {
	if e.opts.Memory || e.opts.DataDir == "" {
		return ""
	}
	return filepath.Join(e.opts.DataDir, "delta")
}

// syncDelta brings the Delta table of catalog.schema.table up to date with
// the rows and returns its latest version. This version does not write the
// mirror: it reports the latest version of the log there is, and fails
// with delta.ErrNotTable when the table has none.
func (e *Engine) syncDelta(ctx context.Context, catalog, schema, table string) (int64, error) {
	root := e.deltaRoot()
	if root == "" {
		return 0, fmt.Errorf("%w: an in-memory zbemu keeps no Delta tables", delta.ErrNotTable)
	}
	vs, err := delta.Versions(delta.TableDir(root, catalog, schema, table))
	if err != nil {
		return 0, err
	}
	if len(vs) == 0 {
		return 0, &delta.NotTableError{Dir: delta.TableDir(root, catalog, schema, table)}
	}
	return vs[len(vs)-1], nil
}
