package schema

import (
	"fmt"
	"strings"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/descriptorpb"
)

// Causes of descriptor problems. They are the tokens Zerobus puts in the
// "causes" metadata of a SCHEMA_VALIDATION_FAILED rejection
// (zerobus-wire.md §5.3), so the wire layer can pass them on unchanged.
const (
	CauseFieldNotInTable    = "FIELD_NOT_IN_TABLE"
	CauseMissingRequired    = "MISSING_REQUIRED_COLUMN"
	CauseTypeIncompatible   = "TYPE_INCOMPATIBLE"
	descriptorMismatchIntro = "descriptor does not match the table: "
)

// DescriptorProblem is one way a descriptor disagrees with the table.
type DescriptorProblem struct {
	// Path is the descriptor field or column, "temp" or "loc.lat".
	Path string
	// Cause is one of the Cause constants.
	Cause string
	// Msg is the whole clause, e.g. `field "temp": column DOUBLE expects
	// proto type double, descriptor has int32`.
	Msg string
}

// DescriptorError lists every problem found in a descriptor, not just the
// first: fixing a hand-written descriptor one error per stream attempt is
// the complaint users voice most after timestamps (databricks-surface.md §9).
type DescriptorError struct {
	Problems []DescriptorProblem
}

// Error joins the problems into one line.
func (e *DescriptorError) Error() string {
	msgs := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		msgs[i] = p.Msg
	}
	return descriptorMismatchIntro + strings.Join(msgs, "; ")
}

// Unwrap lets callers test errors.Is(err, ErrDescriptorMismatch).
func (e *DescriptorError) Unwrap() error { return ErrDescriptorMismatch }

// NewProtoDecoder checks a serialized google.protobuf.DescriptorProto (one
// message, nested messages in nested_type) against the columns and compiles
// a decoder for records of that message.
//
// Fields are matched to columns by name; field numbers are whatever the
// descriptor says. Every descriptor field must name a column, every NOT NULL
// column must be a required field, and field types must be the SDK's
// mapping of the column types (zerobus-wire.md §6). Field options such as
// packed are ignored. STRUCT sub-fields may be optional even when NOT NULL,
// because the SDK's generators emit every sub-field as optional; such a field
// is then checked in each record instead.
//
// Unparseable bytes or references to undefined types give an error wrapping
// ErrBadDescriptor; a descriptor that parses but does not fit the table gives
// a *DescriptorError (wrapping ErrDescriptorMismatch) listing every problem.
func NewProtoDecoder(cols []Column, descriptor []byte) (*ProtoDecoder, error) {
	var dp descriptorpb.DescriptorProto
	if err := proto.Unmarshal(descriptor, &dp); err != nil {
		return nil, fmt.Errorf("%w: cannot parse DescriptorProto: %s", ErrBadDescriptor, protoErrorText(err))
	}
	c := &descChecker{msgs: make(map[string]*descriptorpb.DescriptorProto)}
	c.index(dp.GetName(), &dp, 0)
	fields := make([]Field, len(cols))
	for i, col := range cols {
		fields[i] = Field{Name: col.Name, Type: col.Type, Nullable: col.Nullable}
	}
	top := c.message(&dp, dp.GetName(), fields, "")
	if len(c.bad) > 0 {
		return nil, fmt.Errorf("%w: %s", ErrBadDescriptor, strings.Join(c.bad, "; "))
	}
	if len(c.problems) > 0 {
		return nil, &DescriptorError{Problems: c.problems}
	}
	return &ProtoDecoder{cols: append([]Column(nil), cols...), top: top}, nil
}

// descChecker walks a descriptor alongside the table's types, collecting
// problems instead of stopping at the first.
type descChecker struct {
	msgs     map[string]*descriptorpb.DescriptorProto // by dotted path from the root message
	problems []DescriptorProblem
	bad      []string
}

// maxNesting bounds nested_type recursion; proto.Unmarshal already refuses
// deeper input, this keeps the walk safe on its own.
const maxNesting = 100

func (c *descChecker) index(path string, m *descriptorpb.DescriptorProto, depth int) {
	if depth > maxNesting {
		c.bad = append(c.bad, "messages are nested more than 100 deep")
		return
	}
	if _, dup := c.msgs[path]; dup {
		c.bad = append(c.bad, fmt.Sprintf("message %q is defined twice", path))
		return
	}
	c.msgs[path] = m
	for _, n := range m.GetNestedType() {
		c.index(joinPath(path, n.GetName()), n, depth+1)
	}
}

func joinPath(a, b string) string {
	if a == "" {
		return b
	}
	return a + "." + b
}

// resolve finds the message a type_name refers to. Only the descriptor's own
// messages can be found: the package is unknown, so a fully qualified name
// (".pkg.Outer.Inner") matches the longest message path it ends with, and a
// relative name is looked up from the innermost scope outwards, as protoc
// does.
func (c *descChecker) resolve(name, scope string) (*descriptorpb.DescriptorProto, string, bool) {
	if !strings.HasPrefix(name, ".") {
		for s := scope; ; {
			if m, ok := c.msgs[joinPath(s, name)]; ok {
				return m, joinPath(s, name), true
			}
			if s == "" {
				break
			}
			if i := strings.LastIndexByte(s, '.'); i >= 0 {
				s = s[:i]
			} else {
				s = ""
			}
		}
		name = "." + name
	}
	best := ""
	for p := range c.msgs {
		if (name[1:] == p || strings.HasSuffix(name, "."+p)) && len(p) > len(best) {
			best = p
		}
	}
	if best == "" {
		return nil, "", false
	}
	return c.msgs[best], best, true
}

func (c *descChecker) problem(path, cause, msg string) {
	c.problems = append(c.problems, DescriptorProblem{Path: path, Cause: cause, Msg: msg})
}

// message checks descriptor message m (found at scope) against fields, the
// table's columns when path is "" or a STRUCT's fields otherwise.
func (c *descChecker) message(m *descriptorpb.DescriptorProto, scope string, fields []Field, path string) *pdMsg {
	top := path == ""
	pm := &pdMsg{names: make([]string, len(fields)), top: top}
	byName := make(map[string]int, len(fields))
	names := make([]string, len(fields))
	for i, f := range fields {
		byName[f.Name] = i
		names[i] = f.Name
		pm.names[i] = f.Name
	}
	fold := foldNames(names)
	matched := make([]bool, len(fields))
	seenName := make(map[string]bool)
	seenNum := make(map[int32]string)
	for _, fd := range m.GetField() {
		name, num := fd.GetName(), fd.GetNumber()
		fpath := joinPath(path, name)
		switch {
		case name == "":
			c.bad = append(c.bad, fmt.Sprintf("message %q has a field without a name", scope))
			continue
		case seenName[name]:
			c.bad = append(c.bad, fmt.Sprintf("field %q is defined twice", fpath))
			continue
		case num < 1 || num > int32(protowire.MaxValidNumber):
			c.bad = append(c.bad, fmt.Sprintf("field %q has invalid number %d", fpath, num))
			continue
		case seenNum[num] != "":
			c.bad = append(c.bad, fmt.Sprintf("fields %q and %q both have number %d", seenNum[num], fpath, num))
			continue
		}
		seenName[name], seenNum[num] = true, fpath
		i, ok := byName[name]
		if !ok {
			msg := fmt.Sprintf("field %q is not a column of the table", fpath)
			if !top {
				msg = fmt.Sprintf("field %q is not a field of STRUCT %q", fpath, path)
			}
			if h := suggestField(fold, name); h != "" {
				msg += " (" + h + ")"
			}
			c.problem(fpath, CauseFieldNotInTable, msg)
			continue
		}
		matched[i] = true
		if pf, ok := c.field(fd, fields[i], scope, fpath, top); ok {
			pf.slot = i
			pm.fields = append(pm.fields, pf)
		}
	}
	for i, f := range fields {
		if matched[i] || f.Nullable {
			continue
		}
		p := joinPath(path, f.Name)
		if top {
			c.problem(p, CauseMissingRequired, fmt.Sprintf("column %q (NOT NULL) is missing from the descriptor", p))
		} else {
			c.problem(p, CauseMissingRequired, fmt.Sprintf("field %q (NOT NULL) is missing from the descriptor", p))
		}
	}
	pm.buildIndex()
	return pm
}

// field checks one descriptor field against the column or STRUCT field f.
func (c *descChecker) field(fd *descriptorpb.FieldDescriptorProto, f Field, scope, fpath string, top bool) (pdField, bool) {
	t := f.Type
	label := fd.GetLabel()
	pf := pdField{name: f.Name, num: protowire.Number(fd.GetNumber())}
	if !completeType(t) {
		c.problem(fpath, CauseTypeIncompatible, fmt.Sprintf("field %q: the column's type is incomplete", fpath))
		return pf, false
	}
	mismatch := func(format string, args ...any) bool {
		c.problem(fpath, CauseTypeIncompatible, fmt.Sprintf("field %q: ", fpath)+fmt.Sprintf(format, args...))
		return false
	}
	ok := true
	switch t.Kind {
	case Array:
		pf.repeated = true
		if label != descriptorpb.FieldDescriptorProto_LABEL_REPEATED {
			ok = mismatch("column %s expects a repeated field, descriptor has %s", shortTypeText(t), labelText(label))
		}
		if k := t.Elem.Kind; k == Array || k == Map {
			return pf, mismatch("column %s has no protobuf encoding (arrays of arrays or maps are not supported)", shortTypeText(t))
		}
		var vok bool
		pf.v, vok = c.value(fd, t.Elem, scope, fpath, "column "+shortTypeText(t)+" expects repeated ")
		pf.v.path = fpath + "[]"
		ok = ok && vok
	case Map:
		pf.isMap, pf.valNullable = true, t.ValueNullable
		pf.expected = shortTypeText(t) + " (repeated map entry message)"
		return pf, c.mapField(fd, t, scope, fpath, &pf) && ok
	default:
		if label == descriptorpb.FieldDescriptorProto_LABEL_REPEATED {
			ok = mismatch("column %s expects a singular field, descriptor has repeated", shortTypeText(t))
		} else if top && !f.Nullable && label != descriptorpb.FieldDescriptorProto_LABEL_REQUIRED {
			ok = mismatch("column is NOT NULL so the field must be required, descriptor has %s", labelText(label))
		}
		var vok bool
		pf.v, vok = c.value(fd, t, scope, fpath, "column "+shortTypeText(t)+" expects ")
		ok = ok && vok
	}
	pf.required = !pf.repeated && (!f.Nullable || label == descriptorpb.FieldDescriptorProto_LABEL_REQUIRED)
	return pf, ok
}

// completeType reports whether t and every type inside it is set, so the
// checks below can follow Elem, Key and Value without nil checks.
func completeType(t *Type) bool {
	if t == nil {
		return false
	}
	switch t.Kind {
	case Array:
		return completeType(t.Elem)
	case Map:
		return completeType(t.Key) && completeType(t.Value)
	}
	return true // STRUCT fields are checked as the walk reaches them
}

// mapField checks a MAP column against a repeated map-entry message with
// fields key and value. The map_entry option is not required: the column
// type already says a map is meant.
func (c *descChecker) mapField(fd *descriptorpb.FieldDescriptorProto, t *Type, scope, fpath string, pf *pdField) bool {
	want := "column " + shortTypeText(t) + " expects a map field (repeated entry message with key = 1 and value = 2), descriptor has "
	if fd.GetLabel() != descriptorpb.FieldDescriptorProto_LABEL_REPEATED || fd.GetType() != descriptorpb.FieldDescriptorProto_TYPE_MESSAGE {
		c.problem(fpath, CauseTypeIncompatible, fmt.Sprintf("field %q: %s%s %s", fpath, want, labelText(fd.GetLabel()), fieldTypeText(fd)))
		return false
	}
	entry, epath, found := c.resolve(fd.GetTypeName(), scope)
	if !found {
		c.bad = append(c.bad, fmt.Sprintf("field %q: type %q is not defined in the descriptor (nested messages belong in nested_type)", fpath, fd.GetTypeName()))
		return false
	}
	var keyFd, valFd *descriptorpb.FieldDescriptorProto
	if len(entry.GetField()) == 2 {
		for _, ef := range entry.GetField() {
			switch ef.GetName() {
			case "key":
				keyFd = ef
			case "value":
				valFd = ef
			}
		}
	}
	if keyFd == nil || valFd == nil {
		c.problem(fpath, CauseTypeIncompatible, fmt.Sprintf("field %q: %smessage %s", fpath, want, epath))
		return false
	}
	if k := t.Key.Kind; k == Array || k == Map || k == Struct {
		c.problem(fpath, CauseTypeIncompatible, fmt.Sprintf("field %q: column %s has no protobuf encoding (map keys must be scalars)", fpath, shortTypeText(t)))
		return false
	}
	if k := t.Value.Kind; k == Array || k == Map {
		c.problem(fpath, CauseTypeIncompatible, fmt.Sprintf("field %q: column %s has no protobuf encoding (map values cannot be arrays or maps)", fpath, shortTypeText(t)))
		return false
	}
	pf.keyNum, pf.valNum = protowire.Number(keyFd.GetNumber()), protowire.Number(valFd.GetNumber())
	ok := true
	for _, ef := range []*descriptorpb.FieldDescriptorProto{keyFd, valFd} {
		if ef.GetLabel() == descriptorpb.FieldDescriptorProto_LABEL_REPEATED {
			c.problem(fpath, CauseTypeIncompatible, fmt.Sprintf("field %q: map entry field %s must not be repeated", fpath, ef.GetName()))
			ok = false
		}
	}
	var kok, vok bool
	pf.key, kok = c.value(keyFd, t.Key, epath, fpath+".key", "map key "+shortTypeText(t.Key)+" expects ")
	pf.v, vok = c.value(valFd, t.Value, epath, fpath+".value", "map value "+shortTypeText(t.Value)+" expects ")
	pf.v.path = fpath + "[]" // as JSONDecoder names it
	return ok && kok && vok
}

// value checks the type of one field (or element, key or value) against t.
// want starts the mismatch clause, e.g. "column DOUBLE expects ".
func (c *descChecker) value(fd *descriptorpb.FieldDescriptorProto, t *Type, scope, fpath, want string) (pdValue, bool) {
	v := pdValue{kind: t.Kind, t: t, path: fpath}
	if t.Kind == Struct {
		v.wt, v.expected = protowire.BytesType, shortTypeText(t)+" (nested message)"
		if fd.GetType() != descriptorpb.FieldDescriptorProto_TYPE_MESSAGE {
			c.problem(fpath, CauseTypeIncompatible, fmt.Sprintf("field %q: %sa nested message, descriptor has %s", fpath, want, fieldTypeText(fd)))
			return v, false
		}
		m, mpath, found := c.resolve(fd.GetTypeName(), scope)
		if !found {
			c.bad = append(c.bad, fmt.Sprintf("field %q: type %q is not defined in the descriptor (nested messages belong in nested_type)", fpath, fd.GetTypeName()))
			return v, false
		}
		if m.GetOptions().GetMapEntry() {
			c.problem(fpath, CauseTypeIncompatible, fmt.Sprintf("field %q: %sa nested message, descriptor has a map", fpath, want))
			return v, false
		}
		nproblems := len(c.problems) + len(c.bad)
		v.msg = c.message(m, mpath, t.Fields, fpath)
		return v, len(c.problems)+len(c.bad) == nproblems
	}
	ps := pdScalarOf(fd.GetType())
	accepted := pdAccepts(t.Kind)
	for _, a := range accepted {
		if a == ps {
			v.ps, v.wt, v.expected = ps, ps.wireType(), protoExpected(t, ps)
			return v, true
		}
	}
	names := make([]string, len(accepted))
	for i, a := range accepted {
		names[i] = a.String()
	}
	list := strings.Join(names, ", ")
	if len(names) > 1 {
		list = strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
	}
	if len(names) == 0 {
		list = "nothing (the type has no protobuf encoding)"
	}
	c.problem(fpath, CauseTypeIncompatible, fmt.Sprintf("field %q: %sproto type %s, descriptor has %s", fpath, want, list, fieldTypeText(fd)))
	return v, false
}

func labelText(l descriptorpb.FieldDescriptorProto_Label) string {
	switch l {
	case descriptorpb.FieldDescriptorProto_LABEL_REQUIRED:
		return "required"
	case descriptorpb.FieldDescriptorProto_LABEL_REPEATED:
		return "repeated"
	}
	return "optional"
}

// fieldTypeText names a field's type as a .proto file would.
func fieldTypeText(fd *descriptorpb.FieldDescriptorProto) string {
	switch fd.GetType() {
	case descriptorpb.FieldDescriptorProto_TYPE_MESSAGE:
		return "message " + strings.TrimPrefix(fd.GetTypeName(), ".")
	case descriptorpb.FieldDescriptorProto_TYPE_ENUM:
		return "enum " + strings.TrimPrefix(fd.GetTypeName(), ".")
	}
	return strings.ToLower(strings.TrimPrefix(fd.GetType().String(), "TYPE_"))
}

// pdScalar is a protobuf scalar type the decoder can read.
type pdScalar uint8

const (
	pdNone pdScalar = iota
	pdInt32
	pdSint32
	pdSfixed32
	pdInt64
	pdSint64
	pdSfixed64
	pdFloat
	pdDouble
	pdBool
	pdString
	pdBytes
)

var pdScalarNames = [...]string{"none", "int32", "sint32", "sfixed32", "int64", "sint64", "sfixed64", "float", "double", "bool", "string", "bytes"}

func (p pdScalar) String() string { return pdScalarNames[p] }

func (p pdScalar) wireType() protowire.Type {
	switch p {
	case pdSfixed32, pdFloat:
		return protowire.Fixed32Type
	case pdSfixed64, pdDouble:
		return protowire.Fixed64Type
	case pdString, pdBytes:
		return protowire.BytesType
	}
	return protowire.VarintType
}

func pdScalarOf(t descriptorpb.FieldDescriptorProto_Type) pdScalar {
	switch t {
	case descriptorpb.FieldDescriptorProto_TYPE_INT32:
		return pdInt32
	case descriptorpb.FieldDescriptorProto_TYPE_SINT32:
		return pdSint32
	case descriptorpb.FieldDescriptorProto_TYPE_SFIXED32:
		return pdSfixed32
	case descriptorpb.FieldDescriptorProto_TYPE_INT64:
		return pdInt64
	case descriptorpb.FieldDescriptorProto_TYPE_SINT64:
		return pdSint64
	case descriptorpb.FieldDescriptorProto_TYPE_SFIXED64:
		return pdSfixed64
	case descriptorpb.FieldDescriptorProto_TYPE_FLOAT:
		return pdFloat
	case descriptorpb.FieldDescriptorProto_TYPE_DOUBLE:
		return pdDouble
	case descriptorpb.FieldDescriptorProto_TYPE_BOOL:
		return pdBool
	case descriptorpb.FieldDescriptorProto_TYPE_STRING:
		return pdString
	case descriptorpb.FieldDescriptorProto_TYPE_BYTES:
		return pdBytes
	}
	return pdNone
}

// pdAccepts lists the proto types a column type may be sent as: the SDK
// generators' mapping (zerobus-wire.md §6) plus the zigzag and fixed-width
// variants of the same width, which carry the same values.
func pdAccepts(k Kind) []pdScalar {
	switch k {
	case TinyInt, SmallInt, Int, Date:
		return []pdScalar{pdInt32, pdSint32, pdSfixed32}
	case BigInt, Timestamp, TimestampNTZ:
		return []pdScalar{pdInt64, pdSint64, pdSfixed64}
	case Float:
		return []pdScalar{pdFloat}
	case Double:
		return []pdScalar{pdDouble}
	case Decimal, String, Variant:
		return []pdScalar{pdString}
	case Binary:
		return []pdScalar{pdBytes}
	case Boolean:
		return []pdScalar{pdBool}
	}
	return nil
}

// protoExpected describes a column type and the proto type it is read from.
func protoExpected(t *Type, p pdScalar) string {
	switch t.Kind {
	case TinyInt:
		return "TINYINT (" + p.String() + " in -128..127)"
	case SmallInt:
		return "SMALLINT (" + p.String() + " in -32768..32767)"
	case Date:
		return "DATE (" + p.String() + " days since 1970-01-01)"
	case Timestamp, TimestampNTZ:
		return shortTypeText(t) + " (" + p.String() + " microseconds since epoch)"
	case Decimal:
		return shortTypeText(t) + ` (string such as "12.30")`
	case Variant:
		return "VARIANT (string holding JSON text)"
	}
	return shortTypeText(t) + " (" + p.String() + ")"
}
