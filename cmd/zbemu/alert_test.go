package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// errorRateAlert is the example: more than 5% of stream events in
// the last 5 minutes carry errors.
const errorRateAlert = `SELECT count_if(len(errors) > 0) * 100.0 / nullif(count(*), 0) AS error_pct
FROM system.lakeflow.zerobus_stream WHERE event_time > now() - INTERVAL 5 MINUTES
HAVING count_if(len(errors) > 0) * 100.0 / nullif(count(*), 0) > 5`

// TestAlertCLI manages an alert with zbemu alert against the binary and
// checks that it fires into the log, the webhook and alert_events.
func TestAlertCLI(t *testing.T) {
	var mu sync.Mutex
	var posts []map[string]any
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Errorf("webhook body %q: %v", b, err)
		}
		mu.Lock()
		posts = append(posts, m)
		mu.Unlock()
	}))
	defer hook.Close()

	s := startServer(t, "")
	s.sql("CREATE TABLE main.default.iot " + iotDDL)
	out := runCLI(t, s, "alert", "create", "error-rate", "--sql", errorRateAlert, "--every", "1s", "--webhook", hook.URL)
	if !strings.Contains(out, "alert error-rate created: evaluated every 1s, posts to "+hook.URL) {
		t.Errorf("create printed %q", out)
	}
	if code, body := s.call("POST", insertPath("main.default.iot"), devToken, iotRecords(0, 2)); code != 200 {
		t.Fatalf("insert: HTTP %d %s", code, body)
	}
	// One failing request of two: half the events carry errors.
	if code, _ := s.call("POST", insertPath("main.default.iot"), devToken, []any{map[string]any{"ts": 1}}); code != 400 {
		t.Fatalf("bad insert: HTTP %d, want 400", code)
	}

	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		n := len(posts)
		mu.Unlock()
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the webhook got nothing; server log:\n%s", s.log)
		}
		time.Sleep(50 * time.Millisecond)
	}
	mu.Lock()
	p := posts[0]
	mu.Unlock()
	if p["alert"] != "error-rate" || p["state"] != "TRIGGERED" || p["row_count"] != 1.0 || p["workspace_id"] != "1234567890123456" {
		t.Errorf("webhook body %v", p)
	}
	rows := s.sql("SELECT alert_name, state, row_count, webhook_status FROM system.zbemu.alert_events")
	if len(rows) != 1 || *rows[0][0] != "error-rate" || *rows[0][1] != "TRIGGERED" || *rows[0][2] != "1" || *rows[0][3] != "200 OK" {
		t.Errorf("alert_events: %v", rows)
	}
	if !strings.Contains(s.log.String(), `msg="alert triggered" alert=error-rate`) {
		t.Errorf("the server did not log the alert:\n%s", s.log)
	}
	list := runCLI(t, s, "alert", "list")
	if !strings.Contains(list, "error-rate") || !strings.Contains(list, "TRIGGERED") {
		t.Errorf("alert list printed %q", list)
	}

	// Errors come back as the API's error code, with exit status 1.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"alert", "create", "error-rate", "--sql", "SELECT 1"}, "RESOURCE_ALREADY_EXISTS"},
		{[]string{"alert", "create", "broken", "--sql", "SELECT * FROM nowhere"}, "INVALID_PARAMETER_VALUE"},
		{[]string{"alert", "delete", "nobody"}, "RESOURCE_DOES_NOT_EXIST"},
	} {
		cmd := exec.Command(binPath, tc.args...)
		cmd.Env = append(os.Environ(), "ZBEMU_URL="+s.url, "ZBEMU_TOKEN="+devToken)
		out, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(string(out), tc.want) {
			t.Errorf("zbemu %v: %v %s, want exit 1 with %s", tc.args, err, out, tc.want)
		}
	}

	if out := runCLI(t, s, "alert", "delete", "error-rate"); !strings.Contains(out, "deleted") {
		t.Errorf("delete printed %q", out)
	}
	if out := runCLI(t, s, "alert", "list"); !strings.HasPrefix(out, "no alerts") {
		t.Errorf("list after delete printed %q", out)
	}
}

// TestAlertsSurviveRestart: rules live in system.db.
func TestAlertsSurviveRestart(t *testing.T) {
	s := startServer(t, "")
	runCLI(t, s, "alert", "create", "kept", "--sql", "SELECT 1 WHERE false")
	s.stop()
	s = startServer(t, s.data)
	if out := runCLI(t, s, "alert", "list"); !strings.Contains(out, "kept") || !strings.Contains(out, "30s") {
		t.Errorf("after restart: %q", out)
	}
	// Only admins manage alerts.
	id, secret := s.newPrincipal("analyst")
	for _, tc := range []struct {
		token string
		code  int
	}{{"", 401}, {s.workspaceToken(id, secret), 403}} {
		if code, body := s.call("GET", "/zbemu/v1/alerts", tc.token, nil); code != tc.code {
			t.Errorf("GET /zbemu/v1/alerts: HTTP %d %s, want %d", code, body, tc.code)
		}
	}
}
