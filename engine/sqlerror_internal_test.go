package engine

import (
	"regexp"
	"strings"
	"testing"
)

// TestTranslateDuckMessage checks that DuckDB's messages become Databricks'
// error classes with the learner's names, and that nothing of DuckDB's
// shows through.
func TestTranslateDuckMessage(t *testing.T) {
	tests := []struct{ duck, class, contains string }{
		{"Catalog Error: Table with name missing does not exist!\nDid you mean \"pg_catalog.pg_settings\"?\n\nLINE 1: SELECT * FROM main_db.types.missing\n   ^",
			"TABLE_OR_VIEW_NOT_FOUND", "The table or view `missing` cannot be found."},
		{`Binder Error: Catalog "nope" does not exist!`, "TABLE_OR_VIEW_NOT_FOUND", "`nope`"},
		{`Catalog Error: Scalar Function with name foo does not exist!` + "\nDid you mean \"floor\"?", "UNRESOLVED_ROUTINE", "Cannot resolve routine `foo`"},
		{"Binder Error: Referenced column \"nope\" not found in FROM clause!\nCandidate bindings: \"a\", \"t.b\"", "UNRESOLVED_COLUMN.WITH_SUGGESTION", "[`a`, `t`.`b`]"},
		{`Parser Error: syntax error at or near "FROM"`, "PARSE_SYNTAX_ERROR", "Syntax error at or near 'FROM'."},
		{"Conversion Error: Could not convert string 'abc' to INT32", "CAST_INVALID_INPUT", `The value 'abc' of the type "STRING" cannot be cast to "INT"`},
		{"Conversion Error: Type INT32 with value 300 can't be cast because the value is out of range for the destination type INT8", "CAST_OVERFLOW", `cast to "TINYINT" due to an overflow`},
		{"Conversion Error: Failed to cast decimal value 128 to type INT8", "CAST_OVERFLOW", `The value 128 of the type "DECIMAL" cannot be cast to "TINYINT" due to an overflow`},
		{"Out of Range Error: Overflow in multiplication of INT64 (9223372036854775807 * 2)!", "ARITHMETIC_OVERFLOW", "long overflow. Use 'try_multiply'"},
		{"Invalid Input Error: [DIVIDE_BY_ZERO]", "DIVIDE_BY_ZERO", "Division by zero. Use `try_divide`"},
		{`Binder Error: column "x" must appear in the GROUP BY clause or must be part of an aggregate function.`, "MISSING_AGGREGATION", "The non-aggregating expression `x`"},
		{"Catalog Error: hot is not an table\nDid you mean \"main_db.__zbemu.tables\"?", "", "hot is not an table"},
		{"Binder Error: something about main_db.default.t", "", "something about main.default.t"},
	}
	internal := regexp.MustCompile(`main_db|__zbemu|pg_catalog|Catalog Error|Binder Error|Parser Error|Conversion Error|Out of Range Error|Invalid Input Error|LINE 1`)
	for _, tt := range tests {
		class, msg := translateDuckMessage(tt.duck)
		if class != tt.class || !strings.Contains(msg, tt.contains) {
			t.Errorf("%q:\n got [%s] %q\nwant [%s] containing %q", tt.duck, class, msg, tt.class, tt.contains)
		}
		if internal.MatchString(msg) {
			t.Errorf("%q: DuckDB shows through in %q", tt.duck, msg)
		}
	}
}

// TestQualifyNotFound names a table DuckDB names by one part as the
// statement wrote it.
func TestQualifyNotFound(t *testing.T) {
	msg := tableNotFoundText("`missing`")
	got := qualifyNotFound(msg, "SELECT * FROM main.types.missing JOIN x ON true")
	if !strings.Contains(got, "`main`.`types`.`missing` cannot be found") {
		t.Errorf("got %q", got)
	}
	got = qualifyNotFound(tableNotFoundText("`memory_db`"), "SELECT * FROM memory.main.x")
	if !strings.Contains(got, "`memory`.`main`.`x` cannot be found") {
		t.Errorf("got %q", got)
	}
}
