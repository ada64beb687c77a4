package main

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/zbemu/zbemu/engine/delta"
	"github.com/zbemu/zbemu/engine/delta/deltatest"
)

// TestDeltaMirrorSurvivesKill9: the server is killed with SIGKILL while
// ingest runs and the mirror writes versions every 100 ms. Every
// committed version is still readable by the independent reader, and
// after a restart the latest version holds exactly the table's rows: none
// lost, none twice, no data file that no version names.
func TestDeltaMirrorSurvivesKill9(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	s := startServer(t, data, "--delta", "--delta-interval", "100ms")
	s.sql("CREATE TABLE main.default.ev (id BIGINT, name STRING)")
	dir := filepath.Join(data, "delta", "main", "default", "ev")
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			var b bytes.Buffer
			b.WriteByte('[')
			for j := 0; j < 200; j++ {
				if j > 0 {
					b.WriteByte(',')
				}
				fmt.Fprintf(&b, `{"id": %d, "name": "n%d"}`, i*200+j, j)
			}
			b.WriteByte(']')
			req, _ := http.NewRequest("POST", s.url+"/zerobus/v1/tables/main.default.ev/insert", &b)
			req.Header.Set("Authorization", "Bearer "+devToken)
			req.Header.Set("Content-Type", "application/json")
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
			}
		}
	}()
	waitFor(t, 60*time.Second, "8 Delta versions", func() bool {
		vs, _ := delta.Versions(dir)
		return len(vs) >= 8
	})
	s.kill9()
	close(stop)
	<-done
	vs, err := delta.Versions(dir)
	if err != nil || len(vs) < 8 {
		t.Fatalf("versions after kill -9: %v %v", vs, err)
	}
	for _, v := range vs {
		deltatest.Replay(t, dir, v, -1).Rows(t, dir)
	}
	s = startServer(t, data, "--delta", "--delta-interval", "100ms")
	var want, got []string
	waitFor(t, 60*time.Second, "the latest version to equal the table", func() bool {
		want = want[:0]
		for _, row := range s.sql("SELECT id, name FROM main.default.ev") {
			want = append(want, deltatest.CanonicalSQLRow(row, nil))
		}
		sort.Strings(want)
		vs, _ := delta.Versions(dir)
		got = deltatest.Replay(t, dir, vs[len(vs)-1], -1).Rows(t, dir)
		return slices.Equal(got, want)
	})
	if len(want) == 0 {
		t.Fatal("no rows were ingested")
	}
	var logs strings.Builder
	vs, _ = delta.Versions(dir)
	for _, v := range vs {
		b, _ := os.ReadFile(delta.CommitPath(dir, v))
		logs.Write(b)
	}
	filepath.WalkDir(dir, func(path string, de os.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(path, ".parquet") && !strings.Contains(path, delta.LogDir) && !strings.Contains(logs.String(), filepath.Base(path)) {
			t.Errorf("data file %s is named by no version", path)
		}
		return err
	})
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
