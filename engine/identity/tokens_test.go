package identity

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestPATLifetime(t *testing.T) {
	maxSec := int64(MaxPATLifetime / time.Second)
	cases := []struct {
		seconds int64
		want    time.Duration
		wantErr bool
	}{
		{0, MaxPATLifetime, false},
		{1, time.Second, false},
		{3600, time.Hour, false},
		{maxSec, MaxPATLifetime, false},
		{maxSec + 1, 0, true},
		{-1, 0, true},
		{-9223372036854775808, 0, true},
		{9223372036854775807, 0, true},
	}
	for _, c := range cases {
		got, err := PATLifetime(c.seconds)
		if c.wantErr {
			if !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), "lifetime_seconds") {
				t.Errorf("PATLifetime(%d) = %v, %v; want an invalid-argument error naming lifetime_seconds", c.seconds, got, err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("PATLifetime(%d) = %v, %v; want %v", c.seconds, got, err, c.want)
		}
	}
}

func openStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), Options{Path: filepath.Join(t.TempDir(), "workspace.db"), DevClientID: "dev", DevClientSecret: "s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestAuthenticateTokens(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	p, _, err := s.CreatePrincipal(ctx, "app")
	if err != nil {
		t.Fatal(err)
	}
	key, err := s.signingKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sign := func(c jwt.MapClaims) string {
		tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	now := time.Now()
	issued, err := s.SignToken(ctx, &Identity{ClientID: p.ClientID}, nil)
	if err != nil {
		t.Fatal(err)
	}
	pat, _, err := s.CreatePAT(ctx, p.ClientID, "test", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		bearer  string
		wantErr string
	}{
		{"issued token", issued.AccessToken, ""},
		{"PAT", pat, ""},
		{"JWT without exp", sign(jwt.MapClaims{"sub": p.ClientID, "iss": "zbemu"}), "exp claim is required"},
		{"expired JWT", sign(jwt.MapClaims{"sub": p.ClientID, "iss": "zbemu", "exp": now.Add(-time.Minute).Unix()}), "expired"},
		{"JWT of another issuer", sign(jwt.MapClaims{"sub": p.ClientID, "iss": "x", "exp": now.Add(time.Minute).Unix()}), "invalid issuer"},
		{"JWT of a deleted principal", sign(jwt.MapClaims{"sub": "ghost", "iss": "zbemu", "exp": now.Add(time.Minute).Unix()}), "no longer exists"},
		{"unknown PAT", "dapi00", "invalid or expired"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			id, err := s.Authenticate(ctx, c.bearer)
			if c.wantErr == "" {
				if err != nil || id.ClientID != p.ClientID {
					t.Fatalf("Authenticate = %+v, %v", id, err)
				}
				return
			}
			if !errors.Is(err, ErrUnauthenticated) || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("Authenticate = %+v, %v; want unauthenticated containing %q", id, err, c.wantErr)
			}
		})
	}
	for _, bad := range []time.Duration{0, -time.Second, MaxPATLifetime + time.Second} {
		if _, _, err := s.CreatePAT(ctx, p.ClientID, "bad", bad); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("CreatePAT(lifetime %v) = %v, want ErrInvalidArgument", bad, err)
		}
	}
}

func TestGrantsRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	p, _, err := s.CreatePrincipal(ctx, "app")
	if err != nil {
		t.Fatal(err)
	}
	id := &Identity{ClientID: p.ClientID}
	if err := s.ChangeGrants(ctx, "app", TypeCatalog, "Main", []string{"use_catalog", "use schema"}, true); err != nil {
		t.Fatal(err)
	}
	if err := s.ChangeGrants(ctx, p.ClientID, TypeTable, "main.default.t", []string{"SELECT"}, true); err != nil {
		t.Fatal(err)
	}
	if err := s.ChangeGrants(ctx, p.ClientID, TypeTable, "main.default.t", []string{"FLY"}, true); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("unknown privilege: %v", err)
	}
	a, err := s.Access(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Require(tableT, "SELECT"); err != nil {
		t.Fatal(err)
	}
	if err := s.DropGrants(ctx, "main.default"); err != nil {
		t.Fatal(err)
	}
	a, _ = s.Access(ctx, id)
	if err := a.Require(tableT, "SELECT"); err == nil {
		t.Fatal("grant on a table survived dropping its schema")
	}
	if err := a.Require(mainCat, "USE CATALOG"); err != nil {
		t.Fatalf("grant on the catalog was dropped with the schema: %v", err)
	}
}
