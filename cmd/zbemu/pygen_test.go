package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zbemu/zbemu/fixtures/gen"
)

// throttlingProxy forwards to s but answers every third insert with 429
// (Retry-After: 0) or 503 in turn, the way a busy server throttles, and
// counts the refusals.
func throttlingProxy(t *testing.T, s *server) (string, *atomic.Int64) {
	t.Helper()
	u, _ := url.Parse(s.url)
	rp := httputil.NewSingleHostReverseProxy(u)
	var n, refused atomic.Int64
	ps := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/insert") {
			if k := n.Add(1); k%3 == 0 {
				refused.Add(1)
				if k%2 == 0 {
					w.Header().Set("Retry-After", "0")
					http.Error(w, `{"error_code":"RESOURCE_EXHAUSTED","message":"slow down"}`, http.StatusTooManyRequests)
				} else {
					http.Error(w, `{"error_code":"TEMPORARILY_UNAVAILABLE","message":"later"}`, http.StatusServiceUnavailable)
				}
				return
			}
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(ps.Close)
	return ps.URL, &refused
}

// The Python generators of fixtures/labs/generators post to a live
// server, through a proxy that throttles: every record arrives once.
func TestPythonGenerators(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 is not installed: the Python generators are not tested")
	}
	if out, err := exec.Command("python3", "-c", "import requests").CombinedOutput(); err != nil {
		t.Skipf("the Python package requests is missing (pip install requests): %s", out)
	}
	s := startServer(t, "", "--memory")
	proxy, refused := throttlingProxy(t, s)
	s.sql("CREATE SCHEMA main.py")
	for _, name := range gen.Scenarios() {
		t.Run(name, func(t *testing.T) {
			cols, err := gen.Columns(name)
			if err != nil {
				t.Fatal(err)
			}
			table := "main.py." + name
			s.sql("CREATE TABLE " + table + " " + cols)
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, "python3", filepath.Join("..", "..", "fixtures", "labs", "generators", name+".py"),
				"--url", proxy, "--token", devToken, "--table", table, "--rate", "1000", "--count", "700", "--batch", "50")
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("%s: %v\n%s\n%s", name, err, stdout.String(), stderr.String())
			}
			if n := s.count(table); n != 700 {
				t.Errorf("%s wrote %d rows, want 700", table, n)
			}
			if !strings.Contains(stderr.String(), "sent 700/700 records to "+table) || !strings.Contains(stderr.String(), "retrying in") ||
				!strings.Contains(stdout.String(), "done: 700 records") {
				t.Errorf("progress and summary:\n%s\n%s", stderr.String(), stdout.String())
			}
		})
	}
	if refused.Load() == 0 {
		t.Error("the proxy refused nothing")
	}
}

// zbemu gen --via rest retries 429 and 503 and still delivers every
// record exactly once.
func TestGenRetriesThrottledREST(t *testing.T) {
	t.Parallel()
	s := startServer(t, "", "--memory")
	proxy, refused := throttlingProxy(t, s)
	cmd := exec.Command(binPath, "gen", "applogs", "--table", "main.retry.logs", "--create", "--via", "rest", "--count", "3000", "--rate", "0",
		"--batch", "100", "--url", proxy, "--token", devToken)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if n := s.count("main.retry.logs"); n != 3000 {
		t.Errorf("%d rows, want 3000", n)
	}
	if r := summaryCount(t, string(out), "retries"); r == 0 || int64(r) != refused.Load() {
		t.Errorf("summary counts %d retries, the proxy refused %d:\n%s", r, refused.Load(), out)
	}
}
