package identity

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Error categories. Package engine re-exports them under the same names, so
// every error returned here is classified by the engine's catalogue.
var (
	ErrInvalidArgument  = errors.New("invalid argument")
	ErrUnauthenticated  = errors.New("unauthenticated")
	ErrInvalidClient    = errors.New("invalid client credentials")
	ErrPermissionDenied = errors.New("permission denied")
	ErrNotFound         = errors.New("resource does not exist")
)

// Options configure the store.
type Options struct {
	// Path is the SQLite file; empty keeps everything in memory.
	Path string
	// DevClientID and DevClientSecret define the default principal, which
	// is an admin; no secret means no default principal.
	DevClientID, DevClientSecret string
	// DevToken is a fixed personal access token of the default principal.
	DevToken string
}

// Store is the workspace database. It is safe for concurrent use.
type Store struct {
	db   *sql.DB
	opts Options
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

// Open opens (or creates) the workspace database and records the default
// principal.
func Open(ctx context.Context, opts Options) (*Store, error) {
	dsn := "file:zbemu-workspace?mode=memory&cache=shared"
	if opts.Path != "" {
		dsn = "file:" + opts.Path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(5000)"
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open workspace store: %w", err)
	}
	// One writer at a time is all SQLite allows; a single connection also
	// keeps the shared in-memory database alive for the store's lifetime.
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, workspaceDDL); err != nil {
		db.Close()
		return nil, fmt.Errorf("initialise workspace store: %w", err)
	}
	s := &Store{db: db, opts: opts}
	if err := s.ensureDevPrincipal(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("default principal: %w", err)
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Setting returns a persisted setting, creating it with gen() on first use.
func (s *Store) Setting(ctx context.Context, key string, gen func() []byte) ([]byte, error) {
	var v []byte
	err := s.db.QueryRowContext(ctx, "SELECT value FROM settings WHERE key = ?", key).Scan(&v)
	if err == nil {
		return v, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("read setting %s: %w", key, err)
	}
	v = gen()
	if _, err := s.db.ExecContext(ctx, "INSERT INTO settings(key, value) VALUES (?, ?)", key, v); err != nil {
		return nil, fmt.Errorf("write setting %s: %w", key, err)
	}
	return v, nil
}

// SetSetting replaces a persisted setting.
func (s *Store) SetSetting(ctx context.Context, key string, v []byte) error {
	_, err := s.db.ExecContext(ctx, "INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", key, v)
	if err != nil {
		return fmt.Errorf("write setting %s: %w", key, err)
	}
	return nil
}

// PutDescriptor stores a protobuf descriptor so that log replay can decode
// proto records after a restart.
func (s *Store) PutDescriptor(ctx context.Context, id string, b []byte) error {
	_, err := s.db.ExecContext(ctx, "INSERT OR IGNORE INTO descriptors(id, bytes) VALUES (?, ?)", id, b)
	if err != nil {
		return fmt.Errorf("store descriptor: %w", err)
	}
	return nil
}

// Descriptor returns a descriptor stored with PutDescriptor.
func (s *Store) Descriptor(ctx context.Context, id string) ([]byte, error) {
	var b []byte
	if err := s.db.QueryRowContext(ctx, "SELECT bytes FROM descriptors WHERE id = ?", id).Scan(&b); err != nil {
		return nil, fmt.Errorf("descriptor %s: %w", id, err)
	}
	return b, nil
}

// randomBytes returns n bytes from crypto/rand.
func randomBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on Linux
	}
	return b
}
