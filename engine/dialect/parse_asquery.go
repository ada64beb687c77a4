package dialect

import "strings"

// asQuery reads the query that ends a CREATE ... AS statement (CTAS, and
// the pipeline and view forms): it returns the query translated for DuckDB
// with the names the engine's sealed-SQL checks need, and the query's text
// as written, which authorization reads.
func (p *parser) asQuery() (*Query, string, error) {
	calls, qualifiers, paths := references(p.toks[p.pos : len(p.toks)-1])
	k := p.pos
	for p.at(k).isOp("(") {
		k++
	}
	kind := strings.ToUpper(p.at(k).val)
	from, to := p.peek().start, p.at(len(p.toks)-1).start
	sql, err := p.translateRest(nil)
	if err != nil {
		return nil, "", err
	}
	return &Query{SQL: sql, Kind: kind, Calls: calls, Qualifiers: qualifiers, Paths: paths}, p.src[from:to], nil
}
