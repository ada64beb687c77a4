package schema

import (
	"fmt"
	"strconv"
	"strings"
)

// DuckDB returns the DuckDB DDL type that stores values of t:
// TINYINT…BIGINT, FLOAT, DOUBLE, DECIMAL(p,s), VARCHAR, BLOB, BOOLEAN, DATE,
// TIMESTAMPTZ for TIMESTAMP (an instant), TIMESTAMP for TIMESTAMP_NTZ (a wall
// clock), `T[]`, `MAP(K, V)`, `STRUCT("a" INTEGER)` and JSON for VARIANT.
//
// Struct field names are always double-quoted so that keywords and odd
// names need no special casing. DuckDB has no empty STRUCT, so STRUCT<> is
// stored as JSON (its only value is {}).
func (t *Type) DuckDB() string {
	var b strings.Builder
	t.writeDuckDB(&b)
	return b.String()
}

func (t *Type) writeDuckDB(b *strings.Builder) {
	if t == nil {
		b.WriteString("<nil>")
		return
	}
	switch t.Kind {
	case TinyInt:
		b.WriteString("TINYINT")
	case SmallInt:
		b.WriteString("SMALLINT")
	case Int:
		b.WriteString("INTEGER")
	case BigInt:
		b.WriteString("BIGINT")
	case Float:
		b.WriteString("FLOAT")
	case Double:
		b.WriteString("DOUBLE")
	case Decimal:
		b.WriteString("DECIMAL(" + strconv.Itoa(t.Precision) + "," + strconv.Itoa(t.Scale) + ")")
	case String:
		b.WriteString("VARCHAR")
	case Binary:
		b.WriteString("BLOB")
	case Boolean:
		b.WriteString("BOOLEAN")
	case Date:
		b.WriteString("DATE")
	case Timestamp:
		b.WriteString("TIMESTAMPTZ")
	case TimestampNTZ:
		b.WriteString("TIMESTAMP")
	case Array:
		t.Elem.writeDuckDB(b)
		b.WriteString("[]")
	case Map:
		b.WriteString("MAP(")
		t.Key.writeDuckDB(b)
		b.WriteString(", ")
		t.Value.writeDuckDB(b)
		b.WriteByte(')')
	case Struct:
		if len(t.Fields) == 0 {
			b.WriteString("JSON")
			return
		}
		b.WriteString("STRUCT(")
		for i, f := range t.Fields {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(`"` + strings.ReplaceAll(f.Name, `"`, `""`) + `" `)
			f.Type.writeDuckDB(b)
		}
		b.WriteByte(')')
	case Variant:
		b.WriteString("JSON")
	default:
		b.WriteString("INVALID")
	}
}

// FromDuckDB maps a DuckDB type as DuckDB prints it (DESCRIBE, typeof,
// result column metadata) to the Databricks type a SQL warehouse would
// report for it, e.g. `TIMESTAMP WITH TIME ZONE` → TIMESTAMP,
// `STRUCT(a INTEGER, "b c" VARCHAR)[]` → ARRAY<STRUCT<a: INT, `b c`: STRING>>.
//
// Query results can hold any DuckDB type, so every type name is accepted:
// unsigned integers widen to the next signed type (UBIGINT and HUGEINT to
// DECIMAL), and types without a Databricks counterpart (UUID, TIME,
// INTERVAL, ENUM, UNION, BIT, …) become STRING, which is how they are
// rendered. Only text that is not a DuckDB type at all (unbalanced
// parentheses, stray characters) is an error, wrapping ErrBadTypeText.
func FromDuckDB(duckType string) (*Type, error) {
	toks, err := lexDuckType(duckType)
	if err != nil {
		return nil, err
	}
	p := &typeParser{text: duckType, toks: toks}
	t, err := p.parseDuckType(0)
	if err != nil {
		return nil, err
	}
	if tok := p.peek(); tok.kind != tokEOF {
		return nil, p.expected("end of text", tok)
	}
	return t, nil
}

// lexDuckType tokenizes DuckDB type text. It reuses the token kinds of the
// Databricks lexer: tokQuoted holds a "double-quoted" identifier and
// tokString a 'single-quoted' ENUM member, both with doubled-quote escapes.
func lexDuckType(text string) ([]token, error) {
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
		case c == '"' || c == '\'':
			s, j, ok := lexDoubled(text, i)
			if !ok {
				return nil, badTypeText(text, i, fmt.Sprintf("unterminated quote starting at position %d", i))
			}
			kind := tokQuoted
			if c == '\'' {
				kind = tokString
			}
			toks = append(toks, token{kind: kind, text: s, pos: i, end: j})
			i = j
		case strings.IndexByte("()[],", c) >= 0:
			toks = append(toks, token{kind: tokPunct, text: text[i : i+1], pos: i, end: i + 1})
			i++
		default:
			return nil, badTypeText(text, i, fmt.Sprintf("unexpected character %q at position %d", rune(c), i))
		}
	}
	return append(toks, token{kind: tokEOF, pos: len(text), end: len(text)}), nil
}

// lexDoubled reads a SQL quoted token in which the quote is escaped by
// doubling it.
func lexDoubled(text string, i int) (s string, end int, ok bool) {
	q := text[i]
	var b strings.Builder
	for j := i + 1; j < len(text); j++ {
		if text[j] != q {
			b.WriteByte(text[j])
			continue
		}
		if j+1 < len(text) && text[j+1] == q {
			b.WriteByte(q)
			j++
			continue
		}
		return b.String(), j + 1, true
	}
	return "", 0, false
}

// duckKinds maps DuckDB type names and their aliases to Databricks kinds.
// Names not listed become STRING.
var duckKinds = map[string]Kind{
	"TINYINT": TinyInt, "INT1": TinyInt,
	"SMALLINT": SmallInt, "INT2": SmallInt, "SHORT": SmallInt, "UTINYINT": SmallInt, "UINT8": SmallInt,
	"INTEGER": Int, "INT": Int, "INT4": Int, "SIGNED": Int, "USMALLINT": Int, "UINT16": Int,
	"BIGINT": BigInt, "INT8": BigInt, "LONG": BigInt, "UINTEGER": BigInt, "UINT32": BigInt,
	"FLOAT": Float, "FLOAT4": Float, "REAL": Float,
	"DOUBLE": Double, "FLOAT8": Double, "DOUBLE PRECISION": Double,
	"VARCHAR": String, "TEXT": String, "STRING": String, "CHAR": String, "BPCHAR": String,
	"BLOB": Binary, "BYTEA": Binary, "BINARY": Binary, "VARBINARY": Binary,
	"BOOLEAN": Boolean, "BOOL": Boolean, "LOGICAL": Boolean,
	"DATE":                     Date,
	"TIMESTAMP WITH TIME ZONE": Timestamp, "TIMESTAMPTZ": Timestamp,
	"TIMESTAMP": TimestampNTZ, "DATETIME": TimestampNTZ, "TIMESTAMP_US": TimestampNTZ,
	"TIMESTAMP_S": TimestampNTZ, "TIMESTAMP_MS": TimestampNTZ, "TIMESTAMP_NS": TimestampNTZ,
	"JSON": Variant,
}

// duckWideInts are integer types wider than BIGINT; DECIMAL(38,0) is the
// widest exact Databricks type (UHUGEINT's top values do not fit, but
// such values do not occur in tables zbemu writes).
var duckWideInts = map[string]int{
	"UBIGINT": 20, "UINT64": 20,
	"HUGEINT": 38, "INT128": 38, "UHUGEINT": 38, "UINT128": 38,
}

func (p *typeParser) parseDuckType(depth int) (*Type, error) {
	tok := p.next()
	if tok.kind != tokWord {
		return nil, p.expected("a type name", tok)
	}
	if depth > maxTypeDepth {
		return nil, badTypeText(p.text, tok.pos, fmt.Sprintf("type at position %d is nested deeper than %d levels", tok.pos, maxTypeDepth))
	}
	// Multi-word names: TIMESTAMP WITH TIME ZONE, DOUBLE PRECISION, …
	name := strings.ToUpper(tok.text)
	for p.peek().kind == tokWord {
		name += " " + strings.ToUpper(p.next().text)
	}
	var t *Type
	var err error
	switch name {
	case "STRUCT":
		t, err = p.parseDuckStruct(depth)
	case "MAP":
		t, err = p.parseDuckMap(depth)
	case "DECIMAL", "NUMERIC":
		t, err = p.parseDuckDecimal()
	default:
		// Parameters of other types (VARCHAR(10), ENUM('a'), UNION(…))
		// do not change the mapping.
		if err := p.skipDuckArgs(); err != nil {
			return nil, err
		}
		if k, ok := duckKinds[name]; ok {
			t = &Type{Kind: k}
		} else if prec, ok := duckWideInts[name]; ok {
			t = &Type{Kind: Decimal, Precision: prec}
		} else {
			t = &Type{Kind: String}
		}
	}
	if err != nil {
		return nil, err
	}
	// Lists `T[]` and fixed-size arrays `T[3]`, possibly nested.
	for p.peekPunct("[") {
		p.next()
		if p.peek().kind == tokWord {
			p.next()
		}
		if err := p.expectPunct("]"); err != nil {
			return nil, err
		}
		t = &Type{Kind: Array, Elem: t, ElemNullable: true}
	}
	return t, nil
}

// skipDuckArgs skips a balanced parenthesised argument list, if present.
func (p *typeParser) skipDuckArgs() error {
	if !p.peekPunct("(") {
		return nil
	}
	open := p.next()
	for depth := 1; depth > 0; {
		t := p.next()
		switch {
		case t.kind == tokEOF:
			return badTypeText(p.text, open.pos, fmt.Sprintf("unbalanced %q at position %d", "(", open.pos))
		case t.kind == tokPunct && t.text == "(":
			depth++
		case t.kind == tokPunct && t.text == ")":
			depth--
		}
	}
	return nil
}

func (p *typeParser) parseDuckDecimal() (*Type, error) {
	// DuckDB's bare DECIMAL is DECIMAL(18,3).
	t := &Type{Kind: Decimal, Precision: 18, Scale: 3}
	if !p.peekPunct("(") {
		return t, nil
	}
	p.next()
	prec, _, err := p.expectInt("DECIMAL width")
	if err != nil {
		return nil, err
	}
	scale := 0
	if p.peekPunct(",") {
		p.next()
		if scale, _, err = p.expectInt("DECIMAL scale"); err != nil {
			return nil, err
		}
	}
	if err := p.expectPunct(")"); err != nil {
		return nil, err
	}
	// DuckDB enforces 1 ≤ width ≤ 38 and scale ≤ width; clamp anyway so
	// that the result is always a valid Databricks type.
	t.Precision = min(max(prec, 1), 38)
	t.Scale = min(scale, t.Precision)
	return t, nil
}

func (p *typeParser) parseDuckMap(depth int) (*Type, error) {
	if err := p.expectPunct("("); err != nil {
		return nil, err
	}
	key, err := p.parseDuckType(depth + 1)
	if err != nil {
		return nil, err
	}
	if err := p.expectPunct(","); err != nil {
		return nil, err
	}
	val, err := p.parseDuckType(depth + 1)
	if err != nil {
		return nil, err
	}
	if err := p.expectPunct(")"); err != nil {
		return nil, err
	}
	return &Type{Kind: Map, Key: key, Value: val, ValueNullable: true}, nil
}

func (p *typeParser) parseDuckStruct(depth int) (*Type, error) {
	if err := p.expectPunct("("); err != nil {
		return nil, err
	}
	t := &Type{Kind: Struct, Fields: []Field{}}
	if p.peekPunct(")") {
		p.next()
		return t, nil
	}
	for {
		nt := p.next()
		if nt.kind != tokWord && nt.kind != tokQuoted {
			return nil, p.expected("a field name", nt)
		}
		ft, err := p.parseDuckType(depth + 1)
		if err != nil {
			return nil, err
		}
		t.Fields = append(t.Fields, Field{Name: nt.text, Type: ft, Nullable: true})
		if p.peekPunct(",") {
			p.next()
			continue
		}
		if tok := p.next(); tok.kind != tokPunct || tok.text != ")" {
			return nil, p.expected(`"," or ")"`, tok)
		}
		return t, nil
	}
}
