package dialect_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/zbemu/zbemu/engine/dialect"
)

func TestTranslate(t *testing.T) {
	tests := []struct {
		name string
		sql  string
		want string
	}{
		// Identifiers.
		{"backticks", "SELECT `a`, `b c` FROM t", `SELECT "a", "b c" FROM t`},
		{"backtick escapes", "SELECT `x``y`, `say \"hi\"`", `SELECT "x` + "`" + `y", "say ""hi"""`},
		{"unquoted kept as typed", "select Col_1 from T", "select Col_1 from T"},

		// Strings.
		{"double-quoted string", `SELECT "abc"`, `SELECT 'abc'`},
		{"escaped single quote", `SELECT 'it\'s'`, `SELECT 'it''s'`},
		{"escaped double quote", `SELECT "say \"hi\""`, `SELECT 'say "hi"'`},
		{"single quote in double-quoted string", `SELECT "it's"`, `SELECT 'it''s'`},
		{"backslash", `SELECT 'a\\b'`, `SELECT 'a\b'`},
		{"newline escape", `SELECT 'line\nbreak'`, "SELECT 'line\nbreak'"},
		{"tab and unknown escape", `SELECT '\tx\z'`, "SELECT '\txz'"},
		{"unicode escape", `SELECT '\u00e9t\u00E9'`, "SELECT 'été'"},
		{"raw string", `SELECT r'C:\new\path', R"\d+"`, `SELECT 'C:\new\path', '\d+'`},
		{"adjacent literals chain", `SELECT 'it''s', 'a' "b" -- c` + "\n 'd'", `SELECT 'its', 'abd'`},
		{"like escapes keep backslash", `SELECT * FROM t WHERE a LIKE 'x\_y%'`, `SELECT * FROM t WHERE a LIKE 'x\_y%' ESCAPE '\'`},
		{"not ilike", `SELECT * FROM t WHERE a NOT ILIKE "\%%"`, `SELECT * FROM t WHERE a NOT ILIKE '\%%' ESCAPE '\'`},
		{"like with own escape", `SELECT * FROM t WHERE a LIKE 'x#_y' ESCAPE '#'`, `SELECT * FROM t WHERE a LIKE 'x#_y' ESCAPE '#'`},
		{"like without backslash", `SELECT * FROM t WHERE a LIKE 'x%'`, `SELECT * FROM t WHERE a LIKE 'x%'`},
		{"string after a word gets a space", `SELECT DATE'2024-01-01', 1 AS a"c"`, `SELECT DATE '2024-01-01', 1 AS a 'c'`},
		{"carriage return ends a line comment", "SELECT 1 -- x\r, 2", "SELECT 1  \r, 2"},
		{"non-ASCII space becomes a space", "SELECT\u00a01", "SELECT 1"},
		{"colon in string", `SELECT '12:30', ':a', "b::c"`, `SELECT '12:30', ':a', 'b::c'`},

		// Three-part names.
		{"three parts", "SELECT * FROM main.lab.events", "SELECT * FROM main_db.lab.events"},
		{"three parts quoted", "SELECT * FROM `main`.`default`.`t`", `SELECT * FROM main_db."default"."t"`},
		{"catalog case", "SELECT * FROM MAIN.lab.t", "SELECT * FROM main_db.lab.t"},
		{"spaces around dots", "SELECT * FROM main . lab . t", "SELECT * FROM main_db . lab . t"},
		{"other catalog unchanged", "SELECT * FROM system.lakeflow.zerobus_ingest", "SELECT * FROM system.lakeflow.zerobus_ingest"},
		{"two parts unchanged", "SELECT main.x FROM main.t", "SELECT main.x FROM main.t"},
		{"column of qualified table", "SELECT main.lab.t.id FROM main.lab.t", "SELECT main_db.lab.t.id FROM main_db.lab.t"},
		{"star of qualified table", "SELECT main.lab.t.* FROM main.lab.t", "SELECT t.* FROM main_db.lab.t"},
		{"star of two-part name", "SELECT lab.t.*, t.s.* FROM lab.t", "SELECT t.*, s.* FROM lab.t"},
		{"star of one-part name", "SELECT t.*, * FROM t", "SELECT t.*, * FROM t"},
		{"star of quoted name", "SELECT `main`.`lab`.`t`.* FROM t", `SELECT "t".* FROM t`},

		// The default schema.
		{"default after catalog", "SELECT main.default.t.id FROM main.default.t", "SELECT main_db.default.t.id FROM main_db.default.t"},
		{"default leading a name", "SELECT default.t.id FROM default.t", `SELECT "default".t.id FROM "default".t`},
		{"default keyword", "INSERT INTO t VALUES (DEFAULT)", "INSERT INTO t VALUES (DEFAULT)"},
		{"inner part not mapped", "SELECT x.main.lab.t FROM x", "SELECT x.main.lab.t FROM x"},
		{"function call unchanged", "SELECT main.lab.f(1)", "SELECT main.lab.f(1)"},
		{"insert column list", "INSERT INTO main.lab.t(a) VALUES (1)", "INSERT INTO main_db.lab.t(a) VALUES (1)"},
		{"join", "SELECT * FROM main.a.x JOIN main.a.y USING (id)", "SELECT * FROM main_db.a.x JOIN main_db.a.y USING (id)"},

		// Parameters.
		{"named parameters", "SELECT * FROM t WHERE a = :a AND b BETWEEN :start AND :end", "SELECT * FROM t WHERE a = $a AND b BETWEEN $start AND $end"},
		{"parameter without spaces", "SELECT * FROM t WHERE a=:a LIMIT :n", "SELECT * FROM t WHERE a=$a LIMIT $n"},
		{"parameters in list", "SELECT :x, f(:y) WHERE z IN (:p,:q)", "SELECT $x, f($y) WHERE z IN ($p,$q)"},
		{"casts", "SELECT a::DOUBLE, :p::STRING, CAST(:q AS DOUBLE)", "SELECT a::DOUBLE, $p::VARCHAR, CAST($q AS DOUBLE)"},
		{"integral casts of literals kept", "SELECT 7::INT, CAST('5' AS BIGINT), int(-3), CASE WHEN a THEN 1 END::INT", "SELECT 7::INT, CAST('5' AS BIGINT), CAST(-3 AS INTEGER), CASE WHEN a THEN 1 END::INT"},
		{"json path", "SELECT raw:customer.name FROM t", "SELECT json_extract(raw, '$.customer.name') FROM t"},
		{"struct type", "SELECT CAST(x AS STRUCT<a:INT>)", `SELECT CAST(x AS STRUCT("a" INT))`},

		// Numbers.
		{"long suffix", "SELECT 10L, 1S, 2Y", "SELECT CAST(10 AS BIGINT), CAST(1 AS SMALLINT), CAST(2 AS TINYINT)"},
		{"double and float suffix", "SELECT 1.5D, 2f, 1e3d", "SELECT CAST(1.5 AS DOUBLE), CAST(2 AS FLOAT), CAST(1e3 AS DOUBLE)"},
		{"decimal suffix", "SELECT 1.50BD, 0.5bd, 12BD", "SELECT CAST(1.50 AS DECIMAL(3, 2)), CAST(0.5 AS DECIMAL(1, 1)), CAST(12 AS DECIMAL(2, 0))"},
		{"plain numbers", "SELECT 1, 1.5, .5, 1e10, 1E-3", "SELECT 1, 1.5, .5, 1e10, 1E-3"},
		{"suffix needs word end", "SELECT 10 AS Lx, 10Lx", "SELECT 10 AS Lx, 10Lx"},

		// Comments, whitespace and semicolons.
		{"line comment", "SELECT 1 -- one\n, 2", "SELECT 1  \n, 2"},
		{"block comment keeps tokens apart", "SELECT a/**/FROM t", "SELECT a FROM t"},
		{"nested block comment", "SELECT /* a /* b */ c */ 1", "SELECT   1"},
		{"semicolon in comment", "SELECT 1 /* ; */", "SELECT 1"},
		{"trailing semicolons", "  SELECT 1 ;; \n", "SELECT 1"},
		{"leading comment", "-- header\nSELECT 1", "SELECT 1"},
	}
	opts := dialect.TranslateOptions{CatalogAlias: alias}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := dialect.Translate(tc.sql, opts)
			if err != nil {
				t.Fatalf("Translate(%q): %v", tc.sql, err)
			}
			if got != tc.want {
				t.Errorf("Translate(%q)\n got: %s\nwant: %s", tc.sql, got, tc.want)
			}
		})
	}
}

func TestTranslateOptions(t *testing.T) {
	tests := []struct {
		name  string
		alias func(string) string
		sql   string
		want  string
	}{
		{"nil alias", nil, "SELECT * FROM main.default.t", "SELECT * FROM main.default.t"},
		{"alias needing quotes", func(string) string { return "My Cat" }, "SELECT * FROM c.s.t", `SELECT * FROM "My Cat".s.t`},
		{"alias that is a keyword", func(string) string { return "select" }, "SELECT * FROM c.s.t", `SELECT * FROM "select".s.t`},
		{"quoted catalog", func(c string) string { return c + "_db" }, "SELECT * FROM `my-cat`.s.t", `SELECT * FROM "my-cat_db".s.t`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := dialect.Translate(tc.sql, dialect.TranslateOptions{CatalogAlias: tc.alias})
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("Translate(%q)\n got: %s\nwant: %s", tc.sql, got, tc.want)
			}
		})
	}
}

func TestTranslateErrors(t *testing.T) {
	tests := []struct {
		name string
		sql  string
		is   error
		want string
	}{
		{"unterminated string", "SELECT 'a", dialect.ErrSyntax, "syntax error at line 1, column 8: unterminated string literal: expected closing '"},
		{"bd exponent", "SELECT 1e3BD", dialect.ErrUnsupported, "unsupported syntax: exponent in a BD literal (1e3BD) (zbemu does not implement it)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := dialect.Translate(tc.sql, dialect.TranslateOptions{})
			if err == nil || err.Error() != tc.want || !errors.Is(err, tc.is) {
				t.Errorf("Translate(%q) error = %v, want %q wrapping %v", tc.sql, err, tc.want, tc.is)
			}
		})
	}
}

func TestParams(t *testing.T) {
	tests := []struct {
		name string
		sql  string
		want []string
	}{
		{"none", "SELECT 1", nil},
		{"order of first appearance", "SELECT :b, :a, :b WHERE x BETWEEN :start AND :end", []string{"b", "a", "start", "end"}},
		{"casts and strings ignored", "SELECT a::INT, ':x', \":y\" /* :z */ -- :w\n WHERE k = :k", []string{"k"}},
		{"json path ignored", "SELECT raw:field FROM t WHERE id = :id", []string{"id"}},
		{"does not lex", "SELECT :a, 'x", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := dialect.Params(tc.sql); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Params(%q) = %q, want %q", tc.sql, got, tc.want)
			}
		})
	}
}

func TestSplit(t *testing.T) {
	tests := []struct {
		name string
		sql  string
		want []string
	}{
		{"one", "SELECT 1", []string{"SELECT 1"}},
		{"two with trailing semicolon", "SELECT 1; SELECT 2;", []string{"SELECT 1", "SELECT 2"}},
		{"empty statements dropped", ";; SELECT 1 ;\n ; -- nothing\n ; /* x */ ;", []string{"SELECT 1"}},
		{"semicolon in strings", `SELECT 'a;b', "c;d", 'e\';f'; SELECT 2`, []string{`SELECT 'a;b', "c;d", 'e\';f'`, "SELECT 2"}},
		{"semicolon in backticks", "SELECT `a;b` FROM t; SELECT 2", []string{"SELECT `a;b` FROM t", "SELECT 2"}},
		{"semicolon in comments", "SELECT 1 -- a;b\n, 2; /* c; /* d; */ e; */ SELECT 3", []string{"SELECT 1 -- a;b\n, 2", "SELECT 3"}},
		{"statement text kept as typed", "CREATE TABLE t (\n  a INT\n);\nINSERT INTO t VALUES (1);\n", []string{"CREATE TABLE t (\n  a INT\n)", "INSERT INTO t VALUES (1)"}},
		{"empty script", "  \n ", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := dialect.Split(tc.sql)
			if err != nil {
				t.Fatalf("Split(%q): %v", tc.sql, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Split(%q)\n got: %q\nwant: %q", tc.sql, got, tc.want)
			}
		})
	}
	if _, err := dialect.Split("SELECT 1; SELECT 'x"); !errors.Is(err, dialect.ErrSyntax) {
		t.Errorf("Split with unterminated string: error = %v, want ErrSyntax", err)
	}
}
