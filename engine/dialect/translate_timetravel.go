package dialect

import (
	"regexp"
	"strings"
)

// TimeTravelRef is a table reference with a time travel clause
// (https://docs.databricks.com/aws/en/sql/language-manual/sql-ref-names#table-name):
// name VERSION AS OF n, name TIMESTAMP AS OF expr, name@v<n> or
// name@yyyyMMddHHmmssSSS. One of Version and Timestamp is set.
type TimeTravelRef struct {
	Table QName
	// Multiple is set when the reference has more than one clause
	// (t@v1 VERSION AS OF 2), which Databricks refuses; the last one
	// is in Version or Timestamp.
	Multiple bool
	// Version is the version literal as written (digits, or a string).
	Version string
	// Timestamp is the timestamp expression translated to DuckDB SQL.
	Timestamp string
	// Calls are the names the timestamp expression calls, for the
	// engine's sealed-SQL checks before it evaluates the expression.
	Calls []string
}

// atVersion and atTimestamp are the @ forms' suffixes: v123 and
// yyyyMMddHHmmssSSS.
var (
	atVersion   = regexp.MustCompile(`^[vV]([0-9]+)$`)
	atTimestamp = regexp.MustCompile(`^([0-9]{4})([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{3})$`)
)

// isIntervalWord reports whether w may follow a literal inside a
// timestamp expression (INTERVAL 12 HOURS, INTERVAL '1' DAY TO SECOND)
// without being the relation's alias.
func isIntervalWord(w string) bool {
	w = strings.ToUpper(w)
	u := strings.TrimSuffix(w, "S")
	return intervalUnits[u] || u == "WEEK" || u == "MILLISECOND" || u == "MICROSECOND" || w == "TO"
}

// timeTravel renders a table reference with a time travel clause starting
// at toks[i] as the relation opts.TimeTravel returns, keeping the table's
// name as its alias when none follows. ok is false when toks[i] does not
// start one.
func (tr *translator) timeTravel(o *output, toks []token, i int) (int, bool, error) {
	last, parts := nameEnd(toks, i)
	k := nextSig(toks, last)
	if parts > 3 || k >= len(toks) {
		return i, false, nil
	}
	ref := TimeTravelRef{}
	for p := i; p <= last; p = nextSig(toks, nextSig(toks, p)) {
		ref.Table.Parts = append(ref.Table.Parts, toks[p].val)
	}
	end := -1
	for k < len(toks) {
		next, found, err := tr.timeTravelClause(toks, i, k, &ref)
		if err != nil {
			return i, false, err
		}
		if !found {
			break
		}
		ref.Multiple = end >= 0
		end, k = next, nextSig(toks, next)
	}
	if end < 0 {
		return i, false, nil
	}
	if tr.opts.Session != nil && tr.opts.Session.Stored {
		return i, false, &UnsupportedError{Kind: "clause", Construct: "time travel in a view's query",
			Hint: "a view reads the table's current version; query the version directly"}
	}
	if tr.opts.TimeTravel == nil {
		return i, false, &UnsupportedError{Kind: "clause", Construct: "VERSION AS OF / TIMESTAMP AS OF", Hint: "time travel is not available here"}
	}
	rel, err := tr.opts.TimeTravel(ref)
	if err != nil {
		return i, false, err
	}
	o.writeOperand(rel)
	if k >= len(toks) || !(toks[k].isKw("AS") || isName(toks, k) && !isAliasStop(toks[k])) {
		o.write(" AS " + quoteDuckIdent(ref.Table.Parts[len(ref.Table.Parts)-1]))
	}
	return end, true, nil
}

// timeTravelClause reads one time travel clause at toks[k] into ref and
// returns its last token. The name starts at toks[i].
func (tr *translator) timeTravelClause(toks []token, i, k int, ref *TimeTravelRef) (int, bool, error) {
	if k >= len(toks) {
		return k, false, nil
	}
	if toks[k].isOp("@") {
		p := prevSig(toks, i)
		if p < 0 || !(toks[p].isKw("FROM") || toks[p].isKw("JOIN") || toks[p].isOp(",") || toks[p].isKw("TABLE")) {
			return k, false, nil
		}
		n := nextSig(toks, k)
		if n < len(toks) {
			if m := atVersion.FindStringSubmatch(toks[n].val); m != nil && toks[n].kind == tokIdent {
				ref.Version, ref.Timestamp = m[1], ""
				return n, true, nil
			}
			if m := atTimestamp.FindStringSubmatch(toks[n].val); m != nil && toks[n].kind == tokNumber {
				ref.Version, ref.Timestamp = "", "TIMESTAMPTZ '"+m[1]+"-"+m[2]+"-"+m[3]+" "+m[4]+":"+m[5]+":"+m[6]+"."+m[7]+"'"
				return n, true, nil
			}
		}
		return k, false, tr.errAt(toks, n, "v<version> or a timestamp yyyyMMddHHmmssSSS after @")
	}
	kind := strings.ToUpper(toks[k].val)
	if toks[k].kind != tokIdent || kind != "VERSION" && kind != "TIMESTAMP" {
		return k, false, nil
	}
	as := nextSig(toks, k)
	of := nextSig(toks, as)
	if !isKwAt(toks, as, "AS") || !isKwAt(toks, of, "OF") {
		return k, false, nil
	}
	start := nextSig(toks, of)
	if kind == "VERSION" {
		if start >= len(toks) || toks[start].kind != tokNumber && toks[start].kind != tokString {
			return k, false, tr.errAt(toks, start, "a version number after VERSION AS OF")
		}
		ref.Version, ref.Timestamp = toks[start].val, ""
		return start, true, nil
	}
	end := timestampEnd(toks, start)
	if end < start {
		return k, false, tr.errAt(toks, start, "a timestamp expression after TIMESTAMP AS OF")
	}
	expr := toks[start : end+1]
	for _, t := range expr {
		if t.isKw("SELECT") || t.kind == tokParam || t.isOp(":") || t.isOp("?") {
			return k, false, &UnsupportedError{Kind: "clause", Construct: "TIMESTAMP AS OF with a subquery or parameter",
				Hint: "give a timestamp literal or an expression of literals and functions such as current_timestamp()"}
		}
	}
	text, err := tr.render(expr)
	if err != nil {
		return k, false, err
	}
	calls, _, _ := references(sigTokens(expr))
	ref.Version, ref.Timestamp, ref.Calls = "", strings.TrimSpace(text), append(ref.Calls, calls...)
	return end, true, nil
}

// timestampEnd returns the last token of the expression after TIMESTAMP
// AS OF that starts at toks[start]: it ends before a comma, a closing
// parenthesis, a clause keyword or the relation's alias at nesting depth
// 0.
func timestampEnd(toks []token, start int) int {
	end, depth := start-1, 0
	for k := start; k < len(toks); k = nextSig(toks, k) {
		t := toks[k]
		switch {
		case t.isOp("("):
			depth++
		case t.isOp(")"):
			if depth == 0 {
				return end
			}
			depth--
		case depth > 0:
		case t.isOp(",") || t.isOp(";") || isAliasStop(t) || t.isKw("AS"):
			return end
		case isName(toks, k) && end >= start && isValueEnd(toks, end) && !isIntervalWord(t.val):
			return end // the alias: a name right after a complete value
		}
		end = k
	}
	return end
}

func isKwAt(toks []token, i int, kw string) bool { return i >= 0 && i < len(toks) && toks[i].isKw(kw) }
