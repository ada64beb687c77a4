package engine_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/zbemu/zbemu/engine"
)

// A request held back at the backlog bound is refused with ErrUnavailable
// when the materialiser turns out not to be able to catch up (a full
// disk), instead of waiting for it forever.
func TestBackpressureOnFullDiskRefuses(t *testing.T) {
	ctx := context.Background()
	dir := mountTmpfs(t, "24m")
	opts := durableOpts(filepath.Join(dir, "data"))
	opts.MaxBacklogRecords = paddedBatch
	e, err := engine.Open(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close(ctx)
	exec(t, e, "CREATE TABLE main.default.ev (id BIGINT NOT NULL, pad STRING)")
	if err := insertPadded(ctx, e, 0); err != nil { // the backlog is at the bound now
		t.Fatal(err)
	}
	filler := filepath.Join(dir, "filler")
	fillDisk(t, filler)
	hang, cancel := context.WithTimeout(ctx, 2*time.Minute) // hang guard only
	defer cancel()
	if err := insertPadded(hang, e, paddedBatch); !errors.Is(err, engine.ErrUnavailable) {
		t.Fatalf("insert held back while DuckDB cannot be written: %v, want ErrUnavailable", err)
	}
}
