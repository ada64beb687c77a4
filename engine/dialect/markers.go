package dialect

import "strings"

// Lexical helpers for code that builds statements out of Databricks SQL
// fragments (the Lakeview widget query compiler): they see the text as the
// translator does, so a ':name' or 'sum(' inside a string literal, a
// backtick identifier or a comment is never taken for code.

// Marker is one :name parameter marker of a statement. Member is the name
// after a dot that directly follows it (":range.min" has Member "min"),
// and End is then the end of that name, so stmt[Start:End] covers
// ":range.min" — Databricks' spelling of the bounds of a range parameter.
type Marker struct {
	Name, Member string
	Start, End   int
}

// ParamMarkers lists the parameter markers of stmt in order.
func ParamMarkers(stmt string) ([]Marker, error) {
	toks, err := lex(stmt)
	if err != nil {
		return nil, err
	}
	var out []Marker
	for i, t := range toks {
		if t.kind != tokParam {
			continue
		}
		m := Marker{Name: t.val, Start: t.start, End: t.end}
		if i+2 < len(toks) && toks[i+1].isOp(".") && toks[i+1].start == t.end &&
			toks[i+2].kind == tokIdent && toks[i+2].start == toks[i+1].end {
			m.Member, m.End = strings.ToLower(toks[i+2].val), toks[i+2].end
		}
		out = append(out, m)
	}
	return out, nil
}

// Calls lists the upper-case names of the functions expr calls (a name
// directly followed by an opening parenthesis, spaces allowed), in order.
func Calls(expr string) ([]string, error) {
	toks, err := lex(expr)
	if err != nil {
		return nil, err
	}
	var out []string
	for i, t := range toks {
		if t.kind != tokIdent {
			continue
		}
		if n := nextSig(toks, i); n < len(toks) && toks[n].isOp("(") {
			out = append(out, strings.ToUpper(t.val))
		}
	}
	return out, nil
}

// Identifiers lists the identifiers expr mentions (bare or `backtick`-quoted,
// as written, keywords included), in order.
func Identifiers(expr string) ([]string, error) {
	toks, err := lex(expr)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, t := range toks {
		if t.kind == tokIdent || t.kind == tokQuotedIdent {
			out = append(out, t.val)
		}
	}
	return out, nil
}
