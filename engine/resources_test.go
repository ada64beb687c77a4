package engine_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/zbemu/zbemu/engine"
)

// TestDuckDBResources checks that DuckDB runs with the memory limit,
// thread count and checkpoint threshold of the options, and its allocator's
// background thread, set before the configuration is locked.
func TestDuckDBResources(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name                  string
		opts                  engine.Options
		threads, memory, ckpt string
	}{
		{"defaults", engine.Options{}, "", "122.0 MiB", "3.8 MiB"},
		{"set", engine.Options{Threads: 1, MemoryLimit: "100MB", CheckpointThreshold: "8MB"}, "1", "95.3 MiB", "7.6 MiB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := tc.opts
			opts.DataDir, opts.DevClientSecret = t.TempDir(), "s"
			e, err := engine.Open(ctx, opts)
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close(ctx)
			want := map[string]string{"threads": tc.threads, "memory_limit": tc.memory, "checkpoint_threshold": tc.ckpt,
				"allocator_background_threads": "true"}
			if want["threads"] == "" {
				want["threads"] = strconv.Itoa(engine.DefaultThreads())
			}
			for name, w := range want {
				if got, err := engine.DuckDBSetting(ctx, e, name); err != nil || got != w {
					t.Errorf("%s = %q (%v), want %q", name, got, err, w)
				}
			}
		})
	}
}
