package dialect

import (
	"fmt"
	"strings"
)

// The expressions of Delta CHECK constraints and column DEFAULTs. zbemu
// enforces a CHECK constraint twice — on Zerobus ingest, by a Go evaluator
// compiled from this AST (package engine/rowcheck), and on SQL DML, by
// DuckDB running the same AST rendered as SQL — so it parses only the
// subset it can evaluate identically both ways, and names anything else:
// comparisons, AND/OR/NOT, IS [NOT] NULL, [NOT] BETWEEN, [NOT] IN (list),
// [NOT] LIKE, + - * / % ||, CASE, column references (struct fields with
// dots), literals and the functions in CheckFunctions.

// Expr is a node of a CHECK or DEFAULT expression.
type Expr interface{ exprNode() }

// ColumnRef names a column, or a field of a STRUCT column (Path has more
// than one part), as written.
type ColumnRef struct{ Path []string }

// LiteralKind is the type of a literal.
type LiteralKind int

// The literal kinds.
const (
	LitNull LiteralKind = iota
	LitBool
	LitNumber
	LitString
	LitDate      // DATE '2024-01-31'
	LitTimestamp // TIMESTAMP '2024-01-31 12:00:00'
)

// Literal is a constant. Text is the number as typed (suffix removed),
// the decoded string, TRUE/FALSE or the date or timestamp text.
type Literal struct {
	Kind LiteralKind
	Text string
}

// Unary is NOT x or -x.
type Unary struct {
	Op string // "NOT" or "-"
	X  Expr
}

// Binary is a binary operator: AND, OR, =, <>, <, <=, >, >=, <=>, +, -, *,
// /, % or ||. != and == are normalised to <> and =.
type Binary struct {
	Op   string
	L, R Expr
}

// IsNull is x IS [NOT] NULL.
type IsNull struct {
	X   Expr
	Not bool
}

// Between is x [NOT] BETWEEN lo AND hi.
type Between struct {
	X, Lo, Hi Expr
	Not       bool
}

// InList is x [NOT] IN (a, b, ...).
type InList struct {
	X    Expr
	List []Expr
	Not  bool
}

// Like is x [NOT] LIKE 'pattern' (the pattern is a string literal; \ escapes).
type Like struct {
	X       Expr
	Pattern string
	Not     bool
}

// Call is a call of one of CheckFunctions (Name upper case).
type Call struct {
	Name string
	Args []Expr
}

// Case is CASE [operand] WHEN ... THEN ... [ELSE ...] END.
type Case struct {
	Operand Expr // nil for the searched form
	Whens   []When
	Else    Expr // nil: NULL
}

// When is one WHEN ... THEN ... of a Case.
type When struct{ Cond, Then Expr }

func (*ColumnRef) exprNode() {}
func (*Literal) exprNode()   {}
func (*Unary) exprNode()     {}
func (*Binary) exprNode()    {}
func (*IsNull) exprNode()    {}
func (*Between) exprNode()   {}
func (*InList) exprNode()    {}
func (*Like) exprNode()      {}
func (*Call) exprNode()      {}
func (*Case) exprNode()      {}

// CheckFunctions are the functions a CHECK or DEFAULT expression may call,
// with their argument counts (-1: one or more). DEFAULT also allows the
// functions of DefaultFunctions.
var CheckFunctions = map[string]int{
	"LENGTH": 1, "CHAR_LENGTH": 1, "CHARACTER_LENGTH": 1, "LOWER": 1, "LCASE": 1, "UPPER": 1, "UCASE": 1,
	"TRIM": 1, "ABS": 1, "COALESCE": -1,
}

// DefaultFunctions are the functions a DEFAULT may call besides
// CheckFunctions: the current time, evaluated when the row is written.
var DefaultFunctions = map[string]bool{
	"CURRENT_TIMESTAMP": true, "NOW": true, "CURRENT_DATE": true,
}

// MaxExprBytes bounds the text of a CHECK or DEFAULT expression: Delta
// keeps it in a table property, and zbemu evaluates it for every ingested
// record.
const MaxExprBytes = 4096

// maxExprDepth bounds the nesting of an expression (the parser recurses).
const maxExprDepth = 64

// ParseExpr parses the text of a CHECK or DEFAULT expression.
func ParseExpr(text string) (Expr, error) {
	if len(text) > MaxExprBytes {
		return nil, &UnsupportedError{Kind: "syntax", Construct: fmt.Sprintf("an expression of %d bytes", len(text)),
			Hint: fmt.Sprintf("CHECK and DEFAULT expressions may have at most %d bytes", MaxExprBytes)}
	}
	all, err := lex(text)
	if err != nil {
		return nil, err
	}
	p := &parser{src: text, all: all}
	for i, t := range all {
		if !t.trivia() {
			p.toks = append(p.toks, t)
			p.idx = append(p.idx, i)
		}
	}
	if p.peek().kind == tokEOF {
		return nil, p.errAt(p.peek(), "empty expression")
	}
	e, err := p.expr(0)
	if err != nil {
		return nil, err
	}
	return e, p.end()
}

// exprText reads the rest of the statement as an expression and returns
// its text as typed, without one pair of enclosing parentheses.
func (p *parser) exprText(what string) (string, error) {
	t := p.peek()
	if t.kind == tokEOF {
		return "", p.errAt(t, "expected %s, found end of statement", what)
	}
	last := t
	for p.peek().kind != tokEOF {
		last = p.next()
	}
	text := strings.TrimSpace(p.src[t.start:last.end])
	if t.isOp("(") && t.closeAt == last.end {
		text = strings.TrimSpace(p.src[t.start+1 : last.end-1])
	}
	if _, err := ParseExpr(text); err != nil {
		return "", fmt.Errorf("in %s: %w", what, err)
	}
	return text, nil
}

// Precedence, lowest first, as in Spark SQL.
func (p *parser) expr(depth int) (Expr, error) {
	if depth > maxExprDepth {
		return nil, p.errAt(p.peek(), "expression nested more than %d levels deep", maxExprDepth)
	}
	return p.orExpr(depth + 1)
}

func (p *parser) orExpr(d int) (Expr, error) {
	l, err := p.andExpr(d)
	for err == nil && p.acceptKw("OR") {
		var r Expr
		if r, err = p.andExpr(d); err == nil {
			l = &Binary{Op: "OR", L: l, R: r}
		}
	}
	return l, err
}

func (p *parser) andExpr(d int) (Expr, error) {
	l, err := p.notExpr(d)
	for err == nil && p.acceptKw("AND") {
		var r Expr
		if r, err = p.notExpr(d); err == nil {
			l = &Binary{Op: "AND", L: l, R: r}
		}
	}
	return l, err
}

func (p *parser) notExpr(d int) (Expr, error) {
	if d > maxExprDepth {
		return nil, p.errAt(p.peek(), "expression nested more than %d levels deep", maxExprDepth)
	}
	if p.acceptKw("NOT") || p.acceptOp("!") {
		x, err := p.notExpr(d + 1)
		if err != nil {
			return nil, err
		}
		return &Unary{Op: "NOT", X: x}, nil
	}
	return p.predicate(d)
}

// compareOp reads a comparison operator (two-character ones are two tokens).
func (p *parser) compareOp() string {
	t, n := p.peek(), p.peekN(1)
	joined := t.kind == tokOp && n.kind == tokOp && n.start == t.end
	switch {
	case joined && t.val == "<" && n.val == "=" && p.peekN(2).isOp(">") && p.peekN(2).start == n.end:
		p.next()
		p.next()
		p.next()
		return "<=>"
	case joined && (t.val+n.val == "<=" || t.val+n.val == ">=" || t.val+n.val == "<>"):
		p.next()
		p.next()
		return t.val + n.val
	case joined && t.val+n.val == "!=":
		p.next()
		p.next()
		return "<>"
	case joined && t.val+n.val == "==":
		p.next()
		p.next()
		return "="
	case t.isOp("=") || t.isOp("<") || t.isOp(">"):
		p.next()
		return t.val
	}
	return ""
}

func (p *parser) predicate(d int) (Expr, error) {
	l, err := p.additive(d)
	if err != nil {
		return nil, err
	}
	for {
		if op := p.compareOp(); op != "" {
			r, err := p.additive(d)
			if err != nil {
				return nil, err
			}
			l = &Binary{Op: op, L: l, R: r}
			continue
		}
		if p.acceptKw("IS") {
			not := p.acceptKw("NOT")
			if !p.acceptKw("NULL") {
				if w := p.word(0); w == "TRUE" || w == "FALSE" || w == "DISTINCT" || w == "UNKNOWN" {
					return nil, unsupportedExpr("IS " + w + " (write = TRUE, = FALSE or <=>)")
				}
				return nil, p.errAt(p.peek(), "expected NULL after IS, found %s", describe(p.src, p.peek()))
			}
			l = &IsNull{X: l, Not: not}
			continue
		}
		not := false
		if p.peek().isKw("NOT") && (p.peekN(1).isKw("BETWEEN") || p.peekN(1).isKw("IN") || p.peekN(1).isKw("LIKE")) {
			p.next()
			not = true
		}
		switch {
		case p.acceptKw("BETWEEN"):
			lo, err := p.additive(d)
			if err != nil {
				return nil, err
			}
			if err := p.expectKw("AND", "in BETWEEN ... AND ..."); err != nil {
				return nil, err
			}
			hi, err := p.additive(d)
			if err != nil {
				return nil, err
			}
			l = &Between{X: l, Lo: lo, Hi: hi, Not: not}
		case p.acceptKw("IN"):
			if err := p.expectOp("(", "after IN"); err != nil {
				return nil, err
			}
			if p.startsQuery(p.pos) {
				return nil, unsupportedExpr("a subquery")
			}
			list, err := p.exprList(d)
			if err != nil {
				return nil, err
			}
			l = &InList{X: l, List: list, Not: not}
		case p.acceptKw("LIKE"):
			if w := p.word(0); w == "ANY" || w == "ALL" || w == "SOME" {
				return nil, unsupportedExpr("LIKE " + w)
			}
			pat, err := p.stringLit("a LIKE pattern")
			if err != nil {
				return nil, err
			}
			if p.peek().isKw("ESCAPE") {
				return nil, unsupportedExpr("LIKE ... ESCAPE (the escape character is \\)")
			}
			l = &Like{X: l, Pattern: pat, Not: not}
		default:
			if w := p.word(0); w == "ILIKE" || w == "RLIKE" || w == "REGEXP" || w == "SIMILAR" {
				return nil, unsupportedExpr(w)
			}
			return l, nil
		}
	}
}

// exprList reads "a, b, ...)" (the "(" is consumed).
func (p *parser) exprList(d int) ([]Expr, error) {
	var list []Expr
	for {
		e, err := p.expr(d)
		if err != nil {
			return nil, err
		}
		list = append(list, e)
		if p.acceptOp(",") {
			continue
		}
		return list, p.expectOp(")", "after the list")
	}
}

func (p *parser) additive(d int) (Expr, error) {
	l, err := p.multiplicative(d)
	for err == nil {
		t, n := p.peek(), p.peekN(1)
		op := ""
		switch {
		case t.isOp("|") && n.isOp("|") && n.start == t.end:
			p.next()
			op = "||"
		case t.isOp("+") || t.isOp("-"):
			op = t.val
		default:
			return l, nil
		}
		p.next()
		var r Expr
		if r, err = p.multiplicative(d); err == nil {
			l = &Binary{Op: op, L: l, R: r}
		}
	}
	return l, err
}

func (p *parser) multiplicative(d int) (Expr, error) {
	l, err := p.unary(d)
	for err == nil && (p.peek().isOp("*") || p.peek().isOp("/") || p.peek().isOp("%")) {
		op := p.next().val
		var r Expr
		if r, err = p.unary(d); err == nil {
			l = &Binary{Op: op, L: l, R: r}
		}
	}
	return l, err
}

func (p *parser) unary(d int) (Expr, error) {
	if d > maxExprDepth {
		return nil, p.errAt(p.peek(), "expression nested more than %d levels deep", maxExprDepth)
	}
	if p.acceptOp("-") {
		x, err := p.unary(d + 1)
		if err != nil {
			return nil, err
		}
		if lit, ok := x.(*Literal); ok && lit.Kind == LitNumber && !strings.HasPrefix(lit.Text, "-") {
			return &Literal{Kind: LitNumber, Text: "-" + lit.Text}, nil
		}
		return &Unary{Op: "-", X: x}, nil
	}
	if p.acceptOp("+") {
		return p.unary(d + 1)
	}
	return p.primary(d)
}

func (p *parser) primary(d int) (Expr, error) {
	t := p.peek()
	switch t.kind {
	case tokNumber:
		p.next()
		if t.suffix != "" && t.suffix != "L" && t.suffix != "BD" && t.suffix != "D" {
			return nil, unsupportedExpr("the numeric suffix " + t.suffix)
		}
		return &Literal{Kind: LitNumber, Text: t.val}, nil
	case tokString:
		s, _ := p.stringLit("")
		return &Literal{Kind: LitString, Text: s}, nil
	case tokParam:
		return nil, unsupportedExpr("a parameter marker")
	case tokQuotedIdent:
		return p.columnRef()
	case tokOp:
		if t.isOp("(") {
			p.next()
			if p.startsQuery(p.pos) {
				return nil, unsupportedExpr("a subquery")
			}
			e, err := p.expr(d + 1)
			if err != nil {
				return nil, err
			}
			return e, p.expectOp(")", "to close the parenthesis")
		}
		return nil, p.errAt(t, "expected an expression, found %s", describe(p.src, t))
	case tokEOF:
		return nil, p.errAt(t, "expected an expression, found end of expression")
	}
	w := strings.ToUpper(t.val)
	switch w {
	case "NULL":
		p.next()
		return &Literal{Kind: LitNull}, nil
	case "TRUE", "FALSE":
		p.next()
		return &Literal{Kind: LitBool, Text: w}, nil
	case "DATE", "TIMESTAMP":
		if p.peekN(1).kind == tokString {
			p.next()
			s, _ := p.stringLit("")
			k := LitDate
			if w == "TIMESTAMP" {
				k = LitTimestamp
			}
			return &Literal{Kind: k, Text: s}, nil
		}
	case "CASE":
		p.next()
		return p.caseExpr(d)
	case "CAST", "TRY_CAST", "EXISTS", "INTERVAL", "ARRAY", "MAP", "STRUCT", "NAMED_STRUCT":
		if p.peekN(1).isOp("(") || w == "INTERVAL" {
			return nil, unsupportedExpr(w)
		}
	case "SELECT", "WITH", "VALUES":
		return nil, unsupportedExpr("a subquery")
	}
	if p.peekN(1).isOp("(") {
		return p.call(d)
	}
	if w == "CURRENT_TIMESTAMP" || w == "CURRENT_DATE" {
		p.next()
		return &Call{Name: w}, nil
	}
	return p.columnRef()
}

// columnRef reads col or col.field.sub.
func (p *parser) columnRef() (Expr, error) {
	var path []string
	for {
		part, err := p.ident("a column name")
		if err != nil {
			return nil, err
		}
		path = append(path, part)
		if !p.acceptOp(".") {
			break
		}
	}
	if p.peek().isOp("[") || p.peek().isOp(":") || p.peek().isOp("::") {
		return nil, unsupportedExpr(fmt.Sprintf("%q after a column (array subscripts, VARIANT paths and :: casts)", p.peek().val))
	}
	return &ColumnRef{Path: path}, nil
}

func (p *parser) call(d int) (Expr, error) {
	name := strings.ToUpper(p.next().val)
	p.next() // "("
	n, ok := CheckFunctions[name]
	if !ok && !DefaultFunctions[name] {
		return nil, &UnsupportedError{Kind: "function", Construct: strings.ToLower(name) + " in a CHECK or DEFAULT expression",
			Hint: "they may call " + checkFunctionList()}
	}
	c := &Call{Name: name}
	if !p.acceptOp(")") {
		args, err := p.exprList(d + 1)
		if err != nil {
			return nil, err
		}
		c.Args = args
	}
	if DefaultFunctions[name] {
		n = 0
	}
	if (n >= 0 && len(c.Args) != n) || (n < 0 && len(c.Args) == 0) {
		return nil, p.errAt(p.peek(), "%s takes %s, got %d", name, argCount(n), len(c.Args))
	}
	return c, nil
}

func argCount(n int) string {
	switch n {
	case -1:
		return "one or more arguments"
	case 1:
		return "one argument"
	}
	return fmt.Sprintf("%d arguments", n)
}

func checkFunctionList() string {
	return "length, char_length, lower, upper, trim, abs and coalesce (and, in a DEFAULT, current_timestamp() and current_date())"
}

func (p *parser) caseExpr(d int) (Expr, error) {
	c := &Case{}
	if !p.peek().isKw("WHEN") {
		op, err := p.expr(d + 1)
		if err != nil {
			return nil, err
		}
		c.Operand = op
	}
	for p.acceptKw("WHEN") {
		cond, err := p.expr(d + 1)
		if err != nil {
			return nil, err
		}
		if err := p.expectKw("THEN", "after CASE WHEN ..."); err != nil {
			return nil, err
		}
		then, err := p.expr(d + 1)
		if err != nil {
			return nil, err
		}
		c.Whens = append(c.Whens, When{Cond: cond, Then: then})
	}
	if len(c.Whens) == 0 {
		return nil, p.errAt(p.peek(), "expected WHEN in CASE, found %s", describe(p.src, p.peek()))
	}
	if p.acceptKw("ELSE") {
		e, err := p.expr(d + 1)
		if err != nil {
			return nil, err
		}
		c.Else = e
	}
	return c, p.expectKw("END", "to close CASE")
}

func unsupportedExpr(construct string) error {
	return &UnsupportedError{Kind: "syntax", Construct: construct + " in a CHECK or DEFAULT expression",
		Hint: "zbemu evaluates these expressions on every ingested record and supports comparisons, AND/OR/NOT, IS [NOT] NULL, " +
			"BETWEEN, IN (list), LIKE, arithmetic, ||, CASE, columns and STRUCT fields, literals and the functions " + checkFunctionList()}
}
