package dialect_test

import (
	"errors"
	"testing"

	"github.com/zbemu/zbemu/engine/dialect"
)

// FuzzParse checks that no input makes the package panic and that every
// error wraps one of the two sentinels, so the engine can always map it.
// Seeds: the parse test cases plus testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	for _, tc := range parseCases {
		f.Add(tc.sql)
	}
	opts := dialect.TranslateOptions{CatalogAlias: alias}
	f.Fuzz(func(t *testing.T, sql string) {
		checkErr := func(what string, err error) {
			if err != nil && !errors.Is(err, dialect.ErrSyntax) && !errors.Is(err, dialect.ErrUnsupported) {
				t.Fatalf("%s(%q): error %v wraps neither ErrSyntax nor ErrUnsupported", what, sql, err)
			}
		}
		_, err := dialect.ParseWith(sql, opts)
		checkErr("Parse", err)
		_, err = dialect.Translate(sql, opts)
		checkErr("Translate", err)
		dialect.Params(sql)
		stmts, err := dialect.Split(sql)
		checkErr("Split", err)
		for _, s := range stmts {
			if s == "" {
				t.Fatalf("Split(%q) returned an empty statement", sql)
			}
			_, err := dialect.ParseWith(s, opts)
			checkErr("Parse", err)
		}
	})
}
