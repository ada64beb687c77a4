package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/zbemu/zbemu/web"
)

// `zbemu sql` is a client of the Statement Execution API: these tests run
// the built binary against a running server.

// runSQLCLI runs `zbemu sql args...` with stdin and returns its output and
// exit code. ZBEMU_URL and ZBEMU_TOKEN from the environment are dropped so
// that only the flags count.
func runSQLCLI(t *testing.T, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return execCLI(t, 60*time.Second, nil, stdin, append([]string{"sql"}, args...)...)
}

func TestSQLCLI(t *testing.T) {
	t.Parallel()
	s := startServer(t, "", "--memory")
	s.sql("CREATE TABLE main.default.readings (device_id STRING NOT NULL, temp DOUBLE, tags ARRAY<STRING>)")
	s.sql("INSERT INTO main.default.readings VALUES ('d1', 21.5, ['a', 'b']), ('sensor-22', NULL, NULL)")
	s.sql("CREATE CATALOG lab")
	s.sql("CREATE SCHEMA lab.iot")
	s.sql("CREATE TABLE lab.iot.events (id BIGINT)")
	s.sql("INSERT INTO lab.iot.events VALUES (1), (2), (3)")

	t.Run("one statement prints a table", func(t *testing.T) {
		out, errOut, code := runSQLCLI(t, "", "--url", s.url, "SELECT device_id, temp, tags FROM main.default.readings ORDER BY device_id")
		if code != 0 {
			t.Fatalf("exit %d; stderr:\n%s", code, errOut)
		}
		want := "" +
			"┌───────────┬────────┬───────────────┐\n" +
			"│ device_id │ temp   │ tags          │\n" +
			"│ string    │ double │ array<string> │\n" +
			"├───────────┼────────┼───────────────┤\n" +
			"│ d1        │ 21.5   │ [\"a\",\"b\"]     │\n" +
			"│ sensor-22 │ NULL   │ NULL          │\n" +
			"└───────────┴────────┴───────────────┘\n" +
			"2 rows\n"
		if out != want {
			t.Errorf("stdout:\n%s\nwant:\n%s", out, want)
		}
		// Every line of the box has the same width.
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		for _, l := range lines[:len(lines)-1] {
			if n := utf8.RuneCountInString(l); n != utf8.RuneCountInString(lines[0]) {
				t.Errorf("line %q is %d wide, want %d", l, n, utf8.RuneCountInString(lines[0]))
			}
		}
	})

	t.Run("row count", func(t *testing.T) {
		for _, tc := range []struct{ stmt, last string }{
			{"SELECT count(*) AS n FROM main.default.readings", "1 row"},
			{"SELECT * FROM main.default.readings WHERE temp > 100", "0 rows"},
		} {
			out, errOut, code := runSQLCLI(t, "", "--url", s.url, tc.stmt)
			lines := strings.Split(strings.TrimSpace(out), "\n")
			if code != 0 || lines[len(lines)-1] != tc.last {
				t.Errorf("%s: exit %d, stdout:\n%s\nstderr: %s", tc.stmt, code, out, errOut)
			}
		}
		// A statement without a result set (DDL) prints nothing.
		out, errOut, code := runSQLCLI(t, "", "--url", s.url, "CREATE SCHEMA main.quiet")
		if code != 0 || out != "" {
			t.Errorf("DDL: exit %d, stdout %q, stderr %q", code, out, errOut)
		}
	})

	t.Run("words after flags form one statement", func(t *testing.T) {
		out, errOut, code := runSQLCLI(t, "", "--url", s.url, "SELECT", "count(*)", "AS", "n", "FROM", "lab.iot.events")
		if code != 0 || !strings.Contains(out, "│ 3 ") {
			t.Errorf("exit %d, stdout:\n%s\nstderr: %s", code, out, errOut)
		}
	})

	t.Run("json prints the raw response", func(t *testing.T) {
		out, errOut, code := runSQLCLI(t, "", "--url", s.url, "--json", "SELECT device_id FROM main.default.readings ORDER BY 1")
		if code != 0 {
			t.Fatalf("exit %d; stderr:\n%s", code, errOut)
		}
		if strings.Count(out, "\n") != 1 || strings.Contains(out, "┌") {
			t.Errorf("want one JSON line and no table, got:\n%s", out)
		}
		r := checkStatementConventions(t, []byte(out))
		if r.Status.State != "SUCCEEDED" || r.Manifest == nil || r.Manifest.Format != "JSON_ARRAY" {
			t.Errorf("response %s", out)
		}
		if got := rowsOf(r); len(got) != 2 || got[0][0] != "d1" || got[1][0] != "sensor-22" {
			t.Errorf("rows %q", got)
		}
		// A failed statement prints its response too, and fails.
		out, errOut, code = runSQLCLI(t, "", "--url", s.url, "--json", "SELECT * FROM main.default.missing")
		var fr web.StatementResponse
		if err := json.Unmarshal([]byte(out), &fr); err != nil || fr.Status.State != "FAILED" || code != 1 ||
			!strings.Contains(errOut, "TABLE_OR_VIEW_NOT_FOUND") {
			t.Errorf("failed --json: exit %d, stdout %q, stderr %q", code, out, errOut)
		}
	})

	t.Run("catalog and schema flags", func(t *testing.T) {
		out, errOut, code := runSQLCLI(t, "", "--url", s.url, "--catalog", "lab", "--schema", "iot", "SELECT sum(id) AS total FROM events")
		if code != 0 || !strings.Contains(out, "│ 6 ") {
			t.Errorf("exit %d, stdout:\n%s\nstderr: %s", code, out, errOut)
		}
	})

	t.Run("failed statement", func(t *testing.T) {
		out, errOut, code := runSQLCLI(t, "", "--url", s.url, "SELECT * FROM main.default.missing")
		if code != 1 || out != "" || !strings.HasPrefix(errOut, "zbemu: BAD_REQUEST: ") || !strings.Contains(errOut, "[TABLE_OR_VIEW_NOT_FOUND]") {
			t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
		}
	})

	t.Run("repl", func(t *testing.T) {
		// Statements span lines and end with ';'. USE SCHEMA is remembered:
		// the unqualified CREATE, INSERT and SELECT run in main.repl. An
		// error is reported on stderr and the session goes on; the exit
		// code is 1 at the end. The last statement needs no ';'.
		stdin := "CREATE SCHEMA main.repl;\n" +
			"USE SCHEMA repl;\n" +
			"CREATE TABLE t (\n  a INT,\n  b STRING\n);\n" +
			"INSERT INTO t VALUES (1, 'x'),\n  (2, 'y');\n" +
			"SELECT b, a\n  FROM t\n  ORDER BY a;\n" +
			"SELECT * FROM no_such_table;\n" +
			"SELECT count(*) AS n FROM t"
		out, errOut, code := runSQLCLI(t, stdin, "--url", s.url)
		if code != 1 {
			t.Errorf("exit %d, want 1", code)
		}
		wantOut := "" +
			"┌───────────────────┐\n" +
			"│ num_inserted_rows │\n" +
			"│ bigint            │\n" +
			"├───────────────────┤\n" +
			"│ 2                 │\n" +
			"└───────────────────┘\n" +
			"1 row\n" +
			"┌────────┬─────┐\n" +
			"│ b      │ a   │\n" +
			"│ string │ int │\n" +
			"├────────┼─────┤\n" +
			"│ x      │ 1   │\n" +
			"│ y      │ 2   │\n" +
			"└────────┴─────┘\n" +
			"2 rows\n" +
			"┌────────┐\n" +
			"│ n      │\n" +
			"│ bigint │\n" +
			"├────────┤\n" +
			"│ 2      │\n" +
			"└────────┘\n" +
			"1 row\n"
		if out != wantOut {
			t.Errorf("stdout:\n%s\nwant:\n%s", out, wantOut)
		}
		for _, want := range []string{"main.default> ", "main.repl> ", "   ...> ", "Error: BAD_REQUEST: ", "[TABLE_OR_VIEW_NOT_FOUND]", "no_such_table", "zbemu: some statements failed"} {
			if !strings.Contains(errOut, want) {
				t.Errorf("stderr lacks %q:\n%s", want, errOut)
			}
		}
		if n := s.count("main.repl.t"); n != 2 {
			t.Errorf("main.repl.t has %d rows, want 2", n)
		}
	})

	t.Run("repl without errors", func(t *testing.T) {
		stdin := "USE CATALOG lab;\nUSE SCHEMA iot;\nSELECT max(id) AS m FROM events;\n.quit\nSELECT 'never run';\n"
		out, errOut, code := runSQLCLI(t, stdin, "--url", s.url)
		if code != 0 || !strings.Contains(out, "│ 3 ") || strings.Contains(out, "never run") || !strings.Contains(errOut, "lab.iot> ") {
			t.Errorf("exit %d, stdout:\n%s\nstderr:\n%s", code, out, errOut)
		}
	})

	t.Run("a failed USE is not remembered", func(t *testing.T) {
		stdin := "USE SCHEMA nope;\nSELECT count(*) AS n FROM readings;\n"
		out, errOut, code := runSQLCLI(t, stdin, "--url", s.url)
		if code != 1 || !strings.Contains(errOut, "SCHEMA_NOT_FOUND") || !strings.Contains(out, "│ 2 ") {
			t.Errorf("exit %d, stdout:\n%s\nstderr:\n%s", code, out, errOut)
		}
	})

	t.Run("wrong token", func(t *testing.T) {
		out, errOut, code := runSQLCLI(t, "", "--url", s.url, "--token", "dapi-wrong", "SELECT 1")
		if code != 1 || out != "" || !strings.Contains(errOut, "zbemu: UNAUTHENTICATED: ") {
			t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
		}
	})

	t.Run("unreachable server", func(t *testing.T) {
		url := "http://" + freePort(t) // nothing listens there any more
		out, errOut, code := runSQLCLI(t, "", "--url", url, "SELECT 1")
		if code != 1 || out != "" {
			t.Errorf("exit %d, stdout %q", code, out)
		}
		if want := "zbemu: cannot reach zbemu at " + url + " (is `zbemu serve` running?"; !strings.HasPrefix(errOut, want) {
			t.Errorf("stderr %q, want it to start with %q", errOut, want)
		}
	})
}
