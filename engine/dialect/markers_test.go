package dialect_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/zbemu/zbemu/engine/dialect"
)

// TestParamMarkers: markers are found as the translator sees them, never
// inside strings, backtick names or comments, and a range bound's member
// (:r.min) belongs to its marker.
func TestParamMarkers(t *testing.T) {
	stmt := "SELECT ':no', `:no`, v:path, :a -- :no\n FROM t WHERE ts BETWEEN :r.min AND :r.max /* :no */ AND x = :a"
	ms, err := dialect.ParamMarkers(stmt)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range ms {
		got = append(got, fmt.Sprintf("%s.%s=%s", m.Name, m.Member, stmt[m.Start:m.End]))
	}
	if want := []string{"a.=:a", "r.min=:r.min", "r.max=:r.max", "a.=:a"}; !slices.Equal(got, want) {
		t.Errorf("markers %q, want %q", got, want)
	}
	calls, _ := dialect.Calls("SUM(`x`) + count (*) + `f`(1) + 'max(' + coalesce(a, b)")
	if want := []string{"SUM", "COUNT", "COALESCE"}; !slices.Equal(calls, want) {
		t.Errorf("calls %q, want %q", calls, want)
	}
	ids, _ := dialect.Identifiers("COUNT_IF(`associative_filter_predicate_group`) + 'x'")
	if want := []string{"COUNT_IF", "associative_filter_predicate_group"}; !slices.Equal(ids, want) {
		t.Errorf("identifiers %q, want %q", ids, want)
	}
}
