package dialect

import (
	"strconv"
	"strings"
)

// TranslateOptions configures Translate.
type TranslateOptions struct {
	// CatalogAlias maps a Unity Catalog catalog name to the DuckDB database
	// that stores it (DuckDB reserves "main", so the engine stores catalog
	// main as database main_db). It receives the first part of every name
	// of three or more parts exactly as typed (quotes removed, case kept).
	// Because a.b.c may just as well be table.column.field, it must return
	// its argument unchanged for names that are not catalogs. Nil leaves
	// every name alone.
	CatalogAlias func(catalog string) string
	// EventLog returns the relation SQL (a parenthesised subquery) that
	// replaces a call of the event_log table-valued function in FROM
	// position; an error fails the translation (unknown pipeline, no
	// permission). Nil makes event_log an unsupported function.
	EventLog func(ref EventLogRef) (string, error)
	// TimeTravel returns the relation SQL (a parenthesised subquery) that
	// replaces a table reference with a time travel clause (VERSION AS
	// OF, TIMESTAMP AS OF, @v<n>); an error fails the translation. Nil
	// makes time travel unsupported.
	TimeTravel func(ref TimeTravelRef) (string, error)
	// Session answers the session functions (current_catalog(),
	// current_user(), ...); nil leaves them as typed.
	Session *Session
}

// Translate rewrites one Databricks SQL query or DML statement as DuckDB
// SQL, token by token, keeping everything else as typed:
//
//   - `backtick` identifiers become "double-quoted" identifiers;
//   - "double-quoted" and 'single-quoted' strings become single-quoted
//     DuckDB strings, with backslash escapes decoded and adjacent literals
//     chained ('a' 'b' is 'ab'); a LIKE pattern that contains a backslash
//     gets ESCAPE '\' because backslash is the Databricks LIKE escape;
//   - numeric literals with a type suffix (10L, 1S, 1Y, 1.5D, 2F, 1.5BD)
//     become casts;
//   - in a name of three or more parts a.b.c[.d] (catalog.schema.table
//     and its columns; not a function call a.b.c(...)), a is replaced by
//     opts.CatalogAlias(a);
//   - a qualified star keeps only its last qualifier (main.lab.t.* is
//     t.*), the only form DuckDB accepts, and a name led by the schema
//     default quotes it ("default".t), as default is reserved in DuckDB;
//   - parameter markers :name become $name, the form duckdb-go binds
//     named parameters to;
//   - Spark SQL is rewritten as described in the package documentation:
//     functions, LATERAL VIEW, INTERVAL and typed literals, cast types,
//     VARIANT paths (raw:a.b), array subscripts, <=>, DIV and RLIKE.
//
// Comments are dropped, and surrounding whitespace and trailing semicolons
// are trimmed.
func Translate(stmt string, opts TranslateOptions) (string, error) {
	toks, err := lex(stmt)
	if err != nil {
		return "", err
	}
	end := len(toks) - 1 // drop EOF and trailing semicolons
	for end > 0 && (toks[end-1].trivia() || toks[end-1].isOp(";")) {
		end--
	}
	return translateTokens(stmt, toks[:end], opts)
}

// Params lists the names of the :name parameter markers of stmt in order of
// first appearance. It returns nil if stmt does not lex; Parse and
// Translate report that error.
func Params(stmt string) []string {
	toks, err := lex(stmt)
	if err != nil {
		return nil
	}
	var names []string
	seen := map[string]bool{}
	for _, t := range toks {
		if t.kind == tokParam && !seen[t.val] {
			seen[t.val] = true
			names = append(names, t.val)
		}
	}
	return names
}

// translateTokens renders toks (a slice of one statement, trivia included)
// as DuckDB SQL.
func translateTokens(src string, toks []token, opts TranslateOptions) (string, error) {
	tr := &translator{src: src, opts: opts}
	out, err := tr.render(toks)
	return strings.TrimSpace(out), err
}

// translator renders token slices as DuckDB SQL. Constructs that DuckDB
// spells differently (function calls, LATERAL VIEW, typed literals, casts,
// JSON paths, subscripts) are rewritten by the handlers in the other
// translate_*.go files, which render their operands with render again.
type translator struct {
	src  string
	opts TranslateOptions
	// steps counts tokens visited, so tests can check that translation
	// work grows linearly with nesting depth.
	steps int
}

// output is the DuckDB text of one render call. operand is the offset in
// buf where the last complete operand (a name, literal, call or
// parenthesised expression) starts, or -1, so that a postfix construct
// such as raw:path can wrap it; parens holds the operand starts of the
// open parentheses.
type output struct {
	buf     []byte
	operand int
	parens  []int
}

// write appends s. A string literal never directly follows a word
// character or &: DuckDB would read E'..' or U&'..' with escapes, so
// zbemu's one string could end up as DuckDB code.
func (o *output) write(s string) {
	if strings.HasPrefix(s, "'") && len(o.buf) > 0 {
		if c := o.buf[len(o.buf)-1]; c == '&' || c == '_' || c == '$' || c >= 0x80 || isDigit(c) || c|0x20 >= 'a' && c|0x20 <= 'z' {
			o.buf = append(o.buf, ' ')
		}
	}
	o.buf = append(o.buf, s...)
}

// writeOperand writes s as a new operand.
func (o *output) writeOperand(s string) {
	o.operand = len(o.buf)
	o.write(s)
}

// cutOperand removes the last operand from buf and returns its text, or
// "" if there is none.
func (o *output) cutOperand() string {
	if o.operand < 0 || o.operand > len(o.buf) {
		return ""
	}
	s := string(o.buf[o.operand:])
	o.buf = o.buf[:o.operand]
	return strings.TrimSpace(s)
}

// render translates toks, a slice of one statement with its trivia.
func (tr *translator) render(toks []token) (string, error) {
	o := &output{operand: -1}
	for i := 0; i < len(toks); i++ {
		next, err := tr.renderOne(o, toks, i)
		if err != nil {
			return "", err
		}
		i = next
	}
	return string(o.buf), nil
}

// renderOne renders toks[i], or the construct that starts there, and
// returns the index of the last token it consumed.
func (tr *translator) renderOne(o *output, toks []token, i int) (int, error) {
	tr.steps++
	t := toks[i]
	switch t.kind {
	case tokEOF:
	case tokComment:
		// A space, not nothing: a/**/b must not become ab.
		o.write(" ")
	case tokIdent, tokQuotedIdent:
		if isOpAt(toks, prevSig(toks, i), ".") {
			o.write(identText(t))
			return i, nil
		}
		if last, ok, err := tr.timeTravel(o, toks, i); ok || err != nil {
			return last, err
		}
		if t.kind == tokIdent {
			if last, ok, err := tr.special(o, toks, i); ok || err != nil {
				return last, err
			}
		}
		o.operand = len(o.buf)
		return tr.name(o, toks, i), nil
	case tokString:
		first, v := i, t.val
		for k := nextSig(toks, i); k < len(toks) && toks[k].kind == tokString; k = nextSig(toks, i) {
			v += toks[k].val
			i = k
		}
		o.writeOperand(quoteDuckString(v))
		if strings.Contains(v, `\`) && isLikeOperand(toks, first, i) {
			o.write(` ESCAPE '\'`)
		}
	case tokNumber:
		s, err := numberLiteral(tr.src, t)
		if err != nil {
			return i, err
		}
		o.writeOperand(s)
	case tokSpace:
		// DuckDB knows only ASCII whitespace; other spaces become one.
		if sp := tr.src[t.start:t.end]; strings.Trim(sp, " \t\n\r\f") == "" {
			o.write(sp)
		} else if strings.ContainsAny(sp, "\n\r") {
			o.write("\n")
		} else {
			o.write(" ")
		}
	case tokParam:
		o.writeOperand("$" + t.val)
	case tokRelation:
		o.writeOperand(t.val)
	case tokOp:
		return tr.operator(o, toks, i)
	default:
		o.write(tr.src[t.start:t.end])
	}
	return i, nil
}

// name renders the first part of a (possibly dotted) name at toks[i].
func (tr *translator) name(o *output, toks []token, i int) int {
	t := toks[i]
	last, parts := nameEnd(toks, i)
	after := nextSig(toks, last)
	alias := ""
	if parts >= 3 {
		alias = catalogAlias(toks, i, last, tr.opts)
	}
	switch {
	case parts >= 2 && isOpAt(toks, after, ".") && isOpAt(toks, nextSig(toks, after), "*"):
		// DuckDB accepts only a one-part qualifier before .*, and the
		// last part is the one that names the relation or the STRUCT
		// column: main.lab.t.* is t.*, t.s.* is s.*.
		o.write(identText(toks[last]))
		return last
	case alias != "":
		o.write(duckIdent(alias))
	case parts >= 2 && t.isKw("DEFAULT"):
		// default is reserved in DuckDB expressions; schema default must
		// be quoted when it leads a name.
		o.write(quoteDuckIdent(t.val))
	default:
		o.write(identText(t))
	}
	return i
}

// operator renders the operator toks[i] and what it introduces.
func (tr *translator) operator(o *output, toks []token, i int) (int, error) {
	t := toks[i]
	switch t.val {
	case "(":
		start := len(o.buf)
		if p := prevSig(toks, i); p >= 0 && isFuncName(toks[p]) && o.operand >= 0 {
			start = o.operand // the call f(...) is one operand
		}
		o.parens = append(o.parens, start)
	case ")":
		if n := len(o.parens); n > 0 {
			o.operand = o.parens[n-1]
			o.parens = o.parens[:n-1]
		}
	case "[":
		if isValueEnd(toks, prevSig(toks, i)) {
			return tr.subscript(o, toks, i)
		}
	case ":":
		if isValueEnd(toks, prevSig(toks, i)) {
			if last, ok, err := tr.jsonPath(o, toks, i); ok || err != nil {
				return last, err
			}
		}
	case "::":
		return tr.castType(o, toks, i)
	case "^":
		if isValueEnd(toks, prevSig(toks, i)) {
			return tr.xor(o, toks, i)
		}
	case "/", "%":
		if isValueEnd(toks, prevSig(toks, i)) {
			if last, ok, err := tr.divisor(o, toks, i, t.val); ok || err != nil {
				return last, err
			}
		}
	case "<":
		// a <=> b is null-safe equality.
		if j, k := i+1, i+2; k < len(toks) && toks[j].isOp("=") && toks[k].isOp(">") &&
			toks[j].start == t.end && toks[k].start == toks[j].end {
			o.write(padded(toks, i, k, "IS NOT DISTINCT FROM"))
			return k, nil
		}
	}
	o.write(t.val)
	return i, nil
}

// padded returns s with a space on each side where the tokens around
// toks[first:last+1] are not already whitespace.
func padded(toks []token, first, last int, s string) string {
	if first > 0 && toks[first-1].kind != tokSpace {
		s = " " + s
	}
	if last+1 < len(toks) && toks[last+1].kind != tokSpace {
		s += " "
	}
	return s
}

// isValueEnd reports whether toks[i] can end an operand (a name, literal,
// closing bracket), so that a "[" or ":" after it is postfix.
func isValueEnd(toks []token, i int) bool {
	if i < 0 || i >= len(toks) {
		return false
	}
	switch t := toks[i]; t.kind {
	case tokQuotedIdent, tokString, tokNumber, tokParam:
		return true
	case tokIdent:
		return !keywordBeforeExpr[strings.ToUpper(t.val)]
	case tokOp:
		return t.val == ")" || t.val == "]"
	}
	return false
}

// isFuncName reports whether t, before "(", names a function rather than
// being a keyword such as IN, AS or FROM.
func isFuncName(t token) bool {
	return t.kind == tokQuotedIdent || t.kind == tokIdent && !keywordBeforeExpr[strings.ToUpper(t.val)]
}

// keywordBeforeExpr are keywords that can precede an expression or a
// parenthesised list, so they end no operand and call no function.
var keywordBeforeExpr = func() map[string]bool {
	m := map[string]bool{
		"AS": true, "FROM": true, "JOIN": true, "USING": true, "OVER": true,
		"FILTER": true, "INTO": true, "TABLE": true, "WITH": true,
		"LATERAL": true, "UNION": true, "INTERSECT": true, "EXCEPT": true,
		"WINDOW": true, "PARTITION": true, "GROUP": true, "ORDER": true,
		"WITHIN": true, "RECURSIVE": true,
	}
	for k := range paramAfter {
		m[k] = true
	}
	return m
}()

// isLikeOperand reports whether the string literal toks[first:last+1] is a
// LIKE pattern without an ESCAPE clause.
func isLikeOperand(toks []token, first, last int) bool {
	p := prevSig(toks, first)
	if p < 0 || !(toks[p].isKw("LIKE") || toks[p].isKw("ILIKE")) {
		return false
	}
	n := nextSig(toks, last)
	return n >= len(toks) || !toks[n].isKw("ESCAPE")
}

// nextSig returns the index of the first significant token after i, or
// len(toks).
func nextSig(toks []token, i int) int {
	for i++; i < len(toks) && toks[i].trivia(); i++ {
	}
	return i
}

func prevSig(toks []token, i int) int {
	for i--; i >= 0 && toks[i].trivia(); i-- {
	}
	return i
}

func isName(toks []token, i int) bool {
	return i < len(toks) && (toks[i].kind == tokIdent || toks[i].kind == tokQuotedIdent)
}

func isOpAt(toks []token, i int, op string) bool { return i >= 0 && i < len(toks) && toks[i].isOp(op) }

// nameEnd returns the index of the last part of the dotted name that
// starts at toks[i], and its number of parts.
func nameEnd(toks []token, i int) (last, parts int) {
	last, parts = i, 1
	for {
		dot := nextSig(toks, last)
		n := nextSig(toks, dot)
		if !isOpAt(toks, dot, ".") || !isName(toks, n) {
			return last, parts
		}
		last, parts = n, parts+1
	}
}

// identText renders one identifier token for DuckDB.
func identText(t token) string {
	if t.kind == tokQuotedIdent {
		return quoteDuckIdent(t.val)
	}
	return t.val
}

// catalogAlias returns the replacement for toks[i], the first part of a
// name of three or more parts ending at toks[last] (catalog.schema.table,
// or catalog.schema.table.column), if CatalogAlias maps it to another
// name, or "". Two-part names are schema.table or table.column, so the
// caller does not ask.
func catalogAlias(toks []token, i, last int, opts TranslateOptions) string {
	if opts.CatalogAlias == nil {
		return ""
	}
	// a.b.c(...) is a function call, except after INTO where "(" starts
	// the column list of INSERT.
	p := prevSig(toks, i)
	if isOpAt(toks, nextSig(toks, last), "(") && !(p >= 0 && toks[p].isKw("INTO")) {
		return ""
	}
	if alias := opts.CatalogAlias(toks[i].val); alias != toks[i].val {
		return alias
	}
	return ""
}

// numberLiteral renders a numeric literal, turning Databricks type
// suffixes into casts so that DuckDB does not read 10L as 10 AS L.
func numberLiteral(src string, t token) (string, error) {
	types := map[string]string{"L": "BIGINT", "S": "SMALLINT", "Y": "TINYINT", "D": "DOUBLE", "F": "FLOAT"}
	switch {
	case t.suffix == "":
		return src[t.start:t.end], nil
	case t.suffix != "BD":
		return "CAST(" + t.val + " AS " + types[t.suffix] + ")", nil
	case strings.ContainsAny(t.val, "eE"):
		return "", unsupported("syntax", "exponent in a BD literal ("+src[t.start:t.end]+")")
	}
	// A BD literal is an exact DECIMAL whose precision and scale are those
	// of its digits.
	intPart, frac, _ := strings.Cut(t.val, ".")
	intPart = strings.TrimLeft(intPart, "0")
	prec, scale := len(intPart)+len(frac), len(frac)
	prec = max(prec, scale, 1)
	return "CAST(" + t.val + " AS DECIMAL(" + strconv.Itoa(prec) + ", " + strconv.Itoa(scale) + "))", nil
}

func quoteDuckString(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

func quoteDuckIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// duckIdent quotes a DuckDB identifier only when it has to, so that the
// translated text stays readable in error messages.
func duckIdent(s string) string {
	for i, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || i > 0 && r >= '0' && r <= '9') {
			return quoteDuckIdent(s)
		}
	}
	if s == "" || duckReserved[s] {
		return quoteDuckIdent(s)
	}
	return s
}

// duckReserved are DuckDB's reserved keywords that cannot be used as
// unquoted names.
var duckReserved = map[string]bool{
	"all": true, "analyse": true, "analyze": true, "and": true, "any": true,
	"array": true, "as": true, "asc": true, "asymmetric": true, "both": true,
	"case": true, "cast": true, "check": true, "collate": true, "column": true,
	"constraint": true, "create": true, "default": true, "deferrable": true,
	"desc": true, "describe": true, "distinct": true, "do": true, "else": true,
	"end": true, "except": true, "false": true, "fetch": true, "for": true,
	"foreign": true, "from": true, "grant": true, "group": true, "having": true,
	"in": true, "initially": true, "intersect": true, "into": true,
	"lateral": true, "leading": true, "limit": true, "not": true, "null": true,
	"offset": true, "on": true, "only": true, "or": true, "order": true,
	"pivot": true, "placing": true, "primary": true, "qualify": true,
	"references": true, "returning": true, "select": true, "show": true,
	"some": true, "summarize": true, "symmetric": true, "table": true,
	"then": true, "to": true, "trailing": true, "true": true, "union": true,
	"unique": true, "unpivot": true, "using": true, "variadic": true,
	"when": true, "where": true, "window": true, "with": true,
}
