package dialect_test

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/zbemu/zbemu/engine/dialect"
)

// constraintCases cover the statements of CHECK constraints, DEFAULTs and
// column drops and renames; their ASTs are in testdata/constraints.golden.
var constraintCases = []struct {
	name string
	sql  string
}{
	{"add constraint", "ALTER TABLE main.lab.t ADD CONSTRAINT temp_range CHECK (temp BETWEEN -50 AND 150)"},
	{"add constraint enforced", "ALTER TABLE t ADD CONSTRAINT `valid id` CHECK ((id > 1000) AND id < 999999) ENFORCED"},
	{"add constraint struct field and case", "ALTER TABLE t ADD CONSTRAINT c CHECK (CASE WHEN loc.lat IS NULL THEN true ELSE loc.lat BETWEEN -90 AND 90 END)"},
	{"add constraint in like", "ALTER TABLE t ADD CONSTRAINT c CHECK (status IN ('ok', \"warn\") OR device_id LIKE 'dev-%' AND NOT length(device_id) > 64)"},
	{"drop constraint", "ALTER TABLE t DROP CONSTRAINT temp_range"},
	{"drop constraint if exists", "ALTER TABLE t DROP CONSTRAINT IF EXISTS temp_range CASCADE"},
	{"create table with check", "CREATE TABLE t (id INT, temp DOUBLE, CONSTRAINT temp_range CHECK (temp < 150))"},
	{"create table with default", "CREATE TABLE t (id INT NOT NULL, is_fault BOOLEAN DEFAULT false COMMENT 'x', ts TIMESTAMP DEFAULT current_timestamp()) TBLPROPERTIES ('delta.feature.allowColumnDefaults' = 'supported')"},
	{"add column default", "ALTER TABLE t ADD COLUMN level STRING DEFAULT 'info'"},
	{"set default", "ALTER TABLE t ALTER COLUMN is_fault SET DEFAULT (1 > 2)"},
	{"drop default", "ALTER TABLE t ALTER COLUMN is_fault DROP DEFAULT"},
	{"drop column", "ALTER TABLE t DROP COLUMN temp"},
	{"drop columns", "ALTER TABLE t DROP COLUMNS IF EXISTS (a, `b c`)"},
	{"rename column", "ALTER TABLE t RENAME COLUMN temp TO temperature"},
}

func TestParseConstraints(t *testing.T) {
	var golden strings.Builder
	for _, tc := range constraintCases {
		st, err := dialect.Parse(tc.sql)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tc.sql, err)
		}
		fmt.Fprintf(&golden, "-- %s\n%s\n=> %s\n\n", tc.name, tc.sql, render(reflect.ValueOf(st)))
	}
	for _, e := range []string{"temp > 0 AND (a = 1 OR NOT b IS NOT NULL)", "-x * 2 + y % 3 >= 10 || 'a'", "a <=> b", "a != b", "x NOT IN (1, 2)",
		"name NOT LIKE 'a\\_%'", "CASE s WHEN 'a' THEN 1 ELSE 2 END = 1", "d >= DATE '2024-01-01'", "coalesce(a, 0) <> abs(-3L)"} {
		x, err := dialect.ParseExpr(e)
		if err != nil {
			t.Fatalf("ParseExpr(%q): %v", e, err)
		}
		fmt.Fprintf(&golden, "-- expr\n%s\n=> %s\n\n", e, render(reflect.ValueOf(x)))
	}
	checkGolden(t, "constraints.golden", golden.String())
}

// TestParseConstraintErrors checks that what zbemu cannot evaluate on
// ingest is refused by name, and malformed text by position.
func TestParseConstraintErrors(t *testing.T) {
	for _, tc := range []struct {
		sql         string
		unsupported bool
		want        string
	}{
		{"ALTER TABLE t ADD CONSTRAINT c CHECK (read_csv('/etc/passwd') IS NULL)", true, "function: read_csv in a CHECK"},
		{"ALTER TABLE t ADD CONSTRAINT c CHECK (id IN (SELECT id FROM x))", true, "a subquery"},
		{"ALTER TABLE t ADD CONSTRAINT c CHECK (CAST(a AS INT) > 0)", true, "CAST in a CHECK"},
		{"ALTER TABLE t ADD CONSTRAINT c CHECK (v:a > 0)", true, "VARIANT paths"},
		{"ALTER TABLE t ADD CONSTRAINT c CHECK (a RLIKE 'x')", true, "RLIKE"},
		{"ALTER TABLE t ADD CONSTRAINT c CHECK (a IS TRUE)", true, "IS TRUE"},
		{"ALTER TABLE t ADD CONSTRAINT c CHECK (a > :p)", true, "parameter marker"},
		{"ALTER TABLE t ADD CONSTRAINT c PRIMARY KEY (id)", true, "constraint PRIMARY KEY"},
		{"ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT ENFORCED", true, "NOT ENFORCED"},
		{"ALTER TABLE t ADD CONSTRAINT c CHECK a > 0", false, "expected \"(\" after CHECK"},
		{"ALTER TABLE t ADD CONSTRAINT c CHECK (a >)", false, "expected an expression"},
		{"ALTER TABLE t ADD CONSTRAINT c CHECK (length(a, b) > 0)", false, "LENGTH takes one argument"},
		{"ALTER TABLE t ADD CONSTRAINT c CHECK (" + strings.Repeat("a + ", 1200) + "1 > 0)", true, "CHECK and DEFAULT expressions may have at most 4096 bytes"},
		{"ALTER TABLE t ADD CONSTRAINT c CHECK (" + strings.Repeat("(", 200) + "1" + strings.Repeat(")", 200) + " > 0)", false, "nested more than"},
		{"ALTER TABLE t ALTER COLUMN c SET DEFAULT", false, "expected a DEFAULT expression"},
		{"ALTER TABLE t RENAME COLUMN a.b TO c", true, "nested STRUCT field"},
		{"ALTER TABLE t DROP PARTITION (a = 1)", true, "ALTER TABLE DROP PARTITION"},
		{"CREATE TABLE t (a INT DEFAULT)", false, "expected an expression after DEFAULT"},
	} {
		_, err := dialect.Parse(tc.sql)
		if err == nil {
			t.Errorf("Parse(%q) succeeded, want an error containing %q", tc.sql, tc.want)
			continue
		}
		if errors.Is(err, dialect.ErrUnsupported) != tc.unsupported || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) = %v (unsupported %v), want unsupported %v containing %q", tc.sql, err, errors.Is(err, dialect.ErrUnsupported), tc.unsupported, tc.want)
		}
	}
}
