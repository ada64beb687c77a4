package engine

import "testing"

func TestBindParamsIgnoresQuotedText(t *testing.T) {
	v := "7"
	tests := []struct {
		name, in, want string
		args           int
	}{
		{"marker", "SELECT $n", "SELECT CAST($n AS INTEGER)", 1},
		{"dollar in a string", "SELECT '$n costs $5', $n", "SELECT '$n costs $5', CAST($n AS INTEGER)", 1},
		{"doubled quote", "SELECT 'it''s $n', \"col$n\", $n", "SELECT 'it''s $n', \"col$n\", CAST($n AS INTEGER)", 1},
		{"unterminated string", "SELECT '$n", "SELECT '$n", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args, got, err := bindParams(tc.in, []Param{{Name: "n", Value: &v, Type: "INT"}})
			if err != nil || got != tc.want || len(args) != tc.args {
				t.Errorf("got %q, %d args, %v; want %q, %d args", got, len(args), err, tc.want, tc.args)
			}
		})
	}
}
