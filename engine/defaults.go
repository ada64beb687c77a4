package engine

import (
	"context"
	encjson "encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/zbemu/zbemu/engine/rowcheck"
	"github.com/zbemu/zbemu/schema"
)

// Column DEFAULT values (https://docs.delta.io/delta-default-columns/).
// As in Delta, a table needs the table feature allowColumnDefaults
// (TBLPROPERTIES ('delta.feature.allowColumnDefaults' = 'supported' or
// 'enabled')); a DEFAULT must be a constant expression of the column's
// type, or current_timestamp() / now() / current_date(). It is applied
// when a Zerobus record omits the column — the JSON key is absent (an
// explicit null stays NULL), or the protobuf field is not on the wire
// (proto3 fields without `optional` are not sent when they hold their
// zero value, so such a field gets the DEFAULT too: declare it optional)
// — and, through DuckDB's own column default, when an INSERT with a column
// list leaves the column out.

// PropColumnDefaults is the Delta table feature that allows DEFAULTs.
const PropColumnDefaults = "delta.feature.allowColumnDefaults"

// columnDefault is a compiled DEFAULT of the column at index col.
type columnDefault struct {
	col  int
	name string
	def  *rowcheck.Default
	// notNull is set for a NOT NULL column: the decoders take records
	// without it (decoderColumns), and ruleDecoder refuses an explicit null.
	notNull bool
	typ     string
}

// decoderColumns returns cols with the NOT NULL columns that have a
// DEFAULT made nullable, so that a record may omit them.
func decoderColumns(m *tableMeta, cols []schema.Column) []schema.Column {
	var out []schema.Column
	for i, c := range m.Columns {
		if c.Default != "" && !c.Nullable {
			if out == nil {
				out = slices.Clone(cols)
			}
			out[i].Nullable = true
		}
	}
	if out == nil {
		return cols
	}
	return out
}

// nullDefaulted refuses a row whose NOT NULL column with a DEFAULT is
// still NULL after the DEFAULTs were applied: the record sent null.
func nullDefaulted(defs []columnDefault, row []any) error {
	for _, d := range defs {
		if d.notNull && d.col < len(row) && row[d.col] == nil {
			return &schema.RecordError{Path: d.name, Reason: schema.ReasonNull, Expected: d.typ, Received: "null"}
		}
	}
	return nil
}

// defaultsAllowed checks the table feature for a command that sets a DEFAULT.
func defaultsAllowed(props map[string]string, command, table string) error {
	for k, v := range props {
		if strings.EqualFold(k, PropColumnDefaults) {
			if v = strings.ToLower(strings.TrimSpace(v)); v == "supported" || v == "enabled" {
				return nil
			}
		}
	}
	return fmt.Errorf("%w: [WRONG_COLUMN_DEFAULTS_FOR_DELTA_FEATURE_NOT_ENABLED] Failed to execute %s command because it assigned a column DEFAULT value, "+
		"but the corresponding table feature was not enabled. Please retry the command again after executing ALTER TABLE %s SET TBLPROPERTIES('%s' = 'supported').",
		ErrInvalidArgument, command, table, PropColumnDefaults)
}

// applyDefaults fills the DEFAULT of each column the record omits. A nil
// slot is an omitted column for protobuf; for JSON it may also be an
// explicit null, so the record's keys are read (only then, and once).
func applyDefaults(defs []columnDefault, json bool, rec []byte, row []any) {
	var now time.Time
	for _, d := range defs {
		if d.col >= len(row) || row[d.col] != nil {
			continue
		}
		if json && hasTopLevelKey(rec, d.name) {
			continue // sent as null
		}
		if now.IsZero() {
			now = time.Now()
		}
		row[d.col] = d.def.Value(now)
	}
}

// hasTopLevelKey reports whether the JSON object rec (already validated
// by the decoder) has the key name at its top level. It scans the text
// once without allocating; a key with escapes is decoded to compare it.
func hasTopLevelKey(rec []byte, name string) bool {
	depth := 0
	for i := 0; i < len(rec); i++ {
		switch rec[i] {
		case '{', '[':
			depth++
		case '}', ']':
			depth--
		case '"':
			start, escaped := i+1, false
			for i++; i < len(rec) && rec[i] != '"'; i++ {
				if rec[i] == '\\' {
					escaped = true
					i++
				}
			}
			if depth != 1 {
				continue
			}
			j := i + 1
			for j < len(rec) && (rec[j] == ' ' || rec[j] == '\t' || rec[j] == '\n' || rec[j] == '\r') {
				j++
			}
			if j >= len(rec) || rec[j] != ':' {
				continue // a value, not a key
			}
			key := rec[start:min(i, len(rec))]
			if !escaped {
				if string(key) == name {
					return true
				}
				continue
			}
			var k string
			if err := encjson.Unmarshal(rec[start-1:min(i+1, len(rec))], &k); err == nil && k == name {
				return true
			}
		}
	}
	return false
}

// SetColumnDefault sets (or with drop, removes) a column's DEFAULT: ALTER
// TABLE ... ALTER COLUMN c SET DEFAULT expr | DROP DEFAULT. It applies to
// rows written from now on.
func (e *Engine) SetColumnDefault(ctx context.Context, full, column, expr string, drop bool, statement string) (TableInfo, error) {
	op := "CHANGE COLUMN"
	return e.alterTable(ctx, full, op, statement, func(m *tableMeta) ([]string, map[string]any, error) {
		i, err := findColumn(m, column)
		if err != nil {
			return nil, nil, err
		}
		c := &m.Columns[i]
		col := quoteIdent(strings.ToLower(c.Name))
		if drop {
			if c.Default == "" {
				return nil, nil, errNoChange
			}
			c.Default = ""
			return []string{fmt.Sprintf("ALTER TABLE %s ALTER COLUMN %s DROP DEFAULT", duckTable(m), col)},
				map[string]any{"column": c.Name, "default": nil}, nil
		}
		if err := defaultsAllowed(m.Properties, "ALTER TABLE ALTER COLUMN", m.fullName()); err != nil {
			return nil, nil, err
		}
		t, err := schema.Parse(c.Type)
		if err != nil {
			return nil, nil, err
		}
		d, err := rowcheck.CompileDefault(t, expr)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: column %s: %v", ErrInvalidArgument, c.Name, err)
		}
		if !c.Nullable && d.Value(time.Now()) == nil {
			return nil, nil, fmt.Errorf("%w: column %s is NOT NULL, so its DEFAULT cannot be NULL", ErrInvalidArgument, c.Name)
		}
		c.Default = expr
		return []string{fmt.Sprintf("ALTER TABLE %s ALTER COLUMN %s SET DEFAULT %s", duckTable(m), col, d.SQL)},
			map[string]any{"column": c.Name, "default": expr}, nil
	})
}

// addColumnDefault refuses ADD COLUMN ... DEFAULT, as Delta does
// (https://docs.delta.io/delta-default-columns/): add the column, then SET
// DEFAULT, which applies to rows written from then on.
func addColumnDefault(c storedColumn) error {
	if c.Default == "" {
		return nil
	}
	return fmt.Errorf("%w: [WRONG_COLUMN_DEFAULTS_FOR_DELTA_ALTER_TABLE_ADD_COLUMN_NOT_SUPPORTED] Failed to execute ALTER TABLE ADD COLUMN command because it assigned "+
		"a column DEFAULT value to the new column %s, which is not supported for existing Delta tables; please add the column without a default value first, "+
		"then run a second ALTER TABLE ALTER COLUMN SET DEFAULT command to apply for future inserted rows instead", ErrInvalidArgument, c.Name)
}
