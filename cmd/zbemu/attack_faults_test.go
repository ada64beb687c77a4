package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestAttackFaultsAuthorization: only admins may add, list or clear faults
// (one would let a tenant break every other tenant's ingest); a grant-less
// principal and one with every privilege on a table are refused, and
// their attempts change nothing.
func TestAttackFaultsAuthorization(t *testing.T) {
	t.Parallel()
	s := startServer(t, "", "--memory")
	s.sql("CREATE TABLE main.default.t " + eventsDDL)
	noneID, noneSecret := s.newPrincipal("fault-none")
	tableID, tableSecret := s.newPrincipal("fault-table")
	s.sql(fmt.Sprintf("GRANT USE CATALOG ON CATALOG main TO `%s`", tableID))
	s.sql(fmt.Sprintf("GRANT USE SCHEMA ON SCHEMA main.default TO `%s`", tableID))
	s.sql(fmt.Sprintf("GRANT ALL PRIVILEGES ON TABLE main.default.t TO `%s`", tableID))
	principals := map[string]string{
		"grant-less":   s.workspaceToken(noneID, noneSecret),
		"table owner":  s.workspaceToken(tableID, tableSecret),
		"table-scoped": s.scopedToken(tableID, tableSecret, "main.default.t"),
	}
	id := s.addFault(t, map[string]any{"kind": "latency", "latency": "1ms", "table": "main.default.t"})
	actions := []struct {
		name, method, path string
		body               any
	}{
		{"add", "POST", "/zbemu/v1/faults", map[string]any{"kind": "unavailable", "table": "main.default.t"}},
		{"list", "GET", "/zbemu/v1/faults", nil},
		{"clear one", "DELETE", "/zbemu/v1/faults/" + id, nil},
		{"clear all", "DELETE", "/zbemu/v1/faults", nil},
	}
	for who, token := range principals {
		for _, a := range actions {
			t.Run(who+"/"+a.name, func(t *testing.T) {
				code, body := s.call(a.method, a.path, token, a.body)
				c, msg := apiErr(t, body)
				if code != http.StatusForbidden || c != "PERMISSION_DENIED" || !strings.Contains(msg, "only an admin principal may manage faults") {
					t.Errorf("HTTP %d %s %q, want 403 PERMISSION_DENIED", code, c, msg)
				}
			})
		}
	}
	t.Run("no token", func(t *testing.T) {
		if code, body := s.call("GET", "/zbemu/v1/faults", "", nil); code != http.StatusUnauthorized {
			t.Errorf("HTTP %d %s, want 401", code, body)
		}
	})
	if hits := s.faultHits(t); len(hits) != 1 {
		t.Errorf("after the refused attempts the faults are %v; want only %s", hits, id)
	}
}

// TestAttackFaultsBadInput: a malformed fault request is refused with an
// error that names the field, what it expects and what it received, and
// adds nothing.
func TestAttackFaultsBadInput(t *testing.T) {
	t.Parallel()
	s := startServer(t, "", "--memory")
	tests := []struct {
		name       string
		body       string
		wantStatus int
		want       []string
	}{
		{"unknown kind", `{"kind":"meltdown"}`, 400, []string{`"kind"`, "rate-limit, unavailable, latency, close, timeout", `"meltdown"`}},
		{"negative count", `{"kind":"rate-limit","count":-1}`, 400, []string{`"count"`, "a positive integer", "received -1"}},
		{"fractional count", `{"kind":"rate-limit","count":1.5}`, 400, []string{`"count"`, "an integer", "number"}},
		{"probability above 1", `{"kind":"unavailable","probability":2}`, 400, []string{`"probability"`, "at most 1", "received 2"}},
		{"probability as text", `{"kind":"unavailable","probability":"half"}`, 400, []string{`"probability"`, "a number", "string"}},
		{"unparsable for", `{"kind":"unavailable","for":"30 seconds"}`, 400, []string{`"for"`, "a duration such as 30s", `"30 seconds"`}},
		{"for as a number", `{"kind":"unavailable","for":30}`, 400, []string{`"for"`, "a string", "number"}},
		{"unparsable latency", `{"kind":"latency","latency":"1 fortnight"}`, 400, []string{`"latency"`, "a duration", `"1 fortnight"`}},
		{"unparsable latency_max", `{"kind":"latency","latency_min":"1ms","latency_max":"x"}`, 400, []string{`"latency_max"`, `"x"`}},
		{"unknown field", `{"kind":"latency","latencyy":"1s"}`, 400, []string{`unknown field "latencyy"`}},
		{"not JSON", `kind=rate-limit`, 400, []string{"malformed JSON"}},
		{"empty", ``, 400, []string{"body is empty"}},
		{"oversized body", `{"kind":"rate-limit","table":"` + strings.Repeat("a", 64<<10) + `"}`, 413, []string{"at most 16384 bytes"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, body := s.do("POST", "/zbemu/v1/faults", map[string]string{"Authorization": "Bearer " + devToken}, []byte(tc.body))
			c, msg := apiErr(t, body)
			if code != tc.wantStatus {
				t.Errorf("HTTP %d %s %q, want %d", code, c, msg, tc.wantStatus)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message %q lacks %q", msg, w)
				}
			}
		})
	}
	if hits := s.faultHits(t); len(hits) != 0 {
		t.Errorf("refused requests added faults: %v", hits)
	}
	t.Run("unknown id", func(t *testing.T) {
		code, body := s.call("DELETE", "/zbemu/v1/faults/f-missing", devToken, nil)
		if c, msg := apiErr(t, body); code != 404 || !strings.Contains(msg, `"f-missing"`) {
			t.Errorf("HTTP %d %s %q, want 404 naming the id", code, c, msg)
		}
	})
	t.Run("CLI names the field", func(t *testing.T) {
		out, err := runCLIErr(s, "fault", "add", "--kind", "latency", "--latency", "soon")
		if err == nil || !strings.Contains(out+err.Error(), `"latency"`) || !strings.Contains(out+err.Error(), `"soon"`) {
			t.Errorf("zbemu fault add --latency soon: %v %s", err, out)
		}
	})
	t.Run("bad serve flags", func(t *testing.T) {
		checkServeConfig(t, []serveConfigCase{
			{"unknown latency mode", []string{"--latency", "slow"}, nil, nil, "latency"},
			{"zero quota", []string{"--quotas", "--quota-records-per-sec", "0"}, nil, nil, "quota-records-per-sec"},
			{"message quota above 10 MB", []string{"--quota-message-bytes", "20000000"}, nil, nil, "quota-message-bytes"},
		})
	})
}
