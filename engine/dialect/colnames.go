package dialect

import (
	"strings"
)

// Spark names a result column without an alias after its expression, as
// Expression.sql prints it with qualifiers dropped (toPrettySQL in Spark's
// org.apache.spark.sql.catalyst.util): count(*) is count(1), avg(t.temp) is
// avg(temp), 1 + 2 is (1 + 2), CAST(x AS INTEGER) is CAST(x AS INT), a
// string literal is its text, a column or a VARIANT path is its last name.
// DuckDB names the same columns after the translated text (count_star(),
// "CAST(x AS \"DOUBLE\")"), so code that reads results by name would break
// on zbemu; resultNames gives the Spark names for the engine to use.
//
// Expressions beyond the forms below (CASE, window functions, LIKE, ...)
// get "" and keep DuckDB's name.

// resultNames returns the Spark names of the select list of a SELECT (or
// WITH ... SELECT) query in the significant tokens sig: "" for an item with
// an alias (the alias is the name in both engines) or one the printer does
// not know. It returns nil when the list has a star, whose columns cannot
// be matched to items, or the statement is not a SELECT.
func resultNames(sig []token) []string {
	k := 0
	for k < len(sig) && sig[k].isOp("(") {
		k++
	}
	if k < len(sig) && sig[k].isKw("WITH") {
		k = topLevelSelect(sig, k)
	}
	if k >= len(sig) || !sig[k].isKw("SELECT") {
		return nil
	}
	k++
	if k < len(sig) && (sig[k].isKw("DISTINCT") || sig[k].isKw("ALL")) {
		k++
	}
	var names []string
	for _, item := range selectItems(sig[k:]) {
		if len(item) == 0 || isStarItem(item) {
			return nil
		}
		if hasAlias(item) {
			names = append(names, "")
			continue
		}
		names = append(names, prettyItem(item))
	}
	return names
}

// topLevelSelect returns the index of the SELECT that follows the common
// table expressions of the WITH at sig[k], or len(sig).
func topLevelSelect(sig []token, k int) int {
	depth := 0
	for ; k < len(sig); k++ {
		switch t := sig[k]; {
		case t.isOp("("):
			depth++
		case t.isOp(")"):
			depth--
		case depth == 0 && t.isKw("SELECT"):
			return k
		}
	}
	return k
}

// selectEnd are the words that end a select list.
var selectEnd = map[string]bool{
	"FROM": true, "WHERE": true, "GROUP": true, "HAVING": true, "ORDER": true, "LIMIT": true,
	"UNION": true, "INTERSECT": true, "EXCEPT": true, "MINUS": true, "WINDOW": true, "QUALIFY": true,
	"CLUSTER": true, "DISTRIBUTE": true, "SORT": true, "INTO": true, "LATERAL": true, "OFFSET": true,
}

// selectItems splits a select list at its top-level commas.
func selectItems(sig []token) [][]token {
	var out [][]token
	depth, from := 0, 0
	for k, t := range sig {
		switch {
		case t.isOp("(") || t.isOp("[") || t.isOp("{"):
			depth++
		case t.isOp(")") || t.isOp("]") || t.isOp("}"):
			if depth == 0 {
				return append(out, sig[from:k])
			}
			depth--
		case depth == 0 && t.isOp(","):
			out = append(out, sig[from:k])
			from = k + 1
		case depth == 0 && (t.kind == tokEOF || t.isOp(";") || t.kind == tokIdent && selectEnd[strings.ToUpper(t.val)]):
			return append(out, sig[from:k])
		}
	}
	return append(out, sig[from:])
}

func isStarItem(item []token) bool {
	return item[0].isOp("*") || len(item) >= 2 && item[len(item)-1].isOp("*") && item[len(item)-2].isOp(".") ||
		len(item) >= 2 && item[0].isOp("*") // * EXCEPT (...)
}

// notAlias are words that end an expression without being an alias.
var notAlias = map[string]bool{"END": true, "NULL": true, "TRUE": true, "FALSE": true}

// operatorWords are keywords that stand between operands: a word after one
// of them is an operand, not an alias.
var operatorWords = map[string]bool{
	"AND": true, "OR": true, "NOT": true, "IS": true, "IN": true, "LIKE": true, "ILIKE": true, "RLIKE": true,
	"REGEXP": true, "BETWEEN": true, "WHEN": true, "THEN": true, "ELSE": true, "CASE": true, "DIV": true,
	"AS": true, "DISTINCT": true, "INTERVAL": true,
}

// hasAlias reports whether a select item ends with an alias (AS name or
// an expression followed by a name). A false alias only costs the Spark
// name; a missed one would rename the user's alias, so it errs towards yes.
func hasAlias(item []token) bool {
	n := len(item)
	if n < 2 {
		return false
	}
	last, prev := item[n-1], item[n-2]
	if last.kind != tokIdent && last.kind != tokQuotedIdent {
		return false
	}
	if prev.isKw("AS") {
		return true
	}
	if last.kind == tokIdent && notAlias[strings.ToUpper(last.val)] {
		return false
	}
	switch prev.kind {
	case tokIdent:
		return !operatorWords[strings.ToUpper(prev.val)]
	case tokQuotedIdent, tokString, tokNumber:
		return true
	case tokOp:
		return prev.val == ")" || prev.val == "]"
	}
	return false
}

// prettyItem is the Spark name of an unaliased select item, or "".
func prettyItem(item []token) string {
	if len(item) == 1 && item[0].kind == tokIdent && bareFunctions[strings.ToUpper(item[0].val)] {
		return strings.ToLower(item[0].val) + "()"
	}
	// A column, a STRUCT field or a VARIANT path is named by its last name.
	if isNameChain(item) {
		return item[len(item)-1].val
	}
	if colon := pathColon(item); colon > 0 {
		for k := len(item) - 1; k > colon; k-- {
			if item[k].kind == tokIdent || item[k].kind == tokQuotedIdent {
				return item[k].val
			}
			if item[k].kind == tokString && k > 0 && item[k-1].isOp("[") {
				return item[k].val
			}
		}
		return ""
	}
	p := &printer{toks: item}
	s := p.expr(0)
	if !p.ok() {
		return ""
	}
	return s
}

// bareFunctions are the functions Spark calls without parentheses too.
var bareFunctions = map[string]bool{"CURRENT_DATE": true, "CURRENT_TIMESTAMP": true, "CURRENT_USER": true, "SESSION_USER": true}

// isNameChain reports whether item is a dotted name a.b.c.
func isNameChain(item []token) bool {
	for k, t := range item {
		name := t.kind == tokIdent || t.kind == tokQuotedIdent
		if k%2 == 0 && !name || k%2 == 1 && !t.isOp(".") {
			return false
		}
	}
	return len(item)%2 == 1 && !(len(item) == 1 && item[0].kind == tokIdent && notAlias[strings.ToUpper(item[0].val)])
}

// pathColon returns the index of the top-level ":" of a VARIANT path
// base:a.b[0] (base a name, a call or a string), or -1.
func pathColon(item []token) int {
	depth := 0
	for k, t := range item {
		switch {
		case t.isOp("(") || t.isOp("["):
			depth++
		case t.isOp(")") || t.isOp("]"):
			depth--
		case depth == 0 && t.isOp(":"):
			if k > 0 && isValueEnd(item, k-1) {
				return k
			}
			return -1
		}
	}
	return -1
}

// printer prints an expression as Spark's pretty SQL. It fails (failed is
// set) on anything it does not know, rather than guess.
type printer struct {
	toks   []token
	i      int
	failed bool
}

func (p *printer) ok() bool { return !p.failed && p.i == len(p.toks) }

func (p *printer) peek() token {
	if p.i < len(p.toks) {
		return p.toks[p.i]
	}
	return token{kind: tokEOF}
}

func (p *printer) fail() string { p.failed = true; return "" }

// binaryOps are the infix operators the printer knows, with their
// precedence (higher binds tighter) and how Spark prints them.
var binaryOps = map[string]struct {
	prec int
	text string
}{
	"OR": {1, "OR"}, "AND": {2, "AND"},
	"=": {4, "="}, "==": {4, "="}, "<": {4, "<"}, "<=": {4, "<="}, ">": {4, ">"}, ">=": {4, ">="},
	"<>": {4, "!="}, "!=": {4, "!="},
	"||": {6, "||"},
	"+":  {7, "+"}, "-": {7, "-"},
	"*": {8, "*"}, "/": {8, "/"}, "%": {8, "%"}, "DIV": {8, "div"},
}

// opAt returns the binary operator at the current token ("" if none),
// joining the two-character operators the lexer may split.
func (p *printer) opAt() (string, int) {
	t := p.peek()
	switch {
	case t.kind == tokIdent && (t.isKw("AND") || t.isKw("OR") || t.isKw("DIV")):
		return strings.ToUpper(t.val), 1
	case t.kind != tokOp:
		return "", 0
	}
	if p.i+1 < len(p.toks) {
		n := p.toks[p.i+1]
		if n.kind == tokOp && n.start == t.end {
			if _, ok := binaryOps[t.val+n.val]; ok {
				return t.val + n.val, 2
			}
		}
	}
	if _, ok := binaryOps[t.val]; ok {
		return t.val, 1
	}
	return "", 0
}

// expr prints a binary expression whose operators bind tighter than min.
func (p *printer) expr(min int) string {
	left := p.unary()
	for !p.failed {
		if t := p.peek(); t.isKw("IS") {
			if min >= 4 {
				return left
			}
			p.i++
			not := ""
			if p.peek().isKw("NOT") {
				not = "NOT "
				p.i++
			}
			if !p.peek().isKw("NULL") {
				return p.fail()
			}
			p.i++
			left = "(" + left + " IS " + not + "NULL)"
			continue
		}
		op, n := p.opAt()
		if op == "" {
			return left
		}
		o := binaryOps[op]
		if o.prec <= min {
			return left
		}
		p.i += n
		right := p.expr(o.prec)
		switch o.text {
		case "||":
			left = "concat(" + left + ", " + right + ")"
		case "!=":
			left = "(NOT (" + left + " = " + right + "))"
		default:
			left = "(" + left + " " + o.text + " " + right + ")"
		}
	}
	return left
}

// unary prints a prefix NOT or minus, or a primary expression.
func (p *printer) unary() string {
	t := p.peek()
	switch {
	case t.isKw("NOT"):
		p.i++
		return "(NOT " + p.expr(3) + ")"
	case t.isOp("-"):
		p.i++
		if n := p.peek(); n.kind == tokNumber && n.start == t.end {
			p.i++
			return "-" + n.val
		}
		return "(- " + p.postfix(p.primary()) + ")"
	case t.isOp("+"):
		p.i++
		return p.postfix(p.primary())
	}
	return p.postfix(p.primary())
}

// postfix prints subscripts after an operand.
func (p *printer) postfix(s string) string {
	for !p.failed && p.peek().isOp("[") {
		p.i++
		idx := p.expr(0)
		if !p.peek().isOp("]") {
			return p.fail()
		}
		p.i++
		s += "[" + idx + "]"
	}
	return s
}

// primary prints a literal, a name, a call, a cast or a parenthesised
// expression.
func (p *printer) primary() string {
	t := p.peek()
	switch t.kind {
	case tokNumber:
		p.i++
		return t.val
	case tokString:
		p.i++
		return t.val
	case tokQuotedIdent:
		return p.name()
	case tokOp:
		if t.isOp("(") {
			p.i++
			if n := p.peek(); n.isKw("SELECT") || n.isKw("WITH") {
				return p.subquery()
			}
			s := p.expr(0)
			if !p.peek().isOp(")") {
				return p.fail()
			}
			p.i++
			return s
		}
		return p.fail()
	case tokIdent:
	default:
		return p.fail()
	}
	word := strings.ToUpper(t.val)
	switch word {
	case "NULL":
		p.i++
		return "NULL"
	case "TRUE", "FALSE":
		p.i++
		return strings.ToLower(word)
	case "DATE", "TIMESTAMP", "TIMESTAMP_NTZ":
		if n := p.toks[min(p.i+1, len(p.toks)-1)]; n.kind == tokString {
			p.i += 2
			return word + " '" + n.val + "'"
		}
	case "CURRENT_DATE", "CURRENT_TIMESTAMP", "CURRENT_USER", "SESSION_USER":
		if !(p.i+1 < len(p.toks) && p.toks[p.i+1].isOp("(")) && bareFunctions[word] {
			p.i++
			return strings.ToLower(word) + "()"
		}
	case "CASE", "INTERVAL", "EXISTS", "SELECT":
		return p.fail()
	}
	if p.i+1 < len(p.toks) && p.toks[p.i+1].isOp("(") {
		if word == "CAST" || word == "TRY_CAST" {
			return p.cast(word)
		}
		return p.call()
	}
	return p.name()
}

// name prints a dotted name by its last part, as Spark drops qualifiers.
func (p *printer) name() string {
	last := p.peek().val
	p.i++
	for p.peek().isOp(".") && p.i+1 < len(p.toks) && (p.toks[p.i+1].kind == tokIdent || p.toks[p.i+1].kind == tokQuotedIdent) {
		last = p.toks[p.i+1].val
		p.i += 2
	}
	return last
}

// call prints f(args): the name lower case, count(*) as count(1).
func (p *printer) call() string {
	name := strings.ToLower(p.peek().val)
	p.i += 2 // name (
	var args []string
	prefix := ""
	if p.peek().isKw("DISTINCT") {
		prefix = "DISTINCT "
		p.i++
	}
	switch {
	case p.peek().isOp("*"):
		p.i++
		if name != "count" {
			return p.fail()
		}
		args = []string{"1"}
	case p.peek().isOp(")"):
	default:
		for {
			args = append(args, p.expr(0))
			if p.failed {
				return ""
			}
			if !p.peek().isOp(",") {
				break
			}
			p.i++
		}
	}
	if !p.peek().isOp(")") {
		return p.fail()
	}
	p.i++
	if t := p.peek(); t.isKw("OVER") || t.isKw("FILTER") || t.isKw("WITHIN") {
		return p.fail()
	}
	return name + "(" + prefix + strings.Join(args, ", ") + ")"
}

// sparkTypeNames are the type names Spark prints for its synonyms.
var sparkTypeNames = map[string]string{
	"INTEGER": "INT", "LONG": "BIGINT", "SHORT": "SMALLINT", "BYTE": "TINYINT", "REAL": "FLOAT",
	"VARCHAR": "STRING", "DEC": "DECIMAL", "NUMERIC": "DECIMAL",
}

// cast prints CAST(x AS T) with Spark's name for T.
func (p *printer) cast(word string) string {
	p.i += 2
	x := p.expr(0)
	if p.failed || !p.peek().isKw("AS") {
		return p.fail()
	}
	p.i++
	t := p.peek()
	if t.kind != tokIdent {
		return p.fail()
	}
	p.i++
	typ := strings.ToUpper(t.val)
	if s, ok := sparkTypeNames[typ]; ok {
		typ = s
	}
	if p.peek().isOp("(") {
		var nums []string
		p.i++
		for p.peek().kind == tokNumber {
			nums = append(nums, p.peek().val)
			p.i++
			if p.peek().isOp(",") {
				p.i++
			}
		}
		if !p.peek().isOp(")") || len(nums) == 0 {
			return p.fail()
		}
		p.i++
		if typ == "DECIMAL" && len(nums) == 1 {
			nums = append(nums, "0")
		}
		typ += "(" + strings.Join(nums, ",") + ")"
	} else if typ == "DECIMAL" {
		typ = "DECIMAL(10,0)"
	}
	if !p.peek().isOp(")") {
		return p.fail()
	}
	p.i++
	switch typ {
	case "ARRAY", "MAP", "STRUCT", "INTERVAL":
		return p.fail()
	}
	return word + "(" + x + " AS " + typ + ")"
}

// subquery skips a scalar subquery after its "(", which Spark names
// scalarsubquery().
func (p *printer) subquery() string {
	for depth := 1; p.i < len(p.toks); p.i++ {
		switch {
		case p.toks[p.i].isOp("("):
			depth++
		case p.toks[p.i].isOp(")"):
			if depth--; depth == 0 {
				p.i++
				return "scalarsubquery()"
			}
		}
	}
	return p.fail()
}
