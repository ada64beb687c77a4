package engine

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"path/filepath"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// workspace is the workspace-level state that belongs to no catalog:
// service principals, personal access tokens, grants, the token signing key
// and the protobuf descriptors ingest-log entries refer to. It lives in one
// SQLite file (WAL mode) beside the catalogs, or in memory.
type workspace struct {
	db *sql.DB
}

const workspaceDDL = `
CREATE TABLE IF NOT EXISTS principals (
  client_id   TEXT PRIMARY KEY,
  name        TEXT NOT NULL,
  secret_hash TEXT NOT NULL,
  admin       INTEGER NOT NULL DEFAULT 0,
  created_at  INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS pats (
  token_hash TEXT PRIMARY KEY,
  client_id  TEXT NOT NULL,
  comment    TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS grants (
  principal      TEXT NOT NULL,
  securable_type TEXT NOT NULL,
  securable_name TEXT NOT NULL,
  privilege      TEXT NOT NULL,
  PRIMARY KEY (principal, securable_type, securable_name, privilege)
);
CREATE TABLE IF NOT EXISTS descriptors (
  id    TEXT PRIMARY KEY,
  bytes BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS settings (
  key   TEXT PRIMARY KEY,
  value BLOB NOT NULL
);
`

func openWorkspace(ctx context.Context, opts Options) (*workspace, error) {
	dsn := "file:zbemu-workspace?mode=memory&cache=shared"
	if !opts.Memory {
		dsn = "file:" + filepath.Join(opts.DataDir, "workspace.db") + "?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(5000)"
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open workspace store: %w", err)
	}
	// One writer at a time is all SQLite allows; a single connection also
	// keeps the shared in-memory database alive for the engine's lifetime.
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, workspaceDDL); err != nil {
		db.Close()
		return nil, fmt.Errorf("initialise workspace store: %w", err)
	}
	return &workspace{db: db}, nil
}

func (w *workspace) close() { w.db.Close() }

// setting returns a persisted setting, creating it with gen() on first use.
func (w *workspace) setting(ctx context.Context, key string, gen func() []byte) ([]byte, error) {
	var v []byte
	err := w.db.QueryRowContext(ctx, "SELECT value FROM settings WHERE key = ?", key).Scan(&v)
	if err == nil {
		return v, nil
	}
	if err != sql.ErrNoRows {
		return nil, fmt.Errorf("read setting %s: %w", key, err)
	}
	v = gen()
	if _, err := w.db.ExecContext(ctx, "INSERT INTO settings(key, value) VALUES (?, ?)", key, v); err != nil {
		return nil, fmt.Errorf("write setting %s: %w", key, err)
	}
	return v, nil
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on Linux
	}
	return b
}

// putDescriptor stores a protobuf descriptor so that log replay can decode
// proto records after a restart.
func (w *workspace) putDescriptor(ctx context.Context, id string, b []byte) error {
	_, err := w.db.ExecContext(ctx, "INSERT OR IGNORE INTO descriptors(id, bytes) VALUES (?, ?)", id, b)
	if err != nil {
		return fmt.Errorf("store descriptor: %w", err)
	}
	return nil
}

func (w *workspace) descriptor(ctx context.Context, id string) ([]byte, error) {
	var b []byte
	if err := w.db.QueryRowContext(ctx, "SELECT bytes FROM descriptors WHERE id = ?", id).Scan(&b); err != nil {
		return nil, fmt.Errorf("descriptor %s: %w", id, err)
	}
	return b, nil
}
