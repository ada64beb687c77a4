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
// lifetime must come from PATLifetime.
func (s *Store) CreatePAT(ctx context.Context, clientID, comment string, lifetime time.Duration) (string, time.Time, error) {
	if lifetime <= 0 || lifetime > MaxPATLifetime {
		return "", time.Time{}, fmt.Errorf("%w: token lifetime %s is not in (0, %s]", ErrInvalidArgument, lifetime, MaxPATLifetime)
	}
	p, err := s.LookupPrincipal(ctx, clientID)
	if err != nil {
		return "", time.Time{}, err
	}
	tok := "dapi" + hex.EncodeToString(randomBytes(16))
	exp := time.Now().Add(lifetime)
	_, err = s.db.ExecContext(ctx, "INSERT INTO pats(token_hash, client_id, comment, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
		hashSecret(tok), p.ClientID, comment, nowMillis(), exp.UnixMilli())
	if err != nil {
		return "", time.Time{}, fmt.Errorf("create token: %w", err)
	}
	return tok, exp, nil
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
