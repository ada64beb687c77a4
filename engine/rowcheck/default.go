package rowcheck

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strings"
	"time"

	"github.com/zbemu/zbemu/engine/dialect"
	"github.com/zbemu/zbemu/schema"
)

// errTimeFunction marks a time function inside a larger DEFAULT.
var errTimeFunction = errors.New("current_timestamp(), now() and current_date() must be the whole DEFAULT expression")

// Default is a compiled column DEFAULT: a constant, or the time the row is
// written (current_timestamp(), now(), current_date()).
type Default struct {
	// Expr is the expression as stored; SQL is it as a DuckDB expression.
	Expr, SQL string
	constant  any  // decoded form (as the decoders produce it); nil is NULL
	now       bool // current_timestamp() / now()
	today     bool // current_date()
}

// Value is the value to store for a row written at now, in the form the
// decoders produce for the column's type.
func (d *Default) Value(now time.Time) any {
	switch {
	case d.now:
		return now.UTC().Truncate(time.Microsecond)
	case d.today:
		y, m, dd := now.UTC().Date()
		return time.Date(y, m, dd, 0, 0, 0, 0, time.UTC)
	}
	return d.constant
}

// CompileDefault checks that text is a constant expression that fits a
// column of type t, as Databricks requires of DEFAULT, and compiles it.
func CompileDefault(t *schema.Type, text string) (*Default, error) {
	e, err := dialect.ParseExpr(text)
	if err != nil {
		return nil, fmt.Errorf("%w: DEFAULT %s: %w", ErrInvalid, text, err)
	}
	d := &Default{Expr: text}
	if call, ok := e.(*dialect.Call); ok && dialect.DefaultFunctions[call.Name] {
		switch {
		case call.Name == "CURRENT_DATE" && t.Kind == schema.Date:
			d.today, d.SQL = true, "current_date"
		case call.Name != "CURRENT_DATE" && (t.Kind == schema.Timestamp || t.Kind == schema.TimestampNTZ):
			d.now, d.SQL = true, "current_timestamp"
		default:
			return nil, fmt.Errorf("%w: DEFAULT %s does not fit a %s column", ErrInvalid, text, t)
		}
		return d, nil
	}
	c := &compiler{constant: true, refSeen: map[string]bool{}}
	n, err := c.compile(e)
	if err != nil {
		return nil, fmt.Errorf("%w: DEFAULT %s: %v", ErrInvalid, text, err)
	}
	v := n.eval(nil)
	if d.constant, err = decodedValue(t, v); err != nil {
		return nil, fmt.Errorf("%w: DEFAULT %s does not fit a %s column: %v", ErrInvalid, text, t, err)
	}
	d.SQL = "CAST(" + n.sql + " AS " + t.DuckDB() + ")"
	return d, nil
}

// decodedValue converts a constant to the decoded form of type t.
func decodedValue(t *schema.Type, v value) (any, error) {
	if v.k == vNull {
		return nil, nil
	}
	mismatch := func() error { return fmt.Errorf("the value is %s", v.kindName()) }
	switch t.Kind {
	case schema.TinyInt, schema.SmallInt, schema.Int, schema.BigInt:
		if v.k != vInt {
			return nil, mismatch()
		}
		bits := map[schema.Kind]uint{schema.TinyInt: 8, schema.SmallInt: 16, schema.Int: 32, schema.BigInt: 64}[t.Kind]
		if bits < 64 && (v.i < -(1<<(bits-1)) || v.i >= 1<<(bits-1)) {
			return nil, fmt.Errorf("%d is out of range", v.i)
		}
		switch t.Kind {
		case schema.TinyInt:
			return int8(v.i), nil
		case schema.SmallInt:
			return int16(v.i), nil
		case schema.Int:
			return int32(v.i), nil
		}
		return v.i, nil
	case schema.Float, schema.Double:
		if v.k != vInt && v.k != vFloat && v.k != vDec {
			return nil, mismatch()
		}
		f := toFloat(v)
		if t.Kind == schema.Float {
			if math.Abs(f) > math.MaxFloat32 && !math.IsInf(f, 0) {
				return nil, fmt.Errorf("%v is out of range", f)
			}
			return float32(f), nil
		}
		return f, nil
	case schema.Decimal:
		if v.k != vInt && v.k != vDec {
			return nil, mismatch()
		}
		r := new(big.Rat).Mul(toRat(v), new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(t.Scale)), nil)))
		if !r.IsInt() {
			return nil, fmt.Errorf("%s has more than %d fraction digits", toRat(v).FloatString(decimalDigits(toRat(v))), t.Scale)
		}
		u := new(big.Int).Set(r.Num())
		if len(strings.TrimPrefix(u.String(), "-")) > t.Precision {
			return nil, fmt.Errorf("%s has more than %d digits", v.String(), t.Precision)
		}
		return schema.DecimalValue{Unscaled: u, Scale: t.Scale}, nil
	case schema.String:
		if v.k != vStr {
			return nil, mismatch()
		}
		return v.s, nil
	case schema.Boolean:
		if v.k != vBool {
			return nil, mismatch()
		}
		return v.b, nil
	case schema.Date, schema.Timestamp, schema.TimestampNTZ:
		if v.k != vTime {
			return nil, mismatch()
		}
		if t.Kind == schema.Date {
			y, m, d := v.t.Date()
			return time.Date(y, m, d, 0, 0, 0, 0, time.UTC), nil
		}
		return v.t, nil
	}
	return nil, fmt.Errorf("zbemu supports DEFAULT for numbers, STRING, BOOLEAN, DATE and TIMESTAMP columns only")
}

func (v value) kindName() string {
	switch v.k {
	case vBool:
		return "a BOOLEAN"
	case vInt, vFloat, vDec:
		return "a number (" + v.String() + ")"
	case vStr:
		return "a STRING"
	case vTime:
		return "a DATE or TIMESTAMP"
	}
	return "of another type"
}
