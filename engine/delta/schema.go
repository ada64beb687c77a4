package delta

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/zbemu/zbemu/schema"
)

// Column mapping metadata keys and the table property that turns it on
// (https://github.com/delta-io/delta/blob/master/PROTOCOL.md#column-mapping).
const (
	MappingID           = "delta.columnMapping.id"
	MappingPhysicalName = "delta.columnMapping.physicalName"
	PropMappingMode     = "delta.columnMapping.mode"
	PropMappingMaxID    = "delta.columnMapping.maxColumnId"
)

// VariantTypeKey marks, in a field's metadata, a VARIANT column that the
// table stores as STRING holding JSON text. Delta's variantType feature
// needs Parquet's binary variant encoding, which DuckDB's writer does not
// produce, so zbemu writes the JSON text instead; Spark turns it back into
// a VARIANT with parse_json(col).
const VariantTypeKey = "zbemu.type"

// Column is a table column as a Delta schema holds it. ID and
// PhysicalName are its column mapping (mode name): zero when the table
// maps no columns.
type Column struct {
	Name         string
	Type         *schema.Type
	Nullable     bool
	Comment      string
	ID           int64
	PhysicalName string
}

// StructType is a Delta schema (or struct type): the JSON form of
// metaData.schemaString.
type StructType struct {
	Type   string        `json:"type"`
	Fields []StructField `json:"fields"`
}

// StructField is one field of a StructType. Type is a primitive type name
// (string), *StructType, *ArrayType or *MapType.
type StructField struct {
	Name     string         `json:"name"`
	Type     any            `json:"type"`
	Nullable bool           `json:"nullable"`
	Metadata map[string]any `json:"metadata"`
}

// ArrayType is the array type of a Delta schema.
type ArrayType struct {
	Type         string `json:"type"`
	ElementType  any    `json:"elementType"`
	ContainsNull bool   `json:"containsNull"`
}

// MapType is the map type of a Delta schema.
type MapType struct {
	Type              string `json:"type"`
	KeyType           any    `json:"keyType"`
	ValueType         any    `json:"valueType"`
	ValueContainsNull bool   `json:"valueContainsNull"`
}

// UnmarshalJSON decodes the field's type into its Go form.
func (f *StructField) UnmarshalJSON(b []byte) error {
	var raw struct {
		Name     string          `json:"name"`
		Type     json.RawMessage `json:"type"`
		Nullable bool            `json:"nullable"`
		Metadata map[string]any  `json:"metadata"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	t, err := decodeType(raw.Type)
	if err != nil {
		return fmt.Errorf("field %s: %w", raw.Name, err)
	}
	*f = StructField{Name: raw.Name, Type: t, Nullable: raw.Nullable, Metadata: raw.Metadata}
	return nil
}

func decodeType(b json.RawMessage) (any, error) {
	var name string
	if json.Unmarshal(b, &name) == nil {
		return name, nil
	}
	var kind struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(b, &kind); err != nil {
		return nil, err
	}
	var out any
	switch kind.Type {
	case "struct":
		out = &StructType{}
	case "array":
		out = &ArrayType{}
	case "map":
		out = &MapType{}
	default:
		return nil, fmt.Errorf("delta: unknown type %q", kind.Type)
	}
	if err := json.Unmarshal(b, out); err != nil {
		return nil, err
	}
	a, ok := out.(*ArrayType)
	if ok {
		t, err := reDecode(a.ElementType)
		a.ElementType = t
		return a, err
	}
	if m, ok := out.(*MapType); ok {
		k, err := reDecode(m.KeyType)
		if err != nil {
			return nil, err
		}
		v, err := reDecode(m.ValueType)
		m.KeyType, m.ValueType = k, v
		return m, err
	}
	return out, nil
}

// reDecode turns a generically decoded nested type into its Go form.
func reDecode(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return decodeType(b)
}

// ParseSchema parses metaData.schemaString.
func ParseSchema(s string) (*StructType, error) {
	var st StructType
	if err := json.Unmarshal([]byte(s), &st); err != nil {
		return nil, fmt.Errorf("delta: schema: %w", err)
	}
	return &st, nil
}

// MappingOf returns a field's column mapping id and physical name (0 and
// "" when the field is not mapped).
func (f StructField) MappingOf() (int64, string) {
	id, _ := f.Metadata[MappingID].(float64)
	if n, ok := f.Metadata[MappingID].(int64); ok {
		id = float64(n)
	}
	name, _ := f.Metadata[MappingPhysicalName].(string)
	return int64(id), name
}

// EncodeSchema renders cols as metaData.schemaString. With mapping (column
// mapping mode name) every field, nested ones included, carries an id and a
// physical name, as the protocol requires: top-level columns those of cols;
// a nested field keeps what prev (the table's previous schema, may be nil)
// gave the field at the same path under the column of the same id, and new
// ones get ids above maxID and their own name as physical name (nested
// fields are never renamed). It returns the schema and the new maxColumnId.
func EncodeSchema(cols []Column, mapping bool, prev *StructType, maxID int64) (string, int64, error) {
	enc := schemaEncoder{mapping: mapping, maxID: maxID}
	prevByID := map[int64]StructField{}
	if prev != nil {
		for _, f := range prev.Fields {
			if id, _ := f.MappingOf(); id != 0 {
				prevByID[id] = f
			}
		}
	}
	st := StructType{Type: "struct"}
	for _, c := range cols {
		if mapping && (c.ID == 0 || c.PhysicalName == "") {
			return "", 0, fmt.Errorf("delta: column %s has no column mapping", c.Name)
		}
		enc.maxID = max(enc.maxID, c.ID)
	}
	for _, c := range cols {
		var prevType any
		if p, ok := prevByID[c.ID]; ok {
			prevType = p.Type
		}
		f := StructField{Name: c.Name, Type: enc.typ(c.Type, prevType), Nullable: c.Nullable, Metadata: enc.meta(c.Type, c.Comment)}
		if mapping {
			f.Metadata[MappingID] = c.ID
			f.Metadata[MappingPhysicalName] = c.PhysicalName
		}
		st.Fields = append(st.Fields, f)
	}
	var buf bytes.Buffer
	j := json.NewEncoder(&buf)
	j.SetEscapeHTML(false)
	if err := j.Encode(st); err != nil {
		return "", 0, fmt.Errorf("delta: encode schema: %w", err)
	}
	return string(bytes.TrimSuffix(buf.Bytes(), []byte("\n"))), enc.maxID, nil
}

type schemaEncoder struct {
	mapping bool
	maxID   int64
}

func (enc *schemaEncoder) meta(t *schema.Type, comment string) map[string]any {
	m := map[string]any{}
	if comment != "" {
		m["comment"] = comment
	}
	if t.Kind == schema.Variant {
		m[VariantTypeKey] = "variant"
	}
	return m
}

// typ renders t; prev is the same place's type in the previous schema.
func (enc *schemaEncoder) typ(t *schema.Type, prev any) any {
	switch t.Kind {
	case schema.TinyInt:
		return "byte"
	case schema.SmallInt:
		return "short"
	case schema.Int:
		return "integer"
	case schema.BigInt:
		return "long"
	case schema.Float:
		return "float"
	case schema.Double:
		return "double"
	case schema.Decimal:
		return "decimal(" + strconv.Itoa(t.Precision) + "," + strconv.Itoa(t.Scale) + ")"
	case schema.String, schema.Variant:
		return "string"
	case schema.Binary:
		return "binary"
	case schema.Boolean:
		return "boolean"
	case schema.Date:
		return "date"
	case schema.Timestamp:
		return "timestamp"
	case schema.TimestampNTZ:
		return "timestamp_ntz"
	case schema.Array:
		p, _ := prev.(*ArrayType)
		var pe any
		if p != nil {
			pe = p.ElementType
		}
		return &ArrayType{Type: "array", ElementType: enc.typ(t.Elem, pe), ContainsNull: t.ElemNullable}
	case schema.Map:
		p, _ := prev.(*MapType)
		var pk, pv any
		if p != nil {
			pk, pv = p.KeyType, p.ValueType
		}
		return &MapType{Type: "map", KeyType: enc.typ(t.Key, pk), ValueType: enc.typ(t.Value, pv), ValueContainsNull: t.ValueNullable}
	case schema.Struct:
		p, _ := prev.(*StructType)
		st := &StructType{Type: "struct"}
		for _, f := range t.Fields {
			var pf *StructField
			if p != nil {
				for i := range p.Fields {
					if p.Fields[i].Name == f.Name {
						pf = &p.Fields[i]
					}
				}
			}
			var pt any
			if pf != nil {
				pt = pf.Type
			}
			sf := StructField{Name: f.Name, Type: enc.typ(f.Type, pt), Nullable: f.Nullable, Metadata: enc.meta(f.Type, f.Comment)}
			if enc.mapping {
				var id int64
				if pf != nil {
					id, _ = pf.MappingOf()
				}
				if id == 0 {
					enc.maxID++
					id = enc.maxID
				}
				sf.Metadata[MappingID] = id
				sf.Metadata[MappingPhysicalName] = f.Name
			}
			st.Fields = append(st.Fields, sf)
		}
		return st
	}
	return "string"
}

// HasTimestampNTZ reports whether a TIMESTAMP_NTZ appears anywhere in cols,
// which needs the timestampNtz table feature.
func HasTimestampNTZ(cols []Column) bool {
	for _, c := range cols {
		if hasNTZ(c.Type) {
			return true
		}
	}
	return false
}

func hasNTZ(t *schema.Type) bool {
	switch t.Kind {
	case schema.TimestampNTZ:
		return true
	case schema.Array:
		return hasNTZ(t.Elem)
	case schema.Map:
		return hasNTZ(t.Key) || hasNTZ(t.Value)
	case schema.Struct:
		for _, f := range t.Fields {
			if hasNTZ(f.Type) {
				return true
			}
		}
	}
	return false
}
