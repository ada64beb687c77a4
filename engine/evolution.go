package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/zbemu/zbemu/schema"
)

// Schema evolution beyond ADD COLUMNS: column tags (the Zerobus rescue
// column is a tagged column), type widening and zbemu's automatic schema
// merge. Each change is a new table version through alterTable, so it is
// in DESCRIBE HISTORY and streams that opened earlier keep their schema.

// Table properties and column tags with a meaning to zbemu.
const (
	// RescueTag is the Unity Catalog column tag that makes a nullable
	// VARIANT column the rescue column of JSON records, as in Zerobus:
	// ALTER TABLE t ALTER COLUMN c SET TAGS ('zerobus-rescue').
	RescueTag = "zerobus-rescue"
	// PropRescueColumn names the rescue column by table property, zbemu's
	// older spelling of the tag; either marks the column.
	PropRescueColumn = "zbemu.rescueColumn"
	// PropTypeWidening is Delta's opt-in for ALTER COLUMN ... TYPE.
	PropTypeWidening = "delta.enableTypeWidening"
	// PropAutoMerge opts a table into zbemu's automatic schema merge (a
	// zbemu extension, not in the real service): JSON records with new
	// top-level fields add nullable columns before they are accepted.
	PropAutoMerge = "zbemu.autoMerge"
)

// MaxAutoMergeColumns is the most columns automatic schema merge lets a
// table reach: Zerobus ingests tables of at most 2,000 columns
// (https://docs.databricks.com/aws/en/ingestion/zerobus-limits), and every
// added column makes DuckDB's next ALTER slower.
const MaxAutoMergeColumns = 2000

// errNoChange tells alterTable that the change is already in place, so no
// version is recorded.
var errNoChange = errors.New("no change")

func propTrue(m *tableMeta, key string) bool {
	return strings.EqualFold(strings.TrimSpace(m.Properties[key]), "true")
}

// isRescue reports whether a column is marked as the rescue column, by tag
// or by property. Whether it qualifies (nullable VARIANT) is the decoder's
// business, as in Zerobus, where a tag on any other column does nothing.
func isRescue(m *tableMeta, c storedColumn) bool {
	if p := m.Properties[PropRescueColumn]; p != "" && strings.EqualFold(p, c.Name) {
		return true
	}
	for k := range c.Tags {
		if strings.EqualFold(k, RescueTag) {
			return true
		}
	}
	return false
}

func findColumn(m *tableMeta, name string) (int, error) {
	for i := range m.Columns {
		if strings.EqualFold(m.Columns[i].Name, name) {
			return i, nil
		}
	}
	return -1, fmt.Errorf("%w: column %q does not exist in table %s", ErrInvalidArgument, name, m.fullName())
}

func duckTable(m *tableMeta) string {
	return quoteIdent(duckAlias(m.Catalog)) + "." + quoteIdent(strings.ToLower(m.Schema)) + "." + quoteIdent(strings.ToLower(m.Name))
}

// SetColumnTags sets Unity Catalog tags on a column (a tag without a value
// has the value ""), or with unset non-nil removes the named tags. The tag
// zerobus-rescue on a nullable VARIANT column makes it the rescue column.
func (e *Engine) SetColumnTags(ctx context.Context, full, column string, tags map[string]string, unset []string, statement string) (TableInfo, error) {
	op := "SET COLUMN TAGS"
	if unset != nil {
		op = "UNSET COLUMN TAGS"
	}
	return e.alterTable(ctx, full, op, statement, func(m *tableMeta) ([]string, map[string]any, error) {
		i, err := findColumn(m, column)
		if err != nil {
			return nil, nil, err
		}
		c := &m.Columns[i]
		merged := make(map[string]string, len(c.Tags)+len(tags))
		for k, v := range c.Tags {
			merged[k] = v
		}
		for k, v := range tags {
			if k == "" || len(k) > 255 || len(v) > 1000 {
				return nil, nil, fmt.Errorf("%w: tag keys must have 1 to 255 characters and values at most 1000, got key %q", ErrInvalidArgument, k)
			}
			merged[k] = v
		}
		for _, k := range unset {
			delete(merged, k)
		}
		if len(merged) == 0 {
			merged = nil
		}
		c.Tags = merged
		params := map[string]any{"column": c.Name}
		if unset != nil {
			params["unset"] = unset
		} else {
			params["tags"] = tags
		}
		return nil, params, nil
	})
}

// AlterColumnType widens a column's type (Delta type widening): TINYINT →
// SMALLINT → INT → BIGINT, integers → DOUBLE or a DECIMAL with enough integer
// digits, BIGINT → DECIMAL, FLOAT → DOUBLE, DECIMAL → a DECIMAL with at least
// the same integer and fraction digits, DATE → TIMESTAMP_NTZ. The table must
// have TBLPROPERTIES ('delta.enableTypeWidening' = 'true'). Streams opened
// before keep sending the old type; their rows are converted when they are
// materialised.
func (e *Engine) AlterColumnType(ctx context.Context, full, column, typeText, statement string) (TableInfo, error) {
	to, err := schema.Parse(typeText)
	if err != nil {
		return TableInfo{}, fmt.Errorf("%w: ALTER COLUMN %s TYPE: %v", ErrInvalidArgument, column, err)
	}
	// Rows acknowledged under the old type should be in DuckDB before the
	// column changes, so that a restart never re-decodes them under the new one.
	if err := e.syncAll(ctx); err != nil {
		return TableInfo{}, err
	}
	return e.alterTable(ctx, full, "CHANGE COLUMN", statement, func(m *tableMeta) ([]string, map[string]any, error) {
		i, err := findColumn(m, column)
		if err != nil {
			return nil, nil, err
		}
		c := &m.Columns[i]
		from, err := schema.Parse(c.Type)
		if err != nil {
			return nil, nil, err
		}
		if from.String() == to.String() {
			return nil, nil, errNoChange
		}
		if !widens(from, to) {
			return nil, nil, fmt.Errorf("%w: cannot change column %s from %s to %s: type widening only allows TINYINT → SMALLINT → INT → BIGINT, "+
				"an integer type → DOUBLE or a DECIMAL with enough integer digits, FLOAT → DOUBLE, DECIMAL(p,s) → DECIMAL with at least as many "+
				"integer and fraction digits, and DATE → TIMESTAMP_NTZ", ErrInvalidArgument, c.Name, from, to)
		}
		if !propTrue(m, PropTypeWidening) {
			return nil, nil, fmt.Errorf("%w: changing column %s from %s to %s needs type widening, which table %s does not enable; "+
				"run ALTER TABLE %s SET TBLPROPERTIES ('%s' = 'true') first", ErrInvalidArgument, c.Name, from, to, m.fullName(), m.fullName(), PropTypeWidening)
		}
		ddl := fmt.Sprintf("ALTER TABLE %s ALTER COLUMN %s TYPE %s", duckTable(m), quoteIdent(strings.ToLower(c.Name)), to.DuckDB())
		params := map[string]any{"column": c.Name, "fromType": from.String(), "toType": to.String()}
		c.Type = to.String()
		return []string{ddl}, params, nil
	})
}

// intDigits is the number of decimal digits an integer type needs.
var intDigits = map[schema.Kind]int{schema.TinyInt: 3, schema.SmallInt: 5, schema.Int: 10, schema.BigInt: 20}

var intRank = map[schema.Kind]int{schema.TinyInt: 1, schema.SmallInt: 2, schema.Int: 3, schema.BigInt: 4}

// widens reports whether Delta type widening allows from → to
// (https://docs.delta.io/delta-type-widening).
func widens(from, to *schema.Type) bool {
	if r, ok := intRank[from.Kind]; ok {
		switch {
		case intRank[to.Kind] > r:
			return true
		case to.Kind == schema.Double:
			return from.Kind != schema.BigInt
		case to.Kind == schema.Decimal:
			return to.Precision-to.Scale >= intDigits[from.Kind]
		}
		return false
	}
	switch from.Kind {
	case schema.Float:
		return to.Kind == schema.Double
	case schema.Decimal:
		return to.Kind == schema.Decimal && to.Scale >= from.Scale && to.Precision-to.Scale >= from.Precision-from.Scale
	case schema.Date:
		return to.Kind == schema.TimestampNTZ
	}
	return false
}

// version is the table version records of the stream are decoded with: the
// one it opened with, or the one an automatic merge moved it to. Only the
// receive goroutine calls it.
func (s *Stream) version() *tableVersion {
	if s.merged != nil {
		return s.merged
	}
	return s.tv
}

// autoMerge handles a JSON request rejected for an unknown field on a table
// with zbemu.autoMerge: it infers a type for every new top-level field of
// the request, checks that every record then decodes, adds the columns as a
// new version (operation AUTO MERGE) and returns that version, to which the
// caller moves the stream. A request that would still fail is rejected
// without changing the table: autoMerge then returns the record's index and
// error. It returns (nil, 0, nil) when there is nothing to merge.
func (s *Stream) autoMerge(tv *tableVersion, records [][]byte, cause error) (*tableVersion, int, error) {
	var re *schema.RecordError
	if !errors.As(cause, &re) || re.Reason != schema.ReasonUnknownField {
		return nil, 0, nil
	}
	specs, idx, rerr := inferColumns(tv, records)
	if rerr != nil {
		return nil, idx, rerr
	}
	if len(specs) == 0 {
		return nil, 0, nil
	}
	// Try the request against the merged columns before changing anything.
	cols := append([]schema.Column(nil), tv.cols...)
	for _, sp := range specs {
		t, _ := schema.Parse(sp.TypeText)
		cols = append(cols, schema.Column{Name: sp.Name, Type: t, Nullable: true})
	}
	dec := schema.NewJSONDecoder(cols)
	row := make([]any, len(cols))
	for i, r := range records {
		if err := dec.Decode(r, row); err != nil {
			return nil, i, err
		}
	}
	defs := make([]string, len(specs))
	for i, sp := range specs {
		defs[i] = sp.Name + " " + sp.TypeText
	}
	full := tv.meta.fullName()
	stmt := "ALTER TABLE " + full + " ADD COLUMNS (" + strings.Join(defs, ", ") + ") -- zbemu.autoMerge"
	if _, err := s.e.mergeColumns(context.Background(), full, specs, stmt); err != nil {
		return nil, 0, err
	}
	return s.table.cur.Load(), 0, nil
}

// mergeColumns adds the columns that do not exist yet; a column that
// another request added meanwhile with the same type is fine, one with
// another type is a conflict.
func (e *Engine) mergeColumns(ctx context.Context, full string, specs []ColumnSpec, statement string) (TableInfo, error) {
	return e.alterTable(ctx, full, "AUTO MERGE", statement, func(m *tableMeta) ([]string, map[string]any, error) {
		var add []ColumnSpec
		for _, sp := range specs {
			i, err := findColumn(m, sp.Name)
			if err != nil {
				add = append(add, sp)
				continue
			}
			if m.Columns[i].Type != sp.TypeText {
				return nil, nil, fmt.Errorf("%w: automatic schema merge: field %q is %s in the record, but column %s was just added as %s",
					ErrInvalidRecord, sp.Name, sp.TypeText, m.Columns[i].Name, m.Columns[i].Type)
			}
		}
		if len(add) == 0 {
			return nil, nil, errNoChange
		}
		cols, err := e.buildColumns(add, m.Columns)
		if err != nil {
			return nil, nil, err
		}
		var ddl, names []string
		for _, c := range cols {
			d, err := columnDDL(c)
			if err != nil {
				return nil, nil, err
			}
			ddl = append(ddl, fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s", duckTable(m), d))
			names = append(names, c.Name+" "+c.Type)
		}
		m.Columns = append(m.Columns, cols...)
		return ddl, map[string]any{"columns": names}, nil
	})
}

// inferColumns finds the top-level fields of the records that are not
// columns and infers a nullable column for each: string → STRING, integer →
// BIGINT, other number → DOUBLE, boolean → BOOLEAN, object or array →
// VARIANT; integers and other numbers of one field in one request give
// DOUBLE. Fields come in the order they are first seen. A field with values
// of other differing types, or only nulls, cannot be merged: the error
// (with the record's index) is the unknown-field rejection with a hint
// that says why.
func inferColumns(tv *tableVersion, records [][]byte) ([]ColumnSpec, int, *schema.RecordError) {
	known := make(map[string]bool, len(tv.cols))
	for _, c := range tv.cols {
		known[strings.ToLower(c.Name)] = true
	}
	types := map[string]string{}
	first := map[string]int{}
	var order []string
	for i, r := range records {
		fields, err := topLevelFields(r)
		if err != nil {
			return nil, 0, nil // the decoder reports malformed records itself
		}
		for _, f := range fields {
			if known[strings.ToLower(f.name)] {
				continue // a column in another case: the decoder's hint explains it
			}
			t := jsonColumnType(f.raw)
			prev, seen := types[f.name]
			switch {
			case !seen:
				order = append(order, f.name)
				types[f.name], first[f.name] = t, i
			case prev == "" || prev == t:
				types[f.name] = t
			case t == "":
			case (prev == "BIGINT" && t == "DOUBLE") || (prev == "DOUBLE" && t == "BIGINT"):
				types[f.name] = "DOUBLE"
			default:
				return nil, i, mergeRejection(f.name, fmt.Sprintf("automatic schema merge cannot add it as a column: it is %s here and %s in an earlier record of the request",
					jsonKindName(t), jsonKindName(prev)))
			}
		}
	}
	var specs []ColumnSpec
	for _, name := range order {
		if len(tv.cols)+len(specs) >= MaxAutoMergeColumns {
			return nil, first[name], mergeRejection(name, fmt.Sprintf("automatic schema merge cannot add it as a column: table %s would have more than %d columns, the Zerobus limit (%d columns now, %d new fields in the request); add the columns you need with ALTER TABLE ... ADD COLUMNS, or send fewer fields",
				tv.meta.fullName(), MaxAutoMergeColumns, len(tv.cols), len(order)))
		}
		if validName("column", name) != nil {
			return nil, first[name], mergeRejection(name, "automatic schema merge cannot add it as a column: column names have only ASCII letters, digits and underscores")
		}
		if types[name] == "" {
			return nil, first[name], mergeRejection(name, "automatic schema merge cannot infer a column type from null; send a value, or add the column with ALTER TABLE ... ADD COLUMNS")
		}
		specs = append(specs, ColumnSpec{Name: name, TypeText: types[name]})
	}
	return specs, 0, nil
}

func mergeRejection(field, hint string) *schema.RecordError {
	return &schema.RecordError{Path: field, Reason: schema.ReasonUnknownField, Hint: hint}
}

func jsonKindName(columnType string) string {
	switch columnType {
	case "STRING":
		return "a string"
	case "BIGINT":
		return "an integer"
	case "DOUBLE":
		return "a number"
	case "BOOLEAN":
		return "a boolean"
	case "VARIANT":
		return "an object or array"
	}
	return "null"
}

type jsonField struct {
	name string
	raw  json.RawMessage
}

// topLevelFields returns the keys and raw values of a JSON object in order.
func topLevelFields(rec []byte) ([]jsonField, error) {
	dec := json.NewDecoder(bytes.NewReader(rec))
	dec.UseNumber()
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, fmt.Errorf("not a JSON object")
	}
	var out []jsonField
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return nil, err
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, err
		}
		out = append(out, jsonField{name: k.(string), raw: raw})
	}
	return out, nil
}

// jsonColumnType infers a column type from a JSON value; "" for null.
func jsonColumnType(raw json.RawMessage) string {
	b := bytes.TrimSpace(raw)
	if len(b) == 0 {
		return ""
	}
	switch b[0] {
	case '"':
		return "STRING"
	case 't', 'f':
		return "BOOLEAN"
	case 'n':
		return ""
	case '{', '[':
		return "VARIANT"
	}
	if bytes.ContainsAny(b, ".eE") {
		return "DOUBLE"
	}
	var n json.Number = json.Number(b)
	if _, err := n.Int64(); err != nil {
		return "DOUBLE" // beyond BIGINT
	}
	return "BIGINT"
}

// TableSchema is a table's column model at its current version, from which
// the published JSON Schema and .proto file are generated.
type TableSchema struct {
	FullName string
	Version  int64
	Columns  []schema.Column
	// AutoMerge reports zbemu.autoMerge: new top-level JSON fields become columns.
	AutoMerge bool
}

// TableSchema returns the column model of a table's current version.
func (e *Engine) TableSchema(ctx context.Context, full string) (TableSchema, error) {
	_, t, err := e.resolveTable(full)
	if err != nil {
		return TableSchema{}, err
	}
	v := t.cur.Load()
	return TableSchema{FullName: v.meta.fullName(), Version: v.meta.Version, Columns: append([]schema.Column(nil), v.cols...),
		AutoMerge: v.autoMerge}, nil
}
