package rowcheck

import (
	"fmt"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/zbemu/zbemu/engine/dialect"
	"github.com/zbemu/zbemu/schema"
)

// node is a compiled expression: its evaluator, static class and DuckDB SQL.
type node struct {
	eval evalFn
	cls  class
	sql  string
}

type compiler struct {
	cols    []schema.Column
	opts    Options
	refs    []ref
	refSeen map[string]bool
	// constant is set while compiling a DEFAULT: no column may be read.
	constant bool
}

func (c *compiler) compile(e dialect.Expr) (node, error) {
	switch x := e.(type) {
	case *dialect.ColumnRef:
		return c.column(x)
	case *dialect.Literal:
		return literal(x)
	case *dialect.Unary:
		return c.unary(x)
	case *dialect.Binary:
		return c.binary(x)
	case *dialect.IsNull:
		n, err := c.compile(x.X)
		if err != nil {
			return node{}, err
		}
		f, not := n.eval, x.Not
		sql := "(" + n.sql + " IS NULL)"
		if not {
			sql = "(" + n.sql + " IS NOT NULL)"
		}
		return node{cls: cBool, sql: sql, eval: func(row []any) value { return boolValue((f(row).k == vNull) != not) }}, nil
	case *dialect.Between:
		return c.between(x)
	case *dialect.InList:
		return c.in(x)
	case *dialect.Like:
		return c.like(x)
	case *dialect.Call:
		return c.call(x)
	case *dialect.Case:
		return c.caseExpr(x)
	}
	return node{}, fmt.Errorf("unsupported expression %T", e)
}

// column resolves a column or STRUCT field reference.
func (c *compiler) column(x *dialect.ColumnRef) (node, error) {
	if c.constant {
		return node{}, fmt.Errorf("a DEFAULT must be a constant expression; it cannot read column %s", strings.Join(x.Path, "."))
	}
	ci := -1
	for i, col := range c.cols {
		if strings.EqualFold(col.Name, x.Path[0]) {
			ci = i
		}
	}
	if ci < 0 {
		if c.opts.MissingAsNull {
			return node{cls: cNull, sql: "NULL", eval: func([]any) value { return null }}, nil
		}
		names := make([]string, len(c.cols))
		for i, col := range c.cols {
			names[i] = col.Name
		}
		return node{}, fmt.Errorf("column %s does not exist (the table has %s)", x.Path[0], strings.Join(names, ", "))
	}
	col := c.cols[ci]
	t := col.Type
	name := col.Name
	sql := `"` + strings.ReplaceAll(strings.ToLower(col.Name), `"`, `""`) + `"`
	var fields []int
	for _, part := range x.Path[1:] {
		if t.Kind != schema.Struct {
			return node{}, fmt.Errorf("%s is %s, not a STRUCT: it has no field %s", name, t, part)
		}
		fi := -1
		for i, f := range t.Fields {
			if strings.EqualFold(f.Name, part) {
				fi = i
			}
		}
		if fi < 0 {
			return node{}, fmt.Errorf("STRUCT %s has no field %s", name, part)
		}
		fields = append(fields, fi)
		name += "." + t.Fields[fi].Name
		sql = "struct_extract(" + sql + ", '" + strings.ReplaceAll(t.Fields[fi].Name, "'", "''") + "')"
		t = t.Fields[fi].Type
	}
	conv, cls := converter(t)
	eval := func(row []any) value {
		if ci >= len(row) {
			return null
		}
		v := row[ci]
		for _, fi := range fields {
			s, ok := v.(schema.StructValue)
			if !ok || fi >= len(s) {
				return null
			}
			v = s[fi]
		}
		if v == nil {
			return null
		}
		return conv(v)
	}
	if !c.refSeen[strings.ToLower(name)] {
		c.refSeen[strings.ToLower(name)] = true
		c.refs = append(c.refs, ref{name: name, sql: sql, eval: eval})
	}
	return node{cls: cls, sql: sql, eval: eval}, nil
}

// converter turns a decoded value of type t into a value.
func converter(t *schema.Type) (func(any) value, class) {
	switch t.Kind {
	case schema.TinyInt, schema.SmallInt, schema.Int, schema.BigInt:
		return func(v any) value {
			switch n := v.(type) {
			case int8:
				return value{k: vInt, i: int64(n)}
			case int16:
				return value{k: vInt, i: int64(n)}
			case int32:
				return value{k: vInt, i: int64(n)}
			case int64:
				return value{k: vInt, i: n}
			}
			return null
		}, cNum
	case schema.Float, schema.Double:
		return func(v any) value {
			switch n := v.(type) {
			case float32:
				return value{k: vFloat, f: float64(n)}
			case float64:
				return value{k: vFloat, f: n}
			}
			return null
		}, cNum
	case schema.Decimal:
		return func(v any) value {
			d, ok := v.(schema.DecimalValue)
			if !ok || d.Unscaled == nil {
				return null
			}
			r := new(big.Rat).SetFrac(d.Unscaled, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(d.Scale)), nil))
			return value{k: vDec, r: r}
		}, cNum
	case schema.String:
		return func(v any) value { s, _ := v.(string); return value{k: vStr, s: s} }, cStr
	case schema.Boolean:
		return func(v any) value { b, _ := v.(bool); return boolValue(b) }, cBool
	case schema.Date, schema.Timestamp, schema.TimestampNTZ:
		return func(v any) value { t, _ := v.(time.Time); return value{k: vTime, t: t} }, cTime
	case schema.Binary:
		return func(v any) value { return value{k: vBin, o: v} }, cBin
	}
	return func(v any) value { return value{k: vOther, o: v} }, cOther
}

func literal(x *dialect.Literal) (node, error) {
	switch x.Kind {
	case dialect.LitNull:
		return node{cls: cNull, sql: "NULL", eval: func([]any) value { return null }}, nil
	case dialect.LitBool:
		v := boolValue(x.Text == "TRUE")
		return node{cls: cBool, sql: x.Text, eval: func([]any) value { return v }}, nil
	case dialect.LitString:
		v := value{k: vStr, s: x.Text}
		return node{cls: cStr, sql: quoteString(x.Text), eval: func([]any) value { return v }}, nil
	case dialect.LitDate, dialect.LitTimestamp:
		t, err := parseTime(x.Text, x.Kind == dialect.LitDate)
		if err != nil {
			return node{}, err
		}
		v := value{k: vTime, t: t}
		sql := "DATE '" + t.Format("2006-01-02") + "'"
		if x.Kind == dialect.LitTimestamp {
			sql = "TIMESTAMP '" + t.Format("2006-01-02 15:04:05.999999") + "'"
		}
		return node{cls: cTime, sql: sql, eval: func([]any) value { return v }}, nil
	}
	v, err := parseNumber(x.Text)
	if err != nil {
		return node{}, err
	}
	return node{cls: cNum, sql: x.Text, eval: func([]any) value { return v }}, nil
}

func parseNumber(text string) (value, error) {
	if strings.ContainsAny(text, "eE") {
		f, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return null, fmt.Errorf("number %s is out of range", text)
		}
		return value{k: vFloat, f: f}, nil
	}
	if !strings.Contains(text, ".") {
		if i, err := strconv.ParseInt(text, 10, 64); err == nil {
			return value{k: vInt, i: i}, nil
		}
	}
	r, ok := new(big.Rat).SetString(text)
	if !ok {
		return null, fmt.Errorf("%s is not a number", text)
	}
	return value{k: vDec, r: r}, nil
}

// parseTime reads the text of a DATE or TIMESTAMP literal (UTC, the
// session time zone of zbemu's SQL).
func parseTime(text string, date bool) (time.Time, error) {
	layouts := []string{"2006-01-02 15:04:05.999999", "2006-01-02T15:04:05.999999", "2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02"}
	if date {
		layouts = []string{"2006-01-02"}
	}
	for _, l := range layouts {
		if t, err := time.ParseInLocation(l, strings.TrimSpace(text), time.UTC); err == nil {
			return t, nil
		}
	}
	what := "TIMESTAMP 'yyyy-mm-dd hh:mm:ss[.ffffff]'"
	if date {
		what = "DATE 'yyyy-mm-dd'"
	}
	return time.Time{}, fmt.Errorf("%q is not a valid literal: expected %s", text, what)
}

func quoteString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func (c *compiler) unary(x *dialect.Unary) (node, error) {
	n, err := c.compile(x.X)
	if err != nil {
		return node{}, err
	}
	f := n.eval
	if x.Op == "NOT" {
		if err := want(n, cBool, "NOT"); err != nil {
			return node{}, err
		}
		return node{cls: cBool, sql: "(NOT " + n.sql + ")", eval: func(row []any) value {
			v := f(row)
			if v.k == vNull {
				return null
			}
			return boolValue(!v.b)
		}}, nil
	}
	if err := want(n, cNum, "unary -"); err != nil {
		return node{}, err
	}
	zero := value{k: vInt}
	return node{cls: cNum, sql: "(-" + n.sql + ")", eval: func(row []any) value { return arith("-", zero, f(row)) }}, nil
}

// want checks that n is of class cls (or NULL).
func want(n node, cls class, op string) error {
	if n.cls != cls && n.cls != cNull {
		return fmt.Errorf("%s needs %s, got %s (%s)", op, cls, n.cls, n.sql)
	}
	return nil
}

// comparable checks that two operands can be compared.
func comparable(l, r node, op string) error {
	switch {
	case l.cls == cNull || r.cls == cNull:
		return nil
	case l.cls == cOther || r.cls == cOther:
		return fmt.Errorf("%s cannot compare %s (only IS [NOT] NULL applies to it)", op, cOther)
	case l.cls != r.cls:
		return fmt.Errorf("%s compares %s (%s) with %s (%s); zbemu does not convert types in constraints, compare values of one type", op, l.cls, l.sql, r.cls, r.sql)
	}
	return nil
}

func (c *compiler) binary(x *dialect.Binary) (node, error) {
	l, err := c.compile(x.L)
	if err != nil {
		return node{}, err
	}
	r, err := c.compile(x.R)
	if err != nil {
		return node{}, err
	}
	lf, rf, op := l.eval, r.eval, x.Op
	sql := "(" + l.sql + " " + op + " " + r.sql + ")"
	switch op {
	case "AND", "OR":
		if err := want(l, cBool, op); err != nil {
			return node{}, err
		}
		if err := want(r, cBool, op); err != nil {
			return node{}, err
		}
		and := op == "AND"
		return node{cls: cBool, sql: sql, eval: func(row []any) value {
			a := lf(row)
			if a.k == vBool && a.b != and {
				return a // FALSE AND x, TRUE OR x
			}
			b := rf(row)
			switch {
			case b.k == vBool && b.b != and:
				return b
			case a.k == vNull || b.k == vNull:
				return null
			}
			return boolValue(and)
		}}, nil
	case "=", "<>", "<", "<=", ">", ">=", "<=>":
		if err := comparable(l, r, op); err != nil {
			return node{}, err
		}
		if op == "<=>" {
			sql = "(" + l.sql + " IS NOT DISTINCT FROM " + r.sql + ")"
		}
		return node{cls: cBool, sql: sql, eval: func(row []any) value {
			a, b := lf(row), rf(row)
			if a.k == vNull || b.k == vNull {
				if op == "<=>" {
					return boolValue(a.k == b.k)
				}
				return null
			}
			n := compare(a, b)
			switch op {
			case "=", "<=>":
				return boolValue(n == 0)
			case "<>":
				return boolValue(n != 0)
			case "<":
				return boolValue(n < 0)
			case "<=":
				return boolValue(n <= 0)
			case ">":
				return boolValue(n > 0)
			}
			return boolValue(n >= 0)
		}}, nil
	case "||":
		if err := want(l, cStr, op); err != nil {
			return node{}, err
		}
		if err := want(r, cStr, op); err != nil {
			return node{}, err
		}
		return node{cls: cStr, sql: sql, eval: func(row []any) value {
			a, b := lf(row), rf(row)
			if a.k == vNull || b.k == vNull {
				return null
			}
			return value{k: vStr, s: a.s + b.s}
		}}, nil
	}
	if err := want(l, cNum, op); err != nil {
		return node{}, err
	}
	if err := want(r, cNum, op); err != nil {
		return node{}, err
	}
	if op == "/" || op == "%" {
		sql = "(" + l.sql + " " + op + " NULLIF(" + r.sql + ", 0))"
	}
	return node{cls: cNum, sql: sql, eval: func(row []any) value { return arith(op, lf(row), rf(row)) }}, nil
}

func (c *compiler) between(x *dialect.Between) (node, error) {
	ge := &dialect.Binary{Op: "AND", L: &dialect.Binary{Op: ">=", L: x.X, R: x.Lo}, R: &dialect.Binary{Op: "<=", L: x.X, R: x.Hi}}
	var e dialect.Expr = ge
	if x.Not {
		e = &dialect.Unary{Op: "NOT", X: ge}
	}
	return c.compile(e)
}

func (c *compiler) in(x *dialect.InList) (node, error) {
	n, err := c.compile(x.X)
	if err != nil {
		return node{}, err
	}
	items := make([]evalFn, len(x.List))
	sqls := make([]string, len(x.List))
	for i, e := range x.List {
		m, err := c.compile(e)
		if err != nil {
			return node{}, err
		}
		if err := comparable(n, m, "IN"); err != nil {
			return node{}, err
		}
		items[i], sqls[i] = m.eval, m.sql
	}
	f, not := n.eval, x.Not
	op := " IN ("
	if not {
		op = " NOT IN ("
	}
	return node{cls: cBool, sql: "(" + n.sql + op + strings.Join(sqls, ", ") + "))", eval: func(row []any) value {
		v := f(row)
		if v.k == vNull {
			return null
		}
		sawNull := false
		for _, it := range items {
			w := it(row)
			if w.k == vNull {
				sawNull = true
			} else if compare(v, w) == 0 {
				return boolValue(!not)
			}
		}
		if sawNull {
			return null
		}
		return boolValue(not)
	}}, nil
}

func (c *compiler) like(x *dialect.Like) (node, error) {
	n, err := c.compile(x.X)
	if err != nil {
		return node{}, err
	}
	if err := want(n, cStr, "LIKE"); err != nil {
		return node{}, err
	}
	re, err := LikeRegexp(x.Pattern)
	if err != nil {
		return node{}, err
	}
	f, not := n.eval, x.Not
	op := " LIKE "
	if not {
		op = " NOT LIKE "
	}
	return node{cls: cBool, sql: "(" + n.sql + op + quoteString(x.Pattern) + " ESCAPE '\\')", eval: func(row []any) value {
		v := f(row)
		if v.k == vNull {
			return null
		}
		return boolValue(re.MatchString(v.s) != not)
	}}, nil
}

// LikeRegexp translates a SQL LIKE pattern: % any run, _ one character,
// \x the character x. Go's regexp matches in linear time, however many %
// the pattern has.
func LikeRegexp(p string) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString(`(?s)\A`)
	for i := 0; i < len(p); {
		r, n := utf8.DecodeRuneInString(p[i:])
		switch {
		case r == '\\':
			if i+n >= len(p) {
				return nil, fmt.Errorf("LIKE pattern %q ends with the escape character \\", p)
			}
			e, m := utf8.DecodeRuneInString(p[i+n:])
			b.WriteString(regexp.QuoteMeta(string(e)))
			n += m
		case r == '%':
			b.WriteString(".*")
		case r == '_':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
		i += n
	}
	b.WriteString(`\z`)
	return regexp.Compile(b.String())
}

func (c *compiler) call(x *dialect.Call) (node, error) {
	if dialect.DefaultFunctions[x.Name] {
		if !c.constant {
			return node{}, fmt.Errorf("%s is not deterministic, and a CHECK condition must be", strings.ToLower(x.Name))
		}
		return node{}, errTimeFunction
	}
	args := make([]node, len(x.Args))
	sqls := make([]string, len(x.Args))
	for i, a := range x.Args {
		n, err := c.compile(a)
		if err != nil {
			return node{}, err
		}
		args[i], sqls[i] = n, n.sql
	}
	name := strings.ToLower(x.Name)
	sql := name + "(" + strings.Join(sqls, ", ") + ")"
	switch x.Name {
	case "COALESCE":
		cls := cNull
		fs := make([]evalFn, len(args))
		for i, a := range args {
			if cls == cNull {
				cls = a.cls
			}
			if err := comparable(node{cls: cls, sql: sqls[0]}, a, "coalesce"); err != nil {
				return node{}, err
			}
			fs[i] = a.eval
		}
		return node{cls: cls, sql: sql, eval: func(row []any) value {
			for _, f := range fs {
				if v := f(row); v.k != vNull {
					return v
				}
			}
			return null
		}}, nil
	case "ABS":
		if err := want(args[0], cNum, name); err != nil {
			return node{}, err
		}
		f := args[0].eval
		return node{cls: cNum, sql: sql, eval: func(row []any) value {
			v := f(row)
			if v.k != vNull && compare(v, value{k: vInt}) < 0 {
				return arith("-", value{k: vInt}, v)
			}
			return v
		}}, nil
	}
	if err := want(args[0], cStr, name); err != nil {
		return node{}, err
	}
	f := args[0].eval
	var g func(string) value
	switch x.Name {
	case "LENGTH", "CHAR_LENGTH", "CHARACTER_LENGTH":
		sql = "length(" + sqls[0] + ")"
		g = func(s string) value { return value{k: vInt, i: int64(utf8.RuneCountInString(s))} }
	case "LOWER", "LCASE":
		sql = "lower(" + sqls[0] + ")"
		g = func(s string) value { return value{k: vStr, s: strings.ToLower(s)} }
	case "UPPER", "UCASE":
		sql = "upper(" + sqls[0] + ")"
		g = func(s string) value { return value{k: vStr, s: strings.ToUpper(s)} }
	default: // TRIM
		sql = "trim(" + sqls[0] + ")"
		g = func(s string) value { return value{k: vStr, s: strings.Trim(s, " ")} }
	}
	cls := cStr
	if strings.HasSuffix(x.Name, "LENGTH") {
		cls = cNum
	}
	return node{cls: cls, sql: sql, eval: func(row []any) value {
		v := f(row)
		if v.k == vNull {
			return null
		}
		return g(v.s)
	}}, nil
}

func (c *compiler) caseExpr(x *dialect.Case) (node, error) {
	var op node
	if x.Operand != nil {
		var err error
		if op, err = c.compile(x.Operand); err != nil {
			return node{}, err
		}
	}
	type arm struct{ cond, then evalFn }
	arms := make([]arm, len(x.Whens))
	var b strings.Builder
	b.WriteString("(CASE")
	if x.Operand != nil {
		b.WriteString(" " + op.sql)
	}
	cls := cNull
	unify := func(n node) error {
		if err := comparable(node{cls: cls, sql: "CASE"}, n, "CASE"); err != nil {
			return fmt.Errorf("the branches of CASE must have one type: %v", err)
		}
		if cls == cNull {
			cls = n.cls
		}
		return nil
	}
	for i, w := range x.Whens {
		cond, err := c.compile(w.Cond)
		if err != nil {
			return node{}, err
		}
		if x.Operand != nil {
			if err := comparable(op, cond, "CASE ... WHEN"); err != nil {
				return node{}, err
			}
			of, wf := op.eval, cond.eval
			cond.eval = func(row []any) value {
				a, v := of(row), wf(row)
				return boolValue(a.k != vNull && v.k != vNull && compare(a, v) == 0)
			}
		} else if err := want(cond, cBool, "CASE WHEN"); err != nil {
			return node{}, err
		}
		then, err := c.compile(w.Then)
		if err != nil {
			return node{}, err
		}
		if err := unify(then); err != nil {
			return node{}, err
		}
		arms[i] = arm{cond.eval, then.eval}
		fmt.Fprintf(&b, " WHEN %s THEN %s", cond.sql, then.sql)
	}
	els := func([]any) value { return null }
	if x.Else != nil {
		e, err := c.compile(x.Else)
		if err != nil {
			return node{}, err
		}
		if err := unify(e); err != nil {
			return node{}, err
		}
		els = e.eval
		fmt.Fprintf(&b, " ELSE %s", e.sql)
	}
	b.WriteString(" END)")
	return node{cls: cls, sql: b.String(), eval: func(row []any) value {
		for _, a := range arms {
			if v := a.cond(row); v.k == vBool && v.b {
				return a.then(row)
			}
		}
		return els(row)
	}}, nil
}
