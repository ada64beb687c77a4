package dialect_test

import (
	"fmt"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/zbemu/zbemu/engine/dialect"
	"github.com/zbemu/zbemu/fixtures/golden"
)

// alias is the catalog mapping the engine uses: DuckDB reserves "main".
func alias(c string) string {
	if strings.EqualFold(c, "main") {
		return "main_db"
	}
	return c
}

// parseCases cover every statement form; their rendered ASTs are in
// testdata/parse.golden.
var parseCases = []struct {
	name string
	sql  string
}{
	{"create catalog", "CREATE CATALOG lab"},
	{"create catalog if not exists with comment", "create catalog if not exists `my-lab` comment 'for \\'labs\\''"},
	{"drop catalog", "DROP CATALOG lab"},
	{"drop catalog if exists cascade", "DROP CATALOG IF EXISTS lab CASCADE;"},
	{"drop catalog restrict", "DROP CATALOG lab RESTRICT"},
	{"create schema", "CREATE SCHEMA main.lab"},
	{"create database synonym", "CREATE DATABASE IF NOT EXISTS lab COMMENT 'x'"},
	{"create schema dbproperties", "CREATE SCHEMA s WITH DBPROPERTIES ('owner' = 'me', team='iot') COMMENT \"c\""},
	{"drop schema", "DROP SCHEMA IF EXISTS main.lab CASCADE"},
	{"drop database", "DROP DATABASE lab"},
	{"use catalog", "USE CATALOG main"},
	{"use schema", "USE SCHEMA lab"},
	{"use database", "USE DATABASE lab"},
	{"use plain", "USE lab"},
	{"use two parts", "USE main.lab"},
	{"use schema named catalog", "USE catalog"},
	{"show catalogs", "SHOW CATALOGS"},
	{"show catalogs like", "SHOW CATALOGS LIKE 'ma*'"},
	{"show catalogs bare pattern", "SHOW CATALOGS 'ma*'"},
	{"show schemas", "SHOW SCHEMAS"},
	{"show schemas in", "SHOW SCHEMAS IN main LIKE 'l*'"},
	{"show databases from", "show databases from `main`"},
	{"show tables", "SHOW TABLES"},
	{"show tables in", "SHOW TABLES IN main.lab"},
	{"show tables from like", "SHOW TABLES FROM lab LIKE 'ev*|ot*'"},
	{"show grants on table", "SHOW GRANTS `sp-1` ON TABLE main.lab.events"},
	{"show grants no principal", "SHOW GRANTS ON SCHEMA main.lab"},
	{"show grants on catalog", "SHOW GRANTS ON CATALOG main"},
	{"show grants principal only", "SHOW GRANTS `app-id`"},
	{"show grant singular", "SHOW GRANT ON main.lab.events"},
	{"describe", "DESCRIBE main.lab.events"},
	{"describe table", "DESCRIBE TABLE lab.events"},
	{"describe table extended", "DESCRIBE TABLE EXTENDED events"},
	{"desc extended", "DESC EXTENDED `main`.`lab`.`events`"},
	{"desc formatted", "DESC FORMATTED events"},
	{"describe history", "DESCRIBE HISTORY main.lab.events"},
	{"describe history limit", "DESCRIBE HISTORY events LIMIT 1"},
	{"describe table named history", "DESCRIBE history"},
	{"create table minimal", "CREATE TABLE t (id INT)"},
	{"create table full", `CREATE TABLE IF NOT EXISTS main.lab.events (
  id BIGINT NOT NULL COMMENT 'primary id',
  ts TIMESTAMP,
  amount DECIMAL(10, 2),
  payload STRUCT<a: INT, b: ARRAY<MAP<STRING, DECIMAL(10,2)>>>,
  tags ARRAY<STRING> COMMENT "tags" NOT NULL,
  ` + "`weird name`" + ` STRING,
  span INTERVAL DAY TO SECOND,
  comment STRING
) USING DELTA
PARTITIONED BY (ts)
COMMENT 'events table'
TBLPROPERTIES ('delta.enableChangeDataFeed' = 'true', delta.appendOnly = true, 'n' 5, 'neg' = -1);`},
	{"create or replace table", "CREATE OR REPLACE TABLE t (a INT) USING delta"},
	{"create table cluster by", "CREATE TABLE t (a INT, b STRING) CLUSTER BY (a, b) COMMENT 'c'"},
	{"create table cluster by auto", "CREATE TABLE t (a INT) CLUSTER BY AUTO"},
	{"create table cluster by none", "CREATE TABLE t (a INT) CLUSTER BY NONE"},
	{"create table clauses any order", "CREATE TABLE t (a INT) TBLPROPERTIES ('k'='v') COMMENT 'c' USING DELTA PARTITIONED BY (a)"},
	{"create table as select", "CREATE TABLE main.lab.copy AS SELECT * FROM main.lab.events WHERE `id` > 10"},
	{"create table select without as", "CREATE TABLE t USING DELTA SELECT 1 AS x"},
	{"create table as with", "CREATE OR REPLACE TABLE t AS WITH x AS (SELECT 1 AS a) SELECT a FROM x"},
	{"create table as parenthesised query", "CREATE TABLE t AS (SELECT 1)"},
	{"create table columns and as", "CREATE TABLE t (a INT COMMENT 'x') AS SELECT 1"},
	{"create table collation", "CREATE TABLE t (name STRING COLLATE UTF8_LCASE NOT NULL, code VARCHAR(3) collate `UNICODE_CI`)"},
	{"alter column type collation", "ALTER TABLE t ALTER COLUMN c TYPE STRING COLLATE UTF8_BINARY"},
	{"create table named if", "CREATE TABLE if (a INT)"},
	{"create table adjacent comment literals", "CREATE TABLE t (a INT COMMENT 'it''s') COMMENT 'one ' \"two\""},
	{"drop table", "DROP TABLE main.lab.events"},
	{"drop table if exists", "DROP TABLE IF EXISTS events"},
	{"alter add columns", "ALTER TABLE t ADD COLUMNS (c INT COMMENT 'x', d ARRAY<STRING> NOT NULL)"},
	{"alter add column", "ALTER TABLE main.lab.t ADD COLUMN c INT"},
	{"alter add columns no parens", "ALTER TABLE t ADD COLUMNS c INT, d STRING"},
	{"alter set tblproperties", "ALTER TABLE t SET TBLPROPERTIES ('delta.feature.timestampNtz' = 'supported')"},
	{"alter unset tblproperties", "ALTER TABLE t UNSET TBLPROPERTIES IF EXISTS ('a', b.c)"},
	{"alter unset tblproperties plain", "ALTER TABLE t UNSET TBLPROPERTIES ('a')"},
	{"alter column comment", "ALTER TABLE t ALTER COLUMN c COMMENT 'new comment'"},
	{"change column comment", "ALTER TABLE t CHANGE COLUMN c COMMENT 'new'"},
	{"change comment no column keyword", "ALTER TABLE t CHANGE c COMMENT 'new'"},
	{"alter column type", "ALTER TABLE t ALTER COLUMN c TYPE BIGINT"},
	{"alter column type decimal", "ALTER TABLE t ALTER COLUMN c TYPE DECIMAL(20, 4)"},
	{"alter column set tag without value", "ALTER TABLE main.lab.t ALTER COLUMN c SET TAGS ('zerobus-rescue')"},
	{"alter column set tags", "ALTER TABLE t ALTER COLUMN `c` SET TAGS ('pii' = 'email', owner = 'iot', 'flag')"},
	{"change column unset tags", "ALTER TABLE t CHANGE c UNSET TAGS ('pii', owner)"},
	{"grant use catalog", "GRANT USE CATALOG, USE SCHEMA ON CATALOG main TO `sp-1`"},
	{"grant table", "GRANT SELECT, MODIFY ON TABLE main.default.t TO `app-id`"},
	{"grant all privileges schema", "GRANT ALL PRIVILEGES ON SCHEMA s TO x"},
	{"grant default table", "grant select on main.default.t to `a@b.com`"},
	{"grant database", "GRANT  use   schema ON DATABASE main.lab TO `g`"},
	{"grant current catalog", "GRANT USE CATALOG ON CATALOG TO `g`"},
	{"grant create table", "GRANT CREATE TABLE ON SCHEMA main.lab TO `g`"},
	{"revoke", "REVOKE MODIFY ON TABLE t FROM `x`"},
	{"select", "SELECT * FROM main.default.t WHERE a = :a AND b::STRING = 'x'"},
	{"select lowercase with comment", "-- header\nselect 1 /* c */ ;"},
	{"with", "WITH x AS (SELECT 1) SELECT * FROM x"},
	{"values", "VALUES (1, \"a\"), (2, 'b')"},
	{"from first", "FROM main.lab.events SELECT id"},
	{"parenthesised select", "(SELECT 1) UNION ALL (SELECT 2)"},
	{"insert", "INSERT INTO main.lab.t VALUES (1, 'a\\nb')"},
	{"insert into table", "INSERT INTO TABLE main.lab.t (a) SELECT 1"},
	{"insert column list", "INSERT INTO main.lab.t(a, b) VALUES (1, 2)"},
	{"insert into table named table", "INSERT INTO table VALUES (1)"},
	{"update", "UPDATE main.lab.t SET a = :v WHERE id = 1"},
	{"delete", "DELETE FROM `main`.`lab`.`t` WHERE ts < :cutoff"},
	{"explain", "EXPLAIN SELECT 1"},
	{"zerobus monitoring query", `SELECT DATE_TRUNC('hour', commit_time) AS hour, SUM(committed_records) AS records
FROM system.lakeflow.zerobus_ingest
WHERE table_name = :table AND commit_time BETWEEN :start AND :end
GROUP BY 1 ORDER BY 1`},
}

func TestParse(t *testing.T) {
	var golden strings.Builder
	for _, tc := range parseCases {
		t.Run(tc.name, func(t *testing.T) {
			st, err := dialect.ParseWith(tc.sql, dialect.TranslateOptions{CatalogAlias: alias})
			if err != nil {
				t.Fatalf("ParseWith(%q): %v", tc.sql, err)
			}
			fmt.Fprintf(&golden, "-- %s\n%s\n=> %s\n\n", tc.name, tc.sql, render(reflect.ValueOf(st)))
		})
	}
	checkGolden(t, "parse.golden", golden.String())
}

// checkGolden compares got with testdata/<name>, or rewrites it with -update.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	golden.Check(t, filepath.Join("testdata", name), []byte(got))
}

// render prints an AST as stable text: zero fields are left out, maps are
// sorted, pointers are followed and QNames use their String form.
func render(v reflect.Value) string {
	switch v.Kind() {
	case reflect.Interface, reflect.Pointer:
		if v.IsNil() {
			return "nil"
		}
		if v.Kind() == reflect.Pointer {
			return "&" + render(v.Elem())
		}
		return render(v.Elem())
	case reflect.Struct:
		if q, ok := v.Interface().(dialect.QName); ok {
			return q.String()
		}
		var fields []string
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() && !v.Field(i).IsZero() {
				fields = append(fields, v.Type().Field(i).Name+": "+render(v.Field(i)))
			}
		}
		return v.Type().Name() + "{" + strings.Join(fields, ", ") + "}"
	case reflect.Slice:
		items := make([]string, v.Len())
		for i := range items {
			items[i] = render(v.Index(i))
		}
		return "[" + strings.Join(items, ", ") + "]"
	case reflect.Map:
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
		items := make([]string, len(keys))
		for i, k := range keys {
			items[i] = render(k) + ": " + render(v.MapIndex(k))
		}
		return "map[" + strings.Join(items, ", ") + "]"
	case reflect.String:
		return strconv.Quote(v.String())
	}
	return fmt.Sprint(v.Interface())
}

func TestParseKinds(t *testing.T) {
	tests := []struct {
		name string
		sql  string
		want any
	}{
		{"create table", "CREATE TABLE t (a INT)", &dialect.CreateTable{}},
		{"grant", "GRANT SELECT ON t TO x", &dialect.Grant{}},
		{"query", "SELECT 1", &dialect.Query{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, err := dialect.Parse(tc.sql)
			if err != nil {
				t.Fatal(err)
			}
			if reflect.TypeOf(st) != reflect.TypeOf(tc.want) {
				t.Errorf("Parse(%q) = %T, want %T", tc.sql, st, tc.want)
			}
		})
	}
}

func TestQNameString(t *testing.T) {
	tests := []struct {
		name  string
		parts []string
		want  string
	}{
		{"plain", []string{"main", "default", "t"}, "main.default.t"},
		{"needs quotes", []string{"my-cat", "s", "a`b"}, "`my-cat`.s.`a``b`"},
		{"leading digit", []string{"1t"}, "`1t`"},
		{"empty", nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := (dialect.QName{Parts: tc.parts}).String(); got != tc.want {
				t.Errorf("String() = %q, want %q", got, tc.want)
			}
		})
	}
}
