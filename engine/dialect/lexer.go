package dialect

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// tokenKind classifies a token. Whitespace and comments are tokens too
// (trivia) so that the translator can reproduce the statement as typed.
type tokenKind int

const (
	tokEOF         tokenKind = iota
	tokSpace                 // whitespace
	tokComment               // -- line or /* block */ comment
	tokIdent                 // unquoted identifier or keyword
	tokQuotedIdent           // `backtick` identifier; val is the name
	tokString                // 'single', "double" or r'raw' string; val is the decoded text
	tokNumber                // numeric literal; val is the number, suffix its type suffix
	tokParam                 // :name parameter marker; val is the name
	tokOp                    // operator or punctuation, one character except "::"
	// tokRelation is never lexed: TranslateQuery puts it in place of a
	// dataset reference; val is the DuckDB relation SQL to write.
	tokRelation
)

// token is one lexeme of the source. start and end are byte offsets, so
// src[start:end] is the text exactly as typed.
type token struct {
	kind       tokenKind
	start, end int
	val        string
	suffix     string // tokNumber only: "L", "S", "Y", "D", "F" or "BD"
	// closeAt is, for an opening bracket, 1 + the offset of its closing
	// bracket of the same kind, or 0 if it has none (see matchBrackets).
	closeAt int
}

func (t token) trivia() bool { return t.kind == tokSpace || t.kind == tokComment }

// isKw reports whether t is the unquoted keyword kw (upper case).
// Backtick-quoted identifiers are never keywords, as in Databricks.
func (t token) isKw(kw string) bool { return t.kind == tokIdent && strings.EqualFold(t.val, kw) }

func (t token) isOp(op string) bool { return t.kind == tokOp && t.val == op }

// lex splits src into tokens, trivia included, ending with a tokEOF token
// at len(src).
func lex(src string) ([]token, error) {
	if k := strings.IndexByte(src, 0); k >= 0 {
		return nil, syntaxErrorAt(src, k, "unexpected NUL character (statement text cannot contain it)")
	}
	var toks []token
	i := 0
	for i < len(src) {
		tok, err := lexOne(src, i)
		if err != nil {
			return nil, err
		}
		toks = append(toks, tok)
		i = tok.end
	}
	toks = append(toks, token{kind: tokEOF, start: len(src), end: len(src)})
	toks = markParams(toks)
	matchBrackets(toks)
	return toks, nil
}

// matchBrackets records in each opening bracket where its closing bracket
// of the same kind is, so that the translator finds it without scanning:
// nested constructs then translate in linear time.
func matchBrackets(toks []token) {
	var stacks [3][]int
	for k, t := range toks {
		if t.kind != tokOp || len(t.val) != 1 {
			continue
		}
		if b := strings.IndexByte("([{", t.val[0]); b >= 0 {
			stacks[b] = append(stacks[b], k)
		} else if b := strings.IndexByte(")]}", t.val[0]); b >= 0 && len(stacks[b]) > 0 {
			open := stacks[b][len(stacks[b])-1]
			stacks[b] = stacks[b][:len(stacks[b])-1]
			toks[open].closeAt = t.start + 1
		}
	}
}

// lexOne reads the token that starts at byte offset i.
func lexOne(src string, i int) (token, error) {
	c := src[i]
	r, size := utf8.DecodeRuneInString(src[i:])
	switch {
	case unicode.IsSpace(r):
		j := i
		for j < len(src) {
			r, n := utf8.DecodeRuneInString(src[j:])
			if !unicode.IsSpace(r) {
				break
			}
			j += n
		}
		return token{kind: tokSpace, start: i, end: j}, nil
	case c == '-' && strings.HasPrefix(src[i:], "--"):
		// Spark and DuckDB both end a line comment at \r or \n.
		j := strings.IndexAny(src[i:], "\r\n")
		if j < 0 {
			j = len(src) - i
		}
		return token{kind: tokComment, start: i, end: i + j}, nil
	case c == '/' && strings.HasPrefix(src[i:], "/*"):
		return lexBlockComment(src, i)
	case c == '\'' || c == '"':
		return lexString(src, i, i, false)
	case c == '`':
		return lexBackquoted(src, i)
	case isDigit(c) || (c == '.' && i+1 < len(src) && isDigit(src[i+1])):
		return lexNumber(src, i), nil
	case isIdentStart(r):
		j := i + size
		for j < len(src) {
			r, n := utf8.DecodeRuneInString(src[j:])
			if !isIdentPart(r) {
				break
			}
			j += n
		}
		// r'...' and R"..." are raw strings: no escapes at all.
		if j == i+1 && (c == 'r' || c == 'R') && j < len(src) && (src[j] == '\'' || src[j] == '"') {
			return lexString(src, i, j, true)
		}
		if err := foreignString(src, i, j); err != nil {
			return token{}, err
		}
		return token{kind: tokIdent, start: i, end: j, val: src[i:j]}, nil
	case c == '$':
		// DuckDB reads $$...$$ and $tag$...$tag$ as strings and $name as
		// a parameter; Databricks SQL has neither, and letting one through
		// would make DuckDB see a string where zbemu saw code.
		return token{}, syntaxErrorAt(src, i, "unexpected \"$\": dollar-quoted strings and $ parameters are not Databricks SQL (use '...' strings and :name parameters)")
	case c == ':' && strings.HasPrefix(src[i:], "::"):
		return token{kind: tokOp, start: i, end: i + 2, val: "::"}, nil
	default:
		return token{kind: tokOp, start: i, end: i + size, val: src[i : i+size]}, nil
	}
}

// foreignString refuses the string prefixes that DuckDB (as PostgreSQL)
// reads but Databricks does not: E'...' (backslash escapes), U&'...'
// (Unicode escapes) and B'...' (bit strings). src[i:j] is an identifier.
// Without this, E'\\\'; ...' is one string to zbemu and code to DuckDB.
func foreignString(src string, i, j int) error {
	word := strings.ToUpper(src[i:j])
	quoteAt := func(k int) bool { return k < len(src) && (src[k] == '\'' || src[k] == '"') }
	switch {
	case (word == "E" || word == "B") && quoteAt(j):
		return syntaxErrorAt(src, i, word+"'...' strings are not Databricks SQL: write '...' (backslash escapes work in every string)")
	case word == "U" && j < len(src) && src[j] == '&' && quoteAt(j+1):
		return syntaxErrorAt(src, i, "U&'...' strings are not Databricks SQL: write '...' with \\uXXXX escapes")
	}
	return nil
}

// lexBlockComment reads /* ... */. Databricks (like Spark) nests bracketed
// comments, so /* a /* b */ c */ is one comment.
func lexBlockComment(src string, i int) (token, error) {
	depth := 0
	for j := i; j < len(src); {
		switch {
		case strings.HasPrefix(src[j:], "/*"):
			depth++
			j += 2
		case strings.HasPrefix(src[j:], "*/"):
			depth--
			j += 2
			if depth == 0 {
				return token{kind: tokComment, start: i, end: j}, nil
			}
		default:
			j++
		}
	}
	return token{}, syntaxErrorAt(src, i, "unterminated comment: expected \"*/\"")
}

// lexString reads a string literal whose opening quote is at q (start is
// before q for raw strings). Databricks decodes backslash escapes in regular
// literals; the decoded text goes to val so the translator can re-quote it
// the DuckDB way.
func lexString(src string, start, q int, raw bool) (token, error) {
	quote := src[q]
	var b strings.Builder
	j := q + 1
	for j < len(src) {
		c := src[j]
		switch {
		case c == quote:
			if strings.IndexByte(b.String(), 0) >= 0 {
				return token{}, syntaxErrorAt(src, start, "a string cannot contain the NUL character (\\0)")
			}
			return token{kind: tokString, start: start, end: j + 1, val: b.String()}, nil
		case c == '\\' && !raw && j+1 < len(src):
			j = unescape(src, j, &b)
		default:
			b.WriteByte(c)
			j++
		}
	}
	return token{}, syntaxErrorAt(src, start, "unterminated string literal: expected closing "+string(quote))
}

// unescape decodes the backslash escape at src[j] into b and returns the
// offset after it. The rules are those of the Databricks STRING literal
// reference: \0 \b \n \r \t \Z, \% and \_ keep their backslash (they are
// LIKE escapes), \uXXXX and \UXXXXXXXX are code points, and any other
// escaped character stands for itself.
func unescape(src string, j int, b *strings.Builder) int {
	c := src[j+1]
	switch c {
	case '0':
		b.WriteByte(0)
	case 'b':
		b.WriteByte('\b')
	case 'n':
		b.WriteByte('\n')
	case 'r':
		b.WriteByte('\r')
	case 't':
		b.WriteByte('\t')
	case 'Z':
		b.WriteByte(0x1A)
	case '%', '_':
		b.WriteByte('\\')
		b.WriteByte(c)
	case 'u', 'U':
		n := 4
		if c == 'U' {
			n = 8
		}
		if j+2+n <= len(src) {
			if v, err := strconv.ParseUint(src[j+2:j+2+n], 16, 32); err == nil && utf8.ValidRune(rune(v)) {
				b.WriteRune(rune(v))
				return j + 2 + n
			}
		}
		b.WriteByte(c)
	default:
		// Copy the whole escaped rune, not just its first byte.
		_, n := utf8.DecodeRuneInString(src[j+1:])
		b.WriteString(src[j+1 : j+1+n])
		return j + 1 + n
	}
	return j + 2
}

// lexBackquoted reads a `backtick` identifier; a doubled backtick inside
// stands for one backtick.
func lexBackquoted(src string, i int) (token, error) {
	var b strings.Builder
	for j := i + 1; j < len(src); j++ {
		if src[j] != '`' {
			b.WriteByte(src[j])
			continue
		}
		if j+1 < len(src) && src[j+1] == '`' {
			b.WriteByte('`')
			j++
			continue
		}
		return token{kind: tokQuotedIdent, start: i, end: j + 1, val: b.String()}, nil
	}
	return token{}, syntaxErrorAt(src, i, "unterminated quoted identifier: expected closing `")
}

// lexNumber reads digits, an optional fraction and exponent, and one of the
// Databricks type suffixes (10L, 1.5D, 2BD, ...).
func lexNumber(src string, i int) token {
	j := i
	digits := func() {
		for j < len(src) && isDigit(src[j]) {
			j++
		}
	}
	digits()
	if j < len(src) && src[j] == '.' {
		j++
		digits()
	}
	if j < len(src) && (src[j] == 'e' || src[j] == 'E') {
		k := j + 1
		if k < len(src) && (src[k] == '+' || src[k] == '-') {
			k++
		}
		if k < len(src) && isDigit(src[k]) {
			j = k
			digits()
		}
	}
	tok := token{kind: tokNumber, start: i, end: j, val: src[i:j]}
	for _, s := range []string{"BD", "L", "S", "Y", "D", "F"} {
		k := j + len(s)
		if k <= len(src) && strings.EqualFold(src[j:k], s) && !followsIdentPart(src, k) {
			tok.end, tok.suffix = k, s
			break
		}
	}
	return tok
}

func followsIdentPart(src string, k int) bool {
	if k >= len(src) {
		return false
	}
	r, _ := utf8.DecodeRuneInString(src[k:])
	return isIdentPart(r)
}

func isDigit(c byte) bool      { return c >= '0' && c <= '9' }
func isIdentStart(r rune) bool { return r == '_' || unicode.IsLetter(r) }
func isIdentPart(r rune) bool  { return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) }
func isPlainIdentifier(s string) bool {
	for i, r := range s {
		if r > unicode.MaxASCII || !(isIdentPart(r) && (i > 0 || isIdentStart(r))) {
			return false
		}
	}
	return s != ""
}

// markParams merges ":" + name into a tokParam where the colon starts an
// expression. Databricks also uses ":" after an expression for JSON/VARIANT
// paths (raw:a.b) and inside STRUCT<a: INT>, so a colon that follows a
// value (a name, literal or closing bracket) is left alone.
func markParams(toks []token) []token {
	out := toks[:0]
	prev := -1 // index in out of the previous significant token
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if t.isOp(":") && i+1 < len(toks) && toks[i+1].kind == tokIdent && toks[i+1].start == t.end &&
			(prev < 0 || startsExpression(out[prev])) {
			t = token{kind: tokParam, start: t.start, end: toks[i+1].end, val: toks[i+1].val}
			i++
		}
		out = append(out, t)
		if !t.trivia() {
			prev = len(out) - 1
		}
	}
	return out
}

// startsExpression reports whether an expression may begin right after t.
func startsExpression(t token) bool {
	switch t.kind {
	case tokOp:
		return t.val != ")" && t.val != "]" && t.val != "}"
	case tokIdent:
		return paramAfter[strings.ToUpper(t.val)]
	}
	return false
}

// paramAfter lists the keywords after which ":name" is a parameter marker
// rather than a path into the preceding name.
var paramAfter = map[string]bool{
	"SELECT": true, "WHERE": true, "AND": true, "OR": true, "NOT": true,
	"BETWEEN": true, "IN": true, "LIKE": true, "ILIKE": true, "RLIKE": true,
	"REGEXP": true, "IS": true, "CASE": true, "WHEN": true, "THEN": true,
	"ELSE": true, "LIMIT": true, "OFFSET": true, "ON": true, "HAVING": true,
	"BY": true, "SET": true, "RETURN": true, "DISTINCT": true, "ALL": true,
	"ANY": true, "SOME": true, "EXISTS": true, "INTERVAL": true, "ESCAPE": true,
	"VALUES": true, "DIV": true, "QUALIFY": true,
}

// Split cuts a script into statements at semicolons that are outside
// strings, quoted identifiers and comments. Each statement is returned as
// typed, without the semicolon and without leading or trailing whitespace
// and comments; statements with nothing but whitespace and comments are
// dropped.
func Split(sql string) ([]string, error) {
	toks, err := lex(sql)
	if err != nil {
		return nil, err
	}
	var out []string
	first, last := -1, -1 // byte offsets of the current statement's text
	for _, t := range toks {
		switch {
		case t.kind == tokEOF || t.isOp(";"):
			if first >= 0 {
				out = append(out, sql[first:last])
			}
			first, last = -1, -1
		case !t.trivia():
			if first < 0 {
				first = t.start
			}
			last = t.end
		}
	}
	return out, nil
}

// syntaxErrorAt builds a *SyntaxError for byte offset off of src.
func syntaxErrorAt(src string, off int, msg string) error {
	line, col := position(src, off)
	return &SyntaxError{Line: line, Column: col, Msg: msg}
}

// position converts a byte offset into a 1-based line and rune column.
func position(src string, off int) (line, col int) {
	if off > len(src) {
		off = len(src)
	}
	before := src[:off]
	line = 1 + strings.Count(before, "\n")
	if k := strings.LastIndexByte(before, '\n'); k >= 0 {
		before = before[k+1:]
	}
	return line, 1 + utf8.RuneCountInString(before)
}
