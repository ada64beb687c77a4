package dialect

import "strings"

// merge parses MERGE INTO target [[AS] alias] USING source ON cond
// WHEN ... clauses (https://docs.databricks.com/aws/en/sql/language-manual/delta-merge-into)
// into a *Query of kind MERGE that DuckDB runs with its own MERGE INTO
// (https://duckdb.org/docs/stable/sql/statements/merge_into).
//
// The grammars agree except for the star forms: Spark's UPDATE SET * and
// INSERT * take the source's columns by name, DuckDB's by position, so
// they become DuckDB's UPDATE BY NAME and INSERT BY NAME. A source that
// lacks some target column then leaves that column unchanged (UPDATE) or
// NULL (INSERT), where Databricks fails to resolve it.
func (p *parser) merge() (Statement, error) {
	start := p.peek()
	p.next()
	if p.word(0) == "WITH" {
		return nil, &UnsupportedError{Kind: "clause", Construct: "MERGE WITH SCHEMA EVOLUTION",
			Hint: "add the new columns with ALTER TABLE ... ADD COLUMNS first"}
	}
	if err := p.expectKw("INTO", "after MERGE"); err != nil {
		return nil, err
	}
	var b strings.Builder
	last := start.start
	replace := func(from, to int, with string) {
		b.WriteString(p.src[last:from])
		b.WriteString(with)
		last = to
	}
	using := false
	for i := p.pos; p.at(i).kind != tokEOF; i++ {
		t, next := p.at(i), p.at(i+1)
		switch {
		case t.isKw("USING"):
			using = true
		case t.isKw("SET") && p.at(i-1).isKw("UPDATE") && next.isOp("*"):
			replace(t.start, next.end, "BY NAME")
		case t.isKw("INSERT") && next.isOp("*"):
			replace(next.start, next.end, "BY NAME")
		}
	}
	if !using {
		return nil, p.errAt(p.peek(), "expected USING source ON condition in MERGE INTO, found end of statement")
	}
	end := p.at(len(p.toks) - 1).start
	b.WriteString(p.src[last:end])
	text := b.String()
	toks, err := lex(text)
	if err != nil {
		return nil, err
	}
	var sig []token
	for _, t := range toks {
		if !t.trivia() && t.kind != tokEOF {
			sig = append(sig, t)
		}
	}
	calls, qualifiers, paths := references(sig)
	sql, err := translateTokens(text, toks[:len(toks)-1], p.opts)
	if err != nil {
		return nil, err
	}
	p.pos = len(p.toks) - 1
	return &Query{SQL: sql, Kind: "MERGE", Calls: calls, Qualifiers: qualifiers, Paths: paths}, nil
}
