package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestAttackMetricsNoSecrets: /metrics, /healthz and /readyz need no token,
// so they must carry no secret and no row: not the client secret, not a
// token (configured, issued or merely presented), not an ingested value.
func TestAttackMetricsNoSecrets(t *testing.T) {
	t.Parallel()
	const secret, token, rowValue, bogus = "cl1ent-S3CRET-x9", "dapi-c0nfigured-t0ken", "PRIVATE-ROW-VALUE-42", "dapi-presented-but-b0gus"
	s := startServer(t, "", "--memory", "--client-secret", secret, "--token", token)
	if code, body := s.call("POST", "/api/2.0/sql/statements", token, map[string]any{"statement": "CREATE TABLE main.default.events (id BIGINT, v STRING)", "wait_timeout": "30s"}); code != 200 || !strings.Contains(string(body), "SUCCEEDED") {
		t.Fatalf("create table: %d %s", code, body)
	}
	if code, body := s.call("POST", insertPath("main.default.events"), token, `[{"id": 1, "v": "`+rowValue+`"}]`); code != 200 {
		t.Fatalf("insert: %d %s", code, body)
	}
	if code, _ := s.call("POST", insertPath("main.default.events"), bogus, `[{"id": 2}]`); code != 401 {
		t.Fatalf("a bogus token got %d", code)
	}
	code, body := s.call("POST", "/api/2.0/token/create", token, map[string]any{"comment": "c"})
	var pat struct {
		TokenValue string `json:"token_value"`
	}
	if err := json.Unmarshal(body, &pat); code != 200 || err != nil || pat.TokenValue == "" {
		t.Fatalf("create token: %d %s", code, body)
	}
	for _, path := range []string{"/metrics", "/healthz", "/readyz"} {
		code, body := s.call("GET", path, "", nil)
		if code != 200 {
			t.Fatalf("GET %s: %d %s", path, code, body)
		}
		for _, leak := range []string{secret, token, pat.TokenValue, bogus, rowValue} {
			if strings.Contains(string(body), leak) {
				t.Errorf("GET %s without a token shows %q", path, leak)
			}
		}
	}
	// The metrics are there (the check above saw a real exposition).
	if _, body := s.call("GET", "/metrics", "", nil); !strings.Contains(string(body), `zbemu_ingest_records_total{protocol="HTTP",table="main.default.events"} 1`) {
		t.Errorf("no ingest metric in /metrics:\n%s", body)
	}
}
