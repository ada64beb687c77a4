package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestAttackLabCheck: `zbemu lab check` has no privileges of its own. A
// principal without grants sees why its checks fail and never a pass for
// what it may not read; bad arguments get errors that say what is wanted.
func TestAttackLabCheck(t *testing.T) {
	t.Parallel()
	s := startServer(t, "", "--memory")
	s.sql("CREATE SCHEMA main.workshop")
	s.sql("CREATE TABLE main.workshop.first_events (device_id STRING NOT NULL, ts TIMESTAMP NOT NULL, message STRING)")
	s.sql("INSERT INTO main.workshop.first_events VALUES ('a', now(), 'x'), ('b', now(), 'y')")
	id, secret := s.newPrincipal("grantless")
	code, body := s.tokenRequest("/oidc/v1/token", id, secret, "grant_type=client_credentials&scope=all-apis")
	var tok tokenResponse
	if code != 200 || json.Unmarshal(body, &tok) != nil {
		t.Fatalf("token: %d %s", code, body)
	}
	token := tok.AccessToken

	tests := []struct {
		name  string
		token string
		args  []string
		exit  int
		want  string
	}{
		{"grant-less principal", token, []string{"check", "1"}, 1, "INSUFFICIENT_PERMISSIONS"},
		{"garbage token", "dapi-nope", []string{"check", "1"}, 1, "UNAUTHENTICATED"},
		{"no such lab", devToken, []string{"check", "99"}, 1, "no such lab: 99 (there are labs 1 to 6"},
		{"lab number not a number", devToken, []string{"open", "three"}, 2, `want 1 to 6, got "three"`},
		{"oversized lab number", devToken, []string{"open", strings.Repeat("9", 400)}, 2, "want 1 to 6"},
		{"unknown subcommand", devToken, []string{"run", "1"}, 2, "zbemu lab check N"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, code := labCLI(t, s, tt.token, tt.args...)
			if code != tt.exit || !strings.Contains(out, tt.want) {
				t.Errorf("exit %d (want %d), output lacks %q:\n%s", code, tt.exit, tt.want, out)
			}
			if tt.exit == 1 && strings.Contains(out, "✓ rows") {
				t.Errorf("a check passed for a caller that may not read the table:\n%s", out)
			}
		})
	}
}
