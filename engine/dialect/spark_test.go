package dialect_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/zbemu/zbemu/engine/dialect"
)

// sparkCases are Spark SQL functions and syntax that DuckDB spells
// differently; their translations are in testdata/spark.golden. The
// translations were checked against DuckDB, and cmd/zbemu's
// TestSparkSQLResults runs a sample of them through the server.
var sparkCases = []struct {
	name string
	sql  string
}{
	// Collections.
	{"size", "SELECT SIZE(arr), size(map('a', 1)), cardinality(tags), array_size(arr) FROM t"},
	{"array map struct constructors", "SELECT array(1, 2), array(), map('a', 1, 'b', 2), map(), named_struct('a', 1, 'b', x), struct(id, arr AS list, 5) FROM t"},
	{"zero-based subscripts", "SELECT arr[0], arr[i], arr[i - 1], m['key'], split(s, ',')[1], arr[0].field FROM t"},
	{"lists and slices kept", "SELECT ARRAY[1, 2], l[1:2], x::INT[] FROM t"},
	{"element_at and get", "SELECT element_at(arr, 1), element_at(m, 'k'), get(arr, 0) FROM t"},
	{"try_element_at", "SELECT try_element_at(arr, i) FROM t"},
	{"array functions", "SELECT array_join(a, ','), sort_array(a), sort_array(a, false), array_max(a), array_min(a), array_position(a, 3), array_contains(a, 3) FROM t"},
	{"higher-order functions", "SELECT transform(a, x -> x + 1), filter(a, x -> x > 0), sequence(1, 5) FROM t"},
	{"map functions", "SELECT map_from_arrays(k, v), map_contains_key(m, 'a'), map_keys(m) FROM t"},
	{"explode in select", "SELECT explode(arr), explode_outer(arr) FROM t"},

	// LATERAL VIEW.
	{"lateral view explode", "SELECT e.code FROM t LATERAL VIEW EXPLODE(t.errors) x AS e WHERE SIZE(t.errors) > 0"},
	{"lateral view without AS", "SELECT e FROM t LATERAL VIEW explode(arr) x e"},
	{"lateral view default column", "SELECT col FROM t LATERAL VIEW explode(arr) x"},
	{"lateral view outer", "SELECT id, e FROM t LATERAL VIEW OUTER explode(arr) x AS e"},
	{"lateral view explode_outer", "SELECT id, e FROM t LATERAL VIEW explode_outer(arr) x AS e"},
	{"lateral view posexplode", "SELECT p, e FROM t LATERAL VIEW posexplode(arr) x AS p, e"},
	{"lateral view map", "SELECT k, v FROM t LATERAL VIEW explode(m) x AS k, v"},
	{"lateral view posexplode map", "SELECT p, k, v FROM t LATERAL VIEW posexplode(m) x AS p, k, v"},
	{"two lateral views", "SELECT a, b FROM t LATERAL VIEW explode(x) t1 AS a LATERAL VIEW explode(y) t2 AS b ORDER BY 1"},
	{"lateral view after join", "SELECT * FROM a JOIN b ON a.id = b.id LATERAL VIEW explode(b.arr) x AS e\nWHERE e > 0"},

	// Dates and times.
	{"unix_timestamp", "SELECT UNIX_TIMESTAMP(), UNIX_TIMESTAMP(ts), unix_timestamp('01/02/2024', 'dd/MM/yyyy'), to_unix_timestamp(ts) FROM t"},
	{"epoch conversions", "SELECT from_unixtime(s), from_unixtime(s, 'yyyy-MM-dd'), timestamp_seconds(s), timestamp_millis(ms), timestamp_micros(us), unix_seconds(ts), unix_millis(ts), unix_micros(ts), unix_date(d) FROM t"},
	{"to_timestamp and to_date", "SELECT to_timestamp(s), to_timestamp(s, 'yyyy-MM-dd HH:mm'), to_date(ts), to_date(s, 'dd.MM.yyyy') FROM t"},
	{"date_format", `SELECT date_format(ts, 'yyyy-MM-dd HH:mm:ss.SSS'), date_format(ts, "EEE, d MMM yyyy 'at' h:mm a"), date_format(ts, "EEEE MMMM D HH'h' Z %") FROM t`},
	{"dateadd", "SELECT DATEADD(HOUR, 2, ts), dateadd('day', -1, ts), TIMESTAMPADD(MINUTE, n, ts), date_add(MONTH, 1, ts) FROM t"},
	{"date_add and date_sub", "SELECT DATE_ADD(d, 1), date_add(ts, n), DATE_SUB(d, 7), dateadd(d, 2) FROM t"},
	{"datediff", "SELECT DATEDIFF(end_d, start_d), date_diff(e, s), DATEDIFF(HOUR, s, e), timestampdiff(SECOND, s, e) FROM t"},
	{"date_trunc", "SELECT DATE_TRUNC('HOUR', ts), date_trunc('hour', ts), date_trunc('MM', ts), date_trunc('YYYY', ts), date_trunc('WEEK', ts), date_trunc(unit, ts), trunc(d, 'MM'), trunc(x) FROM t"},
	{"current time", "SELECT CURRENT_TIMESTAMP(), current_timestamp, NOW(), CURRENT_DATE(), current_date, curdate(), current_timezone()"},
	{"day of week", "SELECT dayofweek(d), weekday(d), add_months(d, 1), make_timestamp(2024, 1, 2, 3, 4, 5.5) FROM t"},
	{"intervals", "SELECT NOW() - INTERVAL 7 DAYS, INTERVAL '7' DAY, INTERVAL 1 HOUR, INTERVAL 24 HOURS, INTERVAL 30 minutes, INTERVAL '1 day'"},
	{"signed and fractional intervals", "SELECT INTERVAL -3 DAYS, INTERVAL '-3' DAY, INTERVAL 1.5 HOURS, INTERVAL '0.5' SECOND, INTERVAL +2 WEEKS"},
	{"multi-unit intervals", "SELECT ts + INTERVAL 1 DAY 2 HOURS 30 MINUTES, INTERVAL 1 YEAR 6 MONTHS FROM t"},
	{"interval to", "SELECT INTERVAL '1 02:03:04.5' DAY TO SECOND, INTERVAL '2:30' HOUR TO MINUTE, INTERVAL '1-6' YEAR TO MONTH, INTERVAL '-1 12' DAY TO HOUR"},
	{"interval kept", "SELECT INTERVAL (n) DAY, INTERVAL '1 hour 30 minutes' FROM t"},

	// Literals, operators and casts.
	{"typed literals", "SELECT TIMESTAMP '2024-01-01 00:00:00', TIMESTAMP'2024-01-01T00:00:00Z', TIMESTAMP_NTZ '2024-01-01 00:00:00', TIMESTAMP_LTZ '2024-01-01', DATE '2024-01-01'"},
	{"binary literals", "SELECT X'0102', x'FF' = X'ff'"},
	{"null-safe equality", "SELECT a <=> b, a<=>NULL, a <= b, a <> b FROM t"},
	{"bitwise xor", "SELECT 3 ^ 5, a ^ b ^ c, f(x) ^ (y + 1), a | b ^ c, a ^ b = 6, x -> x ^ 1 FROM t"},
	{"div operator", "SELECT 7 DIV 2, a div b FROM t"},
	{"rlike", "SELECT * FROM t WHERE s RLIKE '^err', s NOT RLIKE 'x', s REGEXP :p, rlike(s, 'a+')"},
	{"words that are only sometimes operators", "SELECT rlike, regexp, div, interval, size FROM t"},
	{"casts", "SELECT CAST(x AS STRING), CAST(ts AS TIMESTAMP_NTZ), CAST(s AS TIMESTAMP), CAST(s AS VARIANT), CAST(x AS DECIMAL), CAST(x AS DECIMAL(10, 2)), TRY_CAST(s AS INT), CAST(b AS BINARY) FROM t"},
	{"complex casts", "SELECT CAST(a AS ARRAY<STRING>), CAST(m AS MAP<STRING, ARRAY<INT>>), CAST(s AS STRUCT<a: INT, `b c` STRING NOT NULL COMMENT 'x'>), CAST(s AS STRUCT<>) FROM t"},
	{"double-colon casts", "SELECT x::string, x::timestamp, x :: long, x::array<struct<a:int>>, x::interval day to second FROM t"},
	{"integral casts truncate", "SELECT CAST(x AS INT), TRY_CAST(1.9 AS BIGINT), x::long, tinyint(x) FROM t"},
	{"typeof", "SELECT typeof(x), typeof(1) FROM t"},
	{"cast functions", "SELECT string(1), int('5'), bigint(x), double(x), boolean(x), date(s), timestamp(s), binary(s) FROM t"},

	// Conditionals and aggregates.
	{"null functions", "SELECT NVL(a, 0), nvl2(a, 1, 2), IF(a > 0, 'p', 'n'), iff(a > 0, 1, 2), isnull(a), isnotnull(a), equal_null(a, b), zeroifnull(a), nullifzero(a) FROM t"},
	{"aggregates", "SELECT COUNT_IF(ok), collect_list(x), collect_set(x), collect_list(DISTINCT x), array_agg(x), percentile_approx(x, 0.5), approx_percentile(x, array(0.5, 0.9), 100), percentile(x, 0.5), approx_count_distinct(x), approx_count_distinct(x, 0.05), every(ok) FROM t"},
	{"aggregate with filter and window", "SELECT collect_list(x) FILTER (WHERE x > 0), collect_set(x) OVER (PARTITION BY g), collect_list(x) OVER w, count(*) FILTER (WHERE ok) FROM t WINDOW w AS (ORDER BY x)"},

	// Strings and JSON.
	{"strings", "SELECT split(s, ','), split(s, ',', -1), regexp_extract(s, '(a)b'), regexp_extract(s, 'a', 0), regexp_extract_all(s, 'a(b)'), locate('b', s), startswith(s, 'a'), endswith(s, 'z'), char(65), lcase(s) FROM t"},
	{"regexp_replace", `SELECT regexp_replace(s, '(a)(b)', '$2$1'), regexp_replace(s, 'x', '\\$1 \\\\'), regexp_replace(s, 'x', r) FROM t`},
	{"binary and math", "SELECT base64(s), unbase64(s), sha2(s, 256), sha2(s, 0), format_string('%s=%d', k, v), rand(), rand(42), pmod(a, 3), signum(a) FROM t"},
	{"json functions", "SELECT get_json_object(s, '$.a.b[0]'), to_json(named_struct('a', 1)), parse_json(s), try_parse_json(s), variant_get(v, '$.a', 'int'), try_variant_get(v, '$.a', 'array<string>') FROM t"},
	{"variant paths", "SELECT v:a, v:a.b, v:a.b[0], v:['a b'], v:`a b`.c, v:a[*], t.v:x, (v):y FROM t"},
	{"variant paths with casts", "SELECT v:a::string, v:n::int + 1, v:t::timestamp, v:arr::array<int>, v:o::struct<x: int>, v:o::variant FROM t WHERE v:kind::string = 'x'"},
	{"colons that are not paths", "SELECT :p, a::INT, CAST(x AS STRUCT<a: INT>), '1:2', x FROM t WHERE y = :q"},
	{"strings are not translated", `SELECT 'SIZE(x) LATERAL VIEW', "NOW() - INTERVAL 7 DAYS", 'a:b', 'arr[0]' FROM t`},
	{"backticks", "SELECT `size`, `col:a`, `t`.`arr`[0] FROM `main`.`lab`.`t`"},
	{"from_json", `SELECT from_json(s, 'array<struct<name: string, dataset: string, passed_records: bigint, failed_records: bigint>>'), from_json(s, "a INT, ` + "`b c`" + ` STRING"), from_json(v:x, 'map<string, array<timestamp>>'), from_json(s, 'struct<>'), from_json(s, 'variant') FROM t`},

	// Inline tables and the event log in FROM.
	{"inline tables", "SELECT * FROM VALUES ('press', 80.0D), ('lathe', 70.0) AS t(machine_type, `warn temp`) JOIN VALUES (1, 'x') u(a, b) ON true, VALUES 1, 2 v, VALUES (1, 2) WHERE x IN (VALUES 1)"},
	{"inline table in insert", "INSERT INTO t SELECT * FROM VALUES (1), (2) AS v(a)"},
	{"event_log", "SELECT * FROM event_log('0a1b-2c'), event_log(\"q\") JOIN event_log(TABLE(main.lab.st)) USING (id), event_log(table main.lab.mv) e"},
	{"data quality query", `SELECT
  row_expectations.dataset as dataset,
  row_expectations.name as expectation,
  SUM(row_expectations.passed_records) as passing_records,
  SUM(row_expectations.failed_records) as failing_records
FROM
  (
    SELECT
      explode(
        from_json(
          details:flow_progress:data_quality:expectations,
          'array<struct<name: string, dataset: string, passed_records: bigint, failed_records: bigint>>'
        )
      ) row_expectations
    FROM
      event_log('<pipeline-id>')
    WHERE
      event_type = 'flow_progress'
      AND origin.update_id = (SELECT origin.update_id FROM event_log('<pipeline-id>') WHERE event_type = 'create_update' ORDER BY timestamp DESC LIMIT 1)
  )
GROUP BY
  row_expectations.dataset,
  row_expectations.name`},
}

// eventLogForTest is the EventLog option of the golden tests: it shows
// what it was asked for.
func eventLogForTest(ref dialect.EventLogRef) (string, error) {
	if ref.PipelineID != "" {
		return "(SELECT * FROM log WHERE pipeline_id = '" + ref.PipelineID + "')", nil
	}
	return "(SELECT * FROM log WHERE dataset = '" + ref.Table.String() + "')", nil
}

func TestTranslateSpark(t *testing.T) {
	opts := dialect.TranslateOptions{CatalogAlias: alias, EventLog: eventLogForTest}
	var golden strings.Builder
	for _, tc := range sparkCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := dialect.Translate(tc.sql, opts)
			if err != nil {
				t.Fatalf("Translate(%q): %v", tc.sql, err)
			}
			fmt.Fprintf(&golden, "-- %s\n%s\n=> %s\n\n", tc.name, tc.sql, got)
		})
	}
	checkGolden(t, "spark.golden", golden.String())
}

// TestTranslateDashboard translates every monitoring query of
// cmd/zbemu/testdata/dashboard (zbemu's queries for the panels of the
// Zerobus monitoring dashboard, which the integration test runs against the
// server); the translations are in testdata/dashboard.golden.
func TestTranslateDashboard(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "cmd", "zbemu", "testdata", "dashboard", "*.sql"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no dashboard queries found: %v", err)
	}
	opts := dialect.TranslateOptions{CatalogAlias: alias}
	var golden strings.Builder
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".sql")
		t.Run(name, func(t *testing.T) {
			text, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			st, err := dialect.ParseWith(string(text), opts)
			if err != nil {
				t.Fatalf("ParseWith(%s): %v", f, err)
			}
			q, ok := st.(*dialect.Query)
			if !ok {
				t.Fatalf("ParseWith(%s) = %T, want *Query", f, st)
			}
			if got := dialect.Params(string(text)); len(got) > 1 || len(got) == 1 && got[0] != "p_table" {
				t.Errorf("Params(%s) = %q, want only p_table", f, got)
			}
			fmt.Fprintf(&golden, "-- %s\n%s\n\n", name, q.SQL)
		})
	}
	checkGolden(t, "dashboard.golden", golden.String())
}

func TestTranslateSparkErrors(t *testing.T) {
	tests := []struct {
		name string
		sql  string
		is   error
		want string
	}{
		{"wrong argument count", "SELECT SIZE(a, b)", dialect.ErrSyntax, "syntax error at line 1, column 8: SIZE takes 1 argument, found 2"},
		{"wrong argument counts", "SELECT date_add(d)", dialect.ErrSyntax, "syntax error at line 1, column 8: DATE_ADD takes 2 or 3 arguments, found 1"},
		{"odd map", "SELECT map('a')", dialect.ErrSyntax, "syntax error at line 1, column 8: MAP takes key and value pairs, found an odd number of arguments"},
		{"unknown unit", "SELECT dateadd(FORTNIGHT, 1, ts)", dialect.ErrSyntax, "syntax error at line 1, column 16: unknown unit FORTNIGHT in DATEADD"},
		{"computed unit", "SELECT dateadd(u, 1, ts)", dialect.ErrSyntax, "syntax error at line 1, column 16: unknown unit U in DATEADD"},
		{"computed pattern", "SELECT date_format(ts, p)", dialect.ErrUnsupported,
			"unsupported function: DATE_FORMAT with a pattern that is not a string literal (zbemu does not implement it)"},
		{"pattern letter", "SELECT date_format(ts, 'yyyy QQ')", dialect.ErrUnsupported,
			"unsupported syntax: datetime pattern letter QQ in 'yyyy QQ' (zbemu does not implement it; use y, M, d, H, h, m, s, S, a, E, D, z or Z)"},
		{"unclosed pattern quote", "SELECT date_format(ts, \"yyyy 'at\")", dialect.ErrUnsupported,
			"unsupported syntax: datetime pattern 'yyyy ''at' with an unclosed quote (zbemu does not implement it)"},
		{"from_json options", "SELECT from_json(s, 'a INT', map('mode', 'FAILFAST'))", dialect.ErrUnsupported,
			"unsupported function: FROM_JSON with options (zbemu does not implement it; zbemu reads JSON in Spark's default PERMISSIVE mode)"},
		{"from_json computed schema", "SELECT from_json(s, schema_of_json('[1]'))", dialect.ErrUnsupported,
			"unsupported function: FROM_JSON with a schema that is not a string literal (zbemu does not implement it)"},
		{"from_json bad schema", "SELECT from_json(s, 'array<')", dialect.ErrUnsupported,
			"unsupported type: array< (zbemu does not implement it; not a Databricks type zbemu can read)"},
		{"from_json arguments", "SELECT from_json(s)", dialect.ErrSyntax, "syntax error at line 1, column 8: FROM_JSON takes 2 arguments, found 1"},
		{"event_log unavailable", "SELECT * FROM event_log('p')", dialect.ErrUnsupported,
			"unsupported function: event_log (zbemu does not implement it; the pipeline event log is not available here)"},
		{"event_log argument", "SELECT * FROM event_log(p)", dialect.ErrSyntax,
			`syntax error at line 1, column 25: EVENT_LOG takes a pipeline id string or TABLE(name) of a streaming table or materialized view, found "p"`},
		{"event_log table argument", "SELECT * FROM event_log(TABLE(a.b.c.d))", dialect.ErrSyntax,
			`syntax error at line 1, column 25: EVENT_LOG takes a pipeline id string or TABLE(name) of a streaming table or materialized view, found "TABLE"`},
		{"lateral view inline", "SELECT * FROM t LATERAL VIEW inline(a) x", dialect.ErrUnsupported, "unsupported clause: LATERAL VIEW INLINE (zbemu does not implement it)"},
		{"lateral view without alias", "SELECT * FROM t LATERAL VIEW explode(a) WHERE x", dialect.ErrSyntax,
			`syntax error at line 1, column 41: expected a table alias after LATERAL VIEW EXPLODE(...), found "WHERE"`},
		{"lateral view without function", "SELECT * FROM t LATERAL VIEW 1", dialect.ErrSyntax,
			`syntax error at line 1, column 30: expected a generator function such as EXPLODE after LATERAL VIEW, found "1"`},
		{"lateral view unclosed", "SELECT * FROM t LATERAL VIEW explode(a", dialect.ErrSyntax,
			`syntax error at line 1, column 39: expected ")" after the arguments of EXPLODE, found end of statement`},
		{"lateral view aliases", "SELECT * FROM t LATERAL VIEW posexplode(a) x AS p", dialect.ErrSyntax,
			"syntax error at line 1, column 44: LATERAL VIEW POSEXPLODE takes 2 column aliases (3 for a map), found 1"},
		{"interval to mismatch", "SELECT INTERVAL '1 2' HOUR TO SECOND", dialect.ErrSyntax,
			`syntax error at line 1, column 17: interval text '1 2' does not match HOUR TO SECOND`},
		{"sha2 bits", "SELECT sha2(s, 512)", dialect.ErrUnsupported,
			"unsupported function: SHA2 with 512 bits (zbemu does not implement it; only SHA2(x, 256) is available)"},
		{"variant_get type", "SELECT variant_get(v, '$.a', 'array<')", dialect.ErrUnsupported,
			"unsupported type: array< (zbemu does not implement it; not a Databricks type zbemu can read)"},
		{"xor after addition", "SELECT 1 + 2 ^ 3", dialect.ErrUnsupported,
			"unsupported syntax: ^ next to an arithmetic, & or shift operator (zbemu does not implement it; parenthesise the operands of ^)"},
		{"xor before multiplication", "SELECT a ^ b * 2 FROM t", dialect.ErrUnsupported,
			"unsupported syntax: ^ next to an arithmetic, & or shift operator (zbemu does not implement it; parenthesise the operands of ^)"},
		{"xor before concatenation", "SELECT a ^ b || c FROM t", dialect.ErrUnsupported,
			"unsupported syntax: ^ next to an arithmetic, & or shift operator (zbemu does not implement it; parenthesise the operands of ^)"},
		{"rlike computed", "SELECT s RLIKE concat('a', 'b')", dialect.ErrUnsupported,
			"unsupported syntax: RLIKE with a computed pattern (zbemu does not implement it; use regexp_like(value, pattern))"},
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

func TestEventLogError(t *testing.T) {
	want := errors.New("no pipeline p")
	var got []dialect.EventLogRef
	_, err := dialect.Translate("SELECT * FROM event_log(TABLE(main.lab.t)) JOIN event_log('p')", dialect.TranslateOptions{
		EventLog: func(ref dialect.EventLogRef) (string, error) {
			got = append(got, ref)
			if ref.PipelineID == "p" {
				return "", want
			}
			return "(SELECT 1)", nil
		},
	})
	wantRefs := []dialect.EventLogRef{{Table: dialect.QName{Parts: []string{"main", "lab", "t"}}}, {PipelineID: "p"}}
	if err != want || !reflect.DeepEqual(got, wantRefs) {
		t.Errorf("Translate error = %v after asking for %+v, want %v after %+v", err, got, want, wantRefs)
	}
}
