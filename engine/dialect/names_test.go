package dialect

import (
	"reflect"
	"testing"
)

func TestNames(t *testing.T) {
	cases := []struct {
		stmt string
		want [][]string
		call []bool // nil: no name is called
	}{
		{"SELECT * FROM main.default.t", [][]string{{"select"}, {"from"}, {"main", "default", "t"}}, nil},
		{"select a.b FROM `Main`.`de fault`.T x", [][]string{{"select"}, {"a", "b"}, {"from"}, {"main", "de fault", "t"}, {"x"}}, nil},
		{"SELECT 'main.default.t', \"u\" -- v\n/* w */ FROM s . t", [][]string{{"select"}, {"from"}, {"s", "t"}}, nil},
		{"SELECT t.* FROM t", [][]string{{"select"}, {"t"}, {"from"}, {"t"}}, nil},
		{"SELECT :p, 1.5 FROM t", [][]string{{"select"}, {"from"}, {"t"}}, nil},
		{"SELECT count(*) FROM system.main.query_table ('u')", [][]string{{"select"}, {"count"}, {"from"}, {"system", "main", "query_table"}}, []bool{false, true, false, true}},
	}
	for _, c := range cases {
		names, err := Names(c.stmt)
		var got [][]string
		var call []bool
		for _, n := range names {
			got = append(got, n.Parts)
			call = append(call, n.Call)
		}
		if c.call == nil {
			c.call = make([]bool, len(c.want))
		}
		if err != nil || !reflect.DeepEqual(got, c.want) || !reflect.DeepEqual(call, c.call) {
			t.Errorf("Names(%q) = %q %v, %v; want %q %v", c.stmt, got, call, err, c.want, c.call)
		}
	}
}
