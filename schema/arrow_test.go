package schema_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/zbemu/zbemu/schema"
)

func mustType(t *testing.T, text string) *schema.Type {
	t.Helper()
	typ, err := schema.Parse(text)
	if err != nil {
		t.Fatal(err)
	}
	return typ
}

// TestArrowDecoderRefusesValues: values the Arrow schema cannot rule out
// are refused per row, naming the column path.
func TestArrowDecoderRefusesValues(t *testing.T) {
	mem := memory.NewGoAllocator()
	tests := []struct {
		name  string
		col   string // Databricks type of column c
		field arrow.DataType
		fill  func(b array.Builder)
		want  string
	}{
		{"decimal128 beyond the precision", "DECIMAL(4,2)", &arrow.Decimal128Type{Precision: 10, Scale: 2},
			func(b array.Builder) { b.(*array.Decimal128Builder).Append(decimal128.FromI64(12345)) }, `column "c": too many digits for DECIMAL(4,2)`},
		{"decimal text", "DECIMAL(4,2)", arrow.BinaryTypes.LargeString,
			func(b array.Builder) { b.(*array.LargeStringBuilder).Append("1.234") }, `column "c": too many digits for DECIMAL(4,2)`},
		{"variant not JSON", "VARIANT", arrow.BinaryTypes.LargeString,
			func(b array.Builder) { b.(*array.LargeStringBuilder).Append("{nope") }, `column "c": invalid JSON`},
		{"date out of range", "DATE", arrow.FixedWidthTypes.Date32,
			func(b array.Builder) { b.(*array.Date32Builder).Append(arrow.Date32(3_000_000)) }, `column "c": out of range`},
		{"duplicate map key", "MAP<STRING, INT>", arrow.MapOf(arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int32),
			func(b array.Builder) {
				m := b.(*array.MapBuilder)
				m.Append(true)
				m.KeyBuilder().(*array.StringBuilder).AppendValues([]string{"k", "k"}, nil)
				m.ItemBuilder().(*array.Int32Builder).AppendValues([]int32{1, 2}, nil)
			}, `column "c": duplicate map key`},
		{"null in a NOT NULL struct field", "STRUCT<a: INT NOT NULL>", arrow.StructOf(arrow.Field{Name: "a", Type: arrow.PrimitiveTypes.Int32, Nullable: true}),
			func(b array.Builder) {
				sb := b.(*array.StructBuilder)
				sb.Append(true)
				sb.FieldBuilder(0).(*array.Int32Builder).AppendNull()
			}, `column "c.a": null for a NOT NULL value`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cols := []schema.Column{{Name: "c", Type: mustType(t, tc.col), Nullable: true}}
			s := arrow.NewSchema([]arrow.Field{{Name: "c", Type: tc.field, Nullable: true}}, nil)
			dec, err := schema.NewArrowDecoder(cols, s)
			if err != nil {
				t.Fatal(err)
			}
			b := array.NewRecordBuilder(mem, s)
			defer b.Release()
			tc.fill(b.Field(0))
			rec := b.NewRecordBatch()
			defer rec.Release()
			row := make([]any, 1)
			err = dec.Row(rec, 0, row)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, schema.ErrInvalidRecord) {
				t.Errorf("Row: %v, want an invalid record saying %q", err, tc.want)
			}
		})
	}
}

// TestArrowDecoderSchema: every mismatch is named with its cause.
func TestArrowDecoderSchema(t *testing.T) {
	cols := []schema.Column{{Name: "id", Type: mustType(t, "BIGINT")}, {Name: "loc", Type: mustType(t, "STRUCT<lat: DOUBLE NOT NULL, name: STRING>"), Nullable: true},
		{Name: "ok", Type: mustType(t, "BOOLEAN"), Nullable: true}}
	s := arrow.NewSchema([]arrow.Field{
		{Name: "ok", Type: arrow.FixedWidthTypes.Boolean},
		{Name: "loc", Type: arrow.StructOf(arrow.Field{Name: "name", Type: arrow.BinaryTypes.String}, arrow.Field{Name: "alt", Type: arrow.PrimitiveTypes.Float64})},
		{Name: "id", Type: arrow.PrimitiveTypes.Int32},
	}, nil)
	_, err := schema.NewArrowDecoder(cols, s)
	var se *schema.ArrowSchemaError
	if !errors.As(err, &se) || !errors.Is(err, schema.ErrArrowSchemaMismatch) {
		t.Fatalf("err = %v", err)
	}
	want := []schema.ArrowProblem{
		{Field: "loc", Cause: schema.CauseFieldOutOfOrder},
		{Field: "loc.alt", Cause: schema.CauseFieldNotInTable},
		{Field: "loc.lat", Cause: schema.CauseMissingRequired},
		{Field: "id", Cause: schema.CauseFieldOutOfOrder},
	}
	if len(se.Problems) != len(want) {
		t.Fatalf("problems %+v, want %d", se.Problems, len(want))
	}
	for i, w := range want {
		if p := se.Problems[i]; p.Field != w.Field || p.Cause != w.Cause {
			t.Errorf("problem %d = %+v, want %s %s", i, p, w.Field, w.Cause)
		}
	}
}
