package engine_test

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"slices"
	"strings"
	"testing"

	"github.com/zbemu/zbemu/engine"
)

// TestCategoriesCoverCatalogue reads errors.go and checks that every
// sentinel declared there (errors.New, or re-exported from package
// identity) has exactly one row in engine.Categories, so a
// sentinel added without a row (and so without a wire mapping) fails here.
func TestCategoriesCoverCatalogue(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "errors.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var declared, rows []string
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.ValueSpec:
			for i, name := range n.Names {
				if i >= len(n.Values) {
					break
				}
				if call, ok := n.Values[i].(*ast.CallExpr); ok && strings.HasPrefix(name.Name, "Err") {
					if sel, ok := call.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "New" {
						declared = append(declared, name.Name)
					}
				}
				// A sentinel of package identity, re-exported (ErrX = identity.ErrX).
				if sel, ok := n.Values[i].(*ast.SelectorExpr); ok && strings.HasPrefix(name.Name, "Err") && strings.HasPrefix(sel.Sel.Name, "Err") {
					declared = append(declared, name.Name)
				}
				if name.Name == "Categories" {
					for _, row := range n.Values[i].(*ast.CompositeLit).Elts {
						rows = append(rows, row.(*ast.CompositeLit).Elts[0].(*ast.Ident).Name)
					}
				}
			}
		}
		return true
	})
	if len(declared) < 10 {
		t.Fatalf("found only %d sentinels in errors.go: %v", len(declared), declared)
	}
	slices.Sort(declared)
	slices.Sort(rows)
	if !slices.Equal(declared, rows) {
		t.Errorf("every sentinel needs exactly one row in Categories:\nsentinels: %v\nrows:      %v", declared, rows)
	}
	if len(rows) != len(engine.Categories) {
		t.Errorf("parsed %d rows, Categories has %d", len(rows), len(engine.Categories))
	}
}

// TestClassify checks that each sentinel, wrapped as the engine wraps it,
// selects its own row, and that anything else is Internal.
func TestClassify(t *testing.T) {
	for _, c := range engine.Categories {
		t.Run(c.Code+"/"+c.Err.Error(), func(t *testing.T) {
			err := fmt.Errorf("open table %q: %w: details", "t", c.Err)
			if got := engine.Classify(err); got != c {
				t.Errorf("Classify = %+v, want %+v", got, c)
			}
			if got := engine.SQLState(err); got != c.SQLState || len(got) != 5 {
				t.Errorf("SQLState = %q, want %q (5 characters)", got, c.SQLState)
			}
		})
	}
	for _, err := range []error{errors.New("disk I/O error: /data/x"), fmt.Errorf("wrapped: %w", errors.New("boom"))} {
		if got := engine.Classify(err); got != engine.Internal {
			t.Errorf("Classify(%v) = %+v, want Internal", err, got)
		}
	}
	if got := engine.SQLState(errors.New("boom")); got != "XX000" {
		t.Errorf("SQLState of an unknown error = %q, want XX000", got)
	}
	if got := engine.Classify(nil); got != (engine.Category{}) {
		t.Errorf("Classify(nil) = %+v", got)
	}
}
