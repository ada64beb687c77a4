package dialect_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/zbemu/zbemu/engine/dialect"
)

// TestResultNames checks the Spark names of unaliased select items
// (Expression.sql without qualifiers), "" where DuckDB's name is kept, and
// nil where items cannot be matched to columns.
func TestResultNames(t *testing.T) {
	tests := []struct {
		sql  string
		want []string // nil: Names is nil
	}{
		{"SELECT count(*), COUNT(x), avg(t.temp), sum(x), max(x) FROM t", []string{"count(1)", "count(x)", "avg(temp)", "sum(x)", "max(x)"}},
		{"SELECT count(DISTINCT device_id) FROM t", []string{"count(DISTINCT device_id)"}},
		{"SELECT location:lat, raw:a.b, raw:arr[0].c FROM t", []string{"lat", "b", "c"}},
		{"SELECT CAST(x AS DOUBLE), CAST(x AS integer), try_cast(s AS INT), CAST(x AS DECIMAL(10, 2)), x::long FROM t",
			[]string{"CAST(x AS DOUBLE)", "CAST(x AS INT)", "TRY_CAST(s AS INT)", "CAST(x AS DECIMAL(10,2))", ""}},
		{"SELECT 1 + 2, a * (b - 1), -x, -1, NOT a, a IS NULL, a IS NOT NULL FROM t",
			[]string{"(1 + 2)", "(a * (b - 1))", "(- x)", "-1", "(NOT a)", "(a IS NULL)", "(a IS NOT NULL)"}},
		{"SELECT a = b, a <> b, a != b, a >= b, a AND b OR c FROM t", []string{"(a = b)", "(NOT (a = b))", "(NOT (a = b))", "(a >= b)", "((a AND b) OR c)"}},
		{"SELECT 'abc', upper('abc'), 'a' || b, concat(a, 'x'), NULL, true FROM t", []string{"abc", "upper(abc)", "concat(a, b)", "concat(a, x)", "NULL", "true"}},
		{"SELECT x AS a, x b, `weird name`, count(*) AS n, upper(s) `u` FROM t", []string{"", "", "weird name", "", ""}},
		{"SELECT current_catalog(), current_user(), current_date, arr[0] FROM t", []string{"current_catalog()", "current_user()", "current_date()", "arr[0]"}},
		{"WITH c AS (SELECT 1 AS x) SELECT count(*) FROM c", []string{"count(1)"}},
		{"SELECT (SELECT count(*) FROM t), (SELECT 1) + 1 FROM u", []string{"scalarsubquery()", "(scalarsubquery() + 1)"}},
		{"SELECT DISTINCT a, b FROM t UNION SELECT c, d FROM u", []string{"a", "b"}},
		{"SELECT CASE WHEN a THEN 1 END, sum(x) OVER (), a LIKE 'x%' FROM t", []string{"", "", ""}},
		{"SELECT *, count(*) FROM t", nil},
		{"SELECT t.* FROM t", nil},
		{"VALUES (1)", nil},
		{"INSERT INTO t VALUES (1)", nil},
	}
	for _, tt := range tests {
		st, err := dialect.Parse(tt.sql)
		if err != nil {
			t.Fatalf("%s: %v", tt.sql, err)
		}
		q, ok := st.(*dialect.Query)
		if !ok {
			t.Fatalf("%s: %T", tt.sql, st)
		}
		if strings.Join(q.Names, "|") != strings.Join(tt.want, "|") || (q.Names == nil) != (tt.want == nil) {
			t.Errorf("%s:\n got %q\nwant %q", tt.sql, q.Names, tt.want)
		}
	}
}

// TestSessionFunctions checks that the session functions answer from the
// session, stay as typed without one, and are refused in a view's query.
func TestSessionFunctions(t *testing.T) {
	sess := &dialect.Session{Catalog: "lab", Schema: "iot", User: "sp-1", Metastore: "zbemu:local:m", Version: "v"}
	got, err := dialect.Translate("SELECT current_catalog(), current_database(), session_user(), current_metastore()", dialect.TranslateOptions{Session: sess})
	if err != nil || got != "SELECT 'lab', 'iot', 'sp-1', 'zbemu:local:m'" {
		t.Errorf("got %q, %v", got, err)
	}
	if got, err := dialect.Translate("SELECT current_user()", dialect.TranslateOptions{}); err != nil || got != "SELECT current_user()" {
		t.Errorf("without a session: %q, %v", got, err)
	}
	stored := *sess
	stored.Stored = true
	if _, err := dialect.Translate("SELECT * FROM t WHERE owner = current_user()", dialect.TranslateOptions{Session: &stored}); !errors.Is(err, dialect.ErrUnsupported) {
		t.Errorf("in a view: %v", err)
	}
}
