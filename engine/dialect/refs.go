package dialect

import "strings"

// references lists, from the significant tokens of a query, the names it
// calls as functions (a name, plain or quoted, followed by "(") and the
// names it uses as qualifiers (followed by "."), lower case. The engine
// refuses the ones that reach outside zbemu or into its hidden metadata;
// the lexer agrees with DuckDB on what is a string and what is code, so
// what is listed here is all the code DuckDB will see.
//
// paths lists what DuckDB would read as a file path: a string right after
// FROM or JOIN (DuckDB's replacement scans read 'x.csv' and attach
// 'x.duckdb' there) and quoted names with a slash.
func references(toks []token) (calls, qualifiers, paths []string) {
	for i, t := range toks {
		if t.kind == tokString && i > 0 && (toks[i-1].isKw("FROM") && !inTrim(toks, i) || toks[i-1].isKw("JOIN")) ||
			t.kind == tokQuotedIdent && strings.ContainsAny(t.val, `/\`) {
			paths = append(paths, t.val)
		}
	}
	for _, n := range names(toks) {
		last := len(n.Parts) - 1
		if n.Dot {
			last++
		}
		qualifiers = append(qualifiers, n.Parts[:last]...)
		if n.Call {
			calls = append(calls, n.Parts[len(n.Parts)-1])
		}
	}
	return calls, qualifiers, paths
}

// inTrim reports whether toks[i] is inside the parentheses of TRIM(...),
// where FROM introduces the trimmed string (TRIM(BOTH 'x' FROM 'xax')),
// not a relation. toks are significant tokens.
func inTrim(toks []token, i int) bool {
	depth := 0
	for k := i - 1; k >= 0; k-- {
		switch {
		case toks[k].isOp(")"):
			depth++
		case toks[k].isOp("("):
			if depth == 0 {
				return k > 0 && toks[k-1].isKw("TRIM")
			}
			depth--
		}
	}
	return false
}
