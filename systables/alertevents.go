package systables

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/zbemu/zbemu/engine/sqlalert"
)

var _ sqlalert.EventSink = (*Store)(nil)

// AlertEvent implements sqlalert.EventSink: a row of
// system.zbemu.alert_events.
func (s *Store) AlertEvent(ev sqlalert.Event) { s.enqueue(ev) }

// LegacyAlertRules returns the alert rules an older zbemu kept in
// system.db (table alert_rules), for package sqlalert to import; none if
// the table is gone. DropLegacyAlertRules removes the table once they are.
func (s *Store) LegacyAlertRules(ctx context.Context) ([]sqlalert.Rule, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'alert_rules'").Scan(&n); err != nil || n == 0 {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, "SELECT name, sql, every_ms, webhook_url, owner, created_at FROM alert_rules ORDER BY name")
	if err != nil {
		return nil, fmt.Errorf("read legacy alert rules: %w", err)
	}
	defer rows.Close()
	var out []sqlalert.Rule
	for rows.Next() {
		var r sqlalert.Rule
		var everyMS int64
		var created sql.NullString
		if err := rows.Scan(&r.Name, &r.SQL, &everyMS, &r.WebhookURL, &r.Owner, &created); err != nil {
			return nil, fmt.Errorf("read legacy alert rules: %w", err)
		}
		r.Every = time.Duration(everyMS) * time.Millisecond
		r.CreatedAt, _ = time.Parse(timeLayout, created.String)
		out = append(out, r)
	}
	return out, rows.Err()
}

// DropLegacyAlertRules drops system.db's alert_rules table.
func (s *Store) DropLegacyAlertRules(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, "DROP TABLE IF EXISTS alert_rules"); err != nil {
		return fmt.Errorf("drop legacy alert rules: %w", err)
	}
	return nil
}
