package rowcheck_test

import (
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/zbemu/zbemu/engine/rowcheck"
	"github.com/zbemu/zbemu/schema"
)

func columns(t *testing.T) []schema.Column {
	t.Helper()
	var cols []schema.Column
	for _, c := range []struct{ name, typ string }{
		{"id", "INT"}, {"temp", "DOUBLE"}, {"status", "STRING"}, {"amount", "DECIMAL(10,2)"},
		{"ts", "TIMESTAMP"}, {"loc", "STRUCT<lat: DOUBLE, name: STRING>"}, {"tags", "ARRAY<STRING>"}, {"ok", "BOOLEAN"},
	} {
		typ, err := schema.Parse(c.typ)
		if err != nil {
			t.Fatal(err)
		}
		cols = append(cols, schema.Column{Name: c.name, Type: typ, Nullable: true})
	}
	return cols
}

func TestCheck(t *testing.T) {
	cols := columns(t)
	row := func(vals ...any) []any { r := make([]any, len(cols)); copy(r, vals); return r }
	ts := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	full := row(int32(7), 21.5, "dev-1", schema.DecimalValue{Unscaled: big.NewInt(1250), Scale: 2}, ts,
		schema.StructValue{45.0, "Paris"}, []any{"a"}, true)
	for _, tc := range []struct {
		expr string
		row  []any
		pass bool
	}{
		{"temp BETWEEN -50 AND 150", full, true},
		{"temp NOT BETWEEN -50 AND 150", full, false},
		{"temp > 100", row(int32(1), 200.0), true},
		{"temp > 100", full, false},
		{"temp > 100", row(), false}, // NULL fails, as in Delta
		{"temp IS NULL OR temp > 100", row(), true},
		{"id > 0 AND status LIKE 'dev-%'", full, true},
		{"status LIKE 'dev\\_%'", full, false},
		{"status IN ('a', 'dev-1')", full, true},
		{"status NOT IN ('a', NULL)", full, false}, // NULL in the list: NULL
		{"length(status) <= 5 AND upper(status) = 'DEV-1' AND lower('X') || status = 'xdev-1'", full, true},
		{"amount >= 12.5 AND amount < 13 AND amount * 2 = 25", full, true},
		{"amount % 5 = 2.5", full, true},
		{"id / 2 = 3.5 AND id % 4 = 3 AND -id = -7 AND abs(-id) = 7", full, true},
		{"id / 0 IS NULL", full, true},
		{"ts >= TIMESTAMP '2024-05-01 12:00:00' AND ts < DATE '2024-05-02'", full, true},
		{"loc.lat BETWEEN -90 AND 90 AND `loc`.NAME = 'Paris'", full, true},
		{"CASE WHEN loc.lat IS NULL THEN true ELSE loc.lat < 0 END", full, false},
		{"CASE WHEN loc.lat IS NULL THEN true ELSE loc.lat < 0 END", row(int32(1)), true},
		{"CASE status WHEN 'dev-1' THEN 1 ELSE 2 END = 1", full, true},
		{"coalesce(temp, 0) = 0", row(), true},
		{"tags IS NOT NULL AND ok", full, true},
		{"NOT ok OR id <=> 7", full, true},
		{"NULL", full, false},
		{"id > 0 OR temp > 0", row(nil, 1.0), true}, // NULL OR TRUE
		{"id > 0 AND temp > 0", row(nil, -1.0), false},
	} {
		c, err := rowcheck.Compile(cols, "c", tc.expr, rowcheck.Options{})
		if err != nil {
			t.Fatalf("Compile(%q): %v", tc.expr, err)
		}
		if got := c.Passes(tc.row); got != tc.pass {
			t.Errorf("%q on %v: passes = %v, want %v", tc.expr, tc.row, got, tc.pass)
		}
	}
}

func TestCheckErrors(t *testing.T) {
	cols := columns(t)
	for _, tc := range []struct{ expr, want string }{
		{"nope > 1", "column nope does not exist"},
		{"status > 1", "compares a STRING"},
		{"temp + 1", "must be a BOOLEAN"},
		{"tags = tags", "only IS [NOT] NULL"},
		{"loc.nope = 1", "has no field nope"},
		{"id.x = 1", "not a STRUCT"},
		{"current_timestamp() > ts", "not deterministic"},
		{"read_csv('x') IS NULL", "unsupported function"},
		{"ts > TIMESTAMP 'yesterday'", "not a valid literal"},
		{"status LIKE r'a\\'", "ends with the escape"},
	} {
		_, err := rowcheck.Compile(cols, "c", tc.expr, rowcheck.Options{})
		if err == nil || !errors.Is(err, rowcheck.ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Compile(%q) = %v, want ErrInvalid containing %q", tc.expr, err, tc.want)
		}
	}
	if _, err := rowcheck.Compile(cols, "c", "gone > 1", rowcheck.Options{MissingAsNull: true}); err != nil {
		t.Errorf("MissingAsNull: %v", err)
	}
}

func TestViolation(t *testing.T) {
	cols := columns(t)
	s, err := rowcheck.CompileAll(cols, map[string]string{"b_range": "temp < 100 AND loc.lat > 0", "a_ok": "id > 0"}, rowcheck.Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Check([]any{int32(1), 150.5, nil, nil, nil, schema.StructValue{-3.0, nil}})
	want := "[DELTA_VIOLATE_CONSTRAINT_WITH_VALUES] CHECK constraint b_range (temp < 100 AND loc.lat > 0) violated by row with values:\n - temp : 150.5\n - loc.lat : -3"
	if err == nil || err.Error() != want {
		t.Errorf("Check = %v, want %s", err, want)
	}
	if err := s.Check([]any{int32(1), 1.0, nil, nil, nil, schema.StructValue{3.0, nil}}); err != nil {
		t.Errorf("Check of a good row = %v", err)
	}
}

func TestDefault(t *testing.T) {
	now := time.Date(2024, 5, 1, 12, 30, 0, 0, time.UTC)
	for _, tc := range []struct {
		typ, expr string
		want      any
		err       string
	}{
		{"BOOLEAN", "false", false, ""},
		{"INT", "40 + 2", int32(42), ""},
		{"TINYINT", "300", nil, "out of range"},
		{"DOUBLE", "1.5", 1.5, ""},
		{"DECIMAL(5,2)", "12.3", schema.DecimalValue{Unscaled: big.NewInt(1230), Scale: 2}, ""},
		{"DECIMAL(5,2)", "1.234", nil, "fraction digits"},
		{"STRING", "'in' || 'fo'", "info", ""},
		{"STRING", "1", nil, "the value is a number"},
		{"TIMESTAMP", "current_timestamp()", now, ""},
		{"DATE", "current_date()", time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC), ""},
		{"DATE", "current_timestamp()", nil, "does not fit"},
		{"INT", "id + 1", nil, "constant expression"},
		{"ARRAY<INT>", "NULL", nil, ""},
		{"ARRAY<INT>", "1", nil, "supports DEFAULT for"},
	} {
		typ, err := schema.Parse(tc.typ)
		if err != nil {
			t.Fatal(err)
		}
		d, err := rowcheck.CompileDefault(typ, tc.expr)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("CompileDefault(%s, %q) = %v, want error containing %q", tc.typ, tc.expr, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("CompileDefault(%s, %q): %v", tc.typ, tc.expr, err)
		}
		got := d.Value(now)
		if dv, ok := got.(schema.DecimalValue); ok {
			if dv.String() != tc.want.(schema.DecimalValue).String() {
				t.Errorf("%q = %v, want %v", tc.expr, dv, tc.want)
			}
			continue
		}
		if got != tc.want {
			t.Errorf("CompileDefault(%s, %q).Value = %#v, want %#v", tc.typ, tc.expr, got, tc.want)
		}
	}
}
