package dialect

import "strings"

// Name is a dotted name of a statement: lower-case parts, and whether it is
// called (a function: a "(" follows) or qualifies something that is not a
// name (a "." follows, as in t.*).
type Name struct {
	Parts []string
	Call  bool
	Dot   bool
}

// Names returns every dotted name in a statement, in order: a.b.c, `x`.y
// and single identifiers (keywords included). Strings, comments and numbers
// are skipped. It reads the statement with the same lexer as the
// translator, so it sees exactly the identifiers DuckDB will be given; the
// engine takes it as a superset of the tables a statement can reach (joins,
// subqueries, CTEs, DML targets alike), because a name that is not written
// cannot be resolved.
func Names(stmt string) ([]Name, error) {
	toks, err := lex(stmt)
	if err != nil {
		return nil, err
	}
	var sig []token
	for _, t := range toks {
		if !t.trivia() {
			sig = append(sig, t)
		}
	}
	return names(sig), nil
}

// names reads the dotted names of significant tokens (no trivia).
func names(sig []token) []Name {
	isName := func(t token) bool { return t.kind == tokIdent || t.kind == tokQuotedIdent }
	var out []Name
	for i := 0; i < len(sig); i++ {
		if !isName(sig[i]) || (i > 0 && sig[i-1].isOp(".")) {
			continue
		}
		n := Name{Parts: []string{strings.ToLower(sig[i].val)}}
		for i+2 < len(sig) && sig[i+1].isOp(".") && isName(sig[i+2]) {
			n.Parts = append(n.Parts, strings.ToLower(sig[i+2].val))
			i += 2
		}
		n.Call = i+1 < len(sig) && sig[i+1].isOp("(")
		n.Dot = i+1 < len(sig) && sig[i+1].isOp(".")
		out = append(out, n)
	}
	return out
}
