package dialect

import (
	"strconv"
	"strings"
)

// lateralView renders LATERAL VIEW [OUTER] generator(expr) t [AS] c, ...
// (toks[i] is LATERAL, toks[view] VIEW) as a DuckDB lateral join:
// ", LATERAL (SELECT unnest(expr) AS c) t", or for OUTER "LEFT JOIN
// LATERAL (...) t ON true", which keeps rows whose array is empty or NULL.
func (tr *translator) lateralView(o *output, toks []token, i, view int) (int, bool, error) {
	k := nextSig(toks, view)
	outer := k < len(toks) && toks[k].isKw("OUTER")
	if outer {
		k = nextSig(toks, k)
	}
	open := nextSig(toks, k)
	if k >= len(toks) || toks[k].kind != tokIdent || !isOpAt(toks, open, "(") {
		return i, false, tr.errAt(toks, k, "a generator function such as EXPLODE after LATERAL VIEW")
	}
	fn := strings.ToLower(toks[k].val)
	close := matchClose(&tr.steps, toks, open, "(", ")")
	if close < 0 {
		return i, false, tr.errAt(toks, len(toks), `")" after the arguments of `+strings.ToUpper(fn))
	}
	base := strings.TrimSuffix(fn, "_outer")
	outer = outer || base != fn
	if base != "explode" && base != "posexplode" {
		return i, false, unsupported("clause", "LATERAL VIEW "+strings.ToUpper(fn))
	}
	args := splitArgs(&tr.steps, toks[open+1:close])
	if len(args) != 1 {
		return i, false, syntaxErrorAt(tr.src, toks[k].start, strings.ToUpper(fn)+" takes 1 argument, found "+strconv.Itoa(len(args)))
	}
	arg, err := tr.render(args[0])
	if err != nil {
		return i, false, err
	}
	arg = strings.TrimSpace(arg)

	a := nextSig(toks, close)
	if !isName(toks, a) || isClauseWord(toks[a]) {
		return i, false, tr.errAt(toks, a, "a table alias after LATERAL VIEW "+strings.ToUpper(fn)+"(...)")
	}
	alias, last := identText(toks[a]), a
	var cols []string
	c := nextSig(toks, a)
	if c < len(toks) && toks[c].isKw("AS") {
		if !isName(toks, nextSig(toks, c)) {
			return i, false, tr.errAt(toks, nextSig(toks, c), "a column alias after AS")
		}
		c = nextSig(toks, c)
	}
	for isName(toks, c) && !isClauseWord(toks[c]) {
		cols, last = append(cols, identText(toks[c])), c
		comma := nextSig(toks, c)
		if !isOpAt(toks, comma, ",") {
			break
		}
		c = nextSig(toks, comma)
	}

	list, ok := generatorList(base, arg, cols)
	if !ok {
		want := "1 column alias (2 for a map)"
		if base == "posexplode" {
			want = "2 column aliases (3 for a map)"
		}
		return i, false, syntaxErrorAt(tr.src, toks[a].start, "LATERAL VIEW "+strings.ToUpper(fn)+" takes "+want+", found "+strconv.Itoa(len(cols)))
	}
	subquery := "LATERAL (SELECT " + list + ") " + alias
	if outer {
		o.write("LEFT JOIN " + subquery + " ON true")
	} else {
		// The comma goes right after the previous FROM item.
		text := string(o.buf)
		trimmed := strings.TrimRight(text, " \t\r\n")
		o.buf = append(append([]byte(trimmed), ','), text[len(trimmed):]...)
		if len(text) == len(trimmed) {
			o.write(" ")
		}
		o.write(subquery)
	}
	o.operand = -1
	return last, true, nil
}

// generatorList is the select list that unnests arg for explode or
// posexplode with the given column aliases (Spark's defaults if none).
func generatorList(fn, arg string, cols []string) (string, bool) {
	keys, values := "map_keys("+arg+")", "map_values("+arg+")"
	pos := func(list string) string { return "generate_subscripts(" + list + ", 1) - 1 AS " }
	switch {
	case fn == "explode" && len(cols) <= 1:
		col := "col"
		if len(cols) == 1 {
			col = cols[0]
		}
		return "unnest(" + arg + ") AS " + col, true
	case fn == "explode" && len(cols) == 2: // a map: key, value
		return "unnest(" + keys + ") AS " + cols[0] + ", unnest(" + values + ") AS " + cols[1], true
	case fn == "posexplode" && (len(cols) == 0 || len(cols) == 2):
		if len(cols) == 0 {
			cols = []string{"pos", "col"}
		}
		return pos(arg) + cols[0] + ", unnest(" + arg + ") AS " + cols[1], true
	case fn == "posexplode" && len(cols) == 3: // a map: pos, key, value
		return pos(keys) + cols[0] + ", unnest(" + keys + ") AS " + cols[1] + ", unnest(" + values + ") AS " + cols[2], true
	}
	return "", false
}

// isClauseWord reports whether t is a keyword that ends a LATERAL VIEW
// rather than naming its alias.
func isClauseWord(t token) bool {
	return t.kind == tokIdent && clauseWords[strings.ToUpper(t.val)]
}

var clauseWords = map[string]bool{
	"WHERE": true, "GROUP": true, "HAVING": true, "ORDER": true, "LIMIT": true,
	"OFFSET": true, "WINDOW": true, "QUALIFY": true, "UNION": true,
	"INTERSECT": true, "EXCEPT": true, "LATERAL": true, "JOIN": true,
	"INNER": true, "LEFT": true, "RIGHT": true, "FULL": true, "CROSS": true,
	"ON": true, "USING": true, "AS": true, "CLUSTER": true, "DISTRIBUTE": true,
	"SORT": true, "PIVOT": true, "UNPIVOT": true,
}

// errAt is a syntax error at toks[k] (or the end of toks) saying what was
// expected.
func (tr *translator) errAt(toks []token, k int, expected string) error {
	if k >= len(toks) {
		off := len(tr.src)
		if len(toks) > 0 {
			off = toks[len(toks)-1].end
		}
		return syntaxErrorAt(tr.src, off, "expected "+expected+", found end of statement")
	}
	return syntaxErrorAt(tr.src, toks[k].start, "expected "+expected+", found "+describe(tr.src, toks[k]))
}

// jsonPath renders the VARIANT/JSON path expr:a.b[0]['c'] (toks[i] is the
// colon) with an optional ::type as json_extract, json_extract_string or
// a cast of either. ok is false if what follows the colon is not a path.
func (tr *translator) jsonPath(o *output, toks []token, i int) (int, bool, error) {
	path, last, ok := readJSONPath(toks, i+1)
	if !ok {
		return i, false, nil
	}
	duck := ""
	if c := nextSig(toks, last); isOpAt(toks, c, "::") {
		text, end, ok := sparkType(tr.src, toks, nextSig(toks, c), 0)
		if !ok {
			return i, false, tr.errAt(toks, nextSig(toks, c), "a type after ::")
		}
		duck, last = text, end
	}
	value := o.cutOperand()
	if value == "" {
		return i, false, nil
	}
	o.writeOperand(jsonGet("CAST", value, quoteDuckString(path), duck))
	return last, true, nil
}

// readJSONPath reads a Databricks JSON path that starts right after the
// colon at toks[k] (no space between) and returns it as a DuckDB JSONPath.
func readJSONPath(toks []token, k int) (path string, last int, ok bool) {
	var b strings.Builder
	b.WriteString("$")
	for first := true; k < len(toks); first = false {
		t := toks[k]
		switch {
		case first && (t.kind == tokIdent || t.kind == tokQuotedIdent) && toks[k-1].end == t.start:
			b.WriteString("." + jsonKey(t.val))
			last = k
		case !first && t.isOp(".") && isName(toks, k+1):
			b.WriteString("." + jsonKey(toks[k+1].val))
			k++
			last = k
		case t.isOp("[") && (!first || toks[k-1].end == t.start):
			close := matchClose(nil, toks, k, "[", "]")
			inner := sigTokens(toks[k+1 : max(close, k+1)])
			if close < 0 || len(inner) != 1 {
				return "", 0, false
			}
			switch in := inner[0]; {
			case in.kind == tokNumber && in.suffix == "" && isDigits(in.val):
				b.WriteString("[" + in.val + "]")
			case in.kind == tokString:
				b.WriteString("." + jsonKey(in.val))
			case in.isOp("*"):
				b.WriteString("[*]")
			default:
				return "", 0, false
			}
			k, last = close, close
		default:
			return b.String(), last, !first
		}
		k++
	}
	return b.String(), last, last > 0
}

func isDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// jsonKey quotes a JSONPath key unless it is a plain name.
func jsonKey(k string) string {
	if isPlainIdentifier(k) {
		return k
	}
	return `"` + strings.ReplaceAll(k, `"`, `\"`) + `"`
}

// jsonGet extracts path (SQL text of a string) from the JSON value as
// DuckDB type duck ("" for JSON, as VARIANT): text for strings, a cast of
// the JSON for complex types, a cast of the text for other scalars.
func jsonGet(castFn, value, path, duck string) string {
	switch {
	case duck == "" || duck == "JSON":
		return "json_extract(" + value + ", " + path + ")"
	case duck == "VARCHAR":
		return "json_extract_string(" + value + ", " + path + ")"
	case isComplexType(duck):
		return castFn + "(json_extract(" + value + ", " + path + ") AS " + duck + ")"
	}
	return castFn + "(json_extract_string(" + value + ", " + path + ") AS " + duck + ")"
}

// subscript renders expr[i] (toks[i] is the "["): Spark arrays count from
// 0, DuckDB lists from 1. A string key (a map) is kept; any other index
// gets + 1, so a map with non-string keys must be read with element_at.
func (tr *translator) subscript(o *output, toks []token, i int) (int, error) {
	close := matchClose(&tr.steps, toks, i, "[", "]")
	if close < 0 {
		o.write("[")
		return i, nil
	}
	inner := toks[i+1 : close]
	// One pass over the top level of inner (groups skipped whole):
	// significant tokens (a group counts as two), a comma, a colon.
	var sig []token
	keep := false
	for k := 0; k < len(inner); k++ {
		tr.steps++
		if c := skipGroup(&tr.steps, inner, k); c > k {
			sig = append(sig, inner[k], inner[c])
			k = c
			continue
		}
		if t := inner[k]; !t.trivia() {
			sig = append(sig, t)
			// Empty, a slice a[1:2] or a list ARRAY[1, 2]: not Spark, keep it.
			keep = keep || t.isOp(":") || t.isOp(",")
		}
	}
	keep = keep || len(sig) == 0
	text, err := tr.render(inner)
	if err != nil {
		return i, err
	}
	text = strings.TrimSpace(text)
	switch {
	case keep || len(sig) == 1 && sig[0].kind == tokString:
	case len(sig) == 1 && sig[0].kind == tokNumber && sig[0].suffix == "" && isDigits(sig[0].val) && len(sig[0].val) < 18:
		n, _ := strconv.ParseInt(sig[0].val, 10, 64)
		text = strconv.FormatInt(n+1, 10)
	default:
		text = "(" + text + ") + 1"
	}
	o.write("[" + text + "]")
	return close, nil
}

// rlike renders a [NOT] RLIKE | REGEXP pattern (toks[i] is the keyword,
// toks[n] the pattern). Spark finds the pattern anywhere in a; DuckDB's ~
// matches the whole string, so the pattern is wrapped in (?s).*(?:...).*.
func (tr *translator) rlike(o *output, toks []token, i, n int) (int, bool, error) {
	op := "~"
	if p := prevSig(toks, i); p >= 0 && toks[p].isKw("NOT") {
		text := strings.TrimRight(string(o.buf), " \t\r\n")
		o.buf = o.buf[:len(text)-len("NOT")]
		op = "!~"
	}
	if n >= len(toks) {
		return i, false, tr.errAt(toks, n, "a pattern after "+strings.ToUpper(toks[i].val))
	}
	var pattern string
	switch t := toks[n]; {
	case t.kind == tokString:
		pattern = quoteDuckString("(?s).*(?:" + t.val + ").*")
	case t.kind == tokParam || isName(toks, n) && !isOpAt(toks, nextSig(toks, n), ".") && !isOpAt(toks, nextSig(toks, n), "("):
		text, err := tr.render(toks[n : n+1])
		if err != nil {
			return i, false, err
		}
		pattern = "('(?s).*(?:' || " + text + " || ').*')"
	default:
		return i, false, &UnsupportedError{Kind: "syntax", Construct: "RLIKE with a computed pattern", Hint: "use regexp_like(value, pattern)"}
	}
	o.write(op + " " + pattern)
	o.operand = -1
	return n, true, nil
}
