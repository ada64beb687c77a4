package sqlalert_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zbemu/zbemu/engine"
	"github.com/zbemu/zbemu/engine/sqlalert"
	"github.com/zbemu/zbemu/systables"
)

var admin = &engine.Identity{ClientID: "zbemu-dev", Admin: true}

type workspace struct {
	e   *engine.Engine
	sys *systables.Store
}

// openWorkspace opens the system tables and an engine wired together, as
// zbemu serve does.
func openWorkspace(t *testing.T) workspace {
	t.Helper()
	ctx := context.Background()
	s, err := systables.Open(ctx, systables.Options{Memory: true})
	if err != nil {
		t.Fatal(err)
	}
	e, err := engine.Open(ctx, engine.Options{Memory: true, DevClientSecret: "s", Events: s, SystemTables: s})
	if err != nil {
		s.Close(ctx)
		t.Fatal(err)
	}
	t.Cleanup(func() {
		e.Close(ctx)
		s.Close(ctx)
	})
	return workspace{e, s}
}

// open opens a Manager over w that evaluates every 20ms tick.
func (w workspace) open(t *testing.T, path string) *sqlalert.Manager {
	t.Helper()
	m, err := sqlalert.Open(context.Background(), w.e, sqlalert.Options{Path: path, Events: w.sys, Tick: 20 * time.Millisecond, WorkspaceID: "42"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close(context.Background()) })
	return m
}

func (w workspace) query(t *testing.T, sql string) [][]*string {
	t.Helper()
	r, err := w.e.Execute(context.Background(), engine.StatementRequest{SQL: sql, Identity: admin})
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return r.Rows
}

// waitRows polls a query until it returns n rows.
func (w workspace) waitRows(t *testing.T, sql string, n int) [][]*string {
	t.Helper()
	var rows [][]*string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if rows = w.query(t, sql); len(rows) >= n {
			return rows
		}
	}
	t.Fatalf("%s: %d rows, want %d", sql, len(rows), n)
	return nil
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
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		w.mu.Lock()
		got := append([]map[string]any(nil), w.bodies...)
		w.mu.Unlock()
		if len(got) >= n {
			return got
		}
	}
	t.Fatalf("the webhook got fewer than %d posts", n)
	return nil
}

func cells(rows [][]*string) [][]string {
	out := make([][]string, len(rows))
	for i, r := range rows {
		for _, c := range r {
			v := "NULL"
			if c != nil {
				v = *c
			}
			out[i] = append(out[i], v)
		}
	}
	return out
}

// TestRulesFire: a rule of the zbemu alert API is TRIGGERED while its
// query returns rows, posts each change and records it in alert_events.
func TestRulesFire(t *testing.T) {
	ctx := context.Background()
	w := openWorkspace(t)
	m := w.open(t, "")
	hook := newWebhook(t)
	w.query(t, "CREATE TABLE main.default.ev (id BIGINT NOT NULL)")
	_, err := m.CreateRule(ctx, admin, sqlalert.Rule{Name: "too-few", SQL: "SELECT count(*) AS n FROM main.default.ev HAVING count(*) < 2",
		Every: time.Second, WebhookURL: hook.URL})
	if err != nil {
		t.Fatal(err)
	}
	got := hook.wait(t, 1)
	if got[0]["alert"] != "too-few" || got[0]["state"] != "TRIGGERED" || got[0]["previous_state"] != "UNKNOWN" || got[0]["row_count"] != 1.0 || got[0]["workspace_id"] != "42" {
		t.Errorf("webhook body %v", got[0])
	}
	if rows, _ := got[0]["rows"].([]any); len(rows) != 1 || rows[0].(map[string]any)["n"] != "0" {
		t.Errorf("webhook rows %v", got[0]["rows"])
	}
	if err := w.e.Insert(ctx, admin, "main.default.ev", [][]byte{[]byte(`{"id":1}`), []byte(`{"id":2}`)}); err != nil {
		t.Fatal(err)
	}
	got = hook.wait(t, 2)
	if got[1]["state"] != "OK" || got[1]["previous_state"] != "TRIGGERED" {
		t.Errorf("second webhook body %v", got[1])
	}
	rows := cells(w.waitRows(t, "SELECT alert_name, state, row_count, webhook_status, result_sample FROM system.zbemu.alert_events ORDER BY event_time", 2))
	want := fmt.Sprint([][]string{{"too-few", "TRIGGERED", "1", "200 OK", `[{"n":"0"}]`}, {"too-few", "OK", "0", "200 OK", "NULL"}})
	if fmt.Sprint(rows) != want {
		t.Errorf("alert_events = %v, want %v", rows, want)
	}
	if list := m.Rules(ctx); len(list) != 1 || list[0].State != "OK" || list[0].LastEvaluated.IsZero() || list[0].WebhookURL != hook.URL {
		t.Errorf("Rules = %+v", list)
	}
}

// TestRuleManagement: bad rules are refused naming the problem, and rules
// survive a restart.
func TestRuleManagement(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "alerts.db")
	w := openWorkspace(t)
	m, err := sqlalert.Open(ctx, w.e, sqlalert.Options{Path: path, Interval: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	ok := sqlalert.Rule{Name: "errors", SQL: "SELECT * FROM system.lakeflow.zerobus_stream WHERE len(errors) > 0"}
	tests := []struct {
		name     string
		rule     sqlalert.Rule
		sentinel error
		category error
		msg      string
	}{
		{"valid", ok, nil, nil, ""},
		{"duplicate", ok, sqlalert.ErrExists, engine.ErrAlreadyExists, `alert already exists: "errors"`},
		{"bad name", sqlalert.Rule{Name: "no spaces", SQL: "SELECT 1"}, sqlalert.ErrInvalid, engine.ErrInvalidArgument, "name"},
		{"no query", sqlalert.Rule{Name: "x"}, sqlalert.ErrInvalid, engine.ErrInvalidArgument, "needs a query"},
		{"failing query", sqlalert.Rule{Name: "x", SQL: "SELECT * FROM nowhere"}, sqlalert.ErrInvalid, engine.ErrInvalidArgument, "query_text fails"},
		{"too often", sqlalert.Rule{Name: "x", SQL: "SELECT 1", Every: time.Millisecond}, sqlalert.ErrInvalid, engine.ErrInvalidArgument, "shorter than"},
		{"bad webhook", sqlalert.Rule{Name: "x", SQL: "SELECT 1", WebhookURL: "ftp://h/"}, sqlalert.ErrInvalid, engine.ErrInvalidArgument, "http(s)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := m.CreateRule(ctx, admin, tc.rule)
			if tc.sentinel == nil {
				if err != nil || r.Every != time.Minute || r.State != "UNKNOWN" || r.CreatedAt.IsZero() {
					t.Fatalf("CreateRule = %+v, %v", r, err)
				}
				return
			}
			if !errors.Is(err, tc.sentinel) || !errors.Is(err, tc.category) || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("err = %v, want %v (%v) mentioning %q", err, tc.sentinel, tc.category, tc.msg)
			}
		})
	}
	if err := m.DeleteRule(ctx, "missing"); !errors.Is(err, sqlalert.ErrNotFound) || !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("DeleteRule(missing) = %v", err)
	}
	m.Close(ctx)

	m = w.open(t, path)
	list := m.Rules(ctx)
	if len(list) != 1 || list[0].Name != "errors" || list[0].SQL != ok.SQL || list[0].Every != time.Minute {
		t.Fatalf("after reopening: %+v", list)
	}
	if err := m.DeleteRule(ctx, "errors"); err != nil {
		t.Fatal(err)
	}
	if list := m.Rules(ctx); len(list) != 0 {
		t.Errorf("after delete: %+v", list)
	}
}
