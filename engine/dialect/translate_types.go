package dialect

import "strings"

// Types in casts (CAST(x AS t), x::t) and typed literals are translated to
// the DuckDB types zbemu stores them as (see schema.Type.DuckDB): TIMESTAMP
// is an instant (TIMESTAMPTZ), TIMESTAMP_NTZ a wall clock (TIMESTAMP),
// VARIANT is JSON, and the complex types take DuckDB's spelling.

// maxTypeDepth bounds the nesting of ARRAY, MAP and STRUCT types.
const maxTypeDepth = 64

// castType renders the type after the "::" at toks[i] and returns the
// index of its last token; the type is left as typed if it cannot be read.
func (tr *translator) castType(o *output, toks []token, i int) (int, error) {
	j := nextSig(toks, i)
	text, last, ok := sparkType(tr.src, toks, j, 0)
	if !ok {
		o.write("::")
		return i, nil
	}
	// The operand of :: is the last one written, unless it ends with a
	// keyword (CASE ... END), whose start the output does not track.
	if p := prevSig(toks, i); o.operand >= 0 && p >= 0 && !toks[p].isKw("END") {
		if x := strings.TrimSpace(string(o.buf[o.operand:])); x != "" {
			if cast, ok := integralCast("CAST", x, toks[p:p+1], text); ok {
				o.cutOperand()
				o.writeOperand(cast)
				return last, nil
			}
		}
	}
	o.write("::")
	for k := i + 1; k < j; k++ {
		if toks[k].kind == tokSpace {
			o.write(tr.src[toks[k].start:toks[k].end])
		}
	}
	o.write(text)
	return last, nil
}

// typeFromText translates a type written as text, such as the 'int' of
// variant_get(v, '$.a', 'int').
func typeFromText(text string) (string, error) {
	toks, err := lex(text)
	if err == nil {
		first := nextSig(toks, -1)
		if duck, last, ok := sparkType(text, toks, first, 0); ok && toks[nextSig(toks, last)].kind == tokEOF {
			return duck, nil
		}
	}
	return "", &UnsupportedError{Kind: "type", Construct: strings.TrimSpace(text), Hint: "not a Databricks type zbemu can read"}
}

// sparkType translates the Databricks type that starts at toks[i] and
// returns its DuckDB text and the index of its last token; ok is false if
// toks[i] does not start a type zbemu can read.
func sparkType(src string, toks []token, i, depth int) (text string, last int, ok bool) {
	if depth > maxTypeDepth || i >= len(toks) || toks[i].kind != tokIdent {
		return "", i, false
	}
	t := toks[i]
	n := nextSig(toks, i)
	generic := isOpAt(toks, n, "<")
	switch word := strings.ToUpper(t.val); {
	case word == "ARRAY" && generic:
		elem, last, ok := sparkType(src, toks, nextSig(toks, n), depth+1)
		if c := nextSig(toks, last); ok && isOpAt(toks, c, ">") {
			return arraySuffix(toks, elem+"[]", c)
		}
		return "", i, false
	case word == "MAP" && generic:
		key, last, ok := sparkType(src, toks, nextSig(toks, n), depth+1)
		comma := nextSig(toks, last)
		if !ok || !isOpAt(toks, comma, ",") {
			return "", i, false
		}
		value, last, ok := sparkType(src, toks, nextSig(toks, comma), depth+1)
		if c := nextSig(toks, last); ok && isOpAt(toks, c, ">") {
			return arraySuffix(toks, "MAP("+key+", "+value+")", c)
		}
		return "", i, false
	case word == "STRUCT" && generic:
		return structType(src, toks, n, depth)
	case word == "DECIMAL" || word == "DEC" || word == "NUMERIC":
		if isOpAt(toks, n, "(") {
			if c := matchClose(nil, toks, n, "(", ")"); c > 0 {
				return arraySuffix(toks, "DECIMAL"+src[toks[n].start:toks[c].end], c)
			}
			return "", i, false
		}
		// Spark's DECIMAL is DECIMAL(10, 0); DuckDB's is DECIMAL(18, 3).
		return arraySuffix(toks, "DECIMAL(10,0)", i)
	case word == "VARCHAR" || word == "CHAR":
		last := i
		if isOpAt(toks, n, "(") {
			if last = matchClose(nil, toks, n, "(", ")"); last < 0 {
				return "", i, false
			}
		}
		return arraySuffix(toks, "VARCHAR", last)
	case word == "INTERVAL":
		// DuckDB has one INTERVAL type; drop the qualifiers.
		last := i
		for k := n; k < len(toks) && (toks[k].isKw("TO") || isIntervalUnit(toks[k])); k = nextSig(toks, k) {
			last = k
		}
		return arraySuffix(toks, "INTERVAL", last)
	case typeNames[word] != "":
		return arraySuffix(toks, typeNames[word], i)
	}
	return arraySuffix(toks, t.val, i)
}

// typeNames are the Databricks type names DuckDB spells differently.
var typeNames = map[string]string{
	"STRING": "VARCHAR", "TIMESTAMP": "TIMESTAMPTZ", "TIMESTAMP_LTZ": "TIMESTAMPTZ",
	"TIMESTAMP_NTZ": "TIMESTAMP", "VARIANT": "JSON", "LONG": "BIGINT",
	"SHORT": "SMALLINT", "BYTE": "TINYINT", "BINARY": "BLOB", "VOID": "NULL",
}

// arraySuffix appends the DuckDB-style [] after a type (t::INT[]), which
// Databricks does not have but a learner may paste.
func arraySuffix(toks []token, text string, last int) (string, int, bool) {
	for {
		open := nextSig(toks, last)
		close := nextSig(toks, open)
		if !isOpAt(toks, open, "[") || !isOpAt(toks, close, "]") {
			return text, last, true
		}
		text, last = text+"[]", close
	}
}

// structType reads STRUCT<name[:] type [NOT NULL] [COMMENT '...'], ...>
// whose "<" is toks[open].
func structType(src string, toks []token, open, depth int) (string, int, bool) {
	var fields []string
	k := nextSig(toks, open)
	if isOpAt(toks, k, ">") {
		return "JSON", k, true // DuckDB has no empty STRUCT; zbemu stores it as JSON
	}
	for {
		if !isName(toks, k) {
			return "", open, false
		}
		name := toks[k].val
		k = nextSig(toks, k)
		if isOpAt(toks, k, ":") {
			k = nextSig(toks, k)
		}
		typ, last, ok := sparkType(src, toks, k, depth+1)
		if !ok {
			return "", open, false
		}
		k = nextSig(toks, last)
		if k < len(toks) && toks[k].isKw("NOT") && nextSig(toks, k) < len(toks) && toks[nextSig(toks, k)].isKw("NULL") {
			k = nextSig(toks, nextSig(toks, k))
		}
		if k < len(toks) && toks[k].isKw("COMMENT") && nextSig(toks, k) < len(toks) && toks[nextSig(toks, k)].kind == tokString {
			k = nextSig(toks, nextSig(toks, k))
		}
		fields = append(fields, quoteDuckIdent(name)+" "+typ)
		switch {
		case isOpAt(toks, k, ","):
			k = nextSig(toks, k)
		case isOpAt(toks, k, ">"):
			return arraySuffix(toks, "STRUCT("+strings.Join(fields, ", ")+")", k)
		default:
			return "", open, false
		}
	}
}

// isComplexType reports whether a DuckDB type text is a LIST, MAP or
// STRUCT, which DuckDB builds from JSON by structure rather than from text.
func isComplexType(duck string) bool {
	return strings.HasSuffix(duck, "]") || strings.HasPrefix(duck, "MAP(") || strings.HasPrefix(duck, "STRUCT(")
}

// typedLiteral renders TIMESTAMP '...' and its NTZ/LTZ variants with
// zbemu's timestamp semantics, and X'0102' binary literals; toks[n] is
// the string after the word toks[i].
func (tr *translator) typedLiteral(o *output, toks []token, i, n int) (int, bool, error) {
	switch word := strings.ToUpper(toks[i].val); {
	case word == "TIMESTAMP" || word == "TIMESTAMP_LTZ":
		o.writeOperand("TIMESTAMPTZ")
	case word == "TIMESTAMP_NTZ":
		o.writeOperand("TIMESTAMP")
	case word == "X" && toks[n].start == toks[i].end:
		o.writeOperand("from_hex(" + quoteDuckString(toks[n].val) + ")")
		return n, true, nil
	default:
		return i, false, nil
	}
	return i, true, nil
}
