package sqlalert

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// store is <data>/alerts.db: one table per kind of object, each row the
// object's JSON (the API object plus zbemu's bookkeeping) under its id, in
// creation order. It is the only code that opens that file; the Manager
// keeps every object in memory and writes each change through.
type store struct{ db *sql.DB }

// kinds are the stored tables.
const (
	kindQuery       = "queries"
	kindAlert       = "alerts"
	kindDestination = "destinations"
)

const storeDDL = `
CREATE TABLE IF NOT EXISTS queries      (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS alerts       (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS destinations (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, body TEXT NOT NULL);
`

func openStore(ctx context.Context, path string) (*store, error) {
	dsn := "file:zbemu-alerts-" + newID() + "?mode=memory&cache=shared"
	if path != "" {
		dsn = "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(5000)"
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open alert store: %w", err)
	}
	// One writer at a time is all SQLite allows; one connection also keeps
	// the shared in-memory database alive for the store's lifetime.
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, storeDDL); err != nil {
		db.Close()
		return nil, fmt.Errorf("initialise alert store: %w", err)
	}
	return &store{db: db}, nil
}

// load calls fn with each stored object of kind, in creation order.
func (s *store) load(ctx context.Context, kind string, fn func(seq int64, body []byte) error) error {
	rows, err := s.db.QueryContext(ctx, "SELECT seq, body FROM "+kind+" ORDER BY seq")
	if err != nil {
		return fmt.Errorf("load %s: %w", kind, err)
	}
	defer rows.Close()
	for rows.Next() {
		var seq int64
		var body []byte
		if err := rows.Scan(&seq, &body); err != nil {
			return fmt.Errorf("load %s: %w", kind, err)
		}
		if err := fn(seq, body); err != nil {
			return fmt.Errorf("load %s: %w", kind, err)
		}
	}
	return rows.Err()
}

// put inserts or replaces an object and returns its sequence number.
func (s *store) put(ctx context.Context, kind, id string, v any) (int64, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return 0, fmt.Errorf("store %s %s: %w", kind, id, err)
	}
	var seq int64
	err = s.db.QueryRowContext(ctx, "INSERT INTO "+kind+"(id, body) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET body = excluded.body RETURNING seq", id, b).Scan(&seq)
	if err != nil {
		return 0, fmt.Errorf("store %s %s: %w", kind, id, err)
	}
	return seq, nil
}

func (s *store) delete(ctx context.Context, kind, id string) error {
	if _, err := s.db.ExecContext(ctx, "DELETE FROM "+kind+" WHERE id = ?", id); err != nil {
		return fmt.Errorf("delete %s %s: %w", kind, id, err)
	}
	return nil
}
