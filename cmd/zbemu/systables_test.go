package main

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/zbemu/zbemu/fixtures/golden"
	_ "modernc.org/sqlite"
)

// waitSQL polls a one-value query until it returns want (system rows of a
// gRPC stream's close arrive when the server has seen the client go).
func (s *server) waitSQL(stmt, want string) {
	s.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	got := ""
	for time.Now().Before(deadline) {
		rows := s.sql(stmt)
		if len(rows) == 1 && rows[0][0] != nil {
			if got = *rows[0][0]; got == want {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.t.Fatalf("%s: got %s, want %s", stmt, got, want)
}

var isoTimeRE = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z`)

// TestSystemTablesGolden ingests over REST and with the official SDK, with
// a bad record on each path and a table that does not exist, then reads the
// system tables through the Statement API and compares them with
// testdata/systables/ingest.golden (UUIDs and times normalised; commits
// summed per stream, because how many commits a stream's rows take depends
// on the materialiser's timing).
func TestSystemTablesGolden(t *testing.T) {
	t.Parallel()
	s := startServer(t, "")
	s.sql("CREATE TABLE main.default.rest " + iotDDL)
	s.sql("CREATE TABLE main.default.sdk " + iotDDL)
	bad := []any{map[string]any{"device_id": "x", "ts": "yesterday"}}
	for _, c := range []struct {
		table string
		body  []any
		code  int
	}{
		{"main.default.rest", iotRecords(0, 3), 200},
		{"main.default.rest", bad, 400},
		{"main.default.missing", iotRecords(0, 1), 404}, // no stream: no system rows
	} {
		if code, body := s.call("POST", insertPath(c.table), devToken, c.body); code != c.code {
			t.Fatalf("REST insert into %s: HTTP %d %s, want %d", c.table, code, body, c.code)
		}
	}
	if r := runSDK(t, s.scenario(map[string]any{"table": "main.default.sdk", "batches": batchesOf(iotRecords(0, 10), 5)})); !r.OK {
		t.Fatalf("SDK: %s", errText(r.Streams[0].Error))
	}
	r := runSDK(t, s.scenario(map[string]any{"table": "main.default.sdk", "batches": append(batchesOf(iotRecords(10, 4), 2), bad),
		"options": map[string]any{"recovery": false}}))
	if st := r.Streams[0]; st.OK || st.AckedRecords != 4 {
		t.Fatalf("failing SDK stream: %+v %s", st, errText(st.Error))
	}
	s.waitSQL("SELECT count(*) FROM system.lakeflow.zerobus_stream WHERE closed_time IS NOT NULL", "4")

	queries := []struct{ name, sql string }{
		{"zerobus_stream", `SELECT * FROM system.lakeflow.zerobus_stream ORDER BY event_time, closed_time NULLS FIRST, len(errors)`},
		{"zerobus_ingest per stream", `SELECT account_id, workspace_id, stream_id, table_id, table_name, sum(committed_records) AS records,
			sum(committed_bytes) AS bytes, max(len(errors)) AS errors FROM system.lakeflow.zerobus_ingest
			GROUP BY ALL ORDER BY min(commit_time)`},
		{"rejected_records", `SELECT * FROM system.zbemu.rejected_records ORDER BY time`},
		// Databricks' "Stream Duration" join: every close row pairs with its open row.
		{"open and close rows pair up", `SELECT o.protocol, count(*), bool_and(c.closed_time >= o.opened_time)
			FROM system.lakeflow.zerobus_stream o JOIN system.lakeflow.zerobus_stream c
			ON c.stream_id = o.stream_id AND c.closed_time IS NOT NULL AND c.opened_time = o.opened_time
			WHERE o.closed_time IS NULL AND len(o.errors) = 0 GROUP BY 1 ORDER BY 1`},
		{"join with a user table", `SELECT i.table_name, sum(i.committed_records), (SELECT count(*) FROM main.default.sdk)
			FROM system.lakeflow.zerobus_ingest i JOIN main.default.sdk u ON u.seq = 0 WHERE i.table_name = 'main.default.sdk' GROUP BY 1`},
		{"hourly buckets", `SELECT sum(n) FROM (SELECT date_trunc('hour', commit_time) AS h, sum(committed_records) AS n
			FROM system.lakeflow.zerobus_ingest GROUP BY h)`},
		{"errors by code", `SELECT e.error_code, count(*) FROM system.lakeflow.zerobus_stream, unnest(errors) AS t(e) GROUP BY 1`},
	}
	var out strings.Builder
	for _, q := range queries {
		res := s.sqlResult(q.sql)
		if res.Status.State != "SUCCEEDED" {
			t.Fatalf("%s: %s %+v", q.name, res.Status.State, res.Status.Error)
		}
		fmt.Fprintf(&out, "-- %s\n", q.name)
		var cols []string
		for _, c := range res.Manifest.Schema.Columns {
			cols = append(cols, c.Name+" "+c.TypeText)
		}
		fmt.Fprintf(&out, "%s\n", strings.Join(cols, ", "))
		if res.Result != nil {
			for _, row := range res.Result.DataArray {
				b, _ := json.Marshal(row)
				fmt.Fprintf(&out, "%s\n", b)
			}
		}
		out.WriteString("\n")
	}
	got := isoTimeRE.ReplaceAllString(normalizeIDs(out.String()), "<time>")
	golden.Check(t, filepath.Join("testdata", "systables", "ingest.golden"), []byte(got))

	// Versions grow per table, one per commit.
	s.waitSQL(`SELECT count(*) = count(DISTINCT commit_version) AND min(commit_version) = 1 AND max(commit_version) = count(*)
		FROM system.lakeflow.zerobus_ingest WHERE table_name = 'main.default.sdk'`, "true")
}

// TestSystemDBReadableWhileServing reads <data>/system.db read-only, as
// the sqlite3 shell does, while the server records REST requests.
func TestSystemDBReadableWhileServing(t *testing.T) {
	t.Parallel()
	s := startServer(t, "")
	s.sql("CREATE TABLE main.default.iot " + iotDDL)
	path := filepath.Join(s.data, "system.db")
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	last := 0
	for i := 0; i < 20; i++ {
		if code, body := s.call("POST", insertPath("main.default.iot"), devToken, iotRecords(i, 2)); code != 200 {
			t.Fatalf("insert: HTTP %d %s", code, body)
		}
		var n int
		if err := db.QueryRow("SELECT count(*) FROM zerobus_stream WHERE protocol = 'HTTP'").Scan(&n); err != nil {
			t.Fatalf("read system.db while the server writes: %v", err)
		}
		if n < last {
			t.Fatalf("row count went back from %d to %d", last, n)
		}
		last = n
		time.Sleep(20 * time.Millisecond)
	}
	// A statement flushes the queue; then the file holds every event.
	s.sql("SELECT count(*) FROM system.lakeflow.zerobus_stream")
	var n int
	if err := db.QueryRow("SELECT count(*) FROM zerobus_stream WHERE closed_time IS NOT NULL").Scan(&n); err != nil || n != 20 {
		t.Errorf("close rows in system.db: %d, %v; want 20", n, err)
	}
	// The README's one-liner, if the sqlite3 shell is installed.
	if sqlite3, err := exec.LookPath("sqlite3"); err == nil {
		out, err := exec.Command(sqlite3, "-readonly", path, "SELECT count(*) FROM zerobus_ingest").CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) == "0" {
			t.Errorf("sqlite3 -readonly: %v %s", err, out)
		}
	}
}

// TestNoSystables: --no-systables records nothing and queries say why;
// alerts still work, only their events are not recorded.
func TestNoSystables(t *testing.T) {
	t.Parallel()
	s := startServer(t, "", "--no-systables")
	s.sql("CREATE TABLE main.default.iot " + iotDDL)
	if code, body := s.call("POST", insertPath("main.default.iot"), devToken, iotRecords(0, 2)); code != 200 {
		t.Fatalf("insert: HTTP %d %s", code, body)
	}
	res := s.sqlResult("SELECT * FROM system.lakeflow.zerobus_stream")
	if res.Status.State != "FAILED" || !strings.Contains(res.Status.Error.Message, "--no-systables") {
		t.Errorf("query of a system table: %s %+v", res.Status.State, res.Status.Error)
	}
	if _, err := os.Stat(filepath.Join(s.data, "system.db")); !os.IsNotExist(err) {
		t.Errorf("system.db exists with --no-systables: %v", err)
	}
	if code, body := s.call("GET", "/zbemu/v1/alerts", devToken, nil); code != 200 || !strings.Contains(string(body), `"alerts":[]`) {
		t.Errorf("GET /zbemu/v1/alerts: HTTP %d %s", code, body)
	}
}

func TestServeConfigSystables(t *testing.T) {
	t.Parallel()
	checkServeConfig(t, []serveConfigCase{
		{"defaults", nil, nil, func(c Config) bool {
			return c.SysTables && c.SysRetention == 365*24*time.Hour && c.AlertInterval == 30*time.Second &&
				c.AccountID == "zbemu-account" && c.WorkspaceID == "1234567890123456"
		}, ""},
		{"flag off", []string{"--no-systables"}, nil, func(c Config) bool { return !c.SysTables }, ""},
		{"env off", nil, map[string]string{"ZBEMU_SYSTABLES": "false"}, func(c Config) bool { return !c.SysTables }, ""},
		{"flag wins over env", []string{"--no-systables=false"}, map[string]string{"ZBEMU_SYSTABLES": "false"}, func(c Config) bool { return c.SysTables }, ""},
		{"retention and ids", []string{"--systables-retention", "48h", "--workspace-id", "42"}, map[string]string{"ZBEMU_ACCOUNT_ID": "acc"},
			func(c Config) bool {
				return c.SysRetention == 48*time.Hour && c.WorkspaceID == "42" && c.AccountID == "acc"
			}, ""},
		{"bad env bool", nil, map[string]string{"ZBEMU_SYSTABLES": "maybe"}, nil, "ZBEMU_SYSTABLES"},
		{"bad env duration", nil, map[string]string{"ZBEMU_ALERT_INTERVAL": "often"}, nil, "ZBEMU_ALERT_INTERVAL"},
		{"alert interval too short", []string{"--alert-interval", "10ms"}, nil, nil, "alert-interval"},
		{"retention not positive", []string{"--systables-retention", "0s"}, nil, nil, "systables-retention"},
	})
}

// serveConfigCase is one case of a serve flag test: the flags and
// environment given, and either a check of the Config or a substring of the
// error, which must name the setting.
type serveConfigCase struct {
	name    string
	args    []string
	env     map[string]string
	want    func(Config) bool
	wantErr string
}

func checkServeConfig(t *testing.T, cases []serveConfigCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parseServeConfig(tc.args, func(k string) string { return tc.env[k] }, io.Discard)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("err = %v, want one naming %s", err, tc.wantErr)
				}
				return
			}
			if err != nil || !tc.want(c) {
				t.Errorf("config %+v, err %v", c, err)
			}
		})
	}
}
