package dialect

import (
	"errors"
	"strings"
	"testing"
)

// TestTranslateNesting checks that deeply nested rewritten constructs
// translate in linear work: the translator's step count (tokens visited)
// at depth 2n is about twice that at depth n. It counts work rather than
// timing it, so it holds on a loaded machine.
func TestTranslateNesting(t *testing.T) {
	steps := func(open, close string, depth int) int {
		src := "SELECT " + strings.Repeat(open, depth) + "x" + strings.Repeat(close, depth)
		toks, err := lex(src)
		if err != nil {
			t.Fatal(err)
		}
		tr := &translator{src: src}
		if _, err := tr.render(toks[:len(toks)-1]); err != nil && !errors.Is(err, ErrUnsupported) {
			t.Fatalf("Translate(%s...): %v", open, err)
		}
		return tr.steps
	}
	for _, tc := range []struct{ open, close string }{
		{"size(", ")"},
		{"trunc(", ")"},
		{"struct(", " AS a)"},
		{"collect_list(DISTINCT ", ")"},
		{"CAST(", " AS STRING)"},
		{"a[", "]"},
		{"(", "):a"},
		{"pmod(1, ", ")"},
		{"(SELECT * FROM VALUES (", "), (1) t(a))"},
		{"(SELECT * FROM VALUES (", "), ("},
	} {
		const n = 400
		a, b := steps(tc.open, tc.close, n), steps(tc.open, tc.close, 2*n)
		if ratio := float64(b) / float64(a); ratio > 2.2 {
			t.Errorf("%s...: %d steps at depth %d, %d at depth %d (ratio %.2f, want about 2: linear)", tc.open, a, n, b, 2*n, ratio)
		}
	}
}
