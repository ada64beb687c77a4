package systables_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/zbemu/zbemu/engine/sqlalert"
	"github.com/zbemu/zbemu/systables"
)

// TestLegacyAlertRules reads the alert_rules table older versions kept in
// system.db, and drops it once asked.
func TestLegacyAlertRules(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "system.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.Exec(`CREATE TABLE alert_rules (name TEXT PRIMARY KEY, sql TEXT NOT NULL, every_ms INTEGER NOT NULL,
		webhook_url TEXT NOT NULL DEFAULT '', owner TEXT NOT NULL DEFAULT '', created_at TEXT NOT NULL, state TEXT NOT NULL DEFAULT 'UNKNOWN',
		last_evaluated TEXT, last_error TEXT NOT NULL DEFAULT '');
		INSERT INTO alert_rules (name, sql, every_ms, webhook_url, owner, created_at) VALUES
		('b', 'SELECT 2', 45000, 'http://127.0.0.1:9/hook', 'zbemu-dev', '2026-01-02T10:15:00.000000Z'),
		('a', 'SELECT 1', 1000, '', 'zbemu-dev', '2026-01-02T10:15:00.000000Z')`)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	s, err := systables.Open(ctx, systables.Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(ctx)
	rules, err := s.LegacyAlertRules(ctx)
	want := []sqlalert.Rule{
		{Name: "a", SQL: "SELECT 1", Every: time.Second, Owner: "zbemu-dev", CreatedAt: time.Date(2026, 1, 2, 10, 15, 0, 0, time.UTC)},
		{Name: "b", SQL: "SELECT 2", Every: 45 * time.Second, WebhookURL: "http://127.0.0.1:9/hook", Owner: "zbemu-dev", CreatedAt: time.Date(2026, 1, 2, 10, 15, 0, 0, time.UTC)},
	}
	if err != nil || len(rules) != len(want) {
		t.Fatalf("LegacyAlertRules = %+v, %v", rules, err)
	}
	for i := range want {
		if rules[i] != want[i] {
			t.Errorf("rule %d = %+v, want %+v", i, rules[i], want[i])
		}
	}
	if err := s.DropLegacyAlertRules(ctx); err != nil {
		t.Fatal(err)
	}
	if rules, err := s.LegacyAlertRules(ctx); err != nil || len(rules) != 0 {
		t.Errorf("after the drop: %+v, %v", rules, err)
	}
}
