package identity

import (
	"context"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// Token is an issued OAuth access token.
type Token struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
	Scope       string `json:"scope"`
}

// TokenLifetime is how long issued OAuth tokens live (as in Databricks:
// https://docs.databricks.com/aws/en/dev-tools/auth/oauth-m2m.html says
// access tokens are valid for one hour).
const TokenLifetime = time.Hour

// MaxPATLifetime caps personal access tokens. Since December 2024
// Databricks limits new PATs to 730 days and no longer creates tokens that
// never expire (https://community.databricks.com/t5/data-engineering/personal-access-token-retention-period-change/td-p/107534;
// admins may set a lower maximum, https://docs.databricks.com/en/admin/access-control/tokens.html).
// It is also the lifetime of a token created without one, as in a
// workspace whose admin set a maximum lifetime.
const MaxPATLifetime = 730 * 24 * time.Hour

type tokenClaims struct {
	jwt.RegisteredClaims
	Scope  string   `json:"scope"`
	Tables []string `json:"tables,omitempty"`
}

func (s *Store) signingKey(ctx context.Context) ([]byte, error) {
	return s.Setting(ctx, "token-signing-key", func() []byte { return randomBytes(32) })
}

// SignToken issues an OAuth access token for id, scoped to tables when
// tables is not nil (the caller has checked the privileges they need).
func (s *Store) SignToken(ctx context.Context, id *Identity, tables []string) (Token, error) {
	key, err := s.signingKey(ctx)
	if err != nil {
		return Token{}, err
	}
	now := time.Now()
	claims := tokenClaims{RegisteredClaims: jwt.RegisteredClaims{Subject: id.ClientID, Issuer: "zbemu", IssuedAt: jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(TokenLifetime)), ID: uuid.NewString()}, Scope: "all-apis", Tables: tables}
	signed, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(key)
	if err != nil {
		return Token{}, fmt.Errorf("sign token: %w", err)
	}
	return Token{AccessToken: signed, TokenType: "Bearer", ExpiresIn: int(TokenLifetime.Seconds()), Scope: "all-apis"}, nil
}

// PATLifetime validates lifetime_seconds of POST /api/2.0/token/create: 0
// (absent) means MaxPATLifetime; otherwise it must be positive and at most
// MaxPATLifetime.
func PATLifetime(seconds int64) (time.Duration, error) {
	maxSec := int64(MaxPATLifetime / time.Second)
	switch {
	case seconds == 0:
		return MaxPATLifetime, nil
	case seconds < 0 || seconds > maxSec:
		return 0, fmt.Errorf("%w: lifetime_seconds must be a positive number of seconds up to %d (730 days), or absent for %d; got %d",
			ErrInvalidArgument, maxSec, maxSec, seconds)
	}
	return time.Duration(seconds) * time.Second, nil
}

// CreatePAT issues a personal access token (dapi...) for a principal. The
// lifetime must come from PATLifetime. It returns the token and its
// description as GET /api/2.0/token/list will show it.
func (s *Store) CreatePAT(ctx context.Context, clientID, comment string, lifetime time.Duration) (string, PATInfo, error) {
	if lifetime <= 0 || lifetime > MaxPATLifetime {
		return "", PATInfo{}, fmt.Errorf("%w: token lifetime %s is not in (0, %s]", ErrInvalidArgument, lifetime, MaxPATLifetime)
	}
	p, err := s.LookupPrincipal(ctx, clientID)
	if err != nil {
		return "", PATInfo{}, err
	}
	tok := "dapi" + hex.EncodeToString(randomBytes(16))
	now := time.Now()
	info := PATInfo{ID: PATID(tok), Comment: comment, CreatedAt: now.UnixMilli(), ExpiresAt: now.Add(lifetime).UnixMilli(), Owner: p.ClientID}
	_, err = s.db.ExecContext(ctx, "INSERT INTO pats(token_hash, client_id, comment, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
		info.ID, p.ClientID, comment, info.CreatedAt, info.ExpiresAt)
	if err != nil {
		return "", PATInfo{}, fmt.Errorf("create token: %w", err)
	}
	return tok, info, nil
}

// PATInfo describes a personal access token without its secret, as
// GET /api/2.0/token/list does. ID is the SHA-256 of the token in hex, the
// form of Databricks' token ids; it cannot be turned back into the token.
type PATInfo struct {
	ID        string `json:"token_id"`
	Comment   string `json:"comment"`
	CreatedAt int64  `json:"creation_time"`
	ExpiresAt int64  `json:"expiry_time"`
	// Owner is the client id of the token's principal.
	Owner string `json:"-"`
}

// PATID is the token id of a personal access token.
func PATID(token string) string { return hashSecret(token) }

// ListPATs lists the personal access tokens of a principal (every
// principal's when clientID is empty), oldest first, expired ones
// included as Databricks lists them until they are cleaned up.
func (s *Store) ListPATs(ctx context.Context, clientID string) ([]PATInfo, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT token_hash, client_id, comment, created_at, expires_at FROM pats
		WHERE ? = '' OR client_id = ? ORDER BY created_at, token_hash`, clientID, clientID)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	defer rows.Close()
	out := []PATInfo{}
	for rows.Next() {
		var p PATInfo
		if err := rows.Scan(&p.ID, &p.Owner, &p.Comment, &p.CreatedAt, &p.ExpiresAt); err != nil {
			return nil, fmt.Errorf("list tokens: %w", err)
		}
		if p.ExpiresAt <= 0 {
			p.ExpiresAt = p.CreatedAt + MaxPATLifetime.Milliseconds() // see Authenticate
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// DeletePAT revokes a personal access token by id. Only its principal may,
// or an admin (anyAllowed): for anybody else the token does not exist, so
// that token ids of other principals cannot be probed.
func (s *Store) DeletePAT(ctx context.Context, clientID, tokenID string, anyAllowed bool) error {
	res, err := s.db.ExecContext(ctx, "DELETE FROM pats WHERE token_hash = ? AND (? OR client_id = ?)", tokenID, anyAllowed, clientID)
	if err != nil {
		return fmt.Errorf("revoke token: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%w: token %q does not exist (GET /api/2.0/token/list lists your tokens)", ErrNotFound, tokenID)
	}
	return nil
}

// Authenticate turns a bearer token (OAuth JWT or PAT) into an Identity.
func (s *Store) Authenticate(ctx context.Context, bearer string) (*Identity, error) {
	if bearer == "" {
		return nil, fmt.Errorf("%w: missing bearer token (send Authorization: Bearer <token>)", ErrUnauthenticated)
	}
	if s.opts.DevToken != "" && subtle.ConstantTimeCompare([]byte(bearer), []byte(s.opts.DevToken)) == 1 {
		return &Identity{ClientID: s.opts.DevClientID, Admin: true, Kind: "pat"}, nil
	}
	if strings.HasPrefix(bearer, "dapi") {
		var id string
		var created, exp int64
		err := s.db.QueryRowContext(ctx, "SELECT client_id, created_at, expires_at FROM pats WHERE token_hash = ?", hashSecret(bearer)).Scan(&id, &created, &exp)
		if exp <= 0 {
			// Created before lifetimes were capped, as "never expires":
			// such a token now lives MaxPATLifetime from its creation.
			exp = created + MaxPATLifetime.Milliseconds()
		}
		if err != nil || time.Now().UnixMilli() > exp {
			return nil, fmt.Errorf("%w: invalid or expired personal access token", ErrUnauthenticated)
		}
		p, err := s.LookupPrincipal(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("%w: the token's principal no longer exists", ErrUnauthenticated)
		}
		return &Identity{ClientID: id, Admin: p.Admin, Kind: "pat"}, nil
	}
	key, err := s.signingKey(ctx)
	if err != nil {
		return nil, err
	}
	var claims tokenClaims
	// A token without exp would never expire: refuse it, whoever signed it.
	_, err = jwt.ParseWithClaims(bearer, &claims, func(*jwt.Token) (any, error) { return key, nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithIssuer("zbemu"), jwt.WithExpirationRequired())
	if err != nil {
		return nil, fmt.Errorf("%w: invalid access token: %v", ErrUnauthenticated, err)
	}
	p, err := s.LookupPrincipal(ctx, claims.Subject)
	if err != nil {
		return nil, fmt.Errorf("%w: the token's principal no longer exists", ErrUnauthenticated)
	}
	return &Identity{ClientID: claims.Subject, Admin: p.Admin, Tables: claims.Tables, Kind: "oauth"}, nil
}
