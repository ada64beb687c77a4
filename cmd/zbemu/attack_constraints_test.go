package main

import (
	"fmt"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Attacks on CHECK constraints, DEFAULTs and column drops and renames:
// who may change them, what a constraint may contain, and that a refused
// request is refused whole, before its ack.

// TestAttackConstraintPrivileges: ADD/DROP CONSTRAINT and RENAME COLUMN
// need ownership in Unity Catalog; zbemu asks ownership (or MANAGE) for
// every ALTER TABLE, so a principal with SELECT and MODIFY, or a token
// scoped to the table, changes none of them.
func TestAttackConstraintPrivileges(t *testing.T) {
	t.Parallel()
	s := startServer(t, "", "--memory")
	s.sql("CREATE TABLE main.default.t (device_id STRING NOT NULL, temp DOUBLE, flag BOOLEAN) TBLPROPERTIES " +
		"('delta.feature.allowColumnDefaults' = 'supported', 'delta.columnMapping.mode' = 'name')")
	s.sql("ALTER TABLE main.default.t ADD CONSTRAINT keep CHECK (temp IS NULL OR temp < 100)")
	id, secret := s.newPrincipal("attack-constraints")
	s.sql(fmt.Sprintf("GRANT USE CATALOG ON CATALOG main TO `%s`", id))
	s.sql(fmt.Sprintf("GRANT USE SCHEMA ON SCHEMA main.default TO `%s`", id))
	s.sql(fmt.Sprintf("GRANT SELECT, MODIFY ON TABLE main.default.t TO `%s`", id))
	none, noneSecret := s.newPrincipal("attack-constraints-none")
	tokens := map[string]string{"table grants": s.workspaceToken(id, secret), "scoped token": s.scopedToken(id, secret, "main.default.t"),
		"no grants": s.workspaceToken(none, noneSecret)}
	for _, stmt := range []string{
		"ALTER TABLE main.default.t ADD CONSTRAINT open CHECK (true)",
		"ALTER TABLE main.default.t DROP CONSTRAINT keep",
		"ALTER TABLE main.default.t DROP CONSTRAINT IF EXISTS keep",
		"ALTER TABLE main.default.t ALTER COLUMN flag SET DEFAULT true",
		"ALTER TABLE main.default.t ALTER COLUMN flag DROP DEFAULT",
		"ALTER TABLE main.default.t DROP COLUMN flag",
		"ALTER TABLE main.default.t RENAME COLUMN flag TO f",
		"ALTER TABLE main.default.t SET TBLPROPERTIES ('delta.constraints.keep' = 'true')",
		"ALTER TABLE main.default.t UNSET TBLPROPERTIES ('delta.constraints.keep')",
	} {
		for who, tok := range tokens {
			state, code, msg := s.sqlAs(tok, stmt)
			if state != "FAILED" || code != "PERMISSION_DENIED" {
				t.Errorf("%s by %s: %s %s %s, want PERMISSION_DENIED", stmt, who, state, code, msg)
			}
		}
	}
	if got := s.cells("DESCRIBE TABLE EXTENDED main.default.t"); !strings.Contains(got, "delta.constraints.keep=temp IS NULL OR temp < 100") {
		t.Fatalf("the constraint changed:\n%s", got)
	}
	// The constraint still holds for the principal that may write.
	if code, _, msg := s.restInsert(tokens["table grants"], "main.default.t", []map[string]any{{"device_id": "x", "temp": 500}}); code != 400 || !strings.Contains(msg, "CHECK constraint keep") {
		t.Fatalf("violating insert by a writer: %d %s", code, msg)
	}
}

// TestAttackConstraintExpressions: a constraint cannot run code beyond its
// expression subset, read other tables or zbemu's metadata, or smuggle
// SQL through a literal into the DuckDB check.
func TestAttackConstraintExpressions(t *testing.T) {
	t.Parallel()
	s := startServer(t, "", "--memory")
	s.sql("CREATE TABLE main.default.t (id INT, status STRING)")
	s.sql("CREATE TABLE main.default.other (id INT)")
	for _, tc := range []struct{ expr, code, want string }{
		{"read_csv('/etc/passwd') IS NULL", "BAD_REQUEST", "unsupported function: read_csv"},
		{"length(getenv('HOME')) > 0", "BAD_REQUEST", "unsupported function: getenv"},
		{"id IN (SELECT id FROM main.default.other)", "BAD_REQUEST", "a subquery"},
		{"EXISTS (SELECT 1)", "BAD_REQUEST", "EXISTS"},
		{"__zbemu.tables.name IS NULL", "BAD_REQUEST", "column __zbemu does not exist"},
		{"main_db.__zbemu.tables.json IS NULL", "BAD_REQUEST", "column main_db does not exist"},
		{"other.id = 1", "BAD_REQUEST", "column other does not exist"},
		{"id > 0) OR (1 = 1", "BAD_REQUEST", "expected end of statement"},
		{strings.Repeat("- ", 100) + "id > 0", "BAD_REQUEST", "nested more than"},
		{"status = " + strings.Repeat("'x' || ", 1000) + "'x'", "BAD_REQUEST", "at most 4096 bytes"},
		{strings.Repeat("NOT ", 100) + "id > 0", "BAD_REQUEST", "nested more than"},
	} {
		state, code, msg := s.sqlAs(devToken, "ALTER TABLE main.default.t ADD CONSTRAINT c CHECK ("+tc.expr+")")
		if state != "FAILED" || code != tc.code || !strings.Contains(msg, tc.want) {
			t.Errorf("CHECK (%.60s): %s %s %s, want %s containing %q", tc.expr, state, code, msg, tc.code, tc.want)
		}
	}
	if got := s.count("main.default.other"); got != 0 {
		t.Fatalf("other = %d rows", got)
	}
	// A quote in a literal stays a quote in DuckDB's check.
	s.sql(`ALTER TABLE main.default.t ADD CONSTRAINT lit CHECK (status <> 'x\' OR 1=1 --')`)
	s.sql(`INSERT INTO main.default.t VALUES (1, 'ok')`)
	if state, _, msg := s.sqlAs(devToken, `INSERT INTO main.default.t VALUES (2, 'x\' OR 1=1 --')`); state != "FAILED" || !strings.Contains(msg, "CHECK constraint lit") {
		t.Fatalf("literal with a quote: %s %s", state, msg)
	}
	if code, _, msg := s.restInsert(devToken, "main.default.t", []map[string]any{{"id": 3, "status": "x' OR 1=1 --"}}); code != 400 || !strings.Contains(msg, "CHECK constraint lit") {
		t.Fatalf("REST literal with a quote: %d %s", code, msg)
	}
	if got := s.cells("SELECT id, status FROM main.default.t"); got != "1|ok" {
		t.Fatalf("rows: %s", got)
	}
}

// TestAttackConstraintBatch: a request with one violating record among
// many is refused whole on every protocol: none of its records is
// acknowledged or stored, and what was accepted before is intact.
func TestAttackConstraintBatch(t *testing.T) {
	t.Parallel()
	s := startServer(t, "")
	s.sql("CREATE TABLE main.default.t (id BIGINT NOT NULL, temp DOUBLE)")
	s.sql("ALTER TABLE main.default.t ADD CONSTRAINT temp_range CHECK (temp BETWEEN -50 AND 150)")
	batch := func(base int, bad int) []map[string]any {
		var recs []map[string]any
		for i := 0; i < 500; i++ {
			temp := 20.0
			if i == bad {
				temp = 151
			}
			recs = append(recs, map[string]any{"id": base + i, "temp": temp})
		}
		return recs
	}
	if code, _, msg := s.restInsert(devToken, "main.default.t", batch(0, -1)); code != 200 {
		t.Fatal(code, msg)
	}
	if code, _, msg := s.restInsert(devToken, "main.default.t", batch(1000, 499)); code != 400 || !strings.Contains(msg, "record 499: [DELTA_VIOLATE_CONSTRAINT_WITH_VALUES] CHECK constraint temp_range") {
		t.Fatalf("REST: %d %s", code, msg)
	}
	st := wireStream(t, s, "main.default.t")
	var good, bad []string
	for _, r := range batch(2000, -1) {
		good = append(good, string(mustJSON(r)))
	}
	for _, r := range batch(3000, 250) {
		bad = append(bad, string(mustJSON(r)))
	}
	if err := sendAndWait(t, st, good...); err != nil {
		t.Fatal(err)
	}
	if err := sendAndWait(t, st, bad...); status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "index 250: [DELTA_VIOLATE_CONSTRAINT_WITH_VALUES]") {
		t.Fatalf("gRPC: %v", err)
	}
	if got := s.cells("SELECT count(*), min(id), max(id), count(*) FILTER (WHERE temp <> 20) FROM main.default.t"); got != "1000|0|2499|0" {
		t.Fatalf("rows: %s", got)
	}
	// After a restart the refused requests are still not there (they were
	// never logged).
	s.stop()
	s = startServer(t, s.data)
	if got := s.count("main.default.t"); got != 1000 {
		t.Fatalf("rows after restart = %d", got)
	}
}
