package schema

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// String returns the canonical Databricks type text, upper case, with a space
// after each comma and colon: `DECIMAL(10,2)`, `MAP<STRING, INT>`,
// `STRUCT<a: INT, b: STRING NOT NULL COMMENT 'x'>`. Parse(t.String()) gives
// back an equal type, which is what makes it usable in DDL and messages.
func (t *Type) String() string {
	var b strings.Builder
	t.writeText(&b)
	return b.String()
}

func (t *Type) writeText(b *strings.Builder) {
	if t == nil {
		b.WriteString("<nil>")
		return
	}
	switch t.Kind {
	case Decimal:
		b.WriteString("DECIMAL(" + strconv.Itoa(t.Precision) + "," + strconv.Itoa(t.Scale) + ")")
	case Array:
		b.WriteString("ARRAY<")
		t.Elem.writeText(b)
		b.WriteByte('>')
	case Map:
		b.WriteString("MAP<")
		t.Key.writeText(b)
		b.WriteString(", ")
		t.Value.writeText(b)
		b.WriteByte('>')
	case Struct:
		b.WriteString("STRUCT<")
		for i, f := range t.Fields {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(quoteFieldName(f.Name))
			b.WriteString(": ")
			f.Type.writeText(b)
			if !f.Nullable {
				b.WriteString(" NOT NULL")
			}
			if f.Comment != "" {
				b.WriteString(" COMMENT ")
				b.WriteString(quoteComment(f.Comment))
			}
		}
		b.WriteByte('>')
	default:
		b.WriteString(sqlName(t))
	}
}

// sqlName is the DDL spelling of a primitive type. It differs from
// TypeName for the integers: DDL says TINYINT and BIGINT where UC's enum
// says BYTE and LONG.
func sqlName(t *Type) string {
	switch t.Kind {
	case TinyInt:
		return "TINYINT"
	case SmallInt:
		return "SMALLINT"
	case BigInt:
		return "BIGINT"
	}
	return t.TypeName()
}

// TypeName returns the Unity Catalog type_name enum value of the type:
// BYTE, SHORT, INT, LONG, FLOAT, DOUBLE, DECIMAL, STRING, BINARY, BOOLEAN,
// DATE, TIMESTAMP, TIMESTAMP_NTZ, ARRAY, MAP, STRUCT or VARIANT. UC uses the
// Spark names (BYTE, not TINYINT), and SDK tools switch on them.
func (t *Type) TypeName() string {
	if t == nil {
		return "INVALID"
	}
	switch t.Kind {
	case TinyInt:
		return "BYTE"
	case SmallInt:
		return "SHORT"
	case Int:
		return "INT"
	case BigInt:
		return "LONG"
	case Float:
		return "FLOAT"
	case Double:
		return "DOUBLE"
	case Decimal:
		return "DECIMAL"
	case String:
		return "STRING"
	case Binary:
		return "BINARY"
	case Boolean:
		return "BOOLEAN"
	case Date:
		return "DATE"
	case Timestamp:
		return "TIMESTAMP"
	case TimestampNTZ:
		return "TIMESTAMP_NTZ"
	case Array:
		return "ARRAY"
	case Map:
		return "MAP"
	case Struct:
		return "STRUCT"
	case Variant:
		return "VARIANT"
	}
	return "INVALID"
}

// CatalogString returns the UC type_text of the type, which is Spark's
// catalogString: lower case, no spaces, no nullability and no comments, e.g.
// `map<string,int>` or `struct<a:int,b:array<string>>`. Clients such as the
// SDK's proto generator parse exactly this form, so it must not drift.
func (t *Type) CatalogString() string {
	var b strings.Builder
	t.writeCatalog(&b)
	return b.String()
}

func (t *Type) writeCatalog(b *strings.Builder) {
	if t == nil {
		b.WriteString("<nil>")
		return
	}
	switch t.Kind {
	case Decimal:
		b.WriteString("decimal(" + strconv.Itoa(t.Precision) + "," + strconv.Itoa(t.Scale) + ")")
	case Array:
		b.WriteString("array<")
		t.Elem.writeCatalog(b)
		b.WriteByte('>')
	case Map:
		b.WriteString("map<")
		t.Key.writeCatalog(b)
		b.WriteByte(',')
		t.Value.writeCatalog(b)
		b.WriteByte('>')
	case Struct:
		b.WriteString("struct<")
		for i, f := range t.Fields {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(quoteFieldName(f.Name))
			b.WriteByte(':')
			f.Type.writeCatalog(b)
		}
		b.WriteByte('>')
	default:
		b.WriteString(strings.ToLower(sqlName(t)))
	}
}

// The Spark JSON shapes of complex types. They are structs rather than maps
// so that encoding/json emits the keys in exactly Spark's order, which keeps
// type_json byte-for-byte stable.
type (
	sparkArray struct {
		Type         string `json:"type"`
		ElementType  any    `json:"elementType"`
		ContainsNull bool   `json:"containsNull"`
	}
	sparkMap struct {
		Type              string `json:"type"`
		KeyType           any    `json:"keyType"`
		ValueType         any    `json:"valueType"`
		ValueContainsNull bool   `json:"valueContainsNull"`
	}
	sparkStruct struct {
		Type   string       `json:"type"`
		Fields []sparkField `json:"fields"`
	}
	sparkField struct {
		Name     string        `json:"name"`
		Type     any           `json:"type"`
		Nullable bool          `json:"nullable"`
		Metadata sparkMetadata `json:"metadata"`
	}
	sparkMetadata struct {
		Comment string `json:"comment,omitempty"`
	}
)

// SparkJSON returns the Spark JSON representation of the type, the form UC
// embeds in a column's type_json: a string for primitives ("integer",
// "decimal(10,2)"), an object for arrays, maps and structs. The result
// marshals deterministically with encoding/json.
func (t *Type) SparkJSON() any {
	if t == nil {
		return nil
	}
	switch t.Kind {
	case TinyInt:
		return "byte"
	case SmallInt:
		return "short"
	case Int:
		return "integer"
	case BigInt:
		return "long"
	case Decimal:
		return "decimal(" + strconv.Itoa(t.Precision) + "," + strconv.Itoa(t.Scale) + ")"
	case Array:
		return sparkArray{Type: "array", ElementType: t.Elem.SparkJSON(), ContainsNull: t.ElemNullable}
	case Map:
		return sparkMap{Type: "map", KeyType: t.Key.SparkJSON(), ValueType: t.Value.SparkJSON(), ValueContainsNull: t.ValueNullable}
	case Struct:
		fields := make([]sparkField, 0, len(t.Fields))
		for _, f := range t.Fields {
			fields = append(fields, sparkField{Name: f.Name, Type: f.Type.SparkJSON(), Nullable: f.Nullable, Metadata: sparkMetadata{Comment: f.Comment}})
		}
		return sparkStruct{Type: "struct", Fields: fields}
	}
	return strings.ToLower(t.TypeName())
}

// ColumnTypeJSON returns a column's UC type_json: the Spark StructField of
// the column, `{"name":"x","type":"integer","nullable":true,"metadata":{}}`.
// SDKs read it to build descriptors for ARRAY, MAP and STRUCT columns.
func ColumnTypeJSON(c Column) string {
	return marshalSpark(sparkField{Name: c.Name, Type: c.Type.SparkJSON(), Nullable: c.Nullable, Metadata: sparkMetadata{Comment: c.Comment}})
}

// marshalSpark encodes without HTML escaping: Spark writes `<` and `&` in
// names and comments literally, and clients compare the text.
func marshalSpark(v any) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Only strings, bools and these structs are encoded; this
		// cannot fail.
		panic("schema: encode Spark JSON: " + err.Error())
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

// isPlainName reports whether a field name can be written without
// backticks: an identifier that does not start with a digit.
func isPlainName(name string) bool {
	if name == "" || '0' <= name[0] && name[0] <= '9' {
		return false
	}
	for i := 0; i < len(name); i++ {
		if !isWordByte(name[i]) {
			return false
		}
	}
	return true
}

// quoteFieldName backtick-quotes a struct field name when needed, doubling
// backticks inside, as Databricks SQL does.
func quoteFieldName(name string) string {
	if isPlainName(name) {
		return name
	}
	return "`" + strings.ReplaceAll(name, "`", "``") + "`"
}

// QuoteLiteral writes s as a Databricks SQL string literal ('...' with
// backslash escapes) that reads back exactly, as SHOW CREATE TABLE prints
// comments and properties.
func QuoteLiteral(s string) string { return quoteComment(s) }

// quoteComment writes a COMMENT literal that lexString reads back exactly.
func quoteComment(s string) string {
	var b strings.Builder
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\', '\'':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		case '\r':
			b.WriteString(`\r`)
		case 0:
			b.WriteString(`\0`)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('\'')
	return b.String()
}
