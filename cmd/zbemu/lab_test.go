package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// labCLI runs `zbemu lab ...` against s with token and returns its
// combined output and exit code.
func labCLI(t *testing.T, s *server, token string, args ...string) (string, int) {
	t.Helper()
	out, errOut, code := execCLI(t, 3*time.Minute, []string{"ZBEMU_URL=" + s.url, "ZBEMU_TOKEN=" + token}, "", append([]string{"lab"}, args...)...)
	return out + errOut, code
}

func TestLabCLI(t *testing.T) {
	t.Parallel()
	s := startServer(t, "", "--memory")
	out, code := labCLI(t, s, devToken, "list")
	if code != 0 || strings.Count(out, "Lab ") != 6 || !strings.Contains(out, "6  Lab 6 — End to end") {
		t.Errorf("lab list: exit %d\n%s", code, out)
	}
	out, code = labCLI(t, s, devToken, "open", "3")
	want, err := os.ReadFile("../../fixtures/labs/03-streaming.md")
	if err != nil {
		t.Fatal(err)
	}
	if code != 0 || out != string(want) {
		t.Errorf("lab open 3: exit %d, %d bytes, want the document's %d", code, len(out), len(want))
	}

	// A learner's progress in lab 1, step by step.
	steps := []struct {
		name      string
		do        func()
		exit      int
		want, not []string
	}{
		{"nothing done", func() {}, 1,
			[]string{"✗ table main.workshop.first_events (table main.workshop.first_events not found)", "hint: create it with the CREATE TABLE", "2 of 2 checks not passed yet"}, nil},
		{"table created", func() {
			s.sql("CREATE SCHEMA main.workshop")
			s.sql("CREATE TABLE main.workshop.first_events (device_id STRING NOT NULL, ts TIMESTAMP NOT NULL, message STRING)")
		}, 1, []string{"✓ table main.workshop.first_events", "✗ rows main.workshop.first_events >= 2 (0 rows)", "hint: send the two records"}, nil},
		{"rows arrived", func() {
			s.sql("INSERT INTO main.workshop.first_events VALUES ('a', now(), 'x'), ('b', now(), 'y')")
		}, 0, []string{"✓ rows main.workshop.first_events >= 2 (2 rows)", "all 2 checks passed"}, []string{"✗", "hint:"}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			st.do()
			out, code := labCLI(t, s, devToken, "check", "1")
			if code != st.exit {
				t.Errorf("exit %d, want %d\n%s", code, st.exit, out)
			}
			for _, w := range st.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			for _, n := range st.not {
				if strings.Contains(out, n) {
					t.Errorf("output has %q:\n%s", n, out)
				}
			}
		})
	}

	t.Run("files", func(t *testing.T) {
		dir := t.TempDir()
		out, code := labCLI(t, s, devToken, "files", dir)
		if code != 0 || !strings.Contains(out, "iot_pipeline.sql") {
			t.Fatalf("lab files: exit %d\n%s", code, out)
		}
		got, err := os.ReadFile(filepath.Join(dir, "iot_pipeline.sql"))
		want, _ := os.ReadFile("../../fixtures/labs/iot_pipeline.sql")
		if err != nil || string(got) != string(want) {
			t.Errorf("iot_pipeline.sql not copied as is: %v", err)
		}
		if _, err := os.Stat(filepath.Join(dir, "01-architecture.md")); err == nil {
			t.Error("the kit holds the lab documents; they are read with zbemu lab open")
		}
	})
}
