package schema_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/zbemu/zbemu/schema"
)

func TestParseCanonical(t *testing.T) {
	tests := []struct {
		name, text, want string
	}{
		{"tinyint", "TINYINT", "TINYINT"},
		{"byte lower", "byte", "TINYINT"},
		{"smallint", "SmallInt", "SMALLINT"},
		{"short", "short", "SMALLINT"},
		{"int", "int", "INT"},
		{"integer", "INTEGER", "INT"},
		{"bigint", "bigint", "BIGINT"},
		{"long", "LONG", "BIGINT"},
		{"float", "FLOAT", "FLOAT"},
		{"real", "real", "FLOAT"},
		{"double", "double", "DOUBLE"},
		{"decimal default", "DECIMAL", "DECIMAL(10,0)"},
		{"dec precision only", "dec(5)", "DECIMAL(5,0)"},
		{"numeric spaced", "NUMERIC ( 38 , 38 )", "DECIMAL(38,38)"},
		{"decimal(10,2)", "decimal(10,2)", "DECIMAL(10,2)"},
		{"string", "string", "STRING"},
		{"varchar", "VARCHAR(255)", "STRING"},
		{"collation", "STRUCT<a STRING COLLATE UTF8_LCASE NOT NULL, b VARCHAR(3) collate `UNICODE_CI`>", "STRUCT<a: STRING NOT NULL, b: STRING>"},
		{"char", "char(1)", "STRING"},
		{"binary", "BINARY", "BINARY"},
		{"boolean", "boolean", "BOOLEAN"},
		{"date", "date", "DATE"},
		{"timestamp", "timestamp", "TIMESTAMP"},
		{"timestamp_ltz", "TIMESTAMP_LTZ", "TIMESTAMP"},
		{"timestamp_ntz", "timestamp_ntz", "TIMESTAMP_NTZ"},
		{"variant", "Variant", "VARIANT"},
		{"array", "array<string>", "ARRAY<STRING>"},
		{"array spaced", " ARRAY < INT > ", "ARRAY<INT>"},
		{"nested array", "array<array<bigint>>", "ARRAY<ARRAY<BIGINT>>"},
		{"map", "map<string,int>", "MAP<STRING, INT>"},
		{"map of struct", "MAP<INT, STRUCT<a: DOUBLE>>", "MAP<INT, STRUCT<a: DOUBLE>>"},
		{"struct colon", "struct<a:int,b:string>", "STRUCT<a: INT, b: STRING>"},
		{"struct no colon", "STRUCT<a INT, b STRING>", "STRUCT<a: INT, b: STRING>"},
		{"struct empty", "STRUCT<>", "STRUCT<>"},
		{"struct empty spaced", "struct< >", "STRUCT<>"},
		{"struct options", "STRUCT<a: INT NOT NULL COMMENT 'x', b: STRING>", "STRUCT<a: INT NOT NULL COMMENT 'x', b: STRING>"},
		{"struct options reversed", "struct<a int comment \"x\" not null>", "STRUCT<a: INT NOT NULL COMMENT 'x'>"},
		{"struct quoted names", "STRUCT<`b c`: STRING, `x``y`: INT, `1a`: INT, `ok`: INT>", "STRUCT<`b c`: STRING, `x``y`: INT, `1a`: INT, ok: INT>"},
		{"struct keyword names", "STRUCT<not: INT, comment: INT, struct STRING>", "STRUCT<not: INT, comment: INT, struct: STRING>"},
		{"struct nested", "STRUCT<a: STRUCT<b: ARRAY<MAP<STRING, STRUCT<c: DATE>>>>>", "STRUCT<a: STRUCT<b: ARRAY<MAP<STRING, STRUCT<c: DATE>>>>>"},
		{"comment escapes", `STRUCT<a: INT COMMENT 'it\'s a \\ path\n'>`, `STRUCT<a: INT COMMENT 'it\'s a \\ path\n'>`},
		{"multiline", "STRUCT<\n\ta: INT,\n\tb: STRING\n>", "STRUCT<a: INT, b: STRING>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			typ, err := schema.Parse(tt.text)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.text, err)
			}
			if got := typ.String(); got != tt.want {
				t.Errorf("Parse(%q).String() = %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}

func TestParseStructure(t *testing.T) {
	tests := []struct {
		name string
		text string
		want *schema.Type
	}{
		{"decimal", "DECIMAL(12,3)", &schema.Type{Kind: schema.Decimal, Precision: 12, Scale: 3}},
		{"array nullable elements", "ARRAY<INT>", &schema.Type{Kind: schema.Array, Elem: &schema.Type{Kind: schema.Int}, ElemNullable: true}},
		{"map nullable values", "MAP<STRING, BOOLEAN>", &schema.Type{
			Kind: schema.Map, Key: &schema.Type{Kind: schema.String}, Value: &schema.Type{Kind: schema.Boolean}, ValueNullable: true,
		}},
		{"struct fields", "STRUCT<a: INT, `b c`: STRING NOT NULL COMMENT 'x', d ARRAY<INT>>", &schema.Type{Kind: schema.Struct, Fields: []schema.Field{
			{Name: "a", Type: &schema.Type{Kind: schema.Int}, Nullable: true},
			{Name: "b c", Type: &schema.Type{Kind: schema.String}, Nullable: false, Comment: "x"},
			{Name: "d", Type: &schema.Type{Kind: schema.Array, Elem: &schema.Type{Kind: schema.Int}, ElemNullable: true}, Nullable: true},
		}}},
		{"empty struct", "STRUCT<>", &schema.Type{Kind: schema.Struct, Fields: []schema.Field{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := schema.Parse(tt.text)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.text, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse(%q) = %#v, want %#v", tt.text, got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		wantErr error
		wantPos int
		wantMsg string
	}{
		{"unclosed array", "ARRAY<INT", schema.ErrBadTypeText, 9,
			`type text "ARRAY<INT": expected ">" at position 9, found end of text`},
		{"empty", "", schema.ErrBadTypeText, 0,
			`type text "": expected a type name at position 0, found end of text`},
		{"unknown type", "INT32", schema.ErrBadTypeText, 0,
			`type text "INT32": unknown type "INT32" at position 0`},
		{"trailing", "INT INT", schema.ErrBadTypeText, 4,
			`type text "INT INT": expected end of text at position 4, found "INT"`},
		{"decimal precision 0", "DECIMAL(0)", schema.ErrBadTypeText, 8,
			`type text "DECIMAL(0)": DECIMAL precision 0 at position 8 is out of range 1..38`},
		{"decimal precision 39", "DECIMAL(39,0)", schema.ErrBadTypeText, 8,
			`type text "DECIMAL(39,0)": DECIMAL precision 39 at position 8 is out of range 1..38`},
		{"decimal scale > precision", "DECIMAL(5,6)", schema.ErrBadTypeText, 10,
			`type text "DECIMAL(5,6)": DECIMAL scale 6 at position 10 is larger than the precision 5`},
		{"decimal negative", "DECIMAL(-1)", schema.ErrBadTypeText, 8,
			`type text "DECIMAL(-1)": unexpected character '-' at position 8`},
		{"decimal word", "DECIMAL(p)", schema.ErrBadTypeText, 8,
			`type text "DECIMAL(p)": expected DECIMAL precision at position 8, found "p"`},
		{"decimal huge", "DECIMAL(99999999999999999999)", schema.ErrBadTypeText, 8,
			`type text "DECIMAL(99999999999999999999)": DECIMAL precision 99999999999999999999 at position 8 is too large`},
		{"varchar without length", "VARCHAR", schema.ErrBadTypeText, 7,
			`type text "VARCHAR": expected "(" at position 7, found end of text`},
		{"varchar zero", "VARCHAR(0)", schema.ErrBadTypeText, 8,
			`type text "VARCHAR(0)": VARCHAR length at position 8 must be at least 1, got 0`},
		{"collate without name", "STRING COLLATE", schema.ErrBadTypeText, 14,
			`type text "STRING COLLATE": expected a collation name at position 14, found end of text`},
		{"map one arg", "MAP<STRING>", schema.ErrBadTypeText, 10,
			`type text "MAP<STRING>": expected "," at position 10, found ">"`},
		{"struct unclosed", "STRUCT<a INT", schema.ErrBadTypeText, 12,
			`type text "STRUCT<a INT": expected "," or ">" at position 12, found end of text`},
		{"struct missing type", "STRUCT<a>", schema.ErrBadTypeText, 8,
			`type text "STRUCT<a>": expected a type name at position 8, found ">"`},
		{"struct trailing comma", "STRUCT<a INT,>", schema.ErrBadTypeText, 13,
			`type text "STRUCT<a INT,>": expected a field name at position 13, found ">"`},
		{"struct duplicate", "STRUCT<a INT, A STRING>", schema.ErrBadTypeText, 14,
			`type text "STRUCT<a INT, A STRING>": duplicate STRUCT field name "A" at position 14`},
		{"struct empty name", "STRUCT<``: INT>", schema.ErrBadTypeText, 7,
			"type text \"STRUCT<``: INT>\": empty field name at position 7"},
		{"struct not without null", "STRUCT<a INT NOT>", schema.ErrBadTypeText, 16,
			`type text "STRUCT<a INT NOT>": expected "NULL" at position 16, found ">"`},
		{"struct comment unquoted", "STRUCT<a INT COMMENT x>", schema.ErrBadTypeText, 21,
			`type text "STRUCT<a INT COMMENT x>": expected a quoted comment at position 21, found "x"`},
		{"unterminated backtick", "STRUCT<`a: INT>", schema.ErrBadTypeText, 7,
			"type text \"STRUCT<`a: INT>\": unterminated quoted name starting at position 7"},
		{"unterminated comment", "STRUCT<a: INT COMMENT 'x>", schema.ErrBadTypeText, 22,
			`type text "STRUCT<a: INT COMMENT 'x>": unterminated string starting at position 22`},
		{"bad character", "ARRAY[INT]", schema.ErrBadTypeText, 5,
			`type text "ARRAY[INT]": unexpected character '[' at position 5`},
		{"non-ascii", "STRUCT<ä: INT>", schema.ErrBadTypeText, 7,
			`type text "STRUCT<ä: INT>": unexpected character 'ä' at position 7`},
		{"interval", "INTERVAL DAY TO SECOND", schema.ErrUnsupportedType, 0,
			`type text "INTERVAL DAY TO SECOND": INTERVAL DAY TO SECOND at position 0 is not supported: Zerobus cannot ingest INTERVAL columns, so zbemu does not accept them`},
		{"nested interval", "ARRAY<interval year>", schema.ErrUnsupportedType, 6,
			`type text "ARRAY<interval year>": INTERVAL YEAR at position 6 is not supported: Zerobus cannot ingest INTERVAL columns, so zbemu does not accept them`},
		{"geography", "GEOGRAPHY(4326)", schema.ErrUnsupportedType, 0,
			`type text "GEOGRAPHY(4326)": GEOGRAPHY at position 0 is not supported: Zerobus cannot ingest GEOGRAPHY columns, so zbemu does not accept them`},
		{"geometry", "geometry", schema.ErrUnsupportedType, 0,
			`type text "geometry": GEOMETRY at position 0 is not supported: Zerobus cannot ingest GEOMETRY columns, so zbemu does not accept them`},
		{"void", "VOID", schema.ErrUnsupportedType, 0,
			`type text "VOID": VOID at position 0 is not supported: Zerobus cannot ingest VOID columns, so zbemu does not accept them`},
		{"object", "STRUCT<a: OBJECT>", schema.ErrUnsupportedType, 10,
			`type text "STRUCT<a: OBJECT>": OBJECT at position 10 is not supported: Zerobus cannot ingest OBJECT columns, so zbemu does not accept them`},
		{"map struct key", "MAP<STRUCT<a: INT>, INT>", schema.ErrUnsupportedType, 4,
			`type text "MAP<STRUCT<a: INT>, INT>": MAP key type STRUCT<a: INT> at position 4 is not supported: map keys must be primitive types (numbers, strings, dates, timestamps, booleans, binary)`},
		{"map array key", "MAP<ARRAY<INT>, INT>", schema.ErrUnsupportedType, 4,
			`type text "MAP<ARRAY<INT>, INT>": MAP key type ARRAY<INT> at position 4 is not supported: map keys must be primitive types (numbers, strings, dates, timestamps, booleans, binary)`},
		{"map variant key", "MAP<VARIANT, INT>", schema.ErrUnsupportedType, 4,
			`type text "MAP<VARIANT, INT>": MAP key type VARIANT at position 4 is not supported: map keys must be primitive types (numbers, strings, dates, timestamps, booleans, binary)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			typ, err := schema.Parse(tt.text)
			if err == nil {
				t.Fatalf("Parse(%q) = %v, want error", tt.text, typ)
			}
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("Parse(%q) error %v does not wrap %v", tt.text, err, tt.wantErr)
			}
			var te *schema.TypeTextError
			if !errors.As(err, &te) {
				t.Fatalf("Parse(%q) error %T is not a *TypeTextError", tt.text, err)
			}
			if te.Pos != tt.wantPos || te.Text != tt.text {
				t.Errorf("Parse(%q) error at %d in %q, want %d", tt.text, te.Pos, te.Text, tt.wantPos)
			}
			if err.Error() != tt.wantMsg {
				t.Errorf("Parse(%q) error\n got %s\nwant %s", tt.text, err, tt.wantMsg)
			}
		})
	}
}

func TestParseDepthLimit(t *testing.T) {
	deep := func(n int) string {
		s := "INT"
		for range n {
			s = "ARRAY<" + s + ">"
		}
		return s
	}
	if _, err := schema.Parse(deep(100)); err != nil {
		t.Errorf("100 levels: %v", err)
	}
	if _, err := schema.Parse(deep(101)); !errors.Is(err, schema.ErrBadTypeText) {
		t.Errorf("101 levels: got %v, want ErrBadTypeText", err)
	}
}

// FuzzParse checks that canonical text is a fixed point: whatever Parse
// accepts prints as text that parses to the same type.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"INT", "decimal(10,2)", "ARRAY<MAP<STRING, STRUCT<a: INT NOT NULL COMMENT 'x'>>>",
		"STRUCT<`b c`: STRING, `x``y`: DATE>", "STRUCT<>", "MAP<BIGINT, VARIANT>",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		typ, err := schema.Parse(s)
		if err != nil {
			var te *schema.TypeTextError
			if !errors.As(err, &te) || te.Pos < 0 || te.Pos > len(s) {
				t.Fatalf("Parse(%q): bad error %#v", s, err)
			}
			return
		}
		text := typ.String()
		again, err := schema.Parse(text)
		if err != nil {
			t.Fatalf("Parse(%q) ok but Parse(String() = %q): %v", s, text, err)
		}
		if got := again.String(); got != text {
			t.Fatalf("String() not stable: %q → %q → %q", s, text, got)
		}
		if !reflect.DeepEqual(typ, again) {
			t.Fatalf("round trip changed the type: %q → %q", s, text)
		}
		// The catalog form (UC type_text) must parse to the same type
		// minus nullability and comments; check it at least parses.
		if _, err := schema.Parse(typ.CatalogString()); err != nil {
			t.Fatalf("Parse(CatalogString() = %q): %v", typ.CatalogString(), err)
		}
	})
}
