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
	for _, tc := range pipelineCases {
		f.Add(tc.sql)
	}
	opts := dialect.TranslateOptions{CatalogAlias: alias, EventLog: eventLogForTest}
	f.Fuzz(func(t *testing.T, sql string) {
		checkErr := func(what string, err error) {
			if err != nil && !errors.Is(err, dialect.ErrSyntax) && !errors.Is(err, dialect.ErrUnsupported) {
				t.Fatalf("%s(%q): error %v wraps neither ErrSyntax nor ErrUnsupported", what, sql, err)
			}
		}
		_, err := dialect.ParseWith(sql, opts)
		checkErr("Parse", err)
		if d, err := dialect.ParseDataset(sql, opts); err != nil {
			checkErr("ParseDataset", err)
		} else {
			_, err := d.TranslateQuery(opts, resolveForTest)
			checkErr("TranslateQuery", err)
		}
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

// FuzzTranslate checks that Translate never panics, that its errors wrap
// a sentinel, and that what it returns never leaves a string literal or a
// quoted identifier open. Seeds: the translation test cases, including
// the Spark functions and the dashboard queries' constructs.
func FuzzTranslate(f *testing.F) {
	for _, tc := range sparkCases {
		f.Add(tc.sql)
	}
	for _, tc := range parseCases {
		f.Add(tc.sql)
	}
	for _, tc := range pipelineCases {
		f.Add(tc.sql)
	}
	for _, s := range []string{
		"SELECT e.error_code FROM system.lakeflow.zerobus_stream LATERAL VIEW EXPLODE(errors) t AS e WHERE SIZE(errors) > 0 AND event_time >= NOW() - INTERVAL 7 DAYS AND (:p_table = 'All' OR table_name = :p_table)",
		"SELECT UNIX_TIMESTAMP(c.closed_time) - UNIX_TIMESTAMP(o.opened_time) FROM s o JOIN s c ON o.id = c.id",
		"SELECT v:['it''s'], v:`a\"b`, date_format(ts, 'h ''o''''clock'''), X'', INTERVAL '' DAY",
	} {
		f.Add(s)
	}
	opts := dialect.TranslateOptions{CatalogAlias: alias, EventLog: eventLogForTest}
	f.Fuzz(func(t *testing.T, sql string) {
		out, err := dialect.Translate(sql, opts)
		if err != nil {
			if !errors.Is(err, dialect.ErrSyntax) && !errors.Is(err, dialect.ErrUnsupported) {
				t.Fatalf("Translate(%q): error %v wraps neither ErrSyntax nor ErrUnsupported", sql, err)
			}
			return
		}
		if q := openQuote(out); q != 0 {
			t.Fatalf("Translate(%q) = %q, which leaves a %c quote open", sql, out, q)
		}
	})
}

// openQuote returns the quote character left open at the end of DuckDB
// SQL text, or 0. Inside '...' and "...", a doubled quote is the quote
// itself.
func openQuote(sql string) byte {
	var open byte
	for i := 0; i < len(sql); i++ {
		c := sql[i]
		switch {
		case open == 0 && (c == '\'' || c == '"'):
			open = c
		case open != 0 && c == open:
			if i+1 < len(sql) && sql[i+1] == open {
				i++
				continue
			}
			open = 0
		}
	}
	return open
}
