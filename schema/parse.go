package schema

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxTypeDepth bounds the nesting of ARRAY/MAP/STRUCT so that hostile type
// text cannot exhaust the stack. Real tables never come close; the SDK's
// proto generator stops at 100 too.
const maxTypeDepth = 100

// Parse parses Databricks type text as written in CREATE TABLE or returned as
// a UC column's type_text, such as INT, decimal(10,2), ARRAY<STRING>,
// MAP<STRING, INT> or STRUCT<a: INT, `b c`: STRING NOT NULL COMMENT 'x'>.
//
// Keywords are case-insensitive and whitespace is free between tokens. Type
// aliases collapse to one Kind (BYTE is TINYINT, VARCHAR(n) and CHAR(n) are
// STRING, TIMESTAMP_LTZ is TIMESTAMP), so the result prints back in canonical
// form. Array elements and map values are nullable, struct fields nullable
// unless NOT NULL, as in Databricks.
//
// Errors are *TypeTextError values: malformed text wraps ErrBadTypeText;
// types Zerobus cannot ingest (INTERVAL, GEOGRAPHY, GEOMETRY, VOID, OBJECT,
// complex map keys) wrap ErrUnsupportedType.
func Parse(text string) (*Type, error) {
	toks, err := lexTypeText(text)
	if err != nil {
		return nil, err
	}
	p := &typeParser{text: text, toks: toks}
	t, err := p.parseType(0)
	if err != nil {
		return nil, err
	}
	if tok := p.peek(); tok.kind != tokEOF {
		return nil, p.expected("end of text", tok)
	}
	return t, nil
}

type tokKind int

const (
	tokEOF    tokKind = iota
	tokWord           // identifier, keyword or number: [A-Za-z0-9_]+
	tokQuoted         // `backtick quoted name`; text is unescaped
	tokString         // 'string literal' or "string literal"; text is unescaped
	tokPunct          // one of < > ( ) , :
)

type token struct {
	kind     tokKind
	text     string
	pos, end int // byte offsets of the raw token in the type text
}

// lexTypeText splits the whole text up front: type text is short, and
// having every token lets error messages quote the one that was found.
func lexTypeText(text string) ([]token, error) {
	var toks []token
	i := 0
	for i < len(text) {
		c := text[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case isWordByte(c):
			j := i
			for j < len(text) && isWordByte(text[j]) {
				j++
			}
			toks = append(toks, token{kind: tokWord, text: text[i:j], pos: i, end: j})
			i = j
		case c == '`':
			s, j, ok := lexBacktick(text, i)
			if !ok {
				return nil, badTypeText(text, i, fmt.Sprintf("unterminated quoted name starting at position %d", i))
			}
			toks = append(toks, token{kind: tokQuoted, text: s, pos: i, end: j})
			i = j
		case c == '\'' || c == '"':
			s, j, ok := lexString(text, i)
			if !ok {
				return nil, badTypeText(text, i, fmt.Sprintf("unterminated string starting at position %d", i))
			}
			toks = append(toks, token{kind: tokString, text: s, pos: i, end: j})
			i = j
		case strings.IndexByte("<>(),:", c) >= 0:
			toks = append(toks, token{kind: tokPunct, text: text[i : i+1], pos: i, end: i + 1})
			i++
		default:
			r, _ := utf8.DecodeRuneInString(text[i:])
			return nil, badTypeText(text, i, fmt.Sprintf("unexpected character %q at position %d", r, i))
		}
	}
	return append(toks, token{kind: tokEOF, pos: len(text), end: len(text)}), nil
}

func isWordByte(c byte) bool {
	return c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// lexBacktick reads a backtick-quoted name starting at text[i]; a doubled
// backtick stands for one, as in Databricks SQL.
func lexBacktick(text string, i int) (name string, end int, ok bool) {
	var b strings.Builder
	for j := i + 1; j < len(text); j++ {
		if text[j] != '`' {
			b.WriteByte(text[j])
			continue
		}
		if j+1 < len(text) && text[j+1] == '`' {
			b.WriteByte('`')
			j++
			continue
		}
		return b.String(), j + 1, true
	}
	return "", 0, false
}

// lexString reads a COMMENT literal with Spark's backslash escapes. A
// doubled quote is deliberately not an escape: Spark reads it as two
// adjacent literals, and guessing either way would corrupt comments.
func lexString(text string, i int) (s string, end int, ok bool) {
	quote := text[i]
	var b strings.Builder
	for j := i + 1; j < len(text); j++ {
		c := text[j]
		switch {
		case c == quote:
			return b.String(), j + 1, true
		case c == '\\' && j+1 < len(text):
			j++
			switch e := text[j]; e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case '0':
				b.WriteByte(0)
			default:
				b.WriteByte(e)
			}
		default:
			b.WriteByte(c)
		}
	}
	return "", 0, false
}

type typeParser struct {
	text string
	toks []token
	i    int
}

func (p *typeParser) peek() token { return p.toks[p.i] }

func (p *typeParser) next() token {
	t := p.toks[p.i]
	if t.kind != tokEOF {
		p.i++
	}
	return t
}

func (p *typeParser) peekPunct(s string) bool {
	t := p.peek()
	return t.kind == tokPunct && t.text == s
}

func (p *typeParser) peekWord(upper string) bool {
	t := p.peek()
	return t.kind == tokWord && strings.EqualFold(t.text, upper)
}

func (p *typeParser) expectPunct(s string) error {
	if t := p.next(); t.kind != tokPunct || t.text != s {
		return p.expected(strconv.Quote(s), t)
	}
	return nil
}

// expectInt reads a small non-negative integer such as a DECIMAL precision.
func (p *typeParser) expectInt(what string) (int, token, error) {
	t := p.next()
	if t.kind != tokWord || strings.TrimLeft(t.text, "0123456789") != "" {
		return 0, t, p.expected(what, t)
	}
	n, err := strconv.Atoi(t.text)
	if err != nil || n > 1<<20 {
		return 0, t, badTypeText(p.text, t.pos, fmt.Sprintf("%s %s at position %d is too large", what, t.text, t.pos))
	}
	return n, t, nil
}

// expected builds the standard "expected X at position N, found Y" error.
func (p *typeParser) expected(what string, found token) error {
	return badTypeText(p.text, found.pos, fmt.Sprintf("expected %s at position %d, found %s", what, found.pos, p.describe(found)))
}

func (p *typeParser) describe(t token) string {
	if t.kind == tokEOF {
		return "end of text"
	}
	return strconv.Quote(p.text[t.pos:t.end])
}

func badTypeText(text string, pos int, msg string) error {
	return &TypeTextError{Text: text, Pos: pos, Msg: msg, Err: ErrBadTypeText}
}

func (p *typeParser) unsupported(pos int, what, why string) error {
	return &TypeTextError{Text: p.text, Pos: pos, Err: ErrUnsupportedType,
		Msg: fmt.Sprintf("%s at position %d is not supported: %s", what, pos, why)}
}

func (p *typeParser) parseType(depth int) (*Type, error) {
	tok := p.next()
	if tok.kind != tokWord {
		return nil, p.expected("a type name", tok)
	}
	if depth > maxTypeDepth {
		return nil, badTypeText(p.text, tok.pos, fmt.Sprintf("type at position %d is nested deeper than %d levels", tok.pos, maxTypeDepth))
	}
	name := strings.ToUpper(tok.text)
	if k, ok := primitiveKinds[name]; ok {
		return &Type{Kind: k}, nil
	}
	switch name {
	case "DECIMAL", "DEC", "NUMERIC":
		return p.parseDecimal()
	case "VARCHAR", "CHAR":
		// The length limit is Delta's business; on the wire and in
		// storage these are plain strings.
		if err := p.expectPunct("("); err != nil {
			return nil, err
		}
		n, nt, err := p.expectInt(name + " length")
		if err != nil {
			return nil, err
		}
		if n < 1 {
			return nil, badTypeText(p.text, nt.pos, fmt.Sprintf("%s length at position %d must be at least 1, got %d", name, nt.pos, n))
		}
		if err := p.expectPunct(")"); err != nil {
			return nil, err
		}
		return &Type{Kind: String}, p.skipCollation()
	case "STRING":
		return &Type{Kind: String}, p.skipCollation()
	case "ARRAY":
		if err := p.expectPunct("<"); err != nil {
			return nil, err
		}
		elem, err := p.parseType(depth + 1)
		if err != nil {
			return nil, err
		}
		if err := p.expectPunct(">"); err != nil {
			return nil, err
		}
		return &Type{Kind: Array, Elem: elem, ElemNullable: true}, nil
	case "MAP":
		return p.parseMap(depth)
	case "STRUCT":
		return p.parseStruct(depth)
	case "INTERVAL":
		what := "INTERVAL"
		for p.peek().kind == tokWord && intervalWords[strings.ToUpper(p.peek().text)] {
			what += " " + strings.ToUpper(p.next().text)
		}
		return nil, p.unsupported(tok.pos, what, "Zerobus cannot ingest INTERVAL columns, so zbemu does not accept them")
	case "GEOGRAPHY", "GEOMETRY", "VOID", "NULL", "OBJECT":
		return nil, p.unsupported(tok.pos, name, "Zerobus cannot ingest "+name+" columns, so zbemu does not accept them")
	}
	return nil, badTypeText(p.text, tok.pos, fmt.Sprintf("unknown type %q at position %d", tok.text, tok.pos))
}

// skipCollation accepts and drops a COLLATE clause after a string type
// (STRING COLLATE UTF8_LCASE). Collation changes comparisons inside
// Databricks, not what is ingested, and zbemu's storage has no equivalent,
// so refusing such tables would help nobody.
func (p *typeParser) skipCollation() error {
	if !p.peekWord("COLLATE") {
		return nil
	}
	p.next()
	if t := p.next(); t.kind != tokWord && t.kind != tokQuoted {
		return p.expected("a collation name", t)
	}
	return nil
}

// primitiveKinds maps every spelling of a parameterless type to its Kind
// (STRING is parsed on its own for its COLLATE clause).
var primitiveKinds = map[string]Kind{
	"TINYINT": TinyInt, "BYTE": TinyInt,
	"SMALLINT": SmallInt, "SHORT": SmallInt,
	"INT": Int, "INTEGER": Int,
	"BIGINT": BigInt, "LONG": BigInt,
	"FLOAT": Float, "REAL": Float,
	"DOUBLE":    Double,
	"BINARY":    Binary,
	"BOOLEAN":   Boolean,
	"DATE":      Date,
	"TIMESTAMP": Timestamp, "TIMESTAMP_LTZ": Timestamp,
	"TIMESTAMP_NTZ": TimestampNTZ,
	"VARIANT":       Variant,
}

// intervalWords are the qualifiers of INTERVAL types, consumed only so the
// unsupported-type message can name the whole type.
var intervalWords = map[string]bool{
	"YEAR": true, "MONTH": true, "DAY": true, "HOUR": true, "MINUTE": true, "SECOND": true, "TO": true,
}

func (p *typeParser) parseDecimal() (*Type, error) {
	t := &Type{Kind: Decimal, Precision: 10}
	if !p.peekPunct("(") {
		return t, nil
	}
	p.next()
	prec, pt, err := p.expectInt("DECIMAL precision")
	if err != nil {
		return nil, err
	}
	if prec < 1 || prec > 38 {
		return nil, badTypeText(p.text, pt.pos, fmt.Sprintf("DECIMAL precision %d at position %d is out of range 1..38", prec, pt.pos))
	}
	t.Precision = prec
	if p.peekPunct(",") {
		p.next()
		scale, st, err := p.expectInt("DECIMAL scale")
		if err != nil {
			return nil, err
		}
		if scale > prec {
			return nil, badTypeText(p.text, st.pos, fmt.Sprintf("DECIMAL scale %d at position %d is larger than the precision %d", scale, st.pos, prec))
		}
		t.Scale = scale
	}
	if err := p.expectPunct(")"); err != nil {
		return nil, err
	}
	return t, nil
}

func (p *typeParser) parseMap(depth int) (*Type, error) {
	if err := p.expectPunct("<"); err != nil {
		return nil, err
	}
	keyPos := p.peek().pos
	key, err := p.parseType(depth + 1)
	if err != nil {
		return nil, err
	}
	switch key.Kind {
	case Array, Map, Struct, Variant:
		return nil, p.unsupported(keyPos, "MAP key type "+key.String(),
			"map keys must be primitive types (numbers, strings, dates, timestamps, booleans, binary)")
	}
	if err := p.expectPunct(","); err != nil {
		return nil, err
	}
	val, err := p.parseType(depth + 1)
	if err != nil {
		return nil, err
	}
	if err := p.expectPunct(">"); err != nil {
		return nil, err
	}
	return &Type{Kind: Map, Key: key, Value: val, ValueNullable: true}, nil
}

func (p *typeParser) parseStruct(depth int) (*Type, error) {
	if err := p.expectPunct("<"); err != nil {
		return nil, err
	}
	t := &Type{Kind: Struct, Fields: []Field{}}
	if p.peekPunct(">") {
		p.next()
		return t, nil
	}
	seen := map[string]bool{}
	for {
		namePos := p.peek().pos
		f, err := p.parseField(depth)
		if err != nil {
			return nil, err
		}
		// Databricks resolves names case-insensitively, so `a` and `A`
		// would be the same column.
		lower := strings.ToLower(f.Name)
		if seen[lower] {
			return nil, badTypeText(p.text, namePos, fmt.Sprintf("duplicate STRUCT field name %q at position %d", f.Name, namePos))
		}
		seen[lower] = true
		t.Fields = append(t.Fields, f)
		if p.peekPunct(",") {
			p.next()
			continue
		}
		if tok := p.next(); tok.kind != tokPunct || tok.text != ">" {
			return nil, p.expected(`"," or ">"`, tok)
		}
		return t, nil
	}
}

// parseField reads `name [:] type [NOT NULL] [COMMENT 'text']`; the two
// options may come in either order, as Databricks accepts both.
func (p *typeParser) parseField(depth int) (Field, error) {
	nt := p.next()
	if nt.kind != tokWord && nt.kind != tokQuoted {
		return Field{}, p.expected("a field name", nt)
	}
	if nt.text == "" {
		return Field{}, badTypeText(p.text, nt.pos, fmt.Sprintf("empty field name at position %d", nt.pos))
	}
	if p.peekPunct(":") {
		p.next()
	}
	ft, err := p.parseType(depth + 1)
	if err != nil {
		return Field{}, err
	}
	f := Field{Name: nt.text, Type: ft, Nullable: true}
	var sawNotNull, sawComment bool
	for {
		switch {
		case !sawNotNull && p.peekWord("NOT"):
			p.next()
			if t := p.next(); t.kind != tokWord || !strings.EqualFold(t.text, "NULL") {
				return Field{}, p.expected(`"NULL"`, t)
			}
			f.Nullable, sawNotNull = false, true
		case !sawComment && p.peekWord("COMMENT"):
			p.next()
			t := p.next()
			if t.kind != tokString {
				return Field{}, p.expected("a quoted comment", t)
			}
			f.Comment, sawComment = t.text, true
		default:
			return f, nil
		}
	}
}
