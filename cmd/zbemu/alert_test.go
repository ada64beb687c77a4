package main

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
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
	t.Parallel()
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
	t.Parallel()
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

// TestAlertRulesMigrate: rules an older zbemu kept in system.db
// (alert_rules) become alerts at the next start, keep firing, and the old
// table is gone.
func TestAlertRulesMigrate(t *testing.T) {
	t.Parallel()
	s := startServer(t, "")
	s.stop()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(s.data, "system.db"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.Exec(`CREATE TABLE alert_rules (name TEXT PRIMARY KEY, sql TEXT NOT NULL, every_ms INTEGER NOT NULL,
		webhook_url TEXT NOT NULL DEFAULT '', owner TEXT NOT NULL DEFAULT '', created_at TEXT NOT NULL, state TEXT NOT NULL DEFAULT 'UNKNOWN',
		last_evaluated TEXT, last_error TEXT NOT NULL DEFAULT '');
		INSERT INTO alert_rules (name, sql, every_ms, owner, created_at) VALUES ('old-rule', 'SELECT 1 AS one', 1000, 'zbemu-dev', '2026-01-02T10:15:00.000000Z')`)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	s = startServer(t, s.data)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		out := runCLI(t, s, "alert", "list")
		if strings.Contains(out, "old-rule") && strings.Contains(out, "TRIGGERED") && strings.Contains(out, "1s") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the imported rule never fired: %q", out)
		}
	}
	s.stop()
	db, err = sql.Open("sqlite", "file:"+filepath.Join(s.data, "system.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT count(*) FROM sqlite_master WHERE name = 'alert_rules'").Scan(&n); err != nil || n != 0 {
		t.Errorf("alert_rules is still in system.db: %d, %v", n, err)
	}
}

// TestAlertsOfficialSDK runs testdata/sdk/alerts.js: the official
// Databricks SDK for JavaScript creates a webhook destination, a saved
// query and an Alerts API v2 alert over it, inserts a reading above the
// threshold and sees the alert go TRIGGERED, while a loopback webhook
// receives the change.
func TestAlertsOfficialSDK(t *testing.T) {
	t.Parallel()
	env := sdkExperimental(t)
	var mu sync.Mutex
	var posts []map[string]any
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m map[string]any
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
			t.Errorf("webhook body: %v", err)
		}
		mu.Lock()
		posts = append(posts, m)
		mu.Unlock()
	}))
	defer hook.Close()
	s := startServer(t, "", "--memory")
	in, _ := json.Marshal(map[string]string{"host": s.url, "token": devToken, "hookUrl": hook.URL + "/alerts", "table": "main.default.readings"})
	cmd := exec.Command("node", "testdata/sdk/alerts.js")
	cmd.Stdin = strings.NewReader(string(in))
	cmd.Env = append(append(os.Environ(), "DATABRICKS_CONFIG_FILE="+filepath.Join(t.TempDir(), "none")), env...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v %s", err, out)
	}
	type alert struct {
		ID             string `json:"id"`
		DisplayName    string `json:"display_name"`
		OwnerUserName  string `json:"owner_user_name"`
		LifecycleState string `json:"lifecycle_state"`
		Evaluation     struct {
			State           string `json:"state"`
			LastEvaluatedAt string `json:"last_evaluated_at"`
		} `json:"evaluation"`
	}
	type apiErr struct {
		ErrorCode  string `json:"errorCode"`
		StatusCode int    `json:"statusCode"`
		Message    string `json:"message"`
	}
	var r struct {
		Error       string
		Destination struct {
			ID              string `json:"id"`
			DestinationType string `json:"destination_type"`
			Config          struct {
				GenericWebhook map[string]any `json:"generic_webhook"`
			} `json:"config"`
		}
		Destinations []map[string]any
		Query        struct {
			ID            string `json:"id"`
			QueryText     string `json:"query_text"`
			OwnerUserName string `json:"owner_user_name"`
			RunAsMode     string `json:"run_as_mode"`
		}
		Queries                  []string
		Alert, OK, Triggered     alert
		Trashed                  alert
		Alerts, AlertsAfterTrash []string
		Update, Missing          apiErr
	}
	if err := json.Unmarshal(out, &r); err != nil || r.Error != "" {
		t.Fatalf("SDK: %v %s", err, out)
	}
	if wh := r.Destination.Config.GenericWebhook; r.Destination.DestinationType != "WEBHOOK" || wh["url_set"] != true || wh["url"] != nil || len(r.Destinations) != 1 {
		t.Errorf("destination %+v, list %v", r.Destination, r.Destinations)
	}
	if r.Query.OwnerUserName != "zbemu-dev" || r.Query.RunAsMode != "OWNER" || fmt.Sprint(r.Queries) != "[Hottest reading]" {
		t.Errorf("query %+v, list %v", r.Query, r.Queries)
	}
	if r.Alert.Evaluation.State != "UNKNOWN" || r.Alert.OwnerUserName != "zbemu-dev" || r.OK.Evaluation.State != "OK" {
		t.Errorf("created %+v, then %+v", r.Alert, r.OK)
	}
	if r.Triggered.Evaluation.State != "TRIGGERED" || r.Triggered.Evaluation.LastEvaluatedAt == "" || fmt.Sprint(r.Alerts) != "[Too hot]" {
		t.Errorf("after the hot reading %+v, list %v", r.Triggered, r.Alerts)
	}
	if r.Update.StatusCode != 400 || !strings.Contains(r.Update.Message, "PATCH without a body") {
		t.Errorf("update through the SDK (which drops PATCH bodies): %+v", r.Update)
	}
	if r.Trashed.LifecycleState != "DELETED" || len(r.AlertsAfterTrash) != 0 {
		t.Errorf("trashed %+v, list %v", r.Trashed, r.AlertsAfterTrash)
	}
	if r.Missing.StatusCode != 404 || r.Missing.ErrorCode != "RESOURCE_DOES_NOT_EXIST" {
		t.Errorf("a missing alert: %+v", r.Missing)
	}
	// The state is set before the webhook call, and the event recorded
	// after it: both may trail what the SDK saw.
	var rows [][]*string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if rows = s.sql("SELECT state, webhook_url FROM system.zbemu.alert_events WHERE alert_name = 'Too hot'"); len(rows) > 0 {
			break
		}
	}
	if len(rows) != 1 || *rows[0][0] != "TRIGGERED" || *rows[0][1] != hook.URL+"/alerts" {
		t.Errorf("alert_events has %d rows, want 1 TRIGGERED posted to the hook", len(rows))
	}
	mu.Lock()
	defer mu.Unlock()
	if len(posts) != 1 || posts[0]["state"] != "TRIGGERED" || posts[0]["previous_state"] != "OK" || posts[0]["value"] != "81.5" || posts[0]["alert_id"] != r.Alert.ID {
		t.Errorf("webhook posts %v", posts)
	}
}
