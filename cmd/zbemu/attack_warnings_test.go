package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/zbemu/zbemu/fixtures/zbclient"
)

// system.zbemu.warnings holds records of every table, so it opens by
// grant like the other system tables: neither a grant-less principal nor
// one with grants on the very table warned about reads it. Oversized and
// malformed timestamps are refused with clear errors, header values stay
// one ASCII line, huge records are truncated in the table, and
// the server keeps serving.
func TestAttackWarnings(t *testing.T) {
	t.Parallel()
	s := startServer(t, "", "--memory")
	s.sql("CREATE TABLE main.default.w (ts TIMESTAMP, ev STRUCT<at: TIMESTAMP_NTZ>, pad STRING)")
	hdr := map[string]string{"Authorization": "Bearer " + devToken, "Content-Type": "application/json"}
	code, h, body := s.do("POST", insertPath("main.default.w"), hdr, []byte(fmt.Sprintf(`{"ts":%d,"ev":{"at":%d}}`, warnMs, warnS)))
	if code != 200 || len(h.Values("X-Zbemu-Warnings")) != 2 {
		t.Fatalf("insert: %d %s, warnings %q", code, body, h.Values("X-Zbemu-Warnings"))
	}
	for _, v := range h.Values("X-Zbemu-Warnings") {
		w, ok := zbclient.ParseWarning(v)
		if !ok || (w.Column != "ts" && w.Column != "ev.at") || strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r > 0x7e }) {
			t.Errorf("header value %q: parsed %+v %v; want an ASCII value naming the column", v, w, ok)
		}
	}

	pid, psecret := s.newPrincipal("warn-reader")
	tok := s.workspaceToken(pid, psecret)
	const q = "SELECT * FROM system.zbemu.warnings"
	if _, code, msg := s.sqlAs(tok, q); code != "PERMISSION_DENIED" || !strings.Contains(msg, "USE CATALOG on CATALOG system") {
		t.Errorf("grant-less principal: %s %s", code, msg)
	}
	for _, g := range []string{"GRANT USE CATALOG ON CATALOG main TO `%s`", "GRANT USE SCHEMA ON SCHEMA main.default TO `%s`", "GRANT SELECT ON TABLE main.default.w TO `%s`"} {
		s.sql(fmt.Sprintf(g, pid))
	}
	if _, code, msg := s.sqlAs(tok, q); code != "PERMISSION_DENIED" {
		t.Errorf("principal with SELECT on the warned table only: %s %s", code, msg)
	}
	if _, code, msg := s.sqlAs(tok, "SELECT count(*) FROM main.default.w"); code != "" {
		t.Errorf("its own table: %s %s", code, msg)
	}

	// Bad values: each refused with the column, expected and received.
	for _, tc := range []struct{ name, rec, want string }{
		{"beyond int64", `{"ts":99999999999999999999999}`, "out of range"},
		{"smallest int64", `{"ts":-9223372036854775808}`, "out of range"},
		{"nanoseconds", fmt.Sprintf(`{"ts":%d}`, warnAt.UnixNano()), "looks like nanoseconds since the epoch; divide by 1000"},
		{"huge exponent", `{"ts":1e400}`, `column "ts"`},
		{"fraction of milliseconds", fmt.Sprintf(`{"ts":%d.5}`, warnMs), "looks like milliseconds"},
		{"string of digits", fmt.Sprintf(`{"ts":"%d"}`, warnMs), "without quotes"},
	} {
		code, body := s.call("POST", insertPath("main.default.w"), devToken, tc.rec)
		if ecode, msg := apiErr(t, body); code != 400 || ecode != "INVALID_PARAMETER_VALUE" || !strings.Contains(msg, tc.want) || !strings.Contains(msg, `column "ts"`) {
			t.Errorf("%s: %d %s %s, want 400 saying %q", tc.name, code, ecode, msg, tc.want)
		}
	}

	// A record near the 10 MB limit is stored truncated.
	big := fmt.Sprintf(`{"ts":%d,"pad":"%s"}`, warnMs, strings.Repeat("x", 9<<20))
	if code, body := s.call("POST", insertPath("main.default.w"), devToken, big); code != 200 {
		t.Fatalf("big record: %d %.200s", code, body)
	}
	rows := s.sql("SELECT max(length(raw)), count(*) FROM system.zbemu.warnings")
	if *rows[0][0] != "4096" || *rows[0][1] != "3" {
		t.Errorf("raw length %s over %s rows, want at most 4096 bytes over 3 rows", *rows[0][0], *rows[0][1])
	}
	if n := s.count("main.default.w"); n != 2 {
		t.Errorf("%d rows, want the 2 accepted", n)
	}
}
