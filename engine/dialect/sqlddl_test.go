package dialect_test

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/zbemu/zbemu/engine/dialect"
)

// sqlddlCases cover MERGE INTO, CTAS, DESCRIBE DETAIL, SHOW TBLPROPERTIES
// and SHOW CREATE TABLE; their rendered ASTs are in testdata/sqlddl.golden.
var sqlddlCases = []struct {
	name string
	sql  string
}{
	{"merge update set star insert star", "MERGE INTO main.lab.t AS t USING main.lab.s AS s ON t.id = s.id WHEN MATCHED THEN UPDATE SET * WHEN NOT MATCHED THEN INSERT *"},
	{"merge all clauses", `MERGE INTO t USING (SELECT * FROM s WHERE ok) src ON t.id = src.id
WHEN MATCHED AND src.deleted THEN DELETE
WHEN MATCHED THEN UPDATE SET t.v = src.v, n = t.n + 1
WHEN NOT MATCHED BY TARGET AND src.v IS NOT NULL THEN INSERT (id, v) VALUES (src.id, src.v)
WHEN NOT MATCHED BY SOURCE THEN UPDATE SET v = "gone";`},
	{"merge star in strings stays", "MERGE INTO t USING s ON t.a = s.a WHEN MATCHED THEN UPDATE SET b = '*' WHEN NOT MATCHED THEN INSERT (a, b) VALUES (s.a, 'INSERT *')"},
	{"ctas", "CREATE TABLE main.lab.copy USING DELTA COMMENT 'c' TBLPROPERTIES ('k' = 'v') AS SELECT id, count(*) AS n FROM main.lab.events GROUP BY id"},
	{"ctas with", "CREATE OR REPLACE TABLE t CLUSTER BY (a) AS WITH x AS (SELECT 1 AS a) SELECT a FROM x"},
	{"describe detail", "DESCRIBE DETAIL main.lab.events"},
	{"desc detail", "DESC DETAIL `events`"},
	{"show tblproperties", "SHOW TBLPROPERTIES main.lab.events"},
	{"show tblproperties key", "SHOW TBLPROPERTIES events (delta.appendOnly)"},
	{"show tblproperties string key", "SHOW TBLPROPERTIES events ('delta.appendOnly')"},
	{"show create table", "SHOW CREATE TABLE lab.events"},
	{"create view", "CREATE VIEW v AS SELECT * FROM events"},
	{"create or replace view full", `CREATE OR REPLACE VIEW main.lab.hot (device COMMENT 'who', t) COMMENT 'hot devices'
TBLPROPERTIES ('team' = 'iot') AS WITH x AS (SELECT device_id, temp FROM main.lab.events) SELECT * FROM x WHERE temp > 30`},
	{"create view if not exists", "CREATE VIEW IF NOT EXISTS lab.v AS (SELECT 1 AS one)"},
	{"drop view", "DROP VIEW v"},
	{"drop view if exists", "DROP VIEW IF EXISTS main.lab.v"},
	{"alter view as", "ALTER VIEW main.lab.v AS SELECT 2 AS two"},
	{"grant on view", "GRANT SELECT ON VIEW main.lab.v TO `reader`"},
}

func TestParseSQLDDL(t *testing.T) {
	var golden strings.Builder
	for _, tc := range sqlddlCases {
		t.Run(tc.name, func(t *testing.T) {
			st, err := dialect.ParseWith(tc.sql, dialect.TranslateOptions{CatalogAlias: alias})
			if err != nil {
				t.Fatalf("ParseWith(%q): %v", tc.sql, err)
			}
			fmt.Fprintf(&golden, "-- %s\n%s\n=> %s\n\n", tc.name, tc.sql, render(reflect.ValueOf(st)))
		})
	}
	checkGolden(t, "sqlddl.golden", golden.String())
}

func TestParseSQLDDLErrors(t *testing.T) {
	tests := []struct {
		name string
		sql  string
		is   error
		want string
	}{
		{"merge without into", "MERGE t USING s ON a = b WHEN MATCHED THEN DELETE", dialect.ErrSyntax, "expected INTO after MERGE"},
		{"merge without using", "MERGE INTO t", dialect.ErrSyntax, "expected USING source ON condition"},
		{"merge schema evolution", "MERGE WITH SCHEMA EVOLUTION INTO t USING s ON t.a = s.a WHEN MATCHED THEN UPDATE SET *", dialect.ErrUnsupported, "MERGE WITH SCHEMA EVOLUTION"},
		{"show create table serde", "SHOW CREATE TABLE t AS SERDE", dialect.ErrUnsupported, "SHOW CREATE TABLE ... AS SERDE"},
		{"show create without table", "SHOW CREATE VIEW v", dialect.ErrSyntax, "expected TABLE after SHOW CREATE"},
		{"show tblproperties unclosed", "SHOW TBLPROPERTIES t (a", dialect.ErrSyntax, `expected ")" after the property key`},
		{"describe detail extra", "DESCRIBE DETAIL t x", dialect.ErrSyntax, "expected end of statement"},
		{"temporary view", "CREATE TEMPORARY VIEW v AS SELECT 1", dialect.ErrUnsupported, "CREATE TEMPORARY VIEW (zbemu does not implement it; the Statement Execution API has no sessions"},
		{"global temp view", "CREATE GLOBAL TEMPORARY VIEW v AS SELECT 1", dialect.ErrUnsupported, "CREATE GLOBAL TEMPORARY VIEW"},
		{"view without query", "CREATE VIEW v", dialect.ErrSyntax, "expected AS before the view's query"},
		{"view as not a query", "CREATE VIEW v AS DROP TABLE t", dialect.ErrSyntax, "expected a query after AS"},
		{"view replace and if not exists", "CREATE OR REPLACE VIEW IF NOT EXISTS v AS SELECT 1", dialect.ErrSyntax, "IF NOT EXISTS cannot be combined with OR REPLACE"},
		{"view schema binding", "CREATE VIEW v WITH SCHEMA BINDING AS SELECT 1", dialect.ErrUnsupported, "WITH SCHEMA BINDING"},
		{"alter view rename", "ALTER VIEW v RENAME TO w", dialect.ErrUnsupported, "ALTER VIEW RENAME"},
		{"drop temporary view", "DROP TEMPORARY VIEW v", dialect.ErrUnsupported, "DROP TEMPORARY VIEW"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := dialect.Parse(tc.sql)
			if !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Parse(%q) = %v, want %v containing %q", tc.sql, err, tc.is, tc.want)
			}
		})
	}
}
