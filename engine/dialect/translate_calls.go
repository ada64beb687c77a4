package dialect

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// special renders the construct that starts with the unquoted word
// toks[i] if it is one DuckDB spells differently: a function call in
// funcRewrites, CAST, LATERAL VIEW, an INTERVAL or typed literal, or the
// DIV operator. ok is false when toks[i] is left to the caller.
func (tr *translator) special(o *output, toks []token, i int) (last int, ok bool, err error) {
	t := toks[i]
	word := strings.ToUpper(t.val)
	n := nextSig(toks, i)
	if word == "VALUES" {
		if last, ok, err := tr.valuesTable(o, toks, i); ok || err != nil {
			return last, ok, err
		}
	}
	switch {
	case isOpAt(toks, n, "("):
		if p := prevSig(toks, i); p >= 0 && (toks[p].isOp(")") || toks[p].isKw("INTO") || toks[p].isKw("TABLE") || toks[p].isKw("UPDATE")) {
			return i, false, nil // FILTER (...) after a call, or a table name
		}
		if word == "CAST" || word == "TRY_CAST" {
			return tr.cast(o, toks, i, n)
		}
		return tr.call(o, toks, i, n)
	case word == "LATERAL" && n < len(toks) && toks[n].isKw("VIEW"):
		return tr.lateralView(o, toks, i, n)
	case word == "INTERVAL":
		return tr.interval(o, toks, i)
	case (word == "RLIKE" || word == "REGEXP") && (isValueEnd(toks, prevSig(toks, i)) || toks[max(prevSig(toks, i), 0)].isKw("NOT")):
		return tr.rlike(o, toks, i, n)
	case word == "DIV" && isValueEnd(toks, prevSig(toks, i)):
		if last, ok, err := tr.divisor(o, toks, i, "//"); ok || err != nil {
			return last, ok, err
		}
		o.write("//")
		return i, true, nil
	case n < len(toks) && toks[n].kind == tokString:
		return tr.typedLiteral(o, toks, i, n)
	}
	return i, false, nil
}

// call is one function call being rewritten.
type call struct {
	tr   *translator
	name token     // the function name as typed
	pos  int       // the index of name in toks
	toks []token   // the slice the call is in
	raw  [][]token // the arguments' tokens, trivia trimmed
	args []string  // the arguments translated
	last int       // last token consumed (close, or the end of a suffix)
}

// maxCallText bounds the DuckDB text of one rewritten call, beyond 16
// bytes per byte of the statement.
const maxCallText = 1 << 20

// rewriteFunc returns the DuckDB text of a call, or "" to leave the call
// as typed. Each argument is rendered once, into args; a rewrite derives
// what it needs from that text rather than rendering raw again, which
// would make nested calls take exponential time.
type rewriteFunc func(c *call) (string, error)

// call rewrites the call of the function named toks[i] whose "(" is
// toks[open], if funcRewrites has it.
func (tr *translator) call(o *output, toks []token, i, open int) (int, bool, error) {
	rw, ok := funcRewrites[strings.ToLower(toks[i].val)]
	if !ok {
		return i, false, nil
	}
	close := matchClose(&tr.steps, toks, open, "(", ")")
	if close < 0 {
		return i, false, nil
	}
	c := &call{tr: tr, name: toks[i], pos: i, toks: toks, last: close}
	for _, arg := range splitArgs(&tr.steps, toks[open+1:close]) {
		text, err := tr.render(arg)
		if err != nil {
			return i, false, err
		}
		c.raw = append(c.raw, arg)
		c.args = append(c.args, strings.TrimSpace(text))
	}
	c.castDateLiteral()
	text, err := rw(c)
	if err != nil {
		return i, false, err
	}
	if text == "" {
		// Left as typed, from the arguments already translated: rendering
		// the tokens again would make nested calls exponential.
		text = c.name.val + "(" + strings.Join(c.args, ", ") + ")"
	}
	if len(text) > maxCallText+16*len(tr.src) {
		// Rewrites such as PMOD repeat an argument; nesting them must
		// not make the translation grow exponentially.
		return i, false, &UnsupportedError{Kind: "syntax", Construct: "nesting of " + strings.ToUpper(toks[i].val) + " this deep"}
	}
	o.writeOperand(text)
	return c.last, true, nil
}

// cast renders CAST(x AS type) and TRY_CAST(x AS type), translating the
// type.
func (tr *translator) cast(o *output, toks []token, i, open int) (int, bool, error) {
	close := matchClose(&tr.steps, toks, open, "(", ")")
	if close < 0 {
		return i, false, nil
	}
	inner := toks[open+1 : close]
	as := -1
	depth := 0
	for k := 0; k < len(inner); k++ {
		tr.steps++
		if c := skipGroup(&tr.steps, inner, k); c > k {
			k = c
			continue
		}
		switch t := inner[k]; {
		case t.isOp("(") || t.isOp("["):
			depth++
		case t.isOp(")") || t.isOp("]"):
			depth--
		case depth == 0 && t.isKw("AS"):
			as = k
		}
	}
	if as < 0 {
		return i, false, nil
	}
	typ, last, ok := sparkType(tr.src, inner, nextSig(inner, as), 0)
	if !ok || nextSig(inner, last) != len(inner) {
		return i, false, nil
	}
	expr, err := tr.render(inner[:as])
	if err != nil {
		return i, false, err
	}
	expr = strings.TrimSpace(expr)
	if text, ok := integralCast(toks[i].val, expr, inner[:as], typ); ok {
		o.writeOperand(text)
		return close, true, nil
	}
	o.writeOperand(toks[i].val + "(" + expr + " AS " + typ + ")")
	return close, true, nil
}

// matchClose returns the index of the token that closes toks[open], or -1.
func matchClose(steps *int, toks []token, open int, left, right string) int {
	if t := toks[open]; t.isOp(left) && t.closeAt > 0 {
		// Tokens are in source order: find the recorded close by offset.
		rest := toks[open:]
		k := sort.Search(len(rest), func(k int) bool { return rest[k].start >= t.closeAt-1 })
		count(steps, 1)
		if k < len(rest) && rest[k].start == t.closeAt-1 && rest[k].isOp(right) {
			return open + k
		}
	}
	// lex matched every bracket (matchBrackets): one without closeAt has
	// no close, and scanning for one would make unbalanced nesting
	// quadratic.
	return -1
}

// count adds n to the translator's step counter, if there is one.
func count(steps *int, n int) {
	if steps != nil {
		*steps += n
	}
}

// skipGroup returns the index of the bracket that closes the one at
// toks[k], or k if toks[k] opens nothing matched within toks.
func skipGroup(steps *int, toks []token, k int) int {
	t := toks[k]
	for b, left := range []string{"(", "[", "{"} {
		if t.isOp(left) && t.closeAt > 0 {
			if c := matchClose(steps, toks, k, left, []string{")", "]", "}"}[b]); c > 0 {
				return c
			}
		}
	}
	return k
}

// splitArgs cuts toks at the commas outside brackets and trims trivia from
// each part; no tokens at all is no arguments. Bracketed groups are
// skipped whole, so the work is the number of top-level tokens.
func splitArgs(steps *int, toks []token) [][]token {
	var out [][]token
	depth, from := 0, 0
	for k := 0; k < len(toks); k++ {
		count(steps, 1)
		if c := skipGroup(steps, toks, k); c > k {
			k = c
			continue
		}
		switch t := toks[k]; {
		case t.isOp("(") || t.isOp("[") || t.isOp("{"):
			depth++
		case t.isOp(")") || t.isOp("]") || t.isOp("}"):
			depth--
		case depth == 0 && t.isOp(","):
			out = append(out, trimTrivia(toks[from:k]))
			from = k + 1
		}
	}
	if last := trimTrivia(toks[from:]); len(last) > 0 || len(out) > 0 {
		out = append(out, last)
	}
	return out
}

func trimTrivia(toks []token) []token {
	for len(toks) > 0 && toks[0].trivia() {
		toks = toks[1:]
	}
	for len(toks) > 0 && toks[len(toks)-1].trivia() {
		toks = toks[:len(toks)-1]
	}
	return toks
}

// upper is the function name as the learner typed it, upper-cased, for
// messages.
func (c *call) upper() string { return strings.ToUpper(c.name.val) }

// arity fails unless the call has one of the given numbers of arguments.
func (c *call) arity(counts ...int) error {
	for _, n := range counts {
		if len(c.args) == n {
			return nil
		}
	}
	want := make([]string, len(counts))
	for k, n := range counts {
		want[k] = strconv.Itoa(n)
	}
	plural := "s"
	if len(counts) == 1 && counts[0] == 1 {
		plural = ""
	}
	return syntaxErrorAt(c.tr.src, c.name.start, fmt.Sprintf("%s takes %s argument%s, found %d",
		c.upper(), strings.Join(want, " or "), plural, len(c.args)))
}

// str returns the value of argument k if it is a string literal.
func (c *call) str(k int) (string, bool) {
	if k >= len(c.raw) || len(c.raw[k]) == 0 {
		return "", false
	}
	var b strings.Builder
	for _, t := range c.raw[k] {
		switch {
		case t.kind == tokString:
			b.WriteString(t.val)
		case !t.trivia():
			return "", false
		}
	}
	return b.String(), true
}

// word returns argument k upper-cased if it is a single word or a string
// literal (the unit of DATEADD(HOUR, ...) or DATE_TRUNC('hour', ...)).
func (c *call) word(k int) (string, bool) {
	if s, ok := c.str(k); ok {
		return strings.ToUpper(strings.TrimSpace(s)), true
	}
	if k < len(c.raw) && len(c.raw[k]) == 1 && c.raw[k][0].kind == tokIdent {
		return strings.ToUpper(c.raw[k][0].val), true
	}
	return "", false
}

// fill replaces {0}, {1}, ... in format with the arguments and {*} with
// all of them.
func (c *call) fill(format string) string {
	var b strings.Builder
	for {
		open := strings.IndexByte(format, '{')
		end := strings.IndexByte(format[max(open, 0):], '}') + max(open, 0)
		if open < 0 || end <= open {
			b.WriteString(format)
			return b.String()
		}
		b.WriteString(format[:open])
		switch key := format[open+1 : end]; {
		case key == "*":
			b.WriteString(strings.Join(c.args, ", "))
		default:
			if k, err := strconv.Atoi(key); err == nil && k < len(c.args) {
				b.WriteString(c.args[k])
			} else {
				b.WriteString(format[open : end+1])
			}
		}
		format = format[end+1:]
	}
}

// suffix consumes the FILTER (WHERE ...) and OVER ... clauses after an
// aggregate call, returning the filter condition and the OVER clause as
// DuckDB text, so a rewrite can place them inside what it wraps the call
// in.
func (c *call) suffix() (filter, over string, err error) {
	toks := c.toks
	k := nextSig(toks, c.last)
	if k < len(toks) && toks[k].isKw("FILTER") && isOpAt(toks, nextSig(toks, k), "(") {
		open := nextSig(toks, k)
		close := matchClose(&c.tr.steps, toks, open, "(", ")")
		if w := nextSig(toks, open); close > 0 && w < close && toks[w].isKw("WHERE") {
			if filter, err = c.tr.render(toks[w+1 : close]); err != nil {
				return "", "", err
			}
			filter = strings.TrimSpace(filter)
			c.last = close
			k = nextSig(toks, close)
		}
	}
	if k < len(toks) && toks[k].isKw("OVER") {
		end := nextSig(toks, k)
		if isOpAt(toks, end, "(") {
			end = matchClose(&c.tr.steps, toks, end, "(", ")")
		}
		if end > 0 && end < len(toks) {
			if over, err = c.tr.render(toks[k : end+1]); err != nil {
				return "", "", err
			}
			over = " " + strings.TrimSpace(over)
			c.last = end
		}
	}
	return filter, over, nil
}

// tmpl is a rewrite that checks the argument count (any count if none is
// given) and fills format (see call.fill).
func tmpl(format string, counts ...int) rewriteFunc {
	return func(c *call) (string, error) {
		if len(counts) > 0 {
			if err := c.arity(counts...); err != nil {
				return "", err
			}
		}
		return c.fill(format), nil
	}
}

// rename calls DuckDB's function name with the same arguments.
func rename(name string) rewriteFunc { return tmpl(name + "({*})") }

// castTo is Spark's cast function form, string(x), int(x), ...
func castTo(duckType string) rewriteFunc {
	return func(c *call) (string, error) {
		if err := c.arity(1); err != nil {
			return "", err
		}
		if text, ok := integralCast("CAST", c.args[0], c.raw[0], duckType); ok {
			return text, nil
		}
		return c.fill("CAST({0} AS " + duckType + ")"), nil
	}
}

// byArity picks a rewrite by the number of arguments.
func byArity(forms map[int]rewriteFunc) rewriteFunc {
	return func(c *call) (string, error) {
		if rw, ok := forms[len(c.args)]; ok {
			return rw(c)
		}
		counts := make([]int, 0, len(forms))
		for n := range forms {
			counts = append(counts, n)
		}
		slices.Sort(counts)
		return "", c.arity(counts...)
	}
}

// funcRewrites maps lower-case Spark function names to their DuckDB
// rewrites. Functions both engines spell and mean alike (count, sum,
// coalesce, concat_ws, date_trunc's arguments, ...) are not listed. The
// date and time functions are in translate_time.go.
var funcRewrites = map[string]rewriteFunc{}

func init() {
	for name, rw := range generalRewrites {
		funcRewrites[name] = rw
	}
	for name, rw := range timeRewrites {
		funcRewrites[name] = rw
	}
	for name, rw := range ansiRewrites {
		funcRewrites[name] = rw
	}
	for name, rw := range sessionRewrites {
		funcRewrites[name] = rw
	}
	for name, rw := range moreRewrites {
		funcRewrites[name] = rw
	}
	for name := range dateArgs {
		if _, ok := funcRewrites[name]; !ok {
			funcRewrites[name] = rename(name)
		}
	}
}

// generalRewrites are the rewrites of conditional, collection, aggregate,
// string and JSON functions.
var generalRewrites = map[string]rewriteFunc{
	// Conditionals and NULL handling.
	"nvl":        tmpl("coalesce({0}, {1})", 2),
	"nvl2":       tmpl("CASE WHEN ({0}) IS NOT NULL THEN {1} ELSE {2} END", 3),
	"iff":        tmpl("if({0}, {1}, {2})", 3),
	"isnull":     tmpl("(({0}) IS NULL)", 1),
	"isnotnull":  tmpl("(({0}) IS NOT NULL)", 1),
	"equal_null": tmpl("(({0}) IS NOT DISTINCT FROM ({1}))", 2),
	"zeroifnull": tmpl("coalesce({0}, 0)", 1),
	"nullifzero": tmpl("nullif({0}, 0)", 1),

	// Spark's cast functions.
	"string": castTo("VARCHAR"), "int": castTo("INTEGER"), "bigint": castTo("BIGINT"),
	"smallint": castTo("SMALLINT"), "tinyint": castTo("TINYINT"), "double": castTo("DOUBLE"),
	"float": castTo("FLOAT"), "boolean": castTo("BOOLEAN"), "date": castTo("DATE"),
	"timestamp": castTo("TIMESTAMPTZ"), "binary": castTo("BLOB"),

	// Arrays, maps and structs.
	"size":             size,
	"cardinality":      size,
	"array_size":       tmpl("len({0})", 1),
	"array":            tmpl("[{*}]"),
	"map":              mapLiteral,
	"named_struct":     namedStruct,
	"struct":           structLiteral,
	"explode":          tmpl("unnest({0})", 1),
	"explode_outer":    tmpl("unnest({0})", 1),
	"sort_array":       sortArray,
	"array_max":        tmpl("list_max({0})", 1),
	"array_min":        tmpl("list_min({0})", 1),
	"get":              tmpl("({0})[({1}) + 1]", 2),
	"array_position":   tmpl("coalesce(list_position({0}, {1}), 0)", 2),
	"map_from_arrays":  tmpl("map({0}, {1})", 2),
	"map_contains_key": tmpl("map_contains({0}, {1})", 2),
	"transform":        tmpl("list_transform({0}, {1})", 2),
	"filter":           tmpl("list_filter({0}, {1})", 2),

	// Aggregates.
	"collect_list":          collectList("list_filter"),
	"array_agg":             collectList("list_filter"),
	"collect_set":           collectList("list_distinct"),
	"percentile_approx":     tmpl("quantile_disc({0}, {1})", 2, 3), // exact: an element of the data, as Spark returns
	"approx_percentile":     tmpl("quantile_disc({0}, {1})", 2, 3),
	"percentile":            tmpl("quantile_cont({0}, {1})", 2),
	"approx_count_distinct": tmpl("approx_count_distinct({0})", 1, 2),
	"every":                 rename("bool_and"),
	"try_avg":               rename("avg"),
	"try_sum":               rename("sum"),

	// Strings and binary.
	"split":              split,
	"regexp_extract":     byArity(map[int]rewriteFunc{2: tmpl("regexp_extract({0}, {1}, 1)"), 3: rename("regexp_extract")}),
	"regexp_extract_all": byArity(map[int]rewriteFunc{2: tmpl("regexp_extract_all({0}, {1}, 1)"), 3: rename("regexp_extract_all")}),
	"regexp_replace":     regexpReplace,
	"rlike":              tmpl("regexp_matches({0}, {1})", 2),
	"regexp_like":        tmpl("regexp_matches({0}, {1})", 2),
	"startswith":         rename("starts_with"),
	"endswith":           rename("ends_with"),
	"char":               rename("chr"),
	"base64":             tmpl("to_base64(CAST({0} AS BLOB))", 1),
	"unbase64":           tmpl("from_base64({0})", 1),
	"sha2":               sha2,
	"format_string":      rename("printf"),
	"rand":               tmpl("random()", 0, 1),
	"pmod":               tmpl("((({0}) % ({1})) + ({1})) % ({1})", 2),

	// JSON and VARIANT (stored as DuckDB JSON).
	"get_json_object": tmpl("json_extract_string({0}, {1})", 2),
	"to_json":         tmpl("CAST(to_json({0}) AS VARCHAR)", 1),
	"parse_json":      tmpl("CAST({0} AS JSON)", 1),
	"try_parse_json":  tmpl("TRY_CAST({0} AS JSON)", 1),
	"variant_get":     variantGet("CAST"),
	"try_variant_get": variantGet("TRY_CAST"),
	"from_json":       fromJSON,
	"event_log":       eventLog,
	"json_tuple":      refuse("json_tuple", "use get_json_object once per field"),
	"inline":          refuse("inline", ""),
	"inline_outer":    refuse("inline_outer", ""),
	"posexplode":      refuse("posexplode in a select list", "use LATERAL VIEW posexplode(...) t AS pos, value"),
	"stack":           refuse("stack", ""),
}

// refuse is a rewrite that fails: Databricks has the function, zbemu has no
// DuckDB equivalent for it.
func refuse(construct, hint string) rewriteFunc {
	return func(*call) (string, error) {
		return "", &UnsupportedError{Kind: "function", Construct: construct, Hint: hint}
	}
}

// size is SIZE and CARDINALITY: len for arrays, cardinality for maps.
// Which one an argument is can only be seen when it is built by a map
// function; anything else is taken for an array.
func size(c *call) (string, error) {
	if err := c.arity(1); err != nil {
		return "", err
	}
	if arg := c.raw[0]; len(arg) > 0 && arg[0].kind == tokIdent && isOpAt(arg, nextSig(arg, 0), "(") {
		switch strings.ToLower(arg[0].val) {
		case "map", "map_from_arrays", "map_from_entries", "map_concat", "str_to_map", "map_filter":
			return c.fill("cardinality({0})"), nil
		}
	}
	return c.fill("len({0})"), nil
}

// mapLiteral is map(k1, v1, k2, v2, ...).
func mapLiteral(c *call) (string, error) {
	if len(c.args)%2 != 0 {
		return "", syntaxErrorAt(c.tr.src, c.name.start, "MAP takes key and value pairs, found an odd number of arguments")
	}
	pairs := make([]string, 0, len(c.args)/2)
	for k := 0; k < len(c.args); k += 2 {
		pairs = append(pairs, c.args[k]+": "+c.args[k+1])
	}
	return "MAP {" + strings.Join(pairs, ", ") + "}", nil
}

// namedStruct is named_struct('a', x, 'b', y).
func namedStruct(c *call) (string, error) {
	if len(c.args) == 0 || len(c.args)%2 != 0 {
		return "", syntaxErrorAt(c.tr.src, c.name.start, "NAMED_STRUCT takes name and value pairs")
	}
	fields := make([]string, 0, len(c.args)/2)
	for k := 0; k < len(c.args); k += 2 {
		name, ok := c.str(k)
		if !ok {
			return "", &UnsupportedError{Kind: "function", Construct: "NAMED_STRUCT with a field name that is not a string literal"}
		}
		fields = append(fields, quoteDuckString(name)+": "+c.args[k+1])
	}
	return "{" + strings.Join(fields, ", ") + "}", nil
}

// structLiteral is struct(a, b AS c, 1): fields are named after the
// column, the alias, or colN as in Spark.
func structLiteral(c *call) (string, error) {
	if len(c.args) == 0 {
		return "", &UnsupportedError{Kind: "function", Construct: "STRUCT without fields"}
	}
	fields := make([]string, len(c.args))
	for k, arg := range c.raw {
		name, value := "col"+strconv.Itoa(k+1), c.args[k]
		sig := lastSig(arg, 2)
		switch n := len(sig); {
		case n == 2 && sig[0].isKw("AS") && (sig[1].kind == tokIdent || sig[1].kind == tokQuotedIdent):
			// value AS name: cut " AS name" off the translated text.
			name = sig[1].val
			v := strings.TrimSpace(strings.TrimSuffix(value, identText(sig[1])))
			if len(v) > 2 && strings.EqualFold(v[len(v)-2:], "AS") {
				value = strings.TrimSpace(v[:len(v)-2])
			}
		case n >= 1 && isDottedName(arg):
			name = sig[n-1].val
		}
		fields[k] = quoteDuckString(name) + ": " + value
	}
	return "{" + strings.Join(fields, ", ") + "}", nil
}

// sigTokens returns the significant tokens of toks.
func sigTokens(toks []token) []token {
	var out []token
	for _, t := range toks {
		if !t.trivia() {
			out = append(out, t)
		}
	}
	return out
}

// lastSig returns the last n significant tokens of toks (fewer if it has
// fewer), in order.
func lastSig(toks []token, n int) []token {
	var out []token
	for k := len(toks) - 1; k >= 0 && len(out) < n; k-- {
		if !toks[k].trivia() {
			out = append([]token{toks[k]}, out...)
		}
	}
	return out
}

// isDottedName reports whether toks (trivia allowed) is a name a.b.c.
func isDottedName(toks []token) bool {
	k := 0
	for _, t := range toks {
		if t.trivia() {
			continue
		}
		name := t.kind == tokIdent || t.kind == tokQuotedIdent
		if k%2 == 0 && !name || k%2 == 1 && !t.isOp(".") {
			return false
		}
		k++
	}
	return k%2 == 1
}

// sortArray is sort_array(a [, ascending]).
func sortArray(c *call) (string, error) {
	if err := c.arity(1, 2); err != nil {
		return "", err
	}
	if len(c.args) == 2 && strings.EqualFold(c.args[1], "false") {
		return c.fill("list_reverse_sort({0})"), nil
	}
	if len(c.args) == 2 && !strings.EqualFold(c.args[1], "true") {
		return "", &UnsupportedError{Kind: "function", Construct: "SORT_ARRAY with a computed sort order"}
	}
	return c.fill("list_sort({0})"), nil
}

// collectList is collect_list, array_agg (clean is "list_filter") and
// collect_set ("list_distinct"): Spark skips NULLs and returns an empty
// array for no rows. The call's FILTER and OVER clauses stay on list(),
// inside what wraps it.
func collectList(clean string) rewriteFunc {
	return func(c *call) (string, error) {
		if err := c.arity(1); err != nil {
			return "", err
		}
		filter, over, err := c.suffix()
		if err != nil {
			return "", err
		}
		if filter != "" {
			filter = " FILTER (WHERE " + filter + ")"
		}
		list := "list(" + c.args[0] + ")" + filter + over
		if clean == "list_filter" {
			list = "list_filter(" + list + ", lambda v: v IS NOT NULL)"
		} else {
			list = clean + "(" + list + ")"
		}
		return "coalesce(" + list + ", [])", nil
	}
}

// split is split(str, regex [, limit]).
func split(c *call) (string, error) {
	if err := c.arity(2, 3); err != nil {
		return "", err
	}
	if len(c.args) == 3 && c.args[2] != "-1" && c.args[2] != "0" {
		return "", &UnsupportedError{Kind: "function", Construct: "SPLIT with a limit"}
	}
	return c.fill("regexp_split_to_array({0}, {1})"), nil
}

// regexpReplace replaces every match, as Spark does, and turns $1 group
// references in a literal replacement into DuckDB's \1.
func regexpReplace(c *call) (string, error) {
	if err := c.arity(3); err != nil {
		return "", err
	}
	rep := c.args[2]
	if s, ok := c.str(2); ok {
		// Java replacement strings: $n is a group, a backslash makes the
		// next character literal. RE2's: \n is a group, \\ a backslash.
		var b strings.Builder
		for k := 0; k < len(s); k++ {
			switch {
			case s[k] == '\\' && k+1 < len(s):
				k++
				if s[k] == '\\' {
					b.WriteString(`\\`)
				} else {
					b.WriteByte(s[k])
				}
			case s[k] == '$' && k+1 < len(s) && isDigit(s[k+1]):
				b.WriteByte('\\')
			default:
				b.WriteByte(s[k])
			}
		}
		rep = quoteDuckString(b.String())
	}
	return fmt.Sprintf("regexp_replace(%s, %s, %s, 'g')", c.args[0], c.args[1], rep), nil
}

// sha2 is sha2(x, bits); DuckDB has SHA-256 only.
func sha2(c *call) (string, error) {
	if err := c.arity(2); err != nil {
		return "", err
	}
	if c.args[1] != "256" && c.args[1] != "0" {
		return "", &UnsupportedError{Kind: "function", Construct: "SHA2 with " + c.args[1] + " bits", Hint: "only SHA2(x, 256) is available"}
	}
	return c.fill("sha256({0})"), nil
}

// variantGet is variant_get(v, path, type) and try_variant_get.
func variantGet(castFn string) rewriteFunc {
	return func(c *call) (string, error) {
		if err := c.arity(3); err != nil {
			return "", err
		}
		typeText, ok := c.str(2)
		if !ok {
			return "", &UnsupportedError{Kind: "function", Construct: c.upper() + " with a type that is not a string literal"}
		}
		duck, err := typeFromText(typeText)
		if err != nil {
			return "", err
		}
		return jsonGet(castFn, c.args[0], c.args[1], duck), nil
	}
}
