package dialect_test

import (
	"errors"
	"testing"

	"github.com/zbemu/zbemu/engine/dialect"
)

// unsup builds the message of an *UnsupportedError without a hint.
func unsup(kind, construct string) string {
	return "unsupported " + kind + ": " + construct + " (zbemu does not implement it)"
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		sql  string
		is   error
		want string
	}{
		// Statements zbemu refuses by name.
		{"optimize zorder", "OPTIMIZE main.lab.t ZORDER BY (a)", dialect.ErrUnsupported, unsup("clause", "OPTIMIZE ... ZORDER BY")},
		{"vacuum", "VACUUM t", dialect.ErrUnsupported, unsup("statement", "VACUUM")},
		{"copy into", "COPY INTO t FROM 's3://x'", dialect.ErrUnsupported, unsup("statement", "COPY INTO")},
		{"create function", "CREATE FUNCTION f() RETURNS INT RETURN 1", dialect.ErrUnsupported, unsup("statement", "CREATE FUNCTION")},
		{"create streaming table without query", "CREATE STREAMING TABLE st", dialect.ErrUnsupported,
			"unsupported statement: pipeline dataset without AS query (zbemu does not implement it; zbemu pipelines define each dataset by its query (AS SELECT ...); APPLY CHANGES INTO / AUTO CDC and CREATE FLOW are not implemented)"},
		{"create temp view", "CREATE OR REPLACE TEMP VIEW v AS SELECT 1", dialect.ErrUnsupported,
			"unsupported statement: CREATE TEMP VIEW (zbemu does not implement it; the Statement Execution API has no sessions for a temporary view to live in; create a view (CREATE VIEW) or name the query with WITH name AS (...))"},
		{"create global temporary view", "CREATE GLOBAL TEMPORARY VIEW v AS SELECT 1", dialect.ErrUnsupported, unsup("statement", "CREATE GLOBAL TEMPORARY VIEW")},
		{"create external table", "CREATE EXTERNAL TABLE t (a INT)", dialect.ErrUnsupported,
			"unsupported statement: CREATE EXTERNAL TABLE (zbemu does not implement it; zbemu creates managed tables only)"},
		{"create or replace schema", "CREATE OR REPLACE SCHEMA s", dialect.ErrUnsupported, unsup("statement", "CREATE OR REPLACE SCHEMA")},
		{"refresh", "REFRESH TABLE t", dialect.ErrUnsupported, unsup("statement", "REFRESH")},
		{"msck", "MSCK REPAIR TABLE t", dialect.ErrUnsupported, unsup("statement", "MSCK REPAIR TABLE")},
		{"set", "SET spark.sql.ansi.enabled = true", dialect.ErrUnsupported, unsup("statement", "SET")},
		{"reset", "RESET", dialect.ErrUnsupported, unsup("statement", "RESET")},
		{"cache", "CACHE TABLE t", dialect.ErrUnsupported, unsup("statement", "CACHE")},
		{"truncate", "TRUNCATE TABLE t", dialect.ErrUnsupported, unsup("statement", "TRUNCATE TABLE")},
		{"insert overwrite", "INSERT OVERWRITE t SELECT 1", dialect.ErrUnsupported,
			"unsupported statement: INSERT OVERWRITE (zbemu does not implement it; use DELETE, then INSERT INTO)"},
		{"explain extended", "EXPLAIN EXTENDED SELECT 1", dialect.ErrUnsupported, unsup("statement", "EXPLAIN EXTENDED")},
		{"drop temporary view", "DROP TEMPORARY VIEW v", dialect.ErrUnsupported, unsup("statement", "DROP TEMPORARY VIEW")},
		{"show columns", "SHOW COLUMNS IN t", dialect.ErrUnsupported, unsup("statement", "SHOW COLUMNS")},
		{"describe schema", "DESCRIBE SCHEMA s", dialect.ErrUnsupported, unsup("statement", "DESCRIBE SCHEMA")},
		{"describe query", "DESCRIBE SELECT 1", dialect.ErrUnsupported, unsup("statement", "DESCRIBE QUERY")},
		{"describe column", "DESCRIBE t c", dialect.ErrUnsupported, unsup("statement", "DESCRIBE TABLE for a single column")},
		{"alter schema", "ALTER SCHEMA s OWNER TO x", dialect.ErrUnsupported, unsup("statement", "ALTER SCHEMA")},
		{"alter rename", "ALTER TABLE t RENAME TO u", dialect.ErrUnsupported, unsup("statement", "ALTER TABLE RENAME TO")},
		{"alter owner", "ALTER TABLE t OWNER TO x", dialect.ErrUnsupported, unsup("statement", "ALTER TABLE OWNER TO")},
		{"alter drop partition", "ALTER TABLE t DROP PARTITION (a = 1)", dialect.ErrUnsupported, unsup("statement", "ALTER TABLE DROP PARTITION")},
		{"alter set tags", "ALTER TABLE t SET TAGS ('a' = 'b')", dialect.ErrUnsupported, unsup("statement", "ALTER TABLE SET TAGS")},
		{"alter column set not null", "ALTER TABLE t ALTER COLUMN c SET NOT NULL", dialect.ErrUnsupported, unsup("statement", "ALTER COLUMN SET NOT NULL")},
		{"alter column drop not null", "ALTER TABLE t ALTER COLUMN c DROP NOT NULL", dialect.ErrUnsupported, unsup("statement", "ALTER COLUMN DROP NOT NULL")},
		{"change column rename", "ALTER TABLE t CHANGE COLUMN c d INT", dialect.ErrUnsupported,
			"unsupported statement: CHANGE COLUMN with a new name or type (zbemu does not implement it; use ALTER COLUMN ... TYPE or ALTER COLUMN ... COMMENT)"},

		// Clauses and column options.
		{"location", "CREATE TABLE t (a INT) LOCATION 's3://b/p'", dialect.ErrUnsupported,
			"unsupported clause: LOCATION (zbemu does not implement it; zbemu creates managed tables only)"},
		{"schema location", "CREATE SCHEMA s LOCATION 'x'", dialect.ErrUnsupported,
			"unsupported clause: LOCATION (zbemu does not implement it; zbemu stores all data itself)"},
		{"catalog managed location", "CREATE CATALOG c MANAGED LOCATION 's3://x'", dialect.ErrUnsupported,
			"unsupported clause: MANAGED LOCATION (zbemu does not implement it; zbemu stores all data itself)"},
		{"options", "CREATE TABLE t (a INT) OPTIONS (x 'y')", dialect.ErrUnsupported, unsup("clause", "OPTIONS")},
		{"generated expression", "CREATE TABLE t (a INT GENERATED ALWAYS AS (b + 1))", dialect.ErrUnsupported, unsup("column option", "GENERATED ALWAYS AS")},
		{"identity", "CREATE TABLE t (id BIGINT GENERATED ALWAYS AS IDENTITY, b INT)", dialect.ErrUnsupported, unsup("column option", "GENERATED AS IDENTITY")},
		{"unique", "CREATE TABLE t (a INT UNIQUE)", dialect.ErrUnsupported, unsup("column option", "UNIQUE")},
		{"primary key column", "CREATE TABLE t (a INT PRIMARY KEY)", dialect.ErrUnsupported, unsup("column option", "PRIMARY KEY")},
		{"mask", "CREATE TABLE t (a INT MASK m)", dialect.ErrUnsupported, unsup("column option", "MASK")},
		{"with mask", "CREATE TABLE t (a INT WITH MASK m)", dialect.ErrUnsupported, unsup("column option", "MASK")},
		{"named constraint", "CREATE TABLE t (a INT, CONSTRAINT pk PRIMARY KEY (a))", dialect.ErrUnsupported, unsup("clause", "table constraint PRIMARY KEY")},
		{"table primary key", "CREATE TABLE t (a INT, PRIMARY KEY (a))", dialect.ErrUnsupported, unsup("clause", "table constraint PRIMARY KEY")},
		{"drop purge", "DROP TABLE t PURGE", dialect.ErrUnsupported, unsup("clause", "PURGE")},
		{"add nested column", "ALTER TABLE t ADD COLUMNS (s.x INT)", dialect.ErrUnsupported, unsup("clause", "ADD COLUMNS for a nested STRUCT field")},
		{"add column first", "ALTER TABLE t ADD COLUMN c INT FIRST", dialect.ErrUnsupported, unsup("column option", "column position FIRST")},
		{"grant on volume", "GRANT SELECT ON VOLUME v TO x", dialect.ErrUnsupported, unsup("securable", "VOLUME")},
		{"grant on metastore", "GRANT CREATE ON METASTORE TO x", dialect.ErrUnsupported, unsup("securable", "METASTORE")},
		{"grant on external location", "GRANT READ FILES ON EXTERNAL LOCATION l TO x", dialect.ErrUnsupported, unsup("securable", "EXTERNAL LOCATION")},

		// Syntax errors: position and what was expected.
		{"brief example", "CREATE TABLE t (id BIGINT TBLPROPERTIES ('a'='b'))", dialect.ErrSyntax,
			`syntax error at line 1, column 27: expected ")" after column list, found "TBLPROPERTIES"`},
		{"multi-line position", "CREATE TABLE t\n  (a INT,\n   b INT GARBAGE)", dialect.ErrSyntax,
			`syntax error at line 3, column 10: expected ")" after column list, found "GARBAGE"`},
		{"position counts characters", "SELECT 'é', `x", dialect.ErrSyntax,
			"syntax error at line 1, column 13: unterminated quoted identifier: expected closing `"},
		// String forms DuckDB reads but Databricks does not: refused, so a
		// literal can never become DuckDB code.
		{"E string", `SELECT E'\\\'; COPY (SELECT 42) TO '/tmp/x.csv'; SELECT 1; --'`, dialect.ErrSyntax,
			`syntax error at line 1, column 8: E'...' strings are not Databricks SQL: write '...' (backslash escapes work in every string)`},
		{"lower-case e string", `SELECT e'\''`, dialect.ErrSyntax,
			`syntax error at line 1, column 8: E'...' strings are not Databricks SQL: write '...' (backslash escapes work in every string)`},
		{"unicode string", `SELECT U&'d\0061t'`, dialect.ErrSyntax,
			`syntax error at line 1, column 8: U&'...' strings are not Databricks SQL: write '...' with \uXXXX escapes`},
		{"dollar quoting", "SELECT $$'; COPY (SELECT 1) TO 'x'; '$$", dialect.ErrSyntax,
			`syntax error at line 1, column 8: unexpected "$": dollar-quoted strings and $ parameters are not Databricks SQL (use '...' strings and :name parameters)`},
		{"tagged dollar quoting", "SELECT 1 AS a, $t$x$t$", dialect.ErrSyntax,
			`syntax error at line 1, column 16: unexpected "$": dollar-quoted strings and $ parameters are not Databricks SQL (use '...' strings and :name parameters)`},
		{"NUL escape", `SELECT 'a\0b'`, dialect.ErrSyntax,
			`syntax error at line 1, column 8: a string cannot contain the NUL character (\0)`},
		{"NUL byte", "SELECT 1\x00", dialect.ErrSyntax,
			`syntax error at line 1, column 9: unexpected NUL character (statement text cannot contain it)`},
		{"unclosed column list", "CREATE TABLE t (a INT", dialect.ErrSyntax,
			`syntax error at line 1, column 22: expected ")" after column list, found end of statement`},
		{"unbalanced type", "CREATE TABLE t (a STRUCT<b: INT)", dialect.ErrSyntax,
			`syntax error at line 1, column 25: unbalanced "<" in column type`},
		{"empty column list", "CREATE TABLE t ()", dialect.ErrSyntax,
			`syntax error at line 1, column 17: expected a column name, found ")"`},
		{"missing type", "CREATE TABLE t (a, b INT)", dialect.ErrSyntax,
			`syntax error at line 1, column 18: expected a column type, found ","`},
		{"or replace if not exists", "CREATE OR REPLACE TABLE IF NOT EXISTS t (a INT)", dialect.ErrSyntax,
			"syntax error at line 1, column 25: IF NOT EXISTS cannot be combined with OR REPLACE"},
		{"duplicate clause", "CREATE TABLE t (a INT) COMMENT 'a' COMMENT 'b'", dialect.ErrSyntax,
			"syntax error at line 1, column 36: duplicate COMMENT clause"},
		{"duplicate property", "CREATE TABLE t (a INT) TBLPROPERTIES ('a'='1', 'a'='2')", dialect.ErrSyntax,
			`syntax error at line 1, column 48: duplicate property key "a"`},
		{"missing property value", "CREATE TABLE t (a INT) TBLPROPERTIES ('a'=)", dialect.ErrSyntax,
			`syntax error at line 1, column 43: expected a property value (string, number or boolean), found ")"`},
		{"unknown table clause", "CREATE TABLE t (a INT) xyz", dialect.ErrSyntax,
			`syntax error at line 1, column 24: expected a table clause (USING, PARTITIONED BY, CLUSTER BY, COMMENT, TBLPROPERTIES) or AS, found "xyz"`},
		{"partitioned without parens", "CREATE TABLE t (a INT) PARTITIONED BY a", dialect.ErrSyntax,
			`syntax error at line 1, column 39: expected "(" before the column names, found "a"`},
		{"as without query", "CREATE TABLE t AS DROP TABLE x", dialect.ErrSyntax,
			`syntax error at line 1, column 19: expected a query after AS, found "DROP"`},
		{"too many parts", "CREATE TABLE a.b.c.d (x INT)", dialect.ErrSyntax,
			"syntax error at line 1, column 14: table name a.b.c.d has 4 parts (at most 3 allowed)"},
		{"schema three parts", "CREATE SCHEMA a.b.c", dialect.ErrSyntax,
			"syntax error at line 1, column 15: schema name a.b.c has 3 parts (at most 2 allowed)"},
		{"catalog two parts", "USE CATALOG a.b", dialect.ErrSyntax,
			"syntax error at line 1, column 13: catalog name a.b has 2 parts (at most 1 allowed)"},
		{"drop table without name", "DROP TABLE", dialect.ErrSyntax,
			"syntax error at line 1, column 11: expected a table name, found end of statement"},
		{"use without name", "USE", dialect.ErrSyntax,
			"syntax error at line 1, column 4: expected a schema name, found end of statement"},
		{"unterminated string", "SELECT 'abc", dialect.ErrSyntax,
			"syntax error at line 1, column 8: unterminated string literal: expected closing '"},
		{"unterminated double-quoted string", `SELECT "abc`, dialect.ErrSyntax,
			`syntax error at line 1, column 8: unterminated string literal: expected closing "`},
		{"unterminated comment", "SELECT /* x /* y */", dialect.ErrSyntax,
			`syntax error at line 1, column 8: unterminated comment: expected "*/"`},
		{"two statements", "SELECT 1; SELECT 2", dialect.ErrSyntax,
			`syntax error at line 1, column 11: expected end of statement after ";", found "SELECT" (send one statement at a time)`},
		{"empty", "", dialect.ErrSyntax, "syntax error at line 1, column 1: empty statement"},
		{"only semicolon", "  ;  ", dialect.ErrSyntax, "syntax error at line 1, column 3: empty statement"},
		{"only comment", "-- nothing", dialect.ErrSyntax, "syntax error at line 1, column 11: empty statement"},
		{"typo", "SELEC * FROM t", dialect.ErrSyntax, `syntax error at line 1, column 1: expected a statement, found "SELEC"`},
		{"bare paren", "(", dialect.ErrSyntax, "syntax error at line 1, column 2: expected a query, found end of statement"},
		{"show nothing", "SHOW", dialect.ErrSyntax,
			"syntax error at line 1, column 5: expected what to show (CATALOGS, SCHEMAS, TABLES or GRANTS), found end of statement"},
		{"describe history bad limit", "DESCRIBE HISTORY t LIMIT x", dialect.ErrSyntax,
			`syntax error at line 1, column 26: expected a row count after LIMIT, found "x"`},
		{"alter column without action", "ALTER TABLE t ALTER COLUMN c", dialect.ErrSyntax,
			"syntax error at line 1, column 29: expected COMMENT, TYPE, SET TAGS or UNSET TAGS after the column name, found end of statement"},
		{"set tags duplicate", "ALTER TABLE t ALTER COLUMN c SET TAGS ('a', 'a' = 'b')", dialect.ErrSyntax,
			`syntax error at line 1, column 45: duplicate tag "a"`},
		{"set tags unclosed", "ALTER TABLE t ALTER COLUMN c SET TAGS ('a' 'b'", dialect.ErrSyntax,
			`syntax error at line 1, column 47: expected ")" after the tag list, found end of statement`},
		{"unset tags without list", "ALTER TABLE t ALTER COLUMN c UNSET TAGS", dialect.ErrSyntax,
			`syntax error at line 1, column 40: expected "(" before the tag keys, found end of statement`},
		{"grant string principal", "GRANT SELECT ON TABLE t TO 'x'", dialect.ErrSyntax,
			"syntax error at line 1, column 28: expected a principal (a user, group or service principal in `backticks`), found \"'x'\""},
		{"grant without privilege", "GRANT ON TABLE t TO x", dialect.ErrSyntax,
			`syntax error at line 1, column 7: expected a privilege, found "ON"`},
		{"grant without principal", "GRANT SELECT ON TABLE t", dialect.ErrSyntax,
			"syntax error at line 1, column 24: expected TO before the principal, found end of statement"},
		{"revoke to", "REVOKE SELECT ON TABLE t TO x", dialect.ErrSyntax,
			`syntax error at line 1, column 26: expected FROM before the principal, found "TO"`},
		{"grant two principals", "GRANT SELECT ON t TO a, b", dialect.ErrSyntax,
			`syntax error at line 1, column 23: expected end of statement, found ","`},
		{"long token is shortened", "SELEC" + "TTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTT", dialect.ErrSyntax,
			`syntax error at line 1, column 1: expected a statement, found "SELECTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTT..."`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, err := dialect.Parse(tc.sql)
			if err == nil {
				t.Fatalf("Parse(%q) = %T, want error %q", tc.sql, st, tc.want)
			}
			if err.Error() != tc.want {
				t.Errorf("Parse(%q) error:\n got: %s\nwant: %s", tc.sql, err, tc.want)
			}
			if !errors.Is(err, tc.is) {
				t.Errorf("Parse(%q) error %v does not wrap %v", tc.sql, err, tc.is)
			}
		})
	}
}

func TestErrorTypes(t *testing.T) {
	tests := []struct {
		name string
		sql  string
		line int
		col  int
	}{
		{"first line", "DROP TABLE", 1, 11},
		{"third line", "SELECT\n1,\n 'x", 3, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := dialect.Parse(tc.sql)
			var se *dialect.SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) error %v is not a *SyntaxError", tc.sql, err)
			}
			if se.Line != tc.line || se.Column != tc.col {
				t.Errorf("position = %d:%d, want %d:%d", se.Line, se.Column, tc.line, tc.col)
			}
		})
	}
	_, err := dialect.Parse("VACUUM t")
	var ue *dialect.UnsupportedError
	if !errors.As(err, &ue) || ue.Kind != "statement" || ue.Construct != "VACUUM" {
		t.Errorf("Parse(VACUUM) error = %#v, want *UnsupportedError{statement, VACUUM}", err)
	}
}
