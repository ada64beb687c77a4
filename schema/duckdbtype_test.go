package schema_test

import (
	"errors"
	"testing"

	"github.com/zbemu/zbemu/schema"
)

func TestDuckDB(t *testing.T) {
	tests := []struct{ text, want string }{
		{"TINYINT", "TINYINT"},
		{"SMALLINT", "SMALLINT"},
		{"INT", "INTEGER"},
		{"BIGINT", "BIGINT"},
		{"FLOAT", "FLOAT"},
		{"DOUBLE", "DOUBLE"},
		{"DECIMAL(10,2)", "DECIMAL(10,2)"},
		{"STRING", "VARCHAR"},
		{"BINARY", "BLOB"},
		{"BOOLEAN", "BOOLEAN"},
		{"DATE", "DATE"},
		{"TIMESTAMP", "TIMESTAMPTZ"},
		{"TIMESTAMP_NTZ", "TIMESTAMP"},
		{"VARIANT", "JSON"},
		{"ARRAY<INT>", "INTEGER[]"},
		{"ARRAY<ARRAY<STRING>>", "VARCHAR[][]"},
		{"ARRAY<STRUCT<a: INT>>", `STRUCT("a" INTEGER)[]`},
		{"MAP<STRING, INT>", "MAP(VARCHAR, INTEGER)"},
		{"STRUCT<a: INT, `b c`: STRING, `q\"`: DATE>", `STRUCT("a" INTEGER, "b c" VARCHAR, "q""" DATE)`},
		{"STRUCT<>", "JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			if got := mustParse(t, tt.text).DuckDB(); got != tt.want {
				t.Errorf("DuckDB() = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestFromDuckDB uses the spellings DuckDB 1.5 prints in DESCRIBE (checked
// against duckdb-go v2.10506.0).
func TestFromDuckDB(t *testing.T) {
	tests := []struct{ duck, want string }{
		{"TINYINT", "TINYINT"},
		{"SMALLINT", "SMALLINT"},
		{"INTEGER", "INT"},
		{"BIGINT", "BIGINT"},
		{"HUGEINT", "DECIMAL(38,0)"},
		{"UHUGEINT", "DECIMAL(38,0)"},
		{"UTINYINT", "SMALLINT"},
		{"USMALLINT", "INT"},
		{"UINTEGER", "BIGINT"},
		{"UBIGINT", "DECIMAL(20,0)"},
		{"FLOAT", "FLOAT"},
		{"DOUBLE", "DOUBLE"},
		{"DECIMAL(18,3)", "DECIMAL(18,3)"},
		{"DECIMAL(4,0)", "DECIMAL(4,0)"},
		{"DECIMAL", "DECIMAL(18,3)"},
		{"VARCHAR", "STRING"},
		{"BLOB", "BINARY"},
		{"BOOLEAN", "BOOLEAN"},
		{"DATE", "DATE"},
		{"TIMESTAMP WITH TIME ZONE", "TIMESTAMP"},
		{"TIMESTAMPTZ", "TIMESTAMP"},
		{"TIMESTAMP", "TIMESTAMP_NTZ"},
		{"TIMESTAMP_NS", "TIMESTAMP_NTZ"},
		{"JSON", "VARIANT"},
		{"UUID", "STRING"},
		{"TIME", "STRING"},
		{"TIME WITH TIME ZONE", "STRING"},
		{"INTERVAL", "STRING"},
		{"BIT", "STRING"},
		{"BIGNUM", "STRING"},
		{"ENUM('a', 'b''c')", "STRING"},
		{"UNION(n INTEGER, s VARCHAR)", "STRING"},
		{"SOMETHING_NEW", "STRING"},
		{"INTEGER[]", "ARRAY<INT>"},
		{"INTEGER[3]", "ARRAY<INT>"},
		{"VARCHAR[][]", "ARRAY<ARRAY<STRING>>"},
		{"MAP(VARCHAR, INTEGER)", "MAP<STRING, INT>"},
		{"MAP(INTEGER, STRUCT(x INTEGER))", "MAP<INT, STRUCT<x: INT>>"},
		{`STRUCT(a INTEGER, "b c" VARCHAR, "x""y" INTEGER[])`, "STRUCT<a: INT, `b c`: STRING, `x\"y`: ARRAY<INT>>"},
		{`STRUCT("select" INTEGER, Upper TIMESTAMP WITH TIME ZONE)[]`, "ARRAY<STRUCT<select: INT, Upper: TIMESTAMP>>"},
	}
	for _, tt := range tests {
		t.Run(tt.duck, func(t *testing.T) {
			typ, err := schema.FromDuckDB(tt.duck)
			if err != nil {
				t.Fatalf("FromDuckDB(%q): %v", tt.duck, err)
			}
			if got := typ.String(); got != tt.want {
				t.Errorf("FromDuckDB(%q) = %s, want %s", tt.duck, got, tt.want)
			}
		})
	}
}

func TestFromDuckDBErrors(t *testing.T) {
	for _, text := range []string{"", "STRUCT(a INTEGER", "MAP(VARCHAR)", "ENUM('a'", "INTEGER[", "VARCHAR(1", "INTEGER;"} {
		t.Run(text, func(t *testing.T) {
			if typ, err := schema.FromDuckDB(text); !errors.Is(err, schema.ErrBadTypeText) {
				t.Errorf("FromDuckDB(%q) = %v, %v; want ErrBadTypeText", text, typ, err)
			}
		})
	}
}

// TestDuckDBRoundTrip checks that every type zbemu stores comes back from
// DuckDB's spelling as itself (nullability and comments aside, which DuckDB
// types do not carry).
func TestDuckDBRoundTrip(t *testing.T) {
	for _, text := range mappingTypes {
		t.Run(text, func(t *testing.T) {
			typ := mustParse(t, text)
			if text == "STRUCT<>" {
				t.Skip("DuckDB has no empty STRUCT; stored as JSON")
			}
			back, err := schema.FromDuckDB(typ.DuckDB())
			if err != nil {
				t.Fatalf("FromDuckDB(%q): %v", typ.DuckDB(), err)
			}
			if got, want := back.CatalogString(), typ.CatalogString(); got != want {
				t.Errorf("%s → %s → %s", want, typ.DuckDB(), got)
			}
		})
	}
}

// FuzzFromDuckDB checks that no text makes FromDuckDB panic and that what it
// returns is a type zbemu can print.
func FuzzFromDuckDB(f *testing.F) {
	for _, s := range []string{"INTEGER", `STRUCT(a INTEGER, "b c" VARCHAR[])[3]`, "MAP(VARCHAR, DECIMAL(18,3))", "ENUM('a', 'b''c')", "TIMESTAMP WITH TIME ZONE"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		typ, err := schema.FromDuckDB(s)
		if err != nil {
			if !errors.Is(err, schema.ErrBadTypeText) {
				t.Fatalf("FromDuckDB(%q): error %v does not wrap ErrBadTypeText", s, err)
			}
			return
		}
		_ = typ.String()
		_ = typ.DuckDB()
	})
}
