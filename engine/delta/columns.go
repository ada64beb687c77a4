package delta

import (
	"encoding/json"
	"fmt"
	"strings"
)

// SnapshotColumn is a top-level column of a snapshot's schema, with its type as
// Databricks SQL type text (schema.Parse reads it).
type SnapshotColumn struct {
	Name string
	// Physical is the column's name in the data files and in the add
	// actions' partitionValues: Name, or the physical name column mapping
	// gave it.
	Physical  string
	TypeText  string
	Nullable  bool
	Partition bool
	Comment   string
}

// sparkField is a field of a Spark StructType as schemaString has it
// (https://github.com/delta-io/delta/blob/master/PROTOCOL.md#schema-serialization-format).
type sparkField struct {
	Name     string          `json:"name"`
	Type     json.RawMessage `json:"type"`
	Nullable bool            `json:"nullable"`
	Metadata map[string]any  `json:"metadata"`
}

// sparkComplex is a struct, array or map type.
type sparkComplex struct {
	Type              string          `json:"type"`
	Fields            []sparkField    `json:"fields"`
	ElementType       json.RawMessage `json:"elementType"`
	ContainsNull      bool            `json:"containsNull"`
	KeyType           json.RawMessage `json:"keyType"`
	ValueType         json.RawMessage `json:"valueType"`
	ValueContainsNull bool            `json:"valueContainsNull"`
}

// sparkPrimitives maps Spark's primitive type names to Databricks SQL.
var sparkPrimitives = map[string]string{
	"byte": "TINYINT", "short": "SMALLINT", "integer": "INT", "long": "BIGINT",
	"float": "FLOAT", "double": "DOUBLE", "string": "STRING", "binary": "BINARY",
	"boolean": "BOOLEAN", "date": "DATE", "timestamp": "TIMESTAMP", "timestamp_ntz": "TIMESTAMP_NTZ",
	"variant": "VARIANT",
}

const physicalNameKey = "delta.columnMapping.physicalName"

// maxSchemaDepth bounds nesting, so a hostile schemaString cannot exhaust
// the stack (package schema has the same bound).
const maxSchemaDepth = 100

// Columns returns the snapshot's columns in schema order.
func (s *Snapshot) Columns() ([]SnapshotColumn, error) {
	var st sparkComplex
	if err := json.Unmarshal([]byte(s.Metadata.SchemaString), &st); err != nil || st.Type != "struct" {
		return nil, fmt.Errorf("%w: schemaString is not a Spark struct type: %v", ErrCorruptLog, err)
	}
	part := map[string]bool{}
	for _, p := range s.Metadata.PartitionColumns {
		part[strings.ToLower(p)] = true
	}
	mapped := s.Metadata.Configuration["delta.columnMapping.mode"]
	out := make([]SnapshotColumn, 0, len(st.Fields))
	for _, f := range st.Fields {
		t, err := sqlType(f.Type, 0, mapped != "" && mapped != "none")
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", f.Name, err)
		}
		c := SnapshotColumn{Name: f.Name, Physical: f.Name, TypeText: t, Nullable: f.Nullable, Partition: part[strings.ToLower(f.Name)]}
		if pn, ok := f.Metadata[physicalNameKey].(string); ok && pn != "" && mapped != "" && mapped != "none" {
			c.Physical = pn
		}
		if cm, ok := f.Metadata["comment"].(string); ok {
			c.Comment = cm
		}
		out = append(out, c)
	}
	return out, nil
}

// sqlType renders a Spark type as Databricks SQL type text. mapped tells
// that column mapping is on: nested fields whose physical name differs
// from their name are then refused, because zbemu reads nested values by
// their logical names.
func sqlType(raw json.RawMessage, depth int, mapped bool) (string, error) {
	if depth > maxSchemaDepth {
		return "", fmt.Errorf("%w: the schema nests deeper than %d levels", ErrCorruptLog, maxSchemaDepth)
	}
	var name string
	if json.Unmarshal(raw, &name) == nil {
		if t, ok := sparkPrimitives[name]; ok {
			return t, nil
		}
		var p, sc int
		if n, _ := fmt.Sscanf(name, "decimal(%d,%d)", &p, &sc); n == 2 {
			return fmt.Sprintf("DECIMAL(%d,%d)", p, sc), nil
		}
		return "", &FeatureError{Feature: "data type " + name}
	}
	var c sparkComplex
	if err := json.Unmarshal(raw, &c); err != nil {
		return "", fmt.Errorf("%w: type %s: %v", ErrCorruptLog, raw, err)
	}
	switch c.Type {
	case "array":
		e, err := sqlType(c.ElementType, depth+1, mapped)
		return "ARRAY<" + e + ">", err
	case "map":
		k, err := sqlType(c.KeyType, depth+1, mapped)
		if err != nil {
			return "", err
		}
		v, err := sqlType(c.ValueType, depth+1, mapped)
		return "MAP<" + k + ", " + v + ">", err
	case "struct":
		parts := make([]string, len(c.Fields))
		for i, f := range c.Fields {
			if pn, ok := f.Metadata[physicalNameKey].(string); mapped && ok && pn != f.Name {
				return "", &FeatureError{Feature: "columnMapping of nested field " + f.Name}
			}
			t, err := sqlType(f.Type, depth+1, mapped)
			if err != nil {
				return "", err
			}
			parts[i] = "`" + strings.ReplaceAll(f.Name, "`", "``") + "`: " + t
			if !f.Nullable {
				parts[i] += " NOT NULL"
			}
		}
		return "STRUCT<" + strings.Join(parts, ", ") + ">", nil
	}
	return "", &FeatureError{Feature: "data type " + c.Type}
}
