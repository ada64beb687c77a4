package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/zbemu/zbemu/engine/dialect"
	"github.com/zbemu/zbemu/engine/rowcheck"
	"github.com/zbemu/zbemu/schema"
)

// Delta CHECK constraints (https://docs.databricks.com/aws/en/tables/constraints).
// A constraint lives where Delta keeps it, in the table property
// delta.constraints.<name> = condition, so DESCRIBE TABLE EXTENDED, the
// Unity Catalog API and SHOW TBLPROPERTIES show it. It is compiled with
// the table version (tableVersion.checks, package rowcheck) and enforced
// on Zerobus ingest before the ack — a violating record is refused with
// its request, never acknowledged — and on SQL INSERT, UPDATE and MERGE,
// which run in a transaction that is rolled back if a row of the target
// then fails a constraint. As in Delta, a row passes only when the
// condition is TRUE (NULL fails; see package rowcheck).

// PropConstraintPrefix is the table property prefix of CHECK constraints.
const PropConstraintPrefix = "delta.constraints."

// MaxConstraints bounds the CHECK constraints of one table: each is
// evaluated for every ingested record.
const MaxConstraints = 100

// constraintsOf returns a table's CHECK constraints, name → condition.
func constraintsOf(m *tableMeta) map[string]string {
	var out map[string]string
	for k, v := range m.Properties {
		if name, ok := cutPrefixFold(k, PropConstraintPrefix); ok {
			if out == nil {
				out = map[string]string{}
			}
			out[name] = v
		}
	}
	return out
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) > len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return "", false
}

// compileRules compiles the version's CHECK constraints and DEFAULTs.
func (v *tableVersion) compileRules() error {
	if cs := constraintsOf(v.meta); len(cs) > 0 {
		checks, err := rowcheck.CompileAll(v.cols, cs, rowcheck.Options{})
		if err != nil {
			return err
		}
		v.checks = checks
	}
	for i, c := range v.meta.Columns {
		if c.Default == "" {
			continue
		}
		d, err := rowcheck.CompileDefault(v.cols[i].Type, c.Default)
		if err != nil {
			return fmt.Errorf("column %s: %w", c.Name, err)
		}
		if !c.Nullable && d.Value(time.Now()) == nil {
			return fmt.Errorf("column %s is NOT NULL, so its DEFAULT cannot be NULL", c.Name)
		}
		v.defaults = append(v.defaults, columnDefault{col: i, name: c.Name, def: d, notNull: !c.Nullable, typ: v.cols[i].Type.String()})
	}
	return nil
}

// reservedProperties refuses to set or unset constraints as properties:
// they change only through ADD and DROP CONSTRAINT, which check the rows.
func reservedProperties(props map[string]string, unset []string) error {
	keys := append([]string(nil), unset...)
	for k := range props {
		keys = append(keys, k)
	}
	for _, k := range keys {
		if _, ok := cutPrefixFold(k, PropConstraintPrefix); ok {
			return fmt.Errorf("%w: table property %s is a CHECK constraint; change it with ALTER TABLE ... ADD CONSTRAINT name CHECK (...) or DROP CONSTRAINT name", ErrInvalidArgument, k)
		}
	}
	return nil
}

// createRules checks the constraints and DEFAULTs of a table to create and
// returns its properties with the constraints in them.
func createRules(spec TableSpec, cols []storedColumn) (map[string]string, error) {
	if err := reservedProperties(spec.Properties, nil); err != nil {
		return nil, err
	}
	props := copyProps(spec.Properties)
	for _, c := range cols {
		if c.Default != "" {
			if err := defaultsAllowed(props, "CREATE TABLE", spec.Catalog+"."+spec.Schema+"."+spec.Name); err != nil {
				return nil, err
			}
		}
	}
	if len(spec.Constraints) > MaxConstraints {
		return nil, fmt.Errorf("%w: a table may have at most %d CHECK constraints", ErrInvalidArgument, MaxConstraints)
	}
	for _, c := range spec.Constraints {
		if props == nil {
			props = map[string]string{}
		}
		key := PropConstraintPrefix + strings.ToLower(c.Name)
		if _, dup := props[key]; dup {
			return nil, fmt.Errorf("%w: [DELTA_CONSTRAINT_ALREADY_EXISTS] Constraint '%s' is defined more than once", ErrAlreadyExists, strings.ToLower(c.Name))
		}
		props[key] = c.Check
	}
	return props, nil
}

// AddConstraint adds a CHECK constraint (ALTER TABLE ... ADD CONSTRAINT).
// The condition must compile against the table and every row already in
// it must pass. From the moment the rows are checked the constraint is
// enforced on ingest, so no record acknowledged later escapes it; if a
// row fails, the constraint is withdrawn and nothing changes.
func (e *Engine) AddConstraint(ctx context.Context, full, name, expr, statement string) (TableInfo, error) {
	name = strings.ToLower(name)
	change := func(m *tableMeta) ([]string, map[string]any, error) {
		cs := constraintsOf(m)
		if old, ok := cs[name]; ok {
			return nil, nil, fmt.Errorf("%w: [DELTA_CONSTRAINT_ALREADY_EXISTS] Constraint '%s' already exists. Please delete the old constraint first.\nOld constraint:\n%s",
				ErrAlreadyExists, name, old)
		}
		if len(cs) >= MaxConstraints {
			return nil, nil, fmt.Errorf("%w: table %s already has %d CHECK constraints, the most zbemu allows (each is evaluated for every ingested record)", ErrInvalidArgument, full, MaxConstraints)
		}
		if m.Properties == nil {
			m.Properties = map[string]string{}
		}
		m.Properties[PropConstraintPrefix+name] = expr
		return nil, map[string]any{"name": name, "expr": expr}, nil
	}
	verify := func(ctx context.Context, nv *tableVersion) error {
		if err := e.syncAll(ctx); err != nil {
			return err
		}
		c := nv.check(name)
		var n int64
		q := fmt.Sprintf("SELECT count(*) FROM %s WHERE (%s) IS NOT TRUE", duckTable(nv.meta), c.SQL)
		if err := e.db.QueryRowContext(ctx, q).Scan(&n); err != nil {
			e.log.Error("check the rows for a new CHECK constraint", "table", full, "constraint", name, "err", err)
			return fmt.Errorf("check the rows of %s against constraint %s: %w", full, name, err)
		}
		if n > 0 {
			return withSQLState(fmt.Errorf("%w: [DELTA_NEW_CHECK_CONSTRAINT_VIOLATION] %d rows in %s violate the new CHECK constraint (%s)", ErrInvalidArgument, n, full, expr), nil, "23512")
		}
		return nil
	}
	return e.alterTableVerified(ctx, full, "ADD CONSTRAINT", statement, change, verify)
}

// DropConstraint removes a CHECK constraint (ALTER TABLE ... DROP CONSTRAINT).
func (e *Engine) DropConstraint(ctx context.Context, full, name string, ifExists bool, statement string) (TableInfo, error) {
	name = strings.ToLower(name)
	return e.alterTable(ctx, full, "DROP CONSTRAINT", statement, func(m *tableMeta) ([]string, map[string]any, error) {
		expr, ok := constraintsOf(m)[name]
		if !ok {
			if ifExists {
				return nil, nil, errNoChange
			}
			return nil, nil, fmt.Errorf("%w: [DELTA_CONSTRAINT_DOES_NOT_EXIST] Cannot drop nonexistent constraint %s from table %s. To avoid throwing an error, provide the parameter IF EXISTS",
				ErrInvalidArgument, name, full)
		}
		for k := range m.Properties {
			if n, ok := cutPrefixFold(k, PropConstraintPrefix); ok && n == name {
				delete(m.Properties, k)
			}
		}
		return nil, map[string]any{"name": name, "expr": expr}, nil
	})
}

// ReasonConstraint is the reason of a record refused by a CHECK
// constraint in system.zbemu.rejected_records.
const ReasonConstraint = "CHECK constraint violated"

// describeViolation fills the column, reason and hint of a record refused
// by a CHECK constraint.
func describeViolation(err error, ev *RejectedRecord) {
	var v *rowcheck.Violation
	if errors.As(err, &v) {
		ev.Column, ev.Reason = strings.Join(v.Columns, ", "), ReasonConstraint
		ev.Hint = "constraint " + v.Name + ": " + v.Expr
	}
}

// check returns the compiled constraint called name (lower case).
func (v *tableVersion) check(name string) *rowcheck.Check {
	for _, c := range v.checks {
		if strings.EqualFold(c.Name, name) {
			return c
		}
	}
	return nil
}

// ruleDecoder decodes a record, fills in the DEFAULTs of the columns it
// omits and refuses it if it fails a CHECK constraint. Tables without
// either decode with the plain decoder, at no cost.
type ruleDecoder struct {
	dec      rowDecoder
	checks   rowcheck.Set
	defaults []columnDefault
	json     bool
}

func (d *ruleDecoder) Decode(rec []byte, row []any) error { return d.DecodeWarn(rec, row, nil) }

// DecodeWarn is Decode that collects implausible timestamps in *warn.
func (d *ruleDecoder) DecodeWarn(rec []byte, row []any, warn *[]schema.TimeWarning) error {
	if err := d.dec.DecodeWarn(rec, row, warn); err != nil {
		return err
	}
	applyDefaults(d.defaults, d.json, rec, row)
	if err := nullDefaulted(d.defaults, row); err != nil {
		clear(row)
		return err
	}
	if err := d.checks.Check(row); err != nil {
		clear(row)
		return err
	}
	return nil
}

// rules returns the decoder that applies the table's rules to records the
// stream decodes with tv and dec. The CHECK constraints are the table's
// current ones, also for a stream that opened before they were added:
// they are compiled against the stream's columns once per table version
// (columns added since read as NULL). DEFAULTs are the stream's version's.
func (s *Stream) rules(tv *tableVersion, dec rowDecoder) (rowDecoder, error) {
	cur := s.table.cur.Load()
	if cur.meta.Layout != tv.meta.Layout {
		return nil, fmt.Errorf("%w: table %s changed since this stream opened: a column was dropped or renamed (table version %d, see DESCRIBE HISTORY); "+
			"open a new stream to send records with the table's current columns", ErrInvalidArgument, tv.meta.fullName(), cur.meta.Version)
	}
	if len(cur.checks) == 0 && len(tv.defaults) == 0 {
		return dec, nil
	}
	if s.rulesTV == tv && s.rulesCur == cur && s.rulesDec != nil && s.rulesDec.dec == dec {
		return s.rulesDec, nil
	}
	checks := cur.checks
	if cur != tv {
		var err error
		checks, err = rowcheck.CompileAll(tv.cols, constraintsOf(cur.meta), rowcheck.Options{MissingAsNull: true})
		if err != nil {
			return nil, fmt.Errorf("%w: table %s changed since this stream opened, and its CHECK constraints no longer apply to the stream's schema (%v); open a new stream",
				ErrInvalidArgument, tv.meta.fullName(), err)
		}
	}
	s.rulesTV, s.rulesCur = tv, cur
	s.rulesDec = &ruleDecoder{dec: dec, checks: checks, defaults: tv.defaults, json: s.format == FormatJSON}
	return s.rulesDec, nil
}

// firstViolation looks for a row of v's table that fails a constraint.
func (e *Engine) firstViolation(ctx context.Context, conn execQuerier, v *tableVersion) error {
	for _, c := range v.checks {
		refs := c.RefsSQL()
		sel := strings.Join(refs, ", ")
		if sel == "" {
			sel = "1"
		}
		rows, err := conn.QueryContext(ctx, fmt.Sprintf("SELECT %s FROM %s WHERE (%s) IS NOT TRUE LIMIT 1", sel, duckTable(v.meta), c.SQL))
		if err != nil {
			return sqlError(err)
		}
		vals := make([]any, max(len(refs), 1))
		ptrs := make([]any, len(vals))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		found := rows.Next()
		if found {
			err = rows.Scan(ptrs...)
		}
		if cerr := rows.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return sqlError(err)
		}
		if found {
			viol := c.Violation(nil)
			for i := range viol.Values {
				viol.Values[i] = formatSQLValue(vals[i])
			}
			return withSQLState(fmt.Errorf("%w: %s", ErrSQL, viol), nil, "23001")
		}
	}
	return nil
}

func formatSQLValue(v any) string {
	if v == nil {
		return "null"
	}
	return fmt.Sprint(v)
}

// checkSpecs converts the CHECK constraints of CREATE TABLE.
func checkSpecs(cs []dialect.CheckConstraint) []ConstraintSpec {
	var out []ConstraintSpec
	for _, c := range cs {
		out = append(out, ConstraintSpec{Name: c.Name, Check: c.Check})
	}
	return out
}
