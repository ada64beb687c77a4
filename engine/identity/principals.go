package identity

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Identity is who a request acts as, established from a bearer token.
type Identity struct {
	ClientID string
	Admin    bool
	// Tables is the token's Zerobus scope (from authorization_details);
	// nil for workspace-level tokens and PATs, which are checked against
	// the principal's grants only.
	Tables []string
	// Kind is "oauth" or "pat".
	Kind string
}

// RequireWorkspace refuses a missing identity and tokens scoped to tables
// (authorization_details): those are for ingest and reach no workspace
// object such as a dashboard or an alert; what names the objects.
func (id *Identity) RequireWorkspace(what string) error {
	if id == nil {
		return fmt.Errorf("%w: missing credentials", ErrUnauthenticated)
	}
	if id.Tables != nil {
		return fmt.Errorf("%w: this OAuth token is scoped to tables (authorization_details) and cannot use %s; use a workspace-level token or a PAT", ErrPermissionDenied, what)
	}
	return nil
}

// Principal is a service principal.
type Principal struct {
	ClientID  string `json:"application_id"`
	Name      string `json:"display_name"`
	Admin     bool   `json:"admin"`
	CreatedAt int64  `json:"created_at"`
}

func hashSecret(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func nowMillis() int64 { return time.Now().UnixMilli() }

// ensureDevPrincipal records the default principal with the configured
// secret; it holds every privilege.
func (s *Store) ensureDevPrincipal(ctx context.Context) error {
	if s.opts.DevClientSecret == "" {
		return nil
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO principals(client_id, name, secret_hash, admin, created_at) VALUES (?, ?, ?, 1, ?)
		ON CONFLICT(client_id) DO UPDATE SET secret_hash = excluded.secret_hash, admin = 1`,
		s.opts.DevClientID, "zbemu default service principal", hashSecret(s.opts.DevClientSecret), nowMillis())
	return err
}

// CreatePrincipal creates a service principal and returns it with its
// secret, which is shown only once.
func (s *Store) CreatePrincipal(ctx context.Context, name string) (Principal, string, error) {
	if strings.TrimSpace(name) == "" {
		return Principal{}, "", fmt.Errorf("%w: a principal needs a name", ErrInvalidArgument)
	}
	p := Principal{ClientID: uuid.NewString(), Name: name, CreatedAt: nowMillis()}
	secret := "dose" + hex.EncodeToString(randomBytes(20))
	_, err := s.db.ExecContext(ctx, "INSERT INTO principals(client_id, name, secret_hash, admin, created_at) VALUES (?, ?, ?, 0, ?)",
		p.ClientID, p.Name, hashSecret(secret), p.CreatedAt)
	if err != nil {
		return Principal{}, "", fmt.Errorf("create principal: %w", err)
	}
	return p, secret, nil
}

// LookupPrincipal finds a principal by client id or by display name (GRANT
// statements name principals either way).
func (s *Store) LookupPrincipal(ctx context.Context, who string) (Principal, error) {
	p, _, err := s.lookup(ctx, who)
	return p, err
}

func (s *Store) lookup(ctx context.Context, who string) (Principal, string, error) {
	var p Principal
	var hash string
	err := s.db.QueryRowContext(ctx, "SELECT client_id, name, admin, created_at, secret_hash FROM principals WHERE client_id = ? OR name = ? ORDER BY client_id = ? DESC LIMIT 1", who, who, who).
		Scan(&p.ClientID, &p.Name, &p.Admin, &p.CreatedAt, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return Principal{}, "", fmt.Errorf("%w: principal %q does not exist", ErrInvalidArgument, who)
	}
	if err != nil {
		return Principal{}, "", fmt.Errorf("look up principal %q: %w", who, err)
	}
	return p, hash, nil
}

// AuthenticateClient checks OAuth client credentials and returns the
// principal's workspace-level identity.
func (s *Store) AuthenticateClient(ctx context.Context, clientID, secret string) (*Identity, error) {
	p, hash, err := s.lookup(ctx, clientID)
	if err != nil || subtle.ConstantTimeCompare([]byte(hash), []byte(hashSecret(secret))) != 1 || p.ClientID != clientID {
		return nil, fmt.Errorf("%w: client authentication failed for client_id %q", ErrInvalidClient, clientID)
	}
	return &Identity{ClientID: p.ClientID, Admin: p.Admin, Kind: "oauth"}, nil
}
