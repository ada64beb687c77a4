package dialect

import (
	"strings"
)

// moreRewrites are Spark functions DuckDB lacks or spells differently,
// found by the Spark SQL corpus (cmd/zbemu/testdata/spark_corpus): each is
// a DuckDB expression with the result Spark documents. Functions that
// need a string read as a date or timestamp are in dateArgs.
var moreRewrites = map[string]rewriteFunc{
	// Conditionals and logic.
	"some":   rename("bool_or"),
	"any":    rename("bool_or"),
	"nanvl":  tmpl("CASE WHEN isnan({0}) THEN {1} ELSE {0} END", 2),
	"decode": decodeCase,

	// Arithmetic.
	"e":            tmpl("exp(1)", 0),
	"expm1":        tmpl("(exp({0}) - 1)", 1),
	"log1p":        tmpl("ln(1 + ({0}))", 1),
	"hypot":        tmpl("sqrt(({0}) * ({0}) + ({1}) * ({1}))", 2),
	"negative":     tmpl("(- ({0}))", 1),
	"positive":     tmpl("(+ ({0}))", 1),
	"rint":         tmpl("CAST(round_even({0}, 0) AS DOUBLE)", 1),
	"sign":         tmpl("CAST(sign({0}) AS DOUBLE)", 1),
	"signum":       tmpl("CAST(sign({0}) AS DOUBLE)", 1),
	"ceil":         byArity(map[int]rewriteFunc{1: tmpl("CAST(ceil({0}) AS BIGINT)")}),
	"ceiling":      byArity(map[int]rewriteFunc{1: tmpl("CAST(ceil({0}) AS BIGINT)")}),
	"floor":        byArity(map[int]rewriteFunc{1: tmpl("CAST(floor({0}) AS BIGINT)")}),
	"try_add":      tmpl("try(({0}) + ({1}))", 2),
	"try_subtract": tmpl("try(({0}) - ({1}))", 2),
	"try_multiply": tmpl("try(({0}) * ({1}))", 2),
	"shiftleft":    tmpl("(({0}) << ({1}))", 2),
	"shiftright":   tmpl("(({0}) >> ({1}))", 2),

	// Strings.
	"btrim":            rename("trim"),
	"lpad":             byArity(map[int]rewriteFunc{2: tmpl("lpad({0}, {1}, ' ')"), 3: rename("lpad")}),
	"rpad":             byArity(map[int]rewriteFunc{2: tmpl("rpad({0}, {1}, ' ')"), 3: rename("rpad")}),
	"locate":           byArity(map[int]rewriteFunc{2: tmpl("instr({1}, {0})"), 3: locateFrom}),
	"position":         byArity(map[int]rewriteFunc{1: rename("position"), 2: tmpl("instr({1}, {0})"), 3: locateFrom}),
	"octet_length":     tmpl("strlen({0})", 1),
	"encode":           tmpl("encode({0})", 2),
	"sha":              rename("sha1"),
	"regexp_count":     tmpl("len(regexp_extract_all({0}, {1}))", 2),
	"regexp_substr":    tmpl("nullif(regexp_extract({0}, {1}), '')", 2),
	"find_in_set":      tmpl("coalesce(list_position(string_split({1}, ','), {0}), 0)", 2),
	"elt":              elt,
	"format_number":    formatNumber,
	"json_object_keys": tmpl("json_keys({0})", 1),
	"str_to_map": byArity(map[int]rewriteFunc{
		1: tmpl("map_from_entries(list_transform(string_split({0}, ','), lambda zb_kv: struct_pack(key := split_part(zb_kv, ':', 1), value := split_part(zb_kv, ':', 2))))"),
		3: tmpl("map_from_entries(list_transform(string_split({0}, {1}), lambda zb_kv: struct_pack(key := split_part(zb_kv, {2}, 1), value := split_part(zb_kv, {2}, 2))))"),
	}),

	// Arrays.
	"array_join": byArity(map[int]rewriteFunc{2: tmpl("array_to_string({0}, {1})"),
		3: tmpl("array_to_string(list_transform({0}, lambda zb_x: coalesce(CAST(zb_x AS VARCHAR), {2})), {1})")}),
	"array_remove":   tmpl("list_filter({0}, lambda zb_x: NOT coalesce(zb_x = ({1}), false))", 2),
	"array_repeat":   tmpl("list_transform(range({1}), lambda zb_i: {0})", 2),
	"array_compact":  tmpl("list_filter({0}, lambda zb_x: zb_x IS NOT NULL)", 1),
	"array_prepend":  tmpl("list_prepend({1}, {0})", 2),
	"array_sort":     tmpl("list_sort({0}, 'ASC', 'NULLS LAST')", 1),
	"arrays_overlap": rename("list_has_any"),
	"try_element_at": elementAt(false),
	"slice":          tmpl("list_slice({0}, {1}, ({1}) + ({2}) - 1)", 3),
	"exists":         withArgs(2, tmpl("list_aggregate(list_transform({0}, {1}), 'bool_or')")), // EXISTS (subquery) stays
	"forall":         tmpl("list_aggregate(list_transform({0}, {1}), 'bool_and')", 2),
	"aggregate":      byArity(map[int]rewriteFunc{3: tmpl("list_reduce({0}, {2}, {1})")}),
	"reduce":         byArity(map[int]rewriteFunc{3: tmpl("list_reduce({0}, {2}, {1})")}),
	"sequence": byArity(map[int]rewriteFunc{
		2: tmpl("generate_series({0}, {1}, CASE WHEN ({0}) <= ({1}) THEN 1 ELSE -1 END)"),
		3: rename("generate_series"),
	}),

	// Dates.
	"date_from_unix_date": tmpl("(DATE '1970-01-01' + CAST({0} AS INTEGER))", 1),
}

// dateArgs are the date functions whose first argument Spark reads as a
// DATE or TIMESTAMP when it is a string; DuckDB cannot choose an overload
// for a string literal, so the literal becomes a TIMESTAMP first.
var dateArgs = map[string]int{
	"year": 0, "month": 0, "day": 0, "dayofmonth": 0, "dayofweek": 0, "dayofyear": 0, "weekofyear": 0,
	"quarter": 0, "hour": 0, "minute": 0, "second": 0, "last_day": 0, "date_format": 0, "trunc": 0,
	"date_trunc": 1,
}

// castDateLiteral turns argument k of a call of a dateArgs function into a
// TIMESTAMP when it is a string literal.
func (c *call) castDateLiteral() {
	k, ok := dateArgs[strings.ToLower(c.name.val)]
	if !ok || k >= len(c.args) {
		return
	}
	if s, ok := c.str(k); ok {
		c.args[k] = "CAST(" + quoteDuckString(s) + " AS TIMESTAMPTZ)"
	}
}

// locateFrom is locate(substr, str, pos): the position of substr in str
// at or after pos, 0 if none.
func locateFrom(c *call) (string, error) {
	return c.fill("CASE WHEN instr(substring({1}, {2}), {0}) = 0 THEN 0 ELSE instr(substring({1}, {2}), {0}) + ({2}) - 1 END"), nil
}

// decodeCase is decode(expr, search, result, ..., default) (two arguments
// is decode(binary, charset), left as typed).
func decodeCase(c *call) (string, error) {
	if len(c.args) < 3 {
		return "", nil
	}
	var b strings.Builder
	b.WriteString("CASE")
	k := 1
	for ; k+1 < len(c.args); k += 2 {
		b.WriteString(" WHEN (" + c.args[0] + ") IS NOT DISTINCT FROM (" + c.args[k] + ") THEN " + c.args[k+1])
	}
	if k < len(c.args) {
		b.WriteString(" ELSE " + c.args[k])
	}
	return b.String() + " END", nil
}

// elt is elt(n, a, b, ...): the n-th of the others.
func elt(c *call) (string, error) {
	if len(c.args) < 2 {
		return "", c.arity(2)
	}
	return "([" + strings.Join(c.args[1:], ", ") + "])[" + c.args[0] + "]", nil
}

// formatNumber is format_number(x, d) with a literal number of decimals.
func formatNumber(c *call) (string, error) {
	if err := c.arity(2); err != nil {
		return "", err
	}
	d := c.args[1]
	if strings.Trim(d, "0123456789") != "" {
		return "", &UnsupportedError{Kind: "function", Construct: "FORMAT_NUMBER with a format that is not a literal number of decimals"}
	}
	return "format(" + quoteDuckString("{:,."+d+"f}") + ", " + c.args[0] + ")", nil
}

// withArgs applies rw to calls with n arguments and leaves others as typed.
func withArgs(n int, rw rewriteFunc) rewriteFunc {
	return func(c *call) (string, error) {
		if len(c.args) != n {
			return "", nil
		}
		return rw(c)
	}
}
