package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The data directory holds the token signing key (workspace.db*), the TLS
// private key and every row: no other local user may read any of it.

// privateModeViolations lists every entry under dir that another user
// could read: a directory other than 0700, a file with group or other bits.
func privateModeViolations(t *testing.T, dir string) (violations []string, files int) {
	t.Helper()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		mode := info.Mode().Perm()
		switch {
		case d.IsDir() && mode != 0o700:
			violations = append(violations, rel+" "+mode.String())
		case !d.IsDir() && mode&0o077 != 0:
			violations = append(violations, rel+" "+mode.String())
		case !d.IsDir():
			files++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return violations, files
}

// TestAttackFilesPrivate writes through every store (REST and SQL rows,
// a principal and a token, system tables, TLS keys) and checks the data
// directory while the server runs (WAL and -shm files exist then) and
// after it stopped.
func TestAttackFilesPrivate(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	s := startServer(t, data, "--tls")
	useTLSClient(t, filepath.Join(data, "tls", "ca.pem"))
	s.sql("CREATE TABLE main.default.events (id BIGINT, v STRING)")
	s.sql("CREATE CATALOG lab")
	s.sql("CREATE SCHEMA lab.default")
	s.sql("CREATE TABLE lab.default.t (id BIGINT)")
	s.sql("INSERT INTO lab.default.t VALUES (1), (2)")
	if code, body := s.call("POST", insertPath("main.default.events"), devToken, `[{"id": 1, "v": "a"}, {"id": 2, "v": "b"}]`); code != 200 {
		t.Fatalf("REST insert: %d %s", code, body)
	}
	if code, body := s.call("POST", "/zbemu/v1/principals", devToken, map[string]any{"display_name": "p"}); code != 200 {
		t.Fatalf("create principal: %d %s", code, body)
	}
	if code, body := s.call("POST", "/api/2.0/token/create", devToken, map[string]any{"comment": "c"}); code != 200 {
		t.Fatalf("create token: %d %s", code, body)
	}
	if n := s.count("main.default.events"); n != 2 {
		t.Fatalf("count = %d, want 2", n)
	}
	s.sql("SELECT count(*) FROM system.lakeflow.zerobus_stream")

	check := func(when string) {
		t.Helper()
		v, files := privateModeViolations(t, data)
		if len(v) > 0 {
			t.Errorf("%s: readable by others:\n%s", when, strings.Join(v, "\n"))
		}
		// workspace.db, system.db, two catalogs, ingest log, tls: a
		// walk that saw only a few files checked nothing.
		if files < 6 {
			t.Errorf("%s: only %d files in the data directory", when, files)
		}
	}
	check("while running")
	s.stop()
	check("after stop")
}

// TestAttackFilesTightenedOnUpgrade: a data directory written by an older
// release (0755 directories, 0644 files) is made private at start.
func TestAttackFilesTightenedOnUpgrade(t *testing.T) {
	t.Parallel()
	data := filepath.Join(t.TempDir(), "data")
	s := startServer(t, data)
	s.sql("CREATE TABLE main.default.events (id BIGINT)")
	if code, body := s.call("POST", insertPath("main.default.events"), devToken, `[{"id": 1}]`); code != 200 {
		t.Fatalf("REST insert: %d %s", code, body)
	}
	s.stop()
	err := filepath.WalkDir(data, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.Chmod(path, 0o755)
		}
		return os.Chmod(path, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := privateModeViolations(t, data); len(v) == 0 {
		t.Fatal("the old-release layout was not set up")
	}

	s = startServer(t, data)
	if n := s.count("main.default.events"); n != 1 {
		t.Fatalf("count = %d after the upgrade, want 1", n)
	}
	if v, _ := privateModeViolations(t, data); len(v) > 0 {
		t.Errorf("still readable by others after start:\n%s", strings.Join(v, "\n"))
	}
	s.stop()
	if !strings.Contains(s.log.String(), "made the data directory private") {
		t.Errorf("the tightening is not logged:\n%s", s.log)
	}
}
