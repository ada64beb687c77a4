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

func TestListAndDeletePATs(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	a, _, _ := s.CreatePrincipal(ctx, "a")
	b, _, _ := s.CreatePrincipal(ctx, "b")
	tokA, infoA, err := s.CreatePAT(ctx, a.ClientID, "for a", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.CreatePAT(ctx, b.ClientID, "for b", time.Hour); err != nil {
		t.Fatal(err)
	}
	if infoA.ID != PATID(tokA) || strings.Contains(infoA.ID, tokA[4:]) {
		t.Errorf("token id %q of %q: want its hash, which does not contain the secret", infoA.ID, tokA)
	}
	list, err := s.ListPATs(ctx, a.ClientID)
	if err != nil || len(list) != 1 || list[0] != infoA {
		t.Fatalf("a's tokens: %+v %v, want [%+v]", list, err, infoA)
	}
	all, _ := s.ListPATs(ctx, "")
	if len(all) != 2 {
		t.Errorf("every token: %+v", all)
	}
	cases := []struct {
		name       string
		who        string
		id         string
		admin      bool
		wantErr    bool
		stillValid bool
	}{
		{"another principal's token is missing to b", b.ClientID, infoA.ID, false, true, true},
		{"an unknown id", a.ClientID, "00", false, true, true},
		{"the owner revokes it", a.ClientID, infoA.ID, false, false, false},
		{"twice", a.ClientID, infoA.ID, false, true, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := s.DeletePAT(ctx, c.who, c.id, c.admin)
			if c.wantErr != (err != nil) || err != nil && !errors.Is(err, ErrNotFound) {
				t.Fatalf("DeletePAT: %v, want error %v (ErrNotFound)", err, c.wantErr)
			}
			if _, err := s.Authenticate(ctx, tokA); (err == nil) != c.stillValid {
				t.Errorf("token authenticates: %v, want %v", err == nil, c.stillValid)
			}
		})
	}
	bTokens, _ := s.ListPATs(ctx, b.ClientID)
	if err := s.DeletePAT(ctx, "an admin", bTokens[0].ID, true); err != nil {
		t.Errorf("an admin revokes b's token: %v", err)
	}
}

func TestApplyGrantChanges(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	p, _, _ := s.CreatePrincipal(ctx, "app")
	cases := []struct {
		name    string
		typ     string
		changes []GrantChange
		wantErr string
		want    []string // privileges on the securable afterwards
	}{
		{"add with underscores", TypeSchema, []GrantChange{{Principal: p.ClientID, Add: []string{"USE_SCHEMA", "select"}}}, "", []string{"SELECT", "USE SCHEMA"}},
		{"by display name", TypeSchema, []GrantChange{{Principal: "app", Add: []string{"MODIFY"}, Remove: []string{"SELECT"}}}, "", []string{"MODIFY", "USE SCHEMA"}},
		{"a bad change applies nothing", TypeSchema, []GrantChange{{Principal: p.ClientID, Remove: []string{"MODIFY"}}, {Principal: p.ClientID, Add: []string{"FLY"}}},
			`changes[1].add: unknown privilege "FLY"`, []string{"MODIFY", "USE SCHEMA"}},
		{"not on this type", TypeSchema, []GrantChange{{Principal: p.ClientID, Add: []string{"USE_CATALOG"}}}, "changes[0].add: privilege USE CATALOG does not apply to a schema (it applies to catalogs)", []string{"MODIFY", "USE SCHEMA"}},
		{"unknown principal", TypeSchema, []GrantChange{{Principal: "nobody", Add: []string{"SELECT"}}}, `changes[0].principal: invalid argument: principal "nobody" does not exist`, []string{"MODIFY", "USE SCHEMA"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := s.ApplyGrantChanges(ctx, c.typ, "main.default", c.changes)
			if c.wantErr == "" && err != nil || c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)) {
				t.Fatalf("ApplyGrantChanges: %v, want %q", err, c.wantErr)
			}
			gs, _ := s.Grants(ctx, p.ClientID, c.typ, "main.default")
			var got []string
			for _, g := range gs {
				got = append(got, g.Privilege)
			}
			if strings.Join(got, ",") != strings.Join(c.want, ",") {
				t.Errorf("grants after: %q, want %q", got, c.want)
			}
		})
	}
}
