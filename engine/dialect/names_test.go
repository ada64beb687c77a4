package dialect

import (
	"reflect"
	"testing"
)

func TestNames(t *testing.T) {
	cases := []struct {
		stmt string
		want [][]string
	}{
		{"SELECT * FROM main.default.t", [][]string{{"select"}, {"from"}, {"main", "default", "t"}}},
		{"select a.b FROM `Main`.`de fault`.T x", [][]string{{"select"}, {"a", "b"}, {"from"}, {"main", "de fault", "t"}, {"x"}}},
		{"SELECT 'main.default.t', \"u\" -- v\n/* w */ FROM s . t", [][]string{{"select"}, {"from"}, {"s", "t"}}},
		{"SELECT t.* FROM t", [][]string{{"select"}, {"t"}, {"from"}, {"t"}}},
		{"SELECT :p, 1.5 FROM t", [][]string{{"select"}, {"from"}, {"t"}}},
	}
	for _, c := range cases {
		got, err := Names(c.stmt)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("Names(%q) = %q, %v; want %q", c.stmt, got, err, c.want)
		}
	}
}
