package schema

import (
	"fmt"
	"strconv"
	"strings"
)

// ProtoFile returns the proto2 file that the official SDK's generator
// (python/zerobus/tools/generate_proto.py) emits for the table, so that
// users of the emulator can compile record classes without a workspace.
//
// The message is named after the table's last name part; columns become
// fields 1..n in column order (skipping protobuf's reserved 19000–19999),
// `required` when NOT NULL and `optional` otherwise; ARRAY is `repeated`,
// MAP is `map<K, V>` and STRUCT a nested message named after the field in
// PascalCase. Layout (tabs, blank lines, nested messages before the field
// that uses them) follows the generator so that diffs against its output
// are empty.
//
// Two deliberate differences from the Python tool: fields of nested
// messages are `required` when the STRUCT field is NOT NULL (as in the
// Rust SDK's newest schema.rs; the Python tool makes them all optional),
// and a nested message name that would clash with another name in the same
// message gets a numeric suffix instead of producing a file protoc rejects.
// Field names must be protobuf identifiers; protobuf keywords are allowed as
// field names because protoc accepts them.
//
// Types protobuf cannot express — nested arrays, arrays of maps, maps of
// maps or arrays, map keys that are not integers, booleans or strings —
// yield an error wrapping ErrUnsupportedType that names the column.
func ProtoFile(table string, cols []Column) (string, error) {
	msg := table
	if i := strings.LastIndexByte(msg, '.'); i >= 0 {
		msg = msg[i+1:]
	}
	msg = strings.Trim(msg, "`")
	if !isProtoIdent(msg) {
		return "", fmt.Errorf("proto file for table %s: %q is not a valid protobuf message name: %w", table, msg, ErrUnsupportedType)
	}
	g := &protoGen{}
	scope := newProtoScope()
	for _, c := range cols {
		scope.reserveField(c.Name, c.Type)
	}
	var body strings.Builder
	num := 1
	for _, c := range cols {
		// The generator skips the range protobuf reserves for itself.
		if num == 19000 {
			num = 20000
		}
		line, nested, err := g.field(c.Name, c.Type, c.Nullable, 1, scope)
		if err != nil {
			return "", fmt.Errorf("proto file for table %s: column %q: %w", table, c.Name, err)
		}
		if nested != "" {
			body.WriteString(nested + "\n\n")
		}
		body.WriteString("\t" + line + " = " + strconv.Itoa(num) + ";\n")
		num++
	}
	return "syntax = \"proto2\";\n\nmessage " + msg + " {\n" + strings.TrimRight(body.String(), "\n") + "\n}\n", nil
}

// protoGen carries the generator's state across one file.
type protoGen struct {
	// structs counts nested messages, as the Python tool does, to name
	// those whose field name has no letters ("_" → Struct3).
	structs int
}

// protoScope is the set of names defined in one message. Fields and nested
// types share protobuf's namespace, and map fields define a hidden
// <Name>Entry message, so all three are tracked.
type protoScope struct{ names map[string]bool }

func newProtoScope() *protoScope { return &protoScope{names: map[string]bool{}} }

func (s *protoScope) reserveField(name string, t *Type) {
	s.names[name] = true
	if t != nil && t.Kind == Map {
		s.names[mapEntryName(name)] = true
	}
}

// messageName picks the nested message name for a field: PascalCase of the
// field name, made unique within the scope.
func (s *protoScope) messageName(g *protoGen, field string) string {
	base := toPascalCase(field)
	if base == "" {
		base = "Struct" + strconv.Itoa(g.structs)
	}
	name := base
	for i := 2; s.names[name]; i++ {
		name = base + strconv.Itoa(i)
	}
	s.names[name] = true
	return name
}

// field returns the field declaration without its number (`optional int32
// a`) and the nested message it needs, if any, indented for level.
func (g *protoGen) field(name string, t *Type, nullable bool, level int, scope *protoScope) (line, nested string, err error) {
	if !isProtoIdent(name) {
		return "", "", fmt.Errorf("field name %q is not a valid protobuf identifier (letters, digits and _, not starting with a digit): %w", name, ErrUnsupportedType)
	}
	if err := checkType(t); err != nil {
		return "", "", err
	}
	label := "optional"
	if !nullable {
		label = "required"
	}
	switch t.Kind {
	case Array:
		switch t.Elem.Kind {
		case Array:
			return "", "", fmt.Errorf("nested arrays (%s) have no protobuf encoding: %w", t, ErrUnsupportedType)
		case Map:
			return "", "", fmt.Errorf("arrays of maps (%s) have no protobuf encoding: %w", t, ErrUnsupportedType)
		}
		typ, nested, err := g.valueType(name, t.Elem, level, scope)
		if err != nil {
			return "", "", err
		}
		return "repeated " + typ + " " + name, nested, nil
	case Map:
		key := ""
		switch t.Key.Kind {
		case TinyInt, SmallInt, Int, BigInt, Date, Timestamp, TimestampNTZ, Boolean, String, Decimal, Variant:
			// Protobuf map keys are integral, bool or string.
			key = protoScalar(t.Key.Kind)
		default:
			return "", "", fmt.Errorf("map key type %s has no protobuf encoding (keys must be integers, booleans or strings): %w", t.Key, ErrUnsupportedType)
		}
		switch t.Value.Kind {
		case Map:
			return "", "", fmt.Errorf("maps of maps (%s) have no protobuf encoding: %w", t, ErrUnsupportedType)
		case Array:
			return "", "", fmt.Errorf("maps with array values (%s) have no protobuf encoding: %w", t, ErrUnsupportedType)
		}
		val, nested, err := g.valueType(name, t.Value, level, scope)
		if err != nil {
			return "", "", err
		}
		// Map fields carry no label.
		return "map<" + key + ", " + val + "> " + name, nested, nil
	case Struct:
		typ, nested, err := g.message(name, t, level, scope)
		if err != nil {
			return "", "", err
		}
		return label + " " + typ + " " + name, nested, nil
	}
	return label + " " + protoScalar(t.Kind) + " " + name, "", nil
}

// valueType is the proto type of an array element or map value, which
// the callers have already checked is a scalar or a struct. A struct's
// message is indented one level deeper than the field that uses it: the
// generator recurses one level for the element type, and matching its
// quirk keeps the output byte-identical.
func (g *protoGen) valueType(name string, t *Type, level int, scope *protoScope) (typ, nested string, err error) {
	if t.Kind != Struct {
		return protoScalar(t.Kind), "", nil
	}
	return g.message(name, t, level+1, scope)
}

// message renders the nested message for a STRUCT field at level.
func (g *protoGen) message(name string, t *Type, level int, scope *protoScope) (typ, def string, err error) {
	g.structs++
	typ = scope.messageName(g, name)
	indent := strings.Repeat("\t", level)
	inner := indent + "\t"
	sub := newProtoScope()
	for _, f := range t.Fields {
		sub.reserveField(f.Name, f.Type)
	}
	var b strings.Builder
	b.WriteString(indent + "message " + typ + " {\n")
	for i, f := range t.Fields {
		line, nested, err := g.field(f.Name, f.Type, f.Nullable, level+1, sub)
		if err != nil {
			return "", "", fmt.Errorf("field %q: %w", f.Name, err)
		}
		if nested != "" {
			b.WriteString(nested + "\n\n")
		}
		b.WriteString(inner + line + " = " + strconv.Itoa(i+1) + ";\n")
	}
	b.WriteString(indent + "}")
	return typ, b.String(), nil
}

// protoScalar is §6 of the wire notes: the proto type of a non-nested
// Databricks type. DATE and TIMESTAMP are integers, not well-known types,
// because the server cannot resolve imports in a descriptor.
func protoScalar(k Kind) string {
	switch k {
	case TinyInt, SmallInt, Int, Date:
		return "int32"
	case BigInt, Timestamp, TimestampNTZ:
		return "int64"
	case Float:
		return "float"
	case Double:
		return "double"
	case Binary:
		return "bytes"
	case Boolean:
		return "bool"
	}
	// DECIMAL as text, VARIANT as JSON text, STRING.
	return "string"
}

// toPascalCase is the Python tool's to_pascal_case: split on "_",
// upper-case the first letter of each part, keep the rest as is.
func toPascalCase(s string) string {
	var b strings.Builder
	for _, w := range strings.Split(s, "_") {
		if w != "" {
			b.WriteString(strings.ToUpper(w[:1]) + w[1:])
		}
	}
	return b.String()
}

// mapEntryName is protoc's name for the hidden entry message of a map
// field: the field name in CamelCase (underscores dropped, the next letter
// upper-cased, the first letter upper-cased) plus "Entry".
func mapEntryName(field string) string {
	var b strings.Builder
	upper := true
	for i := 0; i < len(field); i++ {
		c := field[i]
		if c == '_' {
			upper = true
			continue
		}
		if upper && 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		upper = false
		b.WriteByte(c)
	}
	return b.String() + "Entry"
}

// isProtoIdent reports whether s is a protobuf identifier.
func isProtoIdent(s string) bool {
	if s == "" || '0' <= s[0] && s[0] <= '9' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isWordByte(s[i]) {
			return false
		}
	}
	return true
}
