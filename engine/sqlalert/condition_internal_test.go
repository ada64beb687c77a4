package sqlalert

import (
	"strings"
	"testing"

	"github.com/zbemu/zbemu/engine"
)

func result(cols []string, rows ...[]any) *engine.Result {
	res := &engine.Result{}
	for _, c := range cols {
		res.Columns = append(res.Columns, engine.ResultColumn{Name: c})
	}
	for _, r := range rows {
		row := make([]*string, len(r))
		for i, v := range r {
			if v != nil {
				row[i] = ptr(v.(string))
			}
		}
		res.Rows = append(res.Rows, row)
	}
	return res
}

func num(f float64) *Operand          { return &Operand{Value: &Value{DoubleValue: &f}} }
func text(s string) *Operand          { return &Operand{Value: &Value{StringValue: &s}} }
func boolean(b bool) *Operand         { return &Operand{Value: &Value{BoolValue: &b}} }
func column(n string) *Operand        { return &Operand{Column: &OperandColumn{Name: n}} }
func src(n, agg string) OperandColumn { return OperandColumn{Name: n, Aggregation: agg} }

func TestEvaluate(t *testing.T) {
	temps := result([]string{"device", "temp", "limit", "ok"}, []any{"d1", "81.5", "80", "true"}, []any{"d2", "20", "80", "false"}, []any{"d3", nil, "80", nil})
	tests := []struct {
		name  string
		res   *engine.Result
		ev    Evaluation
		state string
		value string // "" for NULL
		msg   string
	}{
		{"first row above", temps, Evaluation{ComparisonOperator: "GREATER_THAN", Source: src("temp", ""), Threshold: num(80)}, StateTriggered, "81.5", `column "temp" (first row) is "81.5", threshold GREATER_THAN "80"`},
		{"first row not below", temps, Evaluation{ComparisonOperator: "LESS_THAN", Source: src("temp", ""), Threshold: num(80)}, StateOK, "81.5", ""},
		{"equal is equal", temps, Evaluation{ComparisonOperator: "GREATER_THAN_OR_EQUAL", Source: src("temp", ""), Threshold: num(81.5)}, StateTriggered, "81.5", ""},
		{"max", temps, Evaluation{ComparisonOperator: "LESS_THAN_OR_EQUAL", Source: src("temp", "MAX"), Threshold: num(81.5)}, StateTriggered, "81.5", "MAX(temp)"},
		{"min", temps, Evaluation{ComparisonOperator: "EQUAL", Source: src("temp", "MIN"), Threshold: num(20)}, StateTriggered, "20", ""},
		{"sum", temps, Evaluation{ComparisonOperator: "EQUAL", Source: src("temp", "SUM"), Threshold: num(101.5)}, StateTriggered, "101.5", ""},
		{"avg skips NULL", temps, Evaluation{ComparisonOperator: "EQUAL", Source: src("temp", "AVG"), Threshold: num(50.75)}, StateTriggered, "50.75", ""},
		{"median", temps, Evaluation{ComparisonOperator: "EQUAL", Source: src("temp", "MEDIAN"), Threshold: num(50.75)}, StateTriggered, "50.75", ""},
		{"count skips NULL", temps, Evaluation{ComparisonOperator: "EQUAL", Source: src("temp", "COUNT"), Threshold: num(2)}, StateTriggered, "2", ""},
		{"count distinct", temps, Evaluation{ComparisonOperator: "EQUAL", Source: src("limit", "COUNT_DISTINCT"), Threshold: num(1)}, StateTriggered, "1", ""},
		{"stddev", result([]string{"x"}, []any{"2"}, []any{"4"}, []any{"4"}, []any{"4"}, []any{"5"}, []any{"5"}, []any{"7"}, []any{"9"}),
			Evaluation{ComparisonOperator: "GREATER_THAN", Source: src("x", "STDDEV"), Threshold: num(2.13)}, StateTriggered, "2.138089935299395", ""},
		{"rows", temps, Evaluation{ComparisonOperator: "GREATER_THAN", Source: src(RowsColumn, "COUNT"), Threshold: num(0)}, StateTriggered, "3", ""},
		{"column threshold", temps, Evaluation{ComparisonOperator: "GREATER_THAN", Source: src("temp", ""), Threshold: column("limit")}, StateTriggered, "81.5", ""},
		{"string", temps, Evaluation{ComparisonOperator: "NOT_EQUAL", Source: src("device", ""), Threshold: text("d1")}, StateOK, "d1", ""},
		{"bool", temps, Evaluation{ComparisonOperator: "EQUAL", Source: src("ok", ""), Threshold: boolean(true)}, StateTriggered, "true", ""},
		{"is null", result([]string{"x"}, []any{nil}), Evaluation{ComparisonOperator: "IS_NULL", Source: src("x", "")}, StateTriggered, "", "is NULL"},
		{"is not null", temps, Evaluation{ComparisonOperator: "IS_NOT_NULL", Source: src("temp", "")}, StateTriggered, "81.5", ""},
		{"null never compares", result([]string{"x"}, []any{nil}), Evaluation{ComparisonOperator: "LESS_THAN", Source: src("x", ""), Threshold: num(1)}, StateOK, "", "never met"},
		{"empty default", result([]string{"x"}), Evaluation{ComparisonOperator: "GREATER_THAN", Source: src("x", ""), Threshold: num(1)}, StateUnknown, "", "no rows"},
		{"empty state", result([]string{"x"}), Evaluation{ComparisonOperator: "GREATER_THAN", Source: src("x", ""), Threshold: num(1), EmptyResultState: StateOK}, StateOK, "", ""},
		{"missing column", temps, Evaluation{ComparisonOperator: "GREATER_THAN", Source: src("humidity", ""), Threshold: num(1)}, StateError, "", `no column "humidity" (its columns: device, temp, limit, ok)`},
		{"text vs number", temps, Evaluation{ComparisonOperator: "GREATER_THAN", Source: src("device", ""), Threshold: num(1)}, StateError, "d1", `value "d1" is not a number`},
		{"sum of text", temps, Evaluation{ComparisonOperator: "GREATER_THAN", Source: src("device", "SUM"), Threshold: num(1)}, StateError, "", "SUM(device) needs numbers"},
		{"max of text", temps, Evaluation{ComparisonOperator: "EQUAL", Source: src("device", "MAX"), Threshold: text("d3")}, StateTriggered, "d3", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := evaluate(tc.res, tc.ev)
			v := ""
			if got.Value != nil {
				v = *got.Value
			}
			if got.State != tc.state || v != tc.value || !strings.Contains(got.Message, tc.msg) {
				t.Errorf("evaluate = %s %q %q, want %s %q mentioning %q", got.State, v, got.Message, tc.state, tc.value, tc.msg)
			}
		})
	}
}
