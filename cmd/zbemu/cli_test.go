package main

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/zbemu/zbemu/engine"
	"github.com/zbemu/zbemu/web"
)

// runCLI runs the zbemu binary against s and returns stdout, failing on error.
func runCLI(t *testing.T, s *server, args ...string) string {
	t.Helper()
	out, stderr, code := execCLI(t, 3*time.Minute, []string{"ZBEMU_URL=" + s.url, "ZBEMU_TOKEN=" + devToken}, "", args...)
	if code != 0 {
		t.Fatalf("zbemu %v: exit %d\n%s", args, code, stderr)
	}
	return out
}

func TestPrincipalAndTokenCLI(t *testing.T) {
	t.Parallel()
	s := startServer(t, "", "--memory")
	s.sql("CREATE TABLE main.default.t (id INT)")
	out := runCLI(t, s, "principal", "create", "app")
	m := regexp.MustCompile(`client_id:\s+(\S+)\nclient_secret:\s+(\S+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("principal create printed:\n%s", out)
	}
	id, secret := m[1], m[2]
	for _, g := range []string{"GRANT USE CATALOG ON CATALOG main TO `" + id + "`", "GRANT USE SCHEMA ON SCHEMA main.default TO `" + id + "`",
		"GRANT SELECT, MODIFY ON TABLE main.default.t TO `" + id + "`"} {
		s.sql(g)
	}
	sc := s.scenario(map[string]any{"table": "main.default.t", "records": []any{map[string]any{"id": 1}, map[string]any{"id": 2}}})
	sc["clientId"], sc["clientSecret"] = id, secret
	if r := runSDK(t, sc); !r.OK {
		t.Fatalf("SDK with the new principal: %s", errText(r.Streams[0].Error))
	}
	tok := strings.TrimSpace(runCLI(t, s, "token", "create", "--comment", "notebook"))
	if !strings.HasPrefix(tok, "dapi") {
		t.Fatalf("token create printed %q", tok)
	}
	code, body := s.call("POST", "/zerobus/v1/tables/main.default.t/insert", tok, `{"id": 3}`)
	if code != 200 {
		t.Fatalf("insert with the new PAT: %d %s", code, body)
	}
	if n := s.count("main.default.t"); n != 3 {
		t.Errorf("count %d, want 3", n)
	}
	list := runCLI(t, s, "token", "list")
	tokID := engine.PATID(tok)
	if !strings.Contains(list, tokID) || !strings.Contains(list, "notebook") {
		t.Fatalf("token list printed:\n%s\nwant the token id %s and its comment", list, tokID)
	}
	if out := runCLI(t, s, "token", "revoke", tokID); !strings.Contains(out, "revoked "+tokID) {
		t.Errorf("token revoke printed %q", out)
	}
	if code, body := s.call("POST", "/zerobus/v1/tables/main.default.t/insert", tok, `{"id": 4}`); code != 401 {
		t.Errorf("insert with the revoked PAT: %d %s, want 401", code, body)
	}
	if list := runCLI(t, s, "token", "list"); strings.Contains(list, tokID) {
		t.Errorf("token list after revoke:\n%s", list)
	}
}

func TestHealthAndReadiness(t *testing.T) {
	t.Parallel()
	s := startServer(t, "")
	for _, path := range []string{"/healthz", "/readyz"} {
		code, body := s.call("GET", path, "", nil)
		var v map[string]any
		if code != 200 || json.Unmarshal(body, &v) != nil || v["status"] == nil {
			t.Errorf("%s: %d %s", path, code, body)
		}
	}
	if !strings.Contains(s.stdout.String(), "Zerobus endpoint   "+s.url) || !strings.Contains(s.stdout.String(), "zbemu-dev / zbemu-dev-secret") || !strings.Contains(s.stdout.String(), "SQL warehouse id   "+web.WarehouseID) ||
		!regexp.MustCompile(`emulator, ready in [0-9.]+m?s\.`).MatchString(s.stdout.String()) {
		t.Errorf("banner:\n%s", s.stdout)
	}
}
