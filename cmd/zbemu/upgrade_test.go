package main

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// TestUpgradeFromTidwallLog opens a data directory written by the release
// that kept the ingest log as tidwall/wal generations (testdata/
// upgrade-tidwall). It was made with that release's binary: `serve
// --flush-interval 1h`, CREATE TABLE main.default.up (id BIGINT NOT NULL,
// name STRING), ids 1–50 inserted over REST in batches of 10 and made
// queryable by a SELECT, ids 51–150 inserted the same way and acknowledged,
// then kill -9 before they reached DuckDB. The new release must find every
// acknowledged row exactly once, continue the log in its own format after
// the old indexes, delete the old generation once applied, and keep all of
// it across a further kill -9.
func TestUpgradeFromTidwallLog(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	if err := os.CopyFS(data, os.DirFS("testdata/upgrade-tidwall")); err != nil {
		t.Fatal(err)
	}
	oldGen := filepath.Join(data, "ingest-log", "00000000000000000001")
	if _, err := os.Stat(oldGen); err != nil {
		t.Fatalf("the fixture has no old log generation: %v", err)
	}
	s := startServer(t, data, "--flush-interval", "1h")
	if got := s.cells("SELECT count(*), count(DISTINCT id), min(id), max(id) FROM main.default.up"); got != "150|150|1|150" {
		t.Fatalf("after upgrade: count|distinct|min|max = %s, want 150|150|1|150\nserver log:\n%s", got, s.log)
	}
	// The old log held 15 entries (one per REST request): the new one
	// starts at 16.
	if _, err := os.Stat(filepath.Join(data, "ingest-log", "00000000000000000016.seg")); err != nil {
		t.Errorf("the new log does not continue after the old indexes: %v", err)
	}
	var more []map[string]any
	for i := 151; i <= 160; i++ {
		more = append(more, map[string]any{"id": i, "name": fmt.Sprintf("n%d", i)})
	}
	if status, code, msg := s.restInsert(devToken, "main.default.up", more); status != 200 {
		t.Fatalf("insert after upgrade: %d %s %s", status, code, msg)
	}
	s.kill9()
	s = startServer(t, data)
	if got := s.cells("SELECT count(*), count(DISTINCT id), min(id), max(id) FROM main.default.up"); got != "160|160|1|160" {
		t.Errorf("after upgrade, insert and kill -9: count|distinct|min|max = %s, want 160|160|1|160\nserver log:\n%s", got, s.log)
	}
	s.stop()
	if _, err := os.Stat(oldGen); !os.IsNotExist(err) {
		t.Errorf("the applied old log generation is still there (%v)", err)
	}
}
