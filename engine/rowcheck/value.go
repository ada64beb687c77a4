package rowcheck

import (
	"bytes"
	"math"
	"math/big"
	"strings"
)

// Comparison and arithmetic of evaluated values.

// compare orders two non-NULL values of one class.
func compare(a, b value) int {
	switch a.k {
	case vBool:
		switch {
		case a.b == b.b:
			return 0
		case b.b:
			return -1
		}
		return 1
	case vStr:
		return strings.Compare(a.s, b.s)
	case vTime:
		return a.t.Compare(b.t)
	case vBin:
		x, _ := a.o.([]byte)
		y, _ := b.o.([]byte)
		return bytes.Compare(x, y)
	}
	// Numbers.
	switch {
	case a.k == vInt && b.k == vInt:
		switch {
		case a.i < b.i:
			return -1
		case a.i > b.i:
			return 1
		}
		return 0
	case a.k == vFloat || b.k == vFloat:
		x, y := toFloat(a), toFloat(b)
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		case x == y:
			return 0
		}
		// NaN is larger than any other value, as in Spark and DuckDB.
		switch {
		case math.IsNaN(x) && math.IsNaN(y):
			return 0
		case math.IsNaN(x):
			return 1
		}
		return -1
	}
	return toRat(a).Cmp(toRat(b))
}

func toFloat(v value) float64 {
	switch v.k {
	case vInt:
		return float64(v.i)
	case vDec:
		f, _ := v.r.Float64()
		return f
	}
	return v.f
}

func toRat(v value) *big.Rat {
	if v.k == vInt {
		return new(big.Rat).SetInt64(v.i)
	}
	return v.r
}

// arith applies + - * / % to two numbers: integers stay integers (but /
// gives a DOUBLE, as in Spark), a DOUBLE makes a DOUBLE, DECIMALs stay
// exact; division by zero is NULL.
func arith(op string, a, b value) value {
	if a.k == vNull || b.k == vNull {
		return null
	}
	switch {
	case op == "/" || a.k == vFloat || b.k == vFloat:
		x, y := toFloat(a), toFloat(b)
		switch op {
		case "+":
			return value{k: vFloat, f: x + y}
		case "-":
			return value{k: vFloat, f: x - y}
		case "*":
			return value{k: vFloat, f: x * y}
		case "/":
			if y == 0 {
				return null
			}
			return value{k: vFloat, f: x / y}
		}
		if y == 0 {
			return null
		}
		return value{k: vFloat, f: math.Mod(x, y)}
	case a.k == vInt && b.k == vInt:
		switch op {
		case "+":
			return value{k: vInt, i: a.i + b.i}
		case "-":
			return value{k: vInt, i: a.i - b.i}
		case "*":
			return value{k: vInt, i: a.i * b.i}
		}
		if b.i == 0 {
			return null
		}
		return value{k: vInt, i: a.i % b.i}
	}
	x, y := toRat(a), toRat(b)
	r := new(big.Rat)
	switch op {
	case "+":
		r.Add(x, y)
	case "-":
		r.Sub(x, y)
	case "*":
		r.Mul(x, y)
	default:
		if y.Sign() == 0 {
			return null
		}
		// x % y = x - y * trunc(x / y)
		q := new(big.Rat).Quo(x, y)
		t := new(big.Int).Quo(q.Num(), q.Denom())
		r.Sub(x, new(big.Rat).Mul(y, new(big.Rat).SetInt(t)))
	}
	return value{k: vDec, r: r}
}
