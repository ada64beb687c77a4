package dialect

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// The date and time functions. zbemu's session time zone is UTC and
// Databricks TIMESTAMP is DuckDB TIMESTAMPTZ, so "seconds since the epoch"
// and "the session time zone" agree in both engines.

// timeRewrites are the date and time rewrites of funcRewrites.
var timeRewrites = map[string]rewriteFunc{
	"current_timestamp": tmpl("current_timestamp", 0),
	"current_date":      tmpl("current_date", 0),
	"curdate":           tmpl("current_date", 0),
	"current_timezone":  tmpl("current_setting('TimeZone')", 0),
	"unix_timestamp":    unixTimestamp,
	"to_unix_timestamp": unixTimestamp,
	"unix_seconds":      tmpl("CAST(floor(epoch({0})) AS BIGINT)", 1),
	"unix_millis":       tmpl("epoch_ms({0})", 1),
	"unix_micros":       tmpl("epoch_us({0})", 1),
	"unix_date":         tmpl("date_diff('day', DATE '1970-01-01', CAST({0} AS DATE))", 1),
	"from_unixtime":     fromUnixtime,
	"timestamp_seconds": tmpl("to_timestamp({0})", 1),
	"timestamp_millis":  tmpl("make_timestamptz(CAST({0} AS BIGINT) * 1000)", 1),
	"timestamp_micros":  tmpl("make_timestamptz(CAST({0} AS BIGINT))", 1),
	"to_timestamp":      parseAs("TIMESTAMPTZ"),
	"to_date":           parseAs("DATE"),
	"date_format":       dateFormat,
	"dateadd":           dateAdd,
	"date_add":          dateAdd,
	"timestampadd":      dateAdd,
	"date_sub":          tmpl("date_add(CAST({0} AS DATE), -CAST({1} AS INTEGER))", 2),
	"datediff":          dateDiff,
	"date_diff":         dateDiff,
	"timestampdiff":     dateDiff,
	"date_trunc":        dateTrunc,
	"trunc":             trunc,
	"dayofweek":         tmpl("(dayofweek({0}) + 1)", 1),
	"weekday":           tmpl("(isodow({0}) - 1)", 1),
	"add_months":        tmpl("CAST(CAST({0} AS DATE) + INTERVAL ({1}) MONTH AS DATE)", 2),
	"make_timestamp":    rename("make_timestamptz"),
}

// epochSeconds is Spark's whole seconds since the epoch of a timestamp.
const epochSeconds = "CAST(floor(epoch(%s)) AS BIGINT)"

// unixTimestamp is unix_timestamp([time [, pattern]]): whole seconds since
// the epoch, of now, a timestamp or date, or a string (parsed with the
// pattern if given).
func unixTimestamp(c *call) (string, error) {
	if err := c.arity(0, 1, 2); err != nil {
		return "", err
	}
	switch len(c.args) {
	case 0:
		return strings.Replace(epochSeconds, "%s", "current_timestamp", 1), nil
	case 1:
		return strings.Replace(epochSeconds, "%s", c.fill("CAST({0} AS TIMESTAMPTZ)"), 1), nil
	}
	format, err := c.pattern(1)
	if err != nil {
		return "", err
	}
	return strings.Replace(epochSeconds, "%s", "strptime("+c.args[0]+", "+format+")", 1), nil
}

// fromUnixtime is from_unixtime(seconds [, pattern]), a string.
func fromUnixtime(c *call) (string, error) {
	if err := c.arity(1, 2); err != nil {
		return "", err
	}
	format := "'%Y-%m-%d %H:%M:%S'"
	if len(c.args) == 2 {
		var err error
		if format, err = c.pattern(1); err != nil {
			return "", err
		}
	}
	return "strftime(" + c.fill("to_timestamp({0})") + ", " + format + ")", nil
}

// parseAs is to_timestamp and to_date: a cast, or a parse with a pattern.
func parseAs(duckType string) rewriteFunc {
	return func(c *call) (string, error) {
		if err := c.arity(1, 2); err != nil {
			return "", err
		}
		if len(c.args) == 1 {
			return c.fill("CAST({0} AS " + duckType + ")"), nil
		}
		format, err := c.pattern(1)
		if err != nil {
			return "", err
		}
		return "CAST(strptime(" + c.args[0] + ", " + format + ") AS " + duckType + ")", nil
	}
}

// dateFormat is date_format(time, pattern).
func dateFormat(c *call) (string, error) {
	if err := c.arity(2); err != nil {
		return "", err
	}
	format, err := c.pattern(1)
	if err != nil {
		return "", err
	}
	return "strftime(" + c.args[0] + ", " + format + ")", nil
}

// pattern returns argument k, a Spark datetime pattern, as a quoted
// strftime format.
func (c *call) pattern(k int) (string, error) {
	p, ok := c.str(k)
	if !ok {
		return "", &UnsupportedError{Kind: "function", Construct: c.upper() + " with a pattern that is not a string literal"}
	}
	f, err := strftimePattern(p)
	if err != nil {
		return "", err
	}
	return quoteDuckString(f), nil
}

// dateAdd is dateadd(unit, n, time) and timestampadd, and the two-argument
// date_add(date, days).
func dateAdd(c *call) (string, error) {
	if err := c.arity(2, 3); err != nil {
		return "", err
	}
	if len(c.args) == 2 {
		return c.fill("date_add(CAST({0} AS DATE), CAST({1} AS INTEGER))"), nil
	}
	unit, err := c.unit(0)
	if err != nil {
		return "", err
	}
	return c.fill("({2} + INTERVAL ({1}) " + unit + ")"), nil
}

// dateDiff is datediff(end, start) in days, and datediff(unit, start,
// end) and timestampdiff in whole units, which is DuckDB's date_sub.
func dateDiff(c *call) (string, error) {
	if err := c.arity(2, 3); err != nil {
		return "", err
	}
	if len(c.args) == 2 {
		return c.fill("date_diff('day', CAST({1} AS DATE), CAST({0} AS DATE))"), nil
	}
	unit, err := c.unit(0)
	if err != nil {
		return "", err
	}
	return c.fill("date_sub('" + strings.ToLower(unit) + "', {1}, {2})"), nil
}

// dateTrunc is date_trunc(unit, time) with Spark's unit spellings.
func dateTrunc(c *call) (string, error) {
	if err := c.arity(2); err != nil {
		return "", err
	}
	if _, ok := c.str(0); !ok {
		return "", nil
	}
	unit, err := c.unit(0)
	if err != nil {
		return "", err
	}
	return c.fill("date_trunc('" + strings.ToLower(unit) + "', {1})"), nil
}

// trunc is Spark's trunc(date, unit); DuckDB's trunc is numeric.
func trunc(c *call) (string, error) {
	if _, ok := c.str(1); len(c.args) != 2 || !ok {
		return "", nil
	}
	unit, err := c.unit(1)
	if err != nil {
		return "", err
	}
	return c.fill("CAST(date_trunc('" + strings.ToLower(unit) + "', {0}) AS DATE)"), nil
}

// unit returns argument k as a DuckDB date part.
func (c *call) unit(k int) (string, error) {
	w, ok := c.word(k)
	if !ok {
		return "", &UnsupportedError{Kind: "function", Construct: c.upper() + " with a unit that is not a literal"}
	}
	u, ok := sparkUnits[w]
	if !ok {
		return "", syntaxErrorAt(c.tr.src, c.raw[k][0].start, "unknown unit "+w+" in "+c.upper())
	}
	return u, nil
}

// sparkUnits maps Spark's datetime units and their abbreviations to
// DuckDB's date parts.
var sparkUnits = func() map[string]string {
	m := map[string]string{
		"YYYY": "YEAR", "YY": "YEAR", "MON": "MONTH", "MM": "MONTH", "DD": "DAY",
		"DAYOFYEAR": "DAY",
	}
	for _, u := range []string{"YEAR", "QUARTER", "MONTH", "WEEK", "DAY", "HOUR", "MINUTE", "SECOND", "MILLISECOND", "MICROSECOND"} {
		m[u], m[u+"S"] = u, u
	}
	return m
}()

// isIntervalUnit reports whether t is a unit of an INTERVAL literal.
func isIntervalUnit(t token) bool {
	u := strings.ToUpper(t.val)
	return t.kind == tokIdent && literalUnits[strings.TrimSuffix(u, "S")] && sparkUnits[u] != ""
}

// literalUnits are the units of INTERVAL literals (singular).
var literalUnits = map[string]bool{
	"YEAR": true, "MONTH": true, "WEEK": true, "DAY": true, "HOUR": true,
	"MINUTE": true, "SECOND": true, "MILLISECOND": true, "MICROSECOND": true,
}

// interval renders the INTERVAL literal at toks[i]: INTERVAL 7 DAYS and
// INTERVAL '7' DAY are DuckDB already; negative and fractional values are
// quoted, several units (INTERVAL 1 DAY 2 HOURS) become a sum, and
// INTERVAL '1 02:00' DAY TO MINUTE becomes DuckDB interval text.
func (tr *translator) interval(o *output, toks []token, i int) (int, bool, error) {
	var parts []string
	last := i
	for k := nextSig(toks, i); ; {
		sign, j := "", k
		if isOpAt(toks, j, "-") || isOpAt(toks, j, "+") {
			sign, j = toks[j].val, nextSig(toks, j)
		}
		u := nextSig(toks, j)
		if j >= len(toks) || toks[j].kind != tokNumber && toks[j].kind != tokString || u >= len(toks) || !isIntervalUnit(toks[u]) {
			break
		}
		value, unit := toks[j], toks[u]
		text := value.val
		if value.kind == tokNumber && value.suffix != "" {
			return i, false, &UnsupportedError{Kind: "syntax", Construct: "INTERVAL with a typed number (" + tr.src[value.start:value.end] + ")"}
		}
		last = u
		if to := nextSig(toks, u); to < len(toks) && toks[to].isKw("TO") {
			end := nextSig(toks, to)
			if end >= len(toks) || !isIntervalUnit(toks[end]) || value.kind != tokString {
				return i, false, syntaxErrorAt(tr.src, toks[to].start, "expected a unit after TO in an INTERVAL literal")
			}
			spelled, ok := intervalText(sign+text, toks[u].val, toks[end].val)
			if !ok {
				return i, false, syntaxErrorAt(tr.src, value.start, "interval text "+quoteDuckString(text)+" does not match "+
					strings.ToUpper(toks[u].val)+" TO "+strings.ToUpper(toks[end].val))
			}
			parts = append(parts, "INTERVAL "+quoteDuckString(spelled))
			last = end
		} else if value.kind == tokNumber && sign == "" && !strings.ContainsAny(text, ".eE") {
			parts = append(parts, "INTERVAL "+text+" "+unit.val)
		} else if isDecimalText(text) && strings.ContainsAny(text, ".eE") {
			// DuckDB truncates INTERVAL '1.5' HOURS to one hour.
			if sign == "+" {
				sign = ""
			}
			parts = append(parts, "(INTERVAL 1 "+unit.val+" * "+sign+strings.TrimSpace(text)+")")
		} else {
			if sign == "+" {
				sign = ""
			}
			parts = append(parts, "INTERVAL "+quoteDuckString(sign+text)+" "+unit.val)
		}
		k = nextSig(toks, last)
	}
	switch len(parts) {
	case 0:
		return i, false, nil
	case 1:
		o.writeOperand(parts[0])
	default:
		o.writeOperand("(" + strings.Join(parts, " + ") + ")")
	}
	return last, true, nil
}

// isDecimalText reports whether s is a plain decimal number.
func isDecimalText(s string) bool {
	_, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	return err == nil && strings.Trim(strings.TrimSpace(s), "0123456789.eE+-") == ""
}

// intervalText spells the value of INTERVAL 'text' FROM TO UNIT the way
// DuckDB reads interval text: '1 02:03' DAY TO MINUTE is "1 days 2 hours
// 3 minutes".
func intervalText(text, from, to string) (string, bool) {
	order := []string{"YEAR", "MONTH", "DAY", "HOUR", "MINUTE", "SECOND"}
	index := func(u string) int {
		u = sparkUnits[strings.ToUpper(u)]
		for k, o := range order {
			if o == u {
				return k
			}
		}
		return -1
	}
	f, t := index(from), index(to)
	if f < 0 || t <= f || (f < 2) != (t < 2) {
		return "", false
	}
	text = strings.TrimSpace(text)
	neg := strings.HasPrefix(text, "-")
	text = strings.TrimLeft(text, "+-")
	fields := strings.FieldsFunc(text, func(r rune) bool { return r == ' ' || r == ':' || r == '-' })
	if len(fields) != t-f+1 {
		return "", false
	}
	out := make([]string, len(fields))
	for k, v := range fields {
		if strings.Trim(v, "0123456789.") != "" || v == "" {
			return "", false
		}
		if neg {
			v = "-" + v
		}
		out[k] = v + " " + strings.ToLower(order[f+k]) + "s"
	}
	return strings.Join(out, " "), true
}

// strftimePattern converts a Spark datetime pattern (Java
// DateTimeFormatter letters) to a DuckDB strftime/strptime format. Letters
// without a strftime equivalent fail.
func strftimePattern(p string) (string, error) {
	var b strings.Builder
	for k := 0; k < len(p); {
		c := p[k]
		switch {
		case c == '\'':
			// 'text' is literal; '' is a quote.
			end := strings.IndexByte(p[k+1:], '\'')
			if end < 0 {
				return "", &UnsupportedError{Kind: "syntax", Construct: "datetime pattern " + quoteDuckString(p) + " with an unclosed quote"}
			}
			lit := p[k+1 : k+1+end]
			if lit == "" {
				lit = "'"
			}
			b.WriteString(strings.ReplaceAll(lit, "%", "%%"))
			k += end + 2
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			n := 1
			for k+n < len(p) && p[k+n] == c {
				n++
			}
			f, ok := patternLetter(c, n)
			if !ok {
				return "", &UnsupportedError{Kind: "syntax", Construct: "datetime pattern letter " + strings.Repeat(string(c), n) + " in " + quoteDuckString(p),
					Hint: "use y, M, d, H, h, m, s, S, a, E, D, z or Z"}
			}
			b.WriteString(f)
			k += n
		case c == '%':
			b.WriteString("%%")
			k++
		default:
			_, size := utf8.DecodeRuneInString(p[k:])
			b.WriteString(p[k : k+size])
			k += size
		}
	}
	return b.String(), nil
}

// patternLetter converts a run of n pattern letters c.
func patternLetter(c byte, n int) (string, bool) {
	pad := func(one, two string) (string, bool) {
		switch n {
		case 1:
			return one, true
		case 2:
			return two, true
		}
		return "", false
	}
	switch c {
	case 'y', 'u':
		if n == 2 {
			return "%y", true
		}
		return "%Y", true
	case 'M', 'L':
		switch n {
		case 3:
			return "%b", true
		case 4:
			return "%B", true
		}
		return pad("%-m", "%m")
	case 'd':
		return pad("%-d", "%d")
	case 'D':
		if n == 3 {
			return "%j", true
		}
		return pad("%-j", "%j")
	case 'H':
		return pad("%-H", "%H")
	case 'h':
		return pad("%-I", "%I")
	case 'm':
		return pad("%-M", "%M")
	case 's':
		return pad("%-S", "%S")
	case 'S':
		switch n {
		case 3:
			return "%g", true
		case 6:
			return "%f", true
		case 9:
			return "%n", true
		}
	case 'a':
		return "%p", n == 1
	case 'E':
		if n >= 4 {
			return "%A", true
		}
		return "%a", true
	case 'z':
		return "%Z", n <= 4
	case 'Z', 'X', 'x':
		return "%z", n <= 3
	}
	return "", false
}
