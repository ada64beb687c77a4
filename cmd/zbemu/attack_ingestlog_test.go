package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestAttackDamagedIngestLogRefusesStart: a damaged entry in the ingest
// log that later, durable batches follow is not a torn write. The server
// must refuse to start and say why, and leave the log as it is, instead of
// cutting the log there and silently losing acknowledged records.
func TestAttackDamagedIngestLogRefusesStart(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	s := startServer(t, data, "--flush-interval", "1h")
	s.sql("CREATE TABLE main.default.t (id BIGINT NOT NULL)")
	for b := 0; b < 5; b++ {
		var recs []map[string]any
		for i := 0; i < 10; i++ {
			recs = append(recs, map[string]any{"id": b*10 + i})
		}
		if status, code, msg := s.restInsert(devToken, "main.default.t", recs); status != 200 {
			t.Fatalf("insert: %d %s %s", status, code, msg)
		}
	}
	s.kill9()
	segs, err := filepath.Glob(filepath.Join(data, "ingest-log", "*.seg"))
	if err != nil || len(segs) != 1 {
		t.Fatalf("want one log segment, found %v (%v)", segs, err)
	}
	before, err := os.ReadFile(segs[0])
	if err != nil {
		t.Fatal(err)
	}
	before[16+3] ^= 0x01 // a payload byte of the first entry (after its 16-byte header)
	if err := os.WriteFile(segs[0], before, 0o640); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binPath, "serve", "--addr", freePort(t), "--data", data)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("zbemu started over a damaged ingest log; log:\n%s", stderr.String())
	}
	if err == nil || !strings.Contains(stderr.String(), "ingest log is corrupt") {
		t.Fatalf("exit %v; want a failure naming the corrupt ingest log; log:\n%s", err, stderr.String())
	}
	after, err := os.ReadFile(segs[0])
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Error("the damaged log was changed; it must be kept for inspection")
	}
}
