package engine

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// Identity is who a request acts as, established from a bearer token.
type Identity struct {
	ClientID string
	Admin    bool
	// Tables is the token's Zerobus scope (from authorization_details);
	// nil for workspace-level tokens and PATs, which are checked against
	// the principal's grants instead.
	Tables []string
	// Kind is "oauth" or "pat".
	Kind string
}

// Token is an issued OAuth access token.
type Token struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
	Scope       string `json:"scope"`
}

// AuthorizationDetail is one element of the OAuth authorization_details
// parameter the Zerobus SDKs send.
type AuthorizationDetail struct {
	Type           string   `json:"type"`
	ObjectType     string   `json:"object_type"`
	ObjectFullPath string   `json:"object_full_path"`
	Privileges     []string `json:"privileges"`
	Operations     []string `json:"operations,omitempty"`
}

// TokenLifetime is how long issued OAuth tokens live (as in Databricks).
const TokenLifetime = time.Hour

type tokenClaims struct {
	jwt.RegisteredClaims
	Scope  string   `json:"scope"`
	Tables []string `json:"tables,omitempty"`
}

func hashSecret(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func (e *Engine) signingKey(ctx context.Context) ([]byte, error) {
	return e.ws.setting(ctx, "token-signing-key", func() []byte { return randomBytes(32) })
}

// ensureDevPrincipal records the default principal with the configured
// secret; it holds every privilege.
func (e *Engine) ensureDevPrincipal(ctx context.Context) error {
	if e.opts.DevClientSecret == "" {
		return nil
	}
	_, err := e.ws.db.ExecContext(ctx, `INSERT INTO principals(client_id, name, secret_hash, admin, created_at) VALUES (?, ?, ?, 1, ?)
		ON CONFLICT(client_id) DO UPDATE SET secret_hash = excluded.secret_hash, admin = 1`,
		e.opts.DevClientID, "zbemu default service principal", hashSecret(e.opts.DevClientSecret), nowMillis())
	return err
}

// Principal is a service principal.
type Principal struct {
	ClientID  string `json:"application_id"`
	Name      string `json:"display_name"`
	Admin     bool   `json:"admin"`
	CreatedAt int64  `json:"created_at"`
}

// CreatePrincipal creates a service principal and returns it with its
// secret, which is shown only once.
func (e *Engine) CreatePrincipal(ctx context.Context, name string) (Principal, string, error) {
	if strings.TrimSpace(name) == "" {
		return Principal{}, "", fmt.Errorf("%w: a principal needs a name", ErrInvalidArgument)
	}
	p := Principal{ClientID: uuid.NewString(), Name: name, CreatedAt: nowMillis()}
	secret := "dose" + hex.EncodeToString(randomBytes(20))
	_, err := e.ws.db.ExecContext(ctx, "INSERT INTO principals(client_id, name, secret_hash, admin, created_at) VALUES (?, ?, ?, 0, ?)",
		p.ClientID, p.Name, hashSecret(secret), p.CreatedAt)
	if err != nil {
		return Principal{}, "", fmt.Errorf("create principal: %w", err)
	}
	return p, secret, nil
}

// ListPrincipals returns all service principals.
func (e *Engine) ListPrincipals(ctx context.Context) ([]Principal, error) {
	rows, err := e.ws.db.QueryContext(ctx, "SELECT client_id, name, admin, created_at FROM principals ORDER BY created_at")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Principal
	for rows.Next() {
		var p Principal
		if err := rows.Scan(&p.ClientID, &p.Name, &p.Admin, &p.CreatedAt); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// lookupPrincipal finds a principal by client id or by display name (GRANT
// statements name principals either way).
func (e *Engine) lookupPrincipal(ctx context.Context, who string) (clientID string, admin bool, secretHash string, err error) {
	err = e.ws.db.QueryRowContext(ctx, "SELECT client_id, admin, secret_hash FROM principals WHERE client_id = ? OR name = ? ORDER BY client_id = ? DESC LIMIT 1", who, who, who).
		Scan(&clientID, &admin, &secretHash)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, "", fmt.Errorf("%w: principal %q does not exist", ErrInvalidArgument, who)
	}
	return clientID, admin, secretHash, err
}

// IssueToken implements the client-credentials grant of /oidc/v1/token.
// With authorization_details the privileges are checked against the
// principal's grants now (as Databricks does) and the token is scoped to the
// tables named; without, it is a workspace-level token.
func (e *Engine) IssueToken(ctx context.Context, clientID, secret, authorizationDetails string) (Token, error) {
	id, admin, hash, err := e.lookupPrincipal(ctx, clientID)
	if err != nil || subtle.ConstantTimeCompare([]byte(hash), []byte(hashSecret(secret))) != 1 || id != clientID {
		return Token{}, fmt.Errorf("%w: client authentication failed for client_id %q", ErrInvalidClient, clientID)
	}
	var tables []string
	if authorizationDetails != "" {
		var details []AuthorizationDetail
		if err := json.Unmarshal([]byte(authorizationDetails), &details); err != nil {
			return Token{}, fmt.Errorf("%w: authorization_details is not a JSON array of objects: %v", ErrInvalidArgument, err)
		}
		ident := &Identity{ClientID: id, Admin: admin}
		for _, d := range details {
			if d.Type != "unity_catalog_privileges" {
				return Token{}, fmt.Errorf("%w: authorization_details type %q is not supported (want unity_catalog_privileges)", ErrInvalidArgument, d.Type)
			}
			if err := e.checkPrivileges(ctx, ident, d.ObjectType, d.ObjectFullPath, d.Privileges); err != nil {
				return Token{}, err
			}
			if strings.EqualFold(d.ObjectType, "TABLE") {
				tables = append(tables, strings.ToLower(d.ObjectFullPath))
			}
		}
	}
	key, err := e.signingKey(ctx)
	if err != nil {
		return Token{}, err
	}
	now := time.Now()
	claims := tokenClaims{RegisteredClaims: jwt.RegisteredClaims{Subject: id, Issuer: "zbemu", IssuedAt: jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(TokenLifetime)), ID: uuid.NewString()}, Scope: "all-apis", Tables: tables}
	signed, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(key)
	if err != nil {
		return Token{}, err
	}
	return Token{AccessToken: signed, TokenType: "Bearer", ExpiresIn: int(TokenLifetime.Seconds()), Scope: "all-apis"}, nil
}

// CreatePAT issues a personal access token (dapi...) for a principal.
func (e *Engine) CreatePAT(ctx context.Context, clientID, comment string, lifetime time.Duration) (string, error) {
	id, _, _, err := e.lookupPrincipal(ctx, clientID)
	if err != nil {
		return "", err
	}
	tok := "dapi" + hex.EncodeToString(randomBytes(16))
	var exp int64
	if lifetime > 0 {
		exp = time.Now().Add(lifetime).UnixMilli()
	}
	_, err = e.ws.db.ExecContext(ctx, "INSERT INTO pats(token_hash, client_id, comment, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
		hashSecret(tok), id, comment, nowMillis(), exp)
	if err != nil {
		return "", fmt.Errorf("create token: %w", err)
	}
	return tok, nil
}

// Authenticate turns a bearer token (OAuth JWT or PAT) into an Identity.
func (e *Engine) Authenticate(ctx context.Context, bearer string) (*Identity, error) {
	if bearer == "" {
		return nil, fmt.Errorf("%w: missing bearer token (send Authorization: Bearer <token>)", ErrUnauthenticated)
	}
	if e.opts.DevToken != "" && subtle.ConstantTimeCompare([]byte(bearer), []byte(e.opts.DevToken)) == 1 {
		return &Identity{ClientID: e.opts.DevClientID, Admin: true, Kind: "pat"}, nil
	}
	if strings.HasPrefix(bearer, "dapi") {
		var id string
		var exp int64
		err := e.ws.db.QueryRowContext(ctx, "SELECT client_id, expires_at FROM pats WHERE token_hash = ?", hashSecret(bearer)).Scan(&id, &exp)
		if err != nil || (exp > 0 && time.Now().UnixMilli() > exp) {
			return nil, fmt.Errorf("%w: invalid or expired personal access token", ErrUnauthenticated)
		}
		_, admin, _, err := e.lookupPrincipal(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("%w: the token's principal no longer exists", ErrUnauthenticated)
		}
		return &Identity{ClientID: id, Admin: admin, Kind: "pat"}, nil
	}
	key, err := e.signingKey(ctx)
	if err != nil {
		return nil, err
	}
	var claims tokenClaims
	_, err = jwt.ParseWithClaims(bearer, &claims, func(*jwt.Token) (any, error) { return key, nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithIssuer("zbemu"))
	if err != nil {
		return nil, fmt.Errorf("%w: invalid access token: %v", ErrUnauthenticated, err)
	}
	_, admin, _, err := e.lookupPrincipal(ctx, claims.Subject)
	if err != nil {
		return nil, fmt.Errorf("%w: the token's principal no longer exists", ErrUnauthenticated)
	}
	return &Identity{ClientID: claims.Subject, Admin: admin, Tables: claims.Tables, Kind: "oauth"}, nil
}

// privilegesImplied expands ALL PRIVILEGES.
func hasPrivilege(granted map[string]bool, p string) bool {
	return granted[p] || granted["ALL PRIVILEGES"]
}

func normPrivilege(p string) string {
	return strings.Join(strings.Fields(strings.ToUpper(strings.ReplaceAll(p, "_", " "))), " ")
}

// checkPrivileges fails with ErrPermissionDenied naming the first missing
// privilege on the securable.
func (e *Engine) checkPrivileges(ctx context.Context, id *Identity, objectType, fullName string, privileges []string) error {
	if id.Admin {
		return nil
	}
	objectType = strings.ToUpper(objectType)
	rows, err := e.ws.db.QueryContext(ctx, "SELECT privilege FROM grants WHERE principal = ? AND securable_type = ? AND securable_name = ?",
		id.ClientID, objectType, strings.ToLower(fullName))
	if err != nil {
		return err
	}
	granted := map[string]bool{}
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			rows.Close()
			return err
		}
		granted[p] = true
	}
	rows.Close()
	for _, p := range privileges {
		if !hasPrivilege(granted, normPrivilege(p)) {
			return fmt.Errorf("%w: principal %q lacks %s on %s %s (GRANT %s ON %s %s TO `%s`)", ErrPermissionDenied,
				id.ClientID, normPrivilege(p), objectType, fullName, normPrivilege(p), objectType, fullName, id.ClientID)
		}
	}
	return nil
}

// authorizeIngest checks that id may write to a table through Zerobus.
func (e *Engine) authorizeIngest(ctx context.Context, id *Identity, table string) error {
	if id == nil {
		return fmt.Errorf("%w: missing credentials", ErrUnauthenticated)
	}
	lower := strings.ToLower(table)
	if id.Tables != nil {
		found := false
		for _, t := range id.Tables {
			if t == lower {
				found = true
			}
		}
		if !found {
			return fmt.Errorf("%w: the access token was issued for %s, not for table %s; request a token with authorization_details for this table", ErrPermissionDenied, strings.Join(id.Tables, ", "), table)
		}
	}
	parts := strings.Split(lower, ".")
	if len(parts) != 3 {
		return fmt.Errorf("%w: table name %q must have exactly 3 parts", ErrInvalidArgument, table)
	}
	if err := e.checkPrivileges(ctx, id, "CATALOG", parts[0], []string{"USE CATALOG"}); err != nil {
		return err
	}
	if err := e.checkPrivileges(ctx, id, "SCHEMA", parts[0]+"."+parts[1], []string{"USE SCHEMA"}); err != nil {
		return err
	}
	return e.checkPrivileges(ctx, id, "TABLE", lower, []string{"SELECT", "MODIFY"})
}

// Grant records privileges of a principal on a securable.
func (e *Engine) Grant(ctx context.Context, principal, securableType, securable string, privileges []string) error {
	return e.changeGrants(ctx, principal, securableType, securable, privileges, true)
}

// Revoke removes privileges.
func (e *Engine) Revoke(ctx context.Context, principal, securableType, securable string, privileges []string) error {
	return e.changeGrants(ctx, principal, securableType, securable, privileges, false)
}

var validPrivileges = map[string]bool{"USE CATALOG": true, "USE SCHEMA": true, "SELECT": true, "MODIFY": true,
	"ALL PRIVILEGES": true, "CREATE SCHEMA": true, "CREATE TABLE": true, "BROWSE": true, "MANAGE": true, "APPLY TAG": true}

func (e *Engine) changeGrants(ctx context.Context, principal, securableType, securable string, privileges []string, grant bool) error {
	securableType = strings.ToUpper(securableType)
	if err := e.securableExists(securableType, securable); err != nil {
		return err
	}
	clientID, _, _, err := e.lookupPrincipal(ctx, principal)
	if err != nil {
		return err
	}
	for _, p := range privileges {
		np := normPrivilege(p)
		if !validPrivileges[np] {
			return fmt.Errorf("%w: unknown privilege %q", ErrInvalidArgument, p)
		}
		q := "INSERT OR IGNORE INTO grants(principal, securable_type, securable_name, privilege) VALUES (?, ?, ?, ?)"
		if !grant {
			q = "DELETE FROM grants WHERE principal = ? AND securable_type = ? AND securable_name = ? AND privilege = ?"
		}
		if _, err := e.ws.db.ExecContext(ctx, q, clientID, securableType, strings.ToLower(securable), np); err != nil {
			return err
		}
	}
	return nil
}

func (e *Engine) securableExists(securableType, name string) error {
	parts := strings.Split(name, ".")
	e.mu.RLock()
	defer e.mu.RUnlock()
	switch {
	case securableType == "CATALOG" && len(parts) == 1:
		_, err := e.catalogLocked(parts[0])
		return err
	case securableType == "SCHEMA" && len(parts) == 2:
		_, _, err := e.schemaLocked(parts[0], parts[1])
		return err
	case securableType == "TABLE" && len(parts) == 3:
		c, err := e.catalogLocked(parts[0])
		if err != nil {
			return err
		}
		if _, ok := c.tables[strings.ToLower(parts[1]+"."+parts[2])]; !ok {
			return tableNotFound(name)
		}
		return nil
	}
	return fmt.Errorf("%w: %s %q is not a valid securable (CATALOG c, SCHEMA c.s or TABLE c.s.t)", ErrInvalidArgument, securableType, name)
}

// GrantInfo is one row of SHOW GRANTS.
type GrantInfo struct {
	Principal, SecurableType, Securable, Privilege string
}

// Grants lists grants, optionally filtered by principal and securable.
func (e *Engine) Grants(ctx context.Context, principal, securableType, securable string) ([]GrantInfo, error) {
	rows, err := e.ws.db.QueryContext(ctx, `SELECT principal, securable_type, securable_name, privilege FROM grants
		WHERE (? = '' OR principal = ?) AND (? = '' OR securable_type = ?) AND (? = '' OR securable_name = ?)`,
		principal, principal, securableType, strings.ToUpper(securableType), securable, strings.ToLower(securable))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []GrantInfo
	for rows.Next() {
		var g GrantInfo
		if err := rows.Scan(&g.Principal, &g.SecurableType, &g.Securable, &g.Privilege); err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	sort.Slice(out, func(i, j int) bool { return fmt.Sprint(out[i]) < fmt.Sprint(out[j]) })
	return out, rows.Err()
}
