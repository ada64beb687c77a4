// Package rowcheck compiles Delta CHECK constraints into evaluators over
// the rows zbemu's decoders produce, and into the DuckDB SQL that checks
// the same condition on stored rows.
//
// A constraint is compiled once per table version, against the version's
// columns: column references become slot (and STRUCT field) indexes, the
// expression is type-checked, and what is left per record is a tree of
// closures over the decoded values, with no allocation for the common
// comparisons. The same AST renders to DuckDB SQL, so a constraint means
// the same on Zerobus ingest (this evaluator) and on SQL DML (DuckDB).
//
// Semantics follow Delta, not standard SQL: a row passes only when the
// condition is TRUE; FALSE and NULL are violations. Delta's writer checks
// `result == null || result == false`
// (https://github.com/delta-io/delta/blob/master/spark/src/main/scala/org/apache/spark/sql/delta/constraints/CheckDeltaInvariant.scala),
// and ALTER TABLE ADD CONSTRAINT counts the existing rows for which the
// condition is not TRUE. Inside the expression, NULL propagates with SQL's
// three-valued logic (NULL AND FALSE is FALSE, NULL OR TRUE is TRUE), and
// x / 0 and x % 0 are NULL (DuckDB's answer; the SQL check renders them
// with NULLIF so that both sides agree).
//
// Invariants: the package is pure (no I/O, no global mutable state); a
// compiled Check is safe for concurrent use.
package rowcheck

import (
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/zbemu/zbemu/engine/dialect"
	"github.com/zbemu/zbemu/schema"
)

// ErrInvalid is wrapped by every compile error: the expression does not
// fit the table (unknown column, type mismatch, not a BOOLEAN).
var ErrInvalid = errors.New("invalid constraint")

// Check is one compiled CHECK constraint.
type Check struct {
	// Name and Expr are the constraint's name and condition as stored.
	Name, Expr string
	// SQL is the condition as a DuckDB expression over the table's columns
	// (TRUE when a row passes).
	SQL  string
	eval evalFn
	refs []ref
}

// ref is a column (or STRUCT field) the condition reads, for the error.
type ref struct {
	name string
	sql  string
	eval evalFn
}

// RefsSQL lists the DuckDB expressions of the columns the condition reads,
// in the order Violation names them.
func (c *Check) RefsSQL() []string {
	out := make([]string, len(c.refs))
	for i, r := range c.refs {
		out[i] = r.sql
	}
	return out
}

// Options change what Compile accepts.
type Options struct {
	// MissingAsNull makes a column the table does not have read as NULL
	// instead of failing: records decoded with an older table version
	// than the constraint's lack the columns added since.
	MissingAsNull bool
}

// Compile parses and compiles the condition text of constraint name
// against cols.
func Compile(cols []schema.Column, name, text string, opts Options) (*Check, error) {
	e, err := dialect.ParseExpr(text)
	if err != nil {
		return nil, fmt.Errorf("%w: CHECK constraint %s: %w", ErrInvalid, name, err)
	}
	c := &compiler{cols: cols, opts: opts, refSeen: map[string]bool{}}
	n, err := c.compile(e)
	if err != nil {
		return nil, fmt.Errorf("%w: CHECK constraint %s (%s): %v", ErrInvalid, name, text, err)
	}
	if n.cls != cBool && n.cls != cNull {
		return nil, fmt.Errorf("%w: CHECK constraint %s (%s) must be a BOOLEAN condition, but it is %s", ErrInvalid, name, text, n.cls)
	}
	return &Check{Name: name, Expr: text, SQL: n.sql, eval: n.eval, refs: c.refs}, nil
}

// Passes reports whether row (one slot per column, as the decoders fill
// it) satisfies the constraint: its condition is TRUE.
func (c *Check) Passes(row []any) bool {
	v := c.eval(row)
	return v.k == vBool && v.b
}

// Violation is the error of a row that fails a CHECK constraint; its text
// is Databricks' DELTA_VIOLATE_CONSTRAINT_WITH_VALUES.
type Violation struct {
	Name, Expr string
	// Columns and Values are the columns the condition reads and the row's
	// values of them, formatted as text ("null" for NULL).
	Columns, Values []string
}

func (v *Violation) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "[DELTA_VIOLATE_CONSTRAINT_WITH_VALUES] CHECK constraint %s (%s) violated by row with values:", v.Name, v.Expr)
	for i, c := range v.Columns {
		fmt.Fprintf(&b, "\n - %s : %s", c, v.Values[i])
	}
	return b.String()
}

// Violation describes how row fails the constraint.
func (c *Check) Violation(row []any) *Violation {
	v := &Violation{Name: c.Name, Expr: c.Expr}
	for _, r := range c.refs {
		v.Columns = append(v.Columns, r.name)
		v.Values = append(v.Values, r.eval(row).String())
	}
	return v
}

// Set is the compiled constraints of a table version.
type Set []*Check

// CompileAll compiles constraints (name → condition), in name order.
func CompileAll(cols []schema.Column, constraints map[string]string, opts Options) (Set, error) {
	names := make([]string, 0, len(constraints))
	for n := range constraints {
		names = append(names, n)
	}
	slices.Sort(names)
	var s Set
	for _, n := range names {
		c, err := Compile(cols, n, constraints[n], opts)
		if err != nil {
			return nil, err
		}
		s = append(s, c)
	}
	return s, nil
}

// Check returns the violation of the first constraint row fails, or nil.
func (s Set) Check(row []any) error {
	for _, c := range s {
		if !c.Passes(row) {
			return c.Violation(row)
		}
	}
	return nil
}

// class is the static type of an expression.
type class uint8

const (
	cNull class = iota
	cBool
	cNum
	cStr
	cTime
	cBin
	cOther // ARRAY, MAP, STRUCT, VARIANT: only IS [NOT] NULL
)

func (c class) String() string {
	return [...]string{"NULL", "a BOOLEAN", "a number", "a STRING", "a DATE or TIMESTAMP", "a BINARY", "an ARRAY, MAP, STRUCT or VARIANT"}[c]
}

// kind is the dynamic type of a value.
type kind uint8

const (
	vNull kind = iota
	vBool
	vInt
	vFloat
	vDec
	vStr
	vTime
	vBin
	vOther
)

// value is one evaluated value; passed by value, so that evaluating
// allocates nothing for scalars.
type value struct {
	k kind
	b bool
	i int64
	f float64
	r *big.Rat
	s string
	t time.Time
	o any
}

var null = value{}

func boolValue(b bool) value { return value{k: vBool, b: b} }

func (v value) String() string {
	switch v.k {
	case vNull:
		return "null"
	case vBool:
		if v.b {
			return "true"
		}
		return "false"
	case vInt:
		return fmt.Sprint(v.i)
	case vFloat:
		return fmt.Sprint(v.f)
	case vDec:
		return v.r.FloatString(decimalDigits(v.r))
	case vStr:
		return v.s
	case vTime:
		if v.t.Hour() == 0 && v.t.Minute() == 0 && v.t.Second() == 0 && v.t.Nanosecond() == 0 {
			return v.t.Format("2006-01-02")
		}
		return v.t.Format("2006-01-02 15:04:05.999999")
	case vBin:
		return fmt.Sprintf("%X", v.o)
	}
	return fmt.Sprint(v.o)
}

// decimalDigits is how many fraction digits show r exactly: the larger
// power of 2 or 5 in its denominator (at most 38, DECIMAL's precision).
func decimalDigits(r *big.Rat) int {
	d := new(big.Int).Set(r.Denom())
	count := func(p int64) int {
		n, q, m := 0, big.NewInt(p), new(big.Int)
		for n < 38 {
			if _, m = new(big.Int).QuoRem(d, q, m); m.Sign() != 0 {
				return n
			}
			d.Quo(d, q)
			n++
		}
		return n
	}
	return max(count(2), count(5))
}

type evalFn func(row []any) value
