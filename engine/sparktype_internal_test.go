package engine

import "testing"

func TestTypeofName(t *testing.T) {
	tests := []struct{ duck, iv, want string }{
		{"INTEGER", "", "int"},
		{"BIGINT", "", "bigint"},
		{"HUGEINT", "", "bigint"},
		{"VARCHAR", "", "string"},
		{"DECIMAL(10,2)", "", "decimal(10,2)"},
		{"INTEGER[]", "", "array<int>"},
		{"MAP(VARCHAR, INTEGER)", "", "map<string,int>"},
		{`STRUCT(a INTEGER, "b c" VARCHAR[])`, "", "struct<a:int,`b c`:array<string>>"},
		{"TIMESTAMP WITH TIME ZONE", "", "timestamp"},
		{"TIMESTAMP", "", "timestamp_ntz"},
		{"JSON", "", "variant"},
		{`"NULL"`, "", "void"},
		{"INTERVAL", "1 year 2 months", "interval year to month"},
		{"INTERVAL", "3 days 04:05:06", "interval day to second"},
		{"INTERVAL", "", "interval day to second"},
		{"INTERVAL", "1 month 2 days", "interval"},
	}
	for _, tc := range tests {
		if got := typeofName(tc.duck, tc.iv); got != tc.want {
			t.Errorf("typeofName(%q, %q) = %q, want %q", tc.duck, tc.iv, got, tc.want)
		}
	}
}
