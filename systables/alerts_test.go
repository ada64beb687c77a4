package systables_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zbemu/zbemu/engine"
	"github.com/zbemu/zbemu/systables"
)

var admin = &engine.Identity{ClientID: "zbemu-dev", Admin: true}

// openWorkspace opens a store and an engine wired together, as zbemu serve
// does, and closes them in the right order.
func openWorkspace(t *testing.T, path string) (*systables.Store, *engine.Engine) {
	t.Helper()
	ctx := context.Background()
	opts := systables.Options{Path: path, Memory: path == ""}
	s, err := systables.Open(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	eopts := engine.Options{Memory: true, DevClientSecret: "s", Events: s, SystemTables: s}
	e, err := engine.Open(ctx, eopts)
	if err != nil {
		s.Close(ctx)
		t.Fatal(err)
	}
	t.Cleanup(func() {
		e.Close(ctx)
		s.Close(ctx)
	})
	return s, e
}

func query(t *testing.T, e *engine.Engine, sql string) [][]*string {
	t.Helper()
	r, err := e.Execute(context.Background(), engine.StatementRequest{SQL: sql, Identity: admin})
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return r.Rows
}

func cell(t *testing.T, e *engine.Engine, sql string) string {
	t.Helper()
	rows := query(t, e, sql)
	if len(rows) != 1 || rows[0][0] == nil {
		t.Fatalf("%s: %d rows, want one non-null value", sql, len(rows))
	}
	return *rows[0][0]
}

// webhook records the bodies posted to it.
type webhook struct {
	*httptest.Server
	mu     sync.Mutex
	bodies []map[string]any
}

func newWebhook(t *testing.T) *webhook {
	w := &webhook{}
	w.Server = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil || r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("webhook got %s %s %q", r.Method, r.Header.Get("Content-Type"), b)
		}
		w.mu.Lock()
		w.bodies = append(w.bodies, m)
		w.mu.Unlock()
	}))
	t.Cleanup(w.Close)
	return w
}

func (w *webhook) wait(t *testing.T, n int) []map[string]any {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		w.mu.Lock()
		got := append([]map[string]any(nil), w.bodies...)
		w.mu.Unlock()
		if len(got) >= n {
			return got
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("the webhook got fewer than %d posts", n)
	return nil
}

func TestEngineWritesSystemTables(t *testing.T) {
	ctx := context.Background()
	_, e := openWorkspace(t, "")
	query(t, e, "CREATE TABLE main.default.ev (id BIGINT NOT NULL, name STRING)")
	if err := e.Insert(ctx, admin, "main.default.ev", [][]byte{[]byte(`{"id":1}`), []byte(`{"id":2}`)}); err != nil {
		t.Fatal(err)
	}
	if err := e.Insert(ctx, admin, "main.default.ev", [][]byte{[]byte(`{"id":3}`), []byte(`{"name":"no id"}`)}); err == nil {
		t.Fatal("a record without its NOT NULL column was accepted")
	}
	tests := []struct{ sql, want string }{
		{"SELECT count(*) FROM system.lakeflow.zerobus_stream WHERE protocol = 'HTTP' AND closed_time IS NULL", "3"},    // 2 opens, 1 error
		{"SELECT count(*) FROM system.lakeflow.zerobus_stream WHERE closed_time IS NOT NULL", "2"},                      // 2 closes
		{"SELECT count(*) FROM system.lakeflow.zerobus_stream WHERE len(errors) > 0", "2"},                              // the error row and its close
		{"SELECT sum(committed_records) FROM system.lakeflow.zerobus_ingest WHERE table_name = 'main.default.ev'", "2"}, // the rejected request commits nothing
		{"SELECT column_name || ' ' || record_index || ' ' || raw FROM system.zbemu.rejected_records", `id 1 {"name":"no id"}`},
		{"SELECT DISTINCT workspace_id || '/' || account_id FROM system.lakeflow.zerobus_ingest", systables.DefaultWorkspaceID + "/" + systables.DefaultAccountID},
	}
	for _, tc := range tests {
		if got := cell(t, e, tc.sql); got != tc.want {
			t.Errorf("%s = %s, want %s", tc.sql, got, tc.want)
		}
	}
}

func TestAlertsFire(t *testing.T) {
	ctx := context.Background()
	s, e := openWorkspace(t, "")
	hook := newWebhook(t)
	a, err := systables.OpenAlerts(ctx, s, e, systables.AlertOptions{Identity: admin, Tick: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close(ctx) })
	query(t, e, "CREATE TABLE main.default.ev (id BIGINT NOT NULL)")

	// Fires while main.default.ev has fewer than 2 rows, then resolves.
	_, err = a.CreateAlert(ctx, engine.AlertRule{Name: "too-few", SQL: "SELECT count(*) AS n FROM main.default.ev HAVING count(*) < 2",
		Every: time.Second, WebhookURL: hook.URL})
	if err != nil {
		t.Fatal(err)
	}
	got := hook.wait(t, 1)
	if got[0]["alert"] != "too-few" || got[0]["state"] != "TRIGGERED" || got[0]["previous_state"] != "UNKNOWN" || got[0]["row_count"] != 1.0 {
		t.Errorf("webhook body %v", got[0])
	}
	if rows, _ := got[0]["rows"].([]any); len(rows) != 1 || rows[0].(map[string]any)["n"] != "0" {
		t.Errorf("webhook rows %v", got[0]["rows"])
	}
	if err := e.Insert(ctx, admin, "main.default.ev", [][]byte{[]byte(`{"id":1}`), []byte(`{"id":2}`)}); err != nil {
		t.Fatal(err)
	}
	got = hook.wait(t, 2)
	if got[1]["state"] != "OK" || got[1]["previous_state"] != "TRIGGERED" {
		t.Errorf("second webhook body %v", got[1])
	}
	want := [][]string{{"too-few", "TRIGGERED", "1", "200 OK", `[{"n":"0"}]`}, {"too-few", "OK", "0", "200 OK", "NULL"}}
	// The event is recorded after its webhook call returns, so it may trail
	// the webhook's receipt by a moment.
	var rows [][]*string
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		rows = query(t, e, "SELECT alert_name, state, row_count, webhook_status, result_sample FROM system.zbemu.alert_events ORDER BY event_time")
		if len(rows) >= len(want) || time.Now().After(deadline) {
			break
		}
	}
	if len(rows) != len(want) {
		t.Fatalf("alert_events has %d rows, want %d", len(rows), len(want))
	}
	for i, r := range rows {
		for j, c := range r {
			v := "NULL"
			if c != nil {
				v = *c
			}
			if v != want[i][j] {
				t.Errorf("alert_events row %d column %d = %s, want %s", i, j, v, want[i][j])
			}
		}
	}
	list, _ := a.ListAlerts(ctx)
	if len(list) != 1 || list[0].State != "OK" || list[0].LastEvaluated.IsZero() {
		t.Errorf("ListAlerts = %+v", list)
	}
}

func TestAlertManagement(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "system.db")
	s, e := openWorkspace(t, path)
	a, err := systables.OpenAlerts(ctx, s, e, systables.AlertOptions{Identity: admin, Interval: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	ok := engine.AlertRule{Name: "errors", SQL: "SELECT * FROM system.lakeflow.zerobus_stream WHERE len(errors) > 0"}
	tests := []struct {
		name     string
		rule     engine.AlertRule
		sentinel error
		category error
		msg      string
	}{
		{"valid", ok, nil, nil, ""},
		{"duplicate", ok, systables.ErrAlertExists, engine.ErrAlreadyExists, `alert already exists: "errors"`},
		{"bad name", engine.AlertRule{Name: "no spaces", SQL: "SELECT 1"}, systables.ErrInvalidAlert, engine.ErrInvalidArgument, "name"},
		{"no query", engine.AlertRule{Name: "x"}, systables.ErrInvalidAlert, engine.ErrInvalidArgument, "needs a query"},
		{"failing query", engine.AlertRule{Name: "x", SQL: "SELECT * FROM nowhere"}, systables.ErrInvalidAlert, engine.ErrInvalidArgument, "the query fails"},
		{"too often", engine.AlertRule{Name: "x", SQL: "SELECT 1", Every: time.Millisecond}, systables.ErrInvalidAlert, engine.ErrInvalidArgument, "shorter than"},
		{"bad webhook", engine.AlertRule{Name: "x", SQL: "SELECT 1", WebhookURL: "ftp://h/"}, systables.ErrInvalidAlert, engine.ErrInvalidArgument, "http(s)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := a.CreateAlert(ctx, tc.rule)
			if tc.sentinel == nil {
				if err != nil || r.Every != time.Minute || r.State != "UNKNOWN" || r.CreatedAt.IsZero() {
					t.Fatalf("CreateAlert = %+v, %v", r, err)
				}
				return
			}
			if !errors.Is(err, tc.sentinel) || !errors.Is(err, tc.category) || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("err = %v, want %v (%v) mentioning %q", err, tc.sentinel, tc.category, tc.msg)
			}
		})
	}
	if err := a.DeleteAlert(ctx, "missing"); !errors.Is(err, systables.ErrAlertNotFound) || !errors.Is(err, engine.ErrStatementNotFound) {
		t.Errorf("DeleteAlert(missing) = %v", err)
	}
	a.Close(ctx)

	// Rules survive a restart.
	a, err = systables.OpenAlerts(ctx, s, e, systables.AlertOptions{Identity: admin})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close(ctx)
	list, _ := a.ListAlerts(ctx)
	if len(list) != 1 || list[0].Name != "errors" || list[0].SQL != ok.SQL || list[0].Every != time.Minute {
		t.Fatalf("after reopening: %+v", list)
	}
	if err := a.DeleteAlert(ctx, "errors"); err != nil {
		t.Fatal(err)
	}
	if list, _ := a.ListAlerts(ctx); len(list) != 0 {
		t.Errorf("after delete: %+v", list)
	}
}
