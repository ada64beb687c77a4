package engine

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	"github.com/zbemu/zbemu/engine/dialect"
)

// FuzzOneStatement checks "one statement in, one statement out": whatever
// dialect.Split takes for one statement and the translator accepts, DuckDB's
// own parser must not read as several. (statementType refuses several
// before running any; this fuzz target looks for the translator bugs that
// would make it necessary.) Seeds: every string, comment and quoting form
// of Databricks SQL and DuckDB.
func FuzzOneStatement(f *testing.F) {
	for _, s := range []string{
		`SELECT 'a;b', "c;d", 'e\';f'`,
		`SELECT E'\\\'; COPY (SELECT 42) TO '/tmp/x.csv'; SELECT 1; --'`,
		`SELECT e'x'`, `SELECT 1e'x'`, `SELECT U&'\0061'`, `SELECT B'01'`, `SELECT X'0A'`, `SELECT N'x'`,
		`SELECT $$, '$$; SELECT 2; --'`, `SELECT $q$;$q$`, `SELECT :a$$;$$`, `SELECT :p, ':q;'`,
		`SELECT 'it''s;', "say ""hi"";"`, `SELECT 'a\\'; SELECT 1 --'`, `SELECT '\u0027; SELECT 1; --'`,
		`SELECT r'\'; SELECT 1; --'`, `SELECT R"\"; SELECT 2"`, "SELECT `a;b`, `x``;y`",
		"SELECT 1 /* a /* ; */ ; */", "SELECT 1 -- ;\r; SELECT 2", "SELECT 1 --x\n",
		"SELECT\u00a0'x'", "SELECT 'x'\u2028;", "SELECT v:['a;b'], v:`c;d` FROM t",
		"SELECT * FROM t WHERE a LIKE 'x\\_;'", "SELECT TIMESTAMP'2024-01-01', DATE'2024-01-01'",
		"SELECT date_format(ts, 'h ''o''''clock;''') FROM t", "INSERT INTO TABLE t VALUES ('a;b')",
		"SELECT 'a' 'b;' \"c\"", "SELECT INTERVAL '1;' DAY", "SELECT 1 AS a\"b;\"",
	} {
		f.Add(s)
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		f.Fatal(err)
	}
	defer db.Close()
	conn, err := db.Conn(context.Background())
	if err != nil {
		f.Fatal(err)
	}
	defer conn.Close()
	opts := dialect.TranslateOptions{CatalogAlias: duckAlias}
	f.Fuzz(func(t *testing.T, text string) {
		stmts, err := dialect.Split(text)
		if err != nil || len(stmts) != 1 {
			return
		}
		st, err := dialect.ParseWith(stmts[0], opts)
		if err != nil {
			return
		}
		q, ok := st.(*dialect.Query)
		if !ok {
			return
		}
		if _, err := statementType(conn, q.SQL); err != nil && strings.Contains(err.Error(), "more than one statement") {
			t.Fatalf("one statement %q translates to %q, which DuckDB reads as several", text, q.SQL)
		}
	})
}
