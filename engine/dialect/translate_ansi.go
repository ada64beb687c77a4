package dialect

import (
	"strings"
)

// Databricks SQL runs with ANSI semantics (spark.sql.ansi.enabled, on in
// Databricks SQL: https://docs.databricks.com/aws/en/sql/language-manual/sql-ref-ansi-compliance)
// where DuckDB answers otherwise:
//   - x / 0, x % 0 and x DIV 0 raise DIVIDE_BY_ZERO (DuckDB: NULL or
//     Infinity); try_divide returns NULL;
//   - concat returns NULL when an argument is NULL (DuckDB skips NULLs),
//     as || does in both;
//   - substring counts a start of 0 as 1 (DuckDB: a position before the
//     first character);
//   - range(n) in FROM yields a column named id (DuckDB: range);
//   - element_at of an array raises INVALID_ARRAY_INDEX_IN_ELEMENT_AT out
//     of bounds and INVALID_INDEX_OF_ZERO for index 0 (DuckDB: NULL);
//   - a cast of a DECIMAL, DOUBLE or FLOAT to an integral type truncates
//     toward zero (DuckDB rounds);
//   - ^ is bitwise exclusive or (DuckDB: power);
//   - typeof answers Spark's type names (DuckDB: its own).
// Integer overflow (ARITHMETIC_OVERFLOW) and malformed casts
// (CAST_INVALID_INPUT) already fail in DuckDB; the engine names them.

// nonZero wraps a divisor so that it raises DIVIDE_BY_ZERO when it is 0
// (the engine gives the error class its text).
// The lambda binds the divisor once, so nested divisions grow the text
// linearly; error() only runs for rows whose divisor is 0 (DuckDB does not
// fold it in branches that are not taken).
func nonZero(divisor string) string {
	return "list_transform([" + divisor + "], lambda zb_d: CASE WHEN zb_d = 0 THEN error('[DIVIDE_BY_ZERO]') ELSE zb_d END)[1]"
}

// divisor renders the operator toks[i] (/, %, or DIV as op) followed by
// its right operand checked with nonZero. ok is false when the operand is
// not one the translator can delimit (a CASE, a cast with ::, a VARIANT
// path): the division is then left as typed.
func (tr *translator) divisor(o *output, toks []token, i int, op string) (int, bool, error) {
	j := nextSig(toks, i)
	end := operandEnd(&tr.steps, toks, j)
	if end < 0 || end == j && toks[j].kind == tokNumber && strings.Trim(toks[j].val, "0.") != "" {
		return i, false, nil // not delimited, or a literal that is not 0
	}
	text, err := tr.render(toks[j : end+1])
	if err != nil {
		return i, false, err
	}
	if n := len(o.buf); n > 0 && o.buf[n-1] != ' ' {
		o.write(" ")
	}
	o.write(op + " ")
	o.write(nonZero(strings.TrimSpace(text)))
	return end, true, nil
}

// operandEnd returns the index of the last token of the operand that
// starts at toks[j] (signs, a literal, a name, a call or a parenthesised
// expression, then subscripts), or -1.
func operandEnd(steps *int, toks []token, j int) int {
	k := j
	for k < len(toks) && (toks[k].isOp("-") || toks[k].isOp("+")) {
		k = nextSig(toks, k)
	}
	if k >= len(toks) {
		return -1
	}
	end := -1
	switch t := toks[k]; t.kind {
	case tokNumber, tokString, tokParam:
		end = k
	case tokIdent, tokQuotedIdent:
		if t.kind == tokIdent && (keywordBeforeExpr[strings.ToUpper(t.val)] || nonOperandWords[strings.ToUpper(t.val)]) {
			return -1
		}
		if n := nextSig(toks, k); t.kind == tokIdent && n < len(toks) && toks[n].kind == tokString {
			return -1 // a typed literal, DATE '...'
		}
		last, _ := nameEnd(toks, k)
		end = last
		if n := nextSig(toks, last); isOpAt(toks, n, "(") {
			if end = matchClose(steps, toks, n, "(", ")"); end < 0 {
				return -1
			}
		}
	case tokOp:
		if !t.isOp("(") {
			return -1
		}
		if end = matchClose(steps, toks, k, "(", ")"); end < 0 {
			return -1
		}
	default:
		return -1
	}
	for {
		n := nextSig(toks, end)
		switch {
		case isOpAt(toks, n, "["):
			if end = matchClose(steps, toks, n, "[", "]"); end < 0 {
				return -1
			}
			continue
		case isOpAt(toks, n, "::") || isOpAt(toks, n, ":") || isOpAt(toks, n, "."):
			return -1
		case n < len(toks) && (toks[n].isKw("OVER") || toks[n].isKw("FILTER")):
			return -1
		}
		return end
	}
}

// nonOperandWords start expressions operandEnd does not delimit.
var nonOperandWords = map[string]bool{
	"CASE": true, "NOT": true, "INTERVAL": true, "SELECT": true, "EXISTS": true,
}

// ansiRewrites are the function rewrites of this file.
var ansiRewrites = map[string]rewriteFunc{
	"try_divide": tmpl("(({0}) / nullif({1}, 0))", 2),
	"concat":     concatNulls,
	"substring":  substring,
	"substr":     substring,
	"range":      rangeTable,
	"element_at": elementAt(true),
	"typeof":     typeOf,
}

// concatNulls is concat(a, b, ...) with Spark's NULL rule: a || b || ...
func concatNulls(c *call) (string, error) {
	if len(c.args) == 0 {
		return "''", nil
	}
	parts := make([]string, len(c.args))
	for k, a := range c.args {
		parts[k] = "(" + a + ")"
	}
	return "(" + strings.Join(parts, " || ") + ")", nil
}

// substring is substring(s, pos [, len]) with a start of 0 read as 1.
func substring(c *call) (string, error) {
	if err := c.arity(2, 3); err != nil {
		return "", err
	}
	args := append([]string(nil), c.args...)
	if args[1] == "0" {
		args[1] = "1"
	} else if _, ok := c.str(1); !ok && c.raw[1][0].kind != tokNumber {
		args[1] = "CASE WHEN (" + args[1] + ") = 0 THEN 1 ELSE (" + args[1] + ") END"
	}
	return "substring(" + strings.Join(args, ", ") + ")", nil
}

// rangeTable is range(...) as a relation of a FROM clause (after FROM,
// JOIN or a comma of that clause), whose column Spark names id. Elsewhere
// range is DuckDB's list function, left as typed.
func rangeTable(c *call) (string, error) {
	if !inFromList(c.toks, c.pos) {
		return "", nil
	}
	return "(SELECT range AS id FROM range(" + strings.Join(c.args, ", ") + "))", nil
}

// inFromList reports whether toks[i] starts a relation of a FROM clause:
// the significant token before it is FROM or JOIN, or a comma whose
// clause, read backwards at the same bracket depth, is a FROM clause.
func inFromList(toks []token, i int) bool {
	p := prevSig(toks, i)
	if p < 0 {
		return false
	}
	if toks[p].isKw("FROM") || toks[p].isKw("JOIN") {
		return true
	}
	if !toks[p].isOp(",") {
		return false
	}
	depth := 0
	for k := p - 1; k >= 0; k-- {
		t := toks[k]
		switch {
		case t.isOp(")"):
			depth++
		case t.isOp("("):
			if depth == 0 {
				return false
			}
			depth--
		case depth > 0:
		case t.isKw("FROM"):
			return true
		case t.isKw("SELECT"), t.isKw("WHERE"), t.isKw("ON"), t.isKw("USING"), t.isKw("GROUP"), t.isKw("BY"),
			t.isKw("HAVING"), t.isKw("ORDER"), t.isKw("VALUES"), t.isKw("WINDOW"), t.isKw("QUALIFY"):
			return false
		}
	}
	return false
}

// Some Spark functions answer differently for an array and a map, or for a
// DECIMAL and a string, and which one an argument is only DuckDB knows.
// The translations below ask typeof(x), which DuckDB decides when it binds
// the statement, and bind the argument once in a lambda (as nonZero does).
// Every branch of their CASE must bind whatever the type, so the branch
// of one type reaches the value only through functions that take any
// type (to_json, CAST to VARCHAR, TRY_CAST).

// elementAt is element_at(x, i) and, with strict false, try_element_at.
// For an array, index 0 raises INVALID_INDEX_OF_ZERO and, when strict, an
// index whose absolute value exceeds the length raises
// INVALID_ARRAY_INDEX_IN_ELEMENT_AT; a negative index counts from the end
// (DuckDB's too). The length, which only to_json gives for either type,
// is computed only when the element read is NULL. For a map, a missing
// key gives NULL (https://docs.databricks.com/sql/language-manual/functions/element_at.html,
// https://docs.databricks.com/sql/language-manual/functions/try_element_at.html).
func elementAt(strict bool) rewriteFunc {
	return func(c *call) (string, error) {
		if err := c.arity(2); err != nil {
			return "", err
		}
		const (
			x    = "zb_e.zb_c"
			i    = "zb_e.zb_i"
			n    = "TRY_CAST(" + i + " AS BIGINT)"
			size = "json_array_length(to_json(" + x + "))"
		)
		bounds := ""
		if strict {
			bounds = " WHEN abs(" + n + ") > " + size + " THEN error('[INVALID_ARRAY_INDEX_IN_ELEMENT_AT] The index ' || " + i +
				" || ' is out of bounds. The array has ' || " + size + " || ' elements. Use `try_element_at` to tolerate accessing element at invalid index and return NULL instead. " +
				"If necessary set \"ansi_mode\" to \"false\" to bypass this error.')"
		}
		return "list_transform([struct_pack(zb_c := " + c.args[0] + ", zb_i := " + c.args[1] + ")], lambda zb_e: CASE WHEN typeof(" + x + ") NOT LIKE '%]' THEN " + x + "[" + i + "]" +
			" WHEN " + n + " = 0 THEN error('[INVALID_INDEX_OF_ZERO]') WHEN " + x + "[" + i + "] IS NOT NULL THEN " + x + "[" + i + "]" + bounds + " END)[1]", nil
	}
}

// integralTypes are the DuckDB spellings of Spark's integral types.
var integralTypes = map[string]bool{"TINYINT": true, "SMALLINT": true, "INT": true, "INTEGER": true, "BIGINT": true}

// integralCast is CAST(x AS t) (fn CAST or TRY_CAST) for an integral t:
// Spark truncates a DECIMAL, DOUBLE or FLOAT toward zero where DuckDB
// rounds to the nearest (https://spark.apache.org/docs/latest/sql-ref-ansi-compliance.html#cast).
// A DOUBLE or FLOAT is truncated as a DOUBLE, and so is a DECIMAL of
// precision up to 15: a DOUBLE's rounding error on it is below a tenth of
// its last digit, so no value crosses an integer, and the DOUBLE path is
// as fast as DuckDB's own cast. A wider DECIMAL is truncated as a
// DECIMAL(38,18), exact for scales up to 18 below 10^20, beyond every
// BIGINT, but some 20 times slower; a larger one, which no integral type
// holds, goes through DOUBLE so that it still fails as CAST_OVERFLOW.
// Other types cast as typed. TRY_CAST reaches the value in the branches of
// other types: it binds for every type and converts no text. ok is false
// when t is not integral or x is a literal DuckDB casts as Spark does (an
// integer or a string), so the cast stays as typed.
func integralCast(fn, x string, raw []token, typ string) (text string, ok bool) {
	if !integralTypes[strings.ToUpper(typ)] {
		return "", false
	}
	if integralLiteral(raw) {
		return "", false
	}
	const (
		z         = "zb_n"
		double    = "TRY_CAST(" + z + " AS DOUBLE)"
		dec       = "TRY_CAST(" + z + " AS DECIMAL(38,18))"
		decimal   = "typeof(" + z + ") LIKE 'DECIMAL(%'"
		precision = "TRY_CAST(substr(split_part(typeof(" + z + "), ',', 1), 9) AS INT)" // DECIMAL(p,s)
	)
	as := " AS " + typ + ")"
	return "list_transform([" + x + "], lambda " + z + ": CASE WHEN typeof(" + z + ") IN ('DOUBLE', 'FLOAT') OR " + decimal + " AND " + precision + " <= 15" +
		" THEN " + fn + "(trunc(" + double + ")" + as +
		" WHEN NOT " + decimal + " THEN " + fn + "(" + z + as +
		" WHEN " + dec + " IS NULL THEN " + fn + "(" + double + as +
		" ELSE " + fn + "(trunc(" + dec + ")" + as + " END)[1]", true
}

// integralLiteral reports whether raw is a string or a signed integer
// literal.
func integralLiteral(raw []token) bool {
	sig := trimTrivia(raw)
	if len(sig) == 2 && (sig[0].isOp("-") || sig[0].isOp("+")) {
		sig = sig[1:]
	}
	if len(sig) != 1 {
		return false
	}
	t := sig[0]
	return t.kind == tokString || t.kind == tokNumber && !strings.ContainsAny(t.val, ".eE") && (t.suffix == "" || t.suffix == "L" || t.suffix == "S" || t.suffix == "Y")
}

// tighterThanXor are the operators that bind more tightly than ^, as the
// translated text spells them (DIV is //).
var tighterThanXor = []string{"||", "<<", ">>", "*", "/", "%", "+", "-", "&", "~"}

// xor renders a ^ b, Spark's bitwise exclusive or (DuckDB's ^ is power),
// as xor(a, b); toks[i] is the ^. In Spark, ^ binds less tightly than
// arithmetic, & and the shifts, and more tightly than | and comparisons
// (https://spark.apache.org/docs/latest/sql-ref-operators.html). The
// translator knows the operand written last and delimits the one after
// the ^ (operandEnd); when an operator that binds more tightly is next to
// either, the operands it would need are wider than that, and the
// statement is refused rather than computed wrong.
func (tr *translator) xor(o *output, toks []token, i int) (int, error) {
	refuse := &UnsupportedError{Kind: "syntax", Construct: "^ next to an arithmetic, & or shift operator", Hint: "parenthesise the operands of ^"}
	j := nextSig(toks, i)
	end := operandEnd(&tr.steps, toks, j)
	if o.operand < 0 || end < 0 {
		return i, refuse
	}
	before := strings.TrimRight(string(o.buf[:o.operand]), " \t\r\n")
	for _, op := range tighterThanXor {
		if strings.HasSuffix(before, op) {
			return i, refuse
		}
	}
	if n := nextSig(toks, end); n < len(toks) {
		next := toks[n]
		pair := n+1 < len(toks) && toks[n+1].kind == tokOp && toks[n+1].start == next.end
		switch {
		case next.kind == tokOp && strings.Contains("*/%+-&", next.val),
			next.isOp("|") && pair && toks[n+1].isOp("|"),
			(next.isOp("<") || next.isOp(">")) && pair && toks[n+1].val == next.val,
			next.isKw("DIV"):
			return i, refuse
		}
	}
	right, err := tr.render(toks[j : end+1])
	if err != nil {
		return i, err
	}
	o.writeOperand("xor(" + o.cutOperand() + ", " + strings.TrimSpace(right) + ")")
	return end, nil
}

// SparkTypeFunc is the DuckDB scalar function the engine registers for
// typeof: given DuckDB's type name of a value and, for an INTERVAL, the
// value as text, it returns Spark's type name.
const SparkTypeFunc = "__zbemu_spark_type"

// typeOf is typeof(x) with Spark's type names.
func typeOf(c *call) (string, error) {
	if err := c.arity(1); err != nil {
		return "", err
	}
	return "list_transform([" + c.args[0] + "], lambda zb_t: " + SparkTypeFunc +
		"(typeof(zb_t), CASE WHEN typeof(zb_t) = 'INTERVAL' THEN CAST(zb_t AS VARCHAR) END))[1]", nil
}
