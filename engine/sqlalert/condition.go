package sqlalert

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/zbemu/zbemu/engine"
)

// RowsColumn is the source column name that stands for the rows of the
// result: with aggregation COUNT it counts them (COUNT(*)). The zbemu alert
// API's rules ("triggered while the query returns rows") are alerts on it.
const RowsColumn = "*"

// outcome is the result of evaluating an alert's condition once.
type outcome struct {
	State   string
	Value   *string // the source value compared, nil for NULL or none
	Message string
}

// evaluate applies ev to a query result, as Databricks evaluates alerts
// (https://docs.databricks.com/aws/en/sql/user/alerts/): the source value
// is the first row's (or the aggregate over all rows), compared with the
// threshold; an empty result takes empty_result_state (default UNKNOWN).
func evaluate(res *engine.Result, ev Evaluation) outcome {
	if len(res.Rows) == 0 {
		st := ev.EmptyResultState
		if st == "" {
			st = StateUnknown
		}
		return outcome{State: st, Message: "the query returned no rows"}
	}
	left, err := operand(res, ev.Source)
	if err != nil {
		return outcome{State: StateError, Message: err.Error()}
	}
	desc := describe(ev.Source)
	switch ev.ComparisonOperator {
	case "IS_NULL", "IS_NOT_NULL":
		hit := (left == nil) == (ev.ComparisonOperator == "IS_NULL")
		return outcome{State: stateOf(hit), Value: left, Message: fmt.Sprintf("%s is %s", desc, show(left))}
	}
	var right *string
	switch t := ev.Threshold; {
	case t.Column != nil:
		if right, err = operand(res, *t.Column); err != nil {
			return outcome{State: StateError, Message: err.Error()}
		}
	case t.Value.DoubleValue != nil:
		right = ptr(strconv.FormatFloat(*t.Value.DoubleValue, 'g', -1, 64))
	case t.Value.BoolValue != nil:
		right = ptr(strconv.FormatBool(*t.Value.BoolValue))
	default:
		right = t.Value.StringValue
	}
	msg := fmt.Sprintf("%s is %s, threshold %s %s", desc, show(left), ev.ComparisonOperator, show(right))
	if left == nil || right == nil {
		return outcome{State: StateOK, Value: left, Message: msg + " (a comparison with NULL is never met)"}
	}
	c, err := compare(*left, *right, ev.Threshold)
	if err != nil {
		return outcome{State: StateError, Value: left, Message: fmt.Sprintf("%s: %v", desc, err)}
	}
	hit := map[string]bool{"GREATER_THAN": c > 0, "GREATER_THAN_OR_EQUAL": c >= 0, "LESS_THAN": c < 0,
		"LESS_THAN_OR_EQUAL": c <= 0, "EQUAL": c == 0, "NOT_EQUAL": c != 0}[ev.ComparisonOperator]
	return outcome{State: stateOf(hit), Value: left, Message: msg}
}

func stateOf(hit bool) string {
	if hit {
		return StateTriggered
	}
	return StateOK
}

func ptr(s string) *string { return &s }

func show(v *string) string {
	if v == nil {
		return "NULL"
	}
	return strconv.Quote(*v)
}

func describe(c OperandColumn) string {
	if c.Aggregation == "" {
		return fmt.Sprintf("column %q (first row)", c.Name)
	}
	return fmt.Sprintf("%s(%s)", c.Aggregation, c.Name)
}

// compare orders two values: as booleans or numbers when the threshold is
// one (or, against a column, when both read as numbers), else as text.
func compare(l, r string, t *Operand) (int, error) {
	lf, lerr := strconv.ParseFloat(strings.TrimSpace(l), 64)
	rf, rerr := strconv.ParseFloat(strings.TrimSpace(r), 64)
	switch {
	case t.Value != nil && t.Value.BoolValue != nil:
		lb, err := strconv.ParseBool(l)
		if err != nil {
			return 0, fmt.Errorf("value %q is not a boolean, but the threshold is", l)
		}
		return boolRank(lb) - boolRank(*t.Value.BoolValue), nil
	case t.Value != nil && t.Value.DoubleValue != nil && lerr != nil:
		return 0, fmt.Errorf("value %q is not a number, but the threshold is", l)
	case lerr == nil && rerr == nil:
		switch {
		case lf < rf:
			return -1, nil
		case lf > rf:
			return 1, nil
		}
		return 0, nil
	}
	return strings.Compare(l, r), nil
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// operand reads a column of the result: the first row's value, or the
// aggregate of all rows.
func operand(res *engine.Result, c OperandColumn) (*string, error) {
	if c.Name == RowsColumn {
		if c.Aggregation != "COUNT" {
			return nil, fmt.Errorf("source %q stands for the rows and needs aggregation COUNT", RowsColumn)
		}
		return ptr(strconv.Itoa(len(res.Rows))), nil
	}
	col := -1
	names := make([]string, len(res.Columns))
	for i, rc := range res.Columns {
		names[i] = rc.Name
		if rc.Name == c.Name && col < 0 {
			col = i
		}
	}
	if col < 0 {
		return nil, fmt.Errorf("the result has no column %q (its columns: %s)", c.Name, strings.Join(names, ", "))
	}
	if c.Aggregation == "" {
		return res.Rows[0][col], nil
	}
	var vals []string
	for _, row := range res.Rows {
		if row[col] != nil {
			vals = append(vals, *row[col])
		}
	}
	return aggregate(c.Aggregation, c.Name, vals)
}

// aggregate computes agg over the non-NULL values of a column, with SQL's
// rules: COUNT of nothing is 0, the others NULL; STDDEV is the sample
// standard deviation (Spark's stddev).
func aggregate(agg, name string, vals []string) (*string, error) {
	switch agg {
	case "COUNT":
		return ptr(strconv.Itoa(len(vals))), nil
	case "COUNT_DISTINCT":
		seen := map[string]bool{}
		for _, v := range vals {
			seen[v] = true
		}
		return ptr(strconv.Itoa(len(seen))), nil
	}
	if len(vals) == 0 {
		return nil, nil
	}
	nums := make([]float64, len(vals))
	for i, v := range vals {
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil {
			if agg == "MIN" || agg == "MAX" {
				return minMaxText(agg, vals), nil
			}
			return nil, fmt.Errorf("%s(%s) needs numbers, but the column holds %q", agg, name, v)
		}
		nums[i] = f
	}
	sum := 0.0
	for _, f := range nums {
		sum += f
	}
	var out float64
	switch agg {
	case "SUM":
		out = sum
	case "AVG":
		out = sum / float64(len(nums))
	case "MIN", "MAX":
		out = nums[0]
		for _, f := range nums[1:] {
			if (agg == "MIN") == (f < out) {
				out = f
			}
		}
	case "MEDIAN":
		sort.Float64s(nums)
		m := len(nums) / 2
		out = nums[m]
		if len(nums)%2 == 0 {
			out = (nums[m-1] + nums[m]) / 2
		}
	case "STDDEV":
		if len(nums) < 2 {
			return nil, nil
		}
		mean, ss := sum/float64(len(nums)), 0.0
		for _, f := range nums {
			ss += (f - mean) * (f - mean)
		}
		out = math.Sqrt(ss / float64(len(nums)-1))
	}
	return ptr(strconv.FormatFloat(out, 'g', -1, 64)), nil
}

func minMaxText(agg string, vals []string) *string {
	out := vals[0]
	for _, v := range vals[1:] {
		if (agg == "MIN") == (v < out) {
			out = v
		}
	}
	return &out
}
