package engine

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/zbemu/zbemu/engine/dialect"
)

// A statement DuckDB refuses must read as Databricks' answer to the same
// statement: the Databricks error class first, the learner's own names, and
// nothing of DuckDB's (its error type prefixes, the DuckDB names of zbemu's
// catalogs, its suggestions from its own catalog tables, or the "LINE n:"
// excerpt of the translated statement). sqlError translates the conditions
// a learner meets (https://docs.databricks.com/aws/en/error-messages/) and
// cleans the rest.

// classStates are the SQLSTATEs of the error classes zbemu gives, as the
// Databricks error reference lists them.
var classStates = map[string]string{
	"TABLE_OR_VIEW_NOT_FOUND":              "42P01",
	"SCHEMA_NOT_FOUND":                     "42704",
	"UNRESOLVED_ROUTINE":                   "42883",
	"UNRESOLVED_COLUMN.WITH_SUGGESTION":    "42703",
	"UNRESOLVED_COLUMN.WITHOUT_SUGGESTION": "42703",
	"PARSE_SYNTAX_ERROR":                   "42601",
	"CAST_INVALID_INPUT":                   "22018",
	"CAST_OVERFLOW":                        "22003",
	"ARITHMETIC_OVERFLOW":                  "22003",
	"DIVIDE_BY_ZERO":                       "22012",
	"INVALID_ARRAY_INDEX":                  "22003",
	"INVALID_ARRAY_INDEX_IN_ELEMENT_AT":    "22003",
	"INVALID_INDEX_OF_ZERO":                "22003",
	"DATATYPE_MISMATCH":                    "42K09",
	"MISSING_AGGREGATION":                  "42803",
	"UNBOUND_SQL_PARAMETER":                "42P02",
}

// classTexts are the messages of the error classes that translated
// statements raise with error('[CLASS]') (see package dialect).
var classTexts = map[string]string{
	"DIVIDE_BY_ZERO": "Division by zero. Use `try_divide` to tolerate divisor being 0 and return NULL instead. " +
		"If necessary set \"ansi_mode\" to \"false\" to bypass this error.",
	"INVALID_INDEX_OF_ZERO": "The index 0 is invalid. An index shall be either < 0 or > 0 (the first element has index 1).",
}

// duckTypeNames are the Databricks names of DuckDB's internal type names
// in its conversion messages.
var duckTypeNames = map[string]string{
	"INT8": "TINYINT", "INT16": "SMALLINT", "INT32": "INT", "INT64": "BIGINT", "INT128": "BIGINT",
	"UINT8": "SMALLINT", "UINT16": "INT", "UINT32": "BIGINT", "UINT64": "DECIMAL(20,0)",
	"VARCHAR": "STRING", "BOOL": "BOOLEAN", "BLOB": "BINARY", "TIMESTAMP WITH TIME ZONE": "TIMESTAMP",
	"TIMESTAMP": "TIMESTAMP_NTZ", "DOUBLE": "DOUBLE", "FLOAT": "FLOAT", "DATE": "DATE",
}

func sparkTypeName(duck string) string {
	if n, ok := duckTypeNames[strings.ToUpper(duck)]; ok {
		return n
	}
	return strings.ToUpper(duck)
}

// overflowFuncs name the try_ function Spark's ARITHMETIC_OVERFLOW message
// suggests per operation.
var overflowFuncs = map[string]string{"addition": "try_add", "subtraction": "try_subtract", "multiplication": "try_multiply"}

// duckTranslations turn DuckDB's message (its type prefix removed) into an
// error class and Databricks' text for the same condition.
var duckTranslations = []struct {
	re *regexp.Regexp
	f  func(m []string) (class, msg string)
}{
	{regexp.MustCompile(`^Table with name (.+?) does not exist!`), func(m []string) (string, string) {
		return "TABLE_OR_VIEW_NOT_FOUND", tableNotFoundText(backtickName(m[1]))
	}},
	{regexp.MustCompile(`^Catalog "(.+?)" does not exist!`), func(m []string) (string, string) {
		return "TABLE_OR_VIEW_NOT_FOUND", tableNotFoundText(backtickName(m[1]))
	}},
	{regexp.MustCompile(`^Schema with name "?(.+?)"? does not exist!`), func(m []string) (string, string) {
		return "SCHEMA_NOT_FOUND", fmt.Sprintf("The schema %s cannot be found. Verify the spelling and correctness of the schema and catalog.", backtickName(m[1]))
	}},
	{regexp.MustCompile(`^(?:Scalar|Aggregate|Table|Macro) Function with name "?(.+?)"? does not exist!`), func(m []string) (string, string) {
		return "UNRESOLVED_ROUTINE", fmt.Sprintf("Cannot resolve routine %s on search path [`system`.`builtin`, `system`.`session`, `main`.`default`].", backtickName(m[1]))
	}},
	{regexp.MustCompile(`^Referenced column "(.+?)" not found in FROM clause!(?:\s*Candidate bindings: (.*))?`), func(m []string) (string, string) {
		var cands []string
		for _, c := range regexp.MustCompile(`"([^"]+)"`).FindAllStringSubmatch(m[2], -1) {
			cands = append(cands, backtickName(c[1]))
		}
		if len(cands) == 0 {
			return "UNRESOLVED_COLUMN.WITHOUT_SUGGESTION", fmt.Sprintf("A column, variable, or function parameter with name %s cannot be resolved.", backtickName(m[1]))
		}
		return "UNRESOLVED_COLUMN.WITH_SUGGESTION", fmt.Sprintf("A column, variable, or function parameter with name %s cannot be resolved. Did you mean one of the following? [%s].",
			backtickName(m[1]), strings.Join(cands, ", "))
	}},
	{regexp.MustCompile(`^Referenced table "(.+?)" not found!`), func(m []string) (string, string) {
		return "UNRESOLVED_COLUMN.WITHOUT_SUGGESTION", fmt.Sprintf("A column, variable, or function parameter with a name qualified by %s cannot be resolved.", backtickName(m[1]))
	}},
	{regexp.MustCompile(`^syntax error at or near "(.*?)"`), func(m []string) (string, string) {
		return "PARSE_SYNTAX_ERROR", fmt.Sprintf("Syntax error at or near '%s'.", m[1])
	}},
	{regexp.MustCompile(`^syntax error at end of input`), func([]string) (string, string) {
		return "PARSE_SYNTAX_ERROR", "Syntax error at or near end of input."
	}},
	{regexp.MustCompile(`^Could not convert string '(.*?)' to (\w+)`), func(m []string) (string, string) {
		return "CAST_INVALID_INPUT", fmt.Sprintf("The value '%s' of the type \"STRING\" cannot be cast to \"%s\" because it is malformed. "+
			"Correct the value as per the syntax, or change its target type. Use `try_cast` to tolerate malformed input and return NULL instead.", m[1], sparkTypeName(m[2]))
	}},
	{regexp.MustCompile(`^Type (\w+(?: WITH TIME ZONE)?) with value (.*?) can't be cast because the value is out of range for the destination type (\w+)`), func(m []string) (string, string) {
		return "CAST_OVERFLOW", fmt.Sprintf("The value %s of the type \"%s\" cannot be cast to \"%s\" due to an overflow. Use `try_cast` to tolerate overflow and return NULL instead.",
			m[2], sparkTypeName(m[1]), sparkTypeName(m[3]))
	}},
	{regexp.MustCompile(`^Failed to cast decimal value (\S+) to type (\w+)`), func(m []string) (string, string) {
		return "CAST_OVERFLOW", fmt.Sprintf("The value %s of the type \"DECIMAL\" cannot be cast to \"%s\" due to an overflow. Use `try_cast` to tolerate overflow and return NULL instead.",
			m[1], sparkTypeName(m[2]))
	}},
	{regexp.MustCompile(`^Overflow in (addition|subtraction|multiplication) of (\w+)`), func(m []string) (string, string) {
		kind := "integer"
		if m[2] == "INT64" || m[2] == "INT128" {
			kind = "long"
		}
		return "ARITHMETIC_OVERFLOW", fmt.Sprintf("%s overflow. Use '%s' to tolerate overflow and return NULL instead. "+
			"If necessary set \"ansi_mode\" to \"false\" to bypass this error.", kind, overflowFuncs[m[1]])
	}},
	{regexp.MustCompile(`^Overflow in \w+`), func(m []string) (string, string) {
		return "ARITHMETIC_OVERFLOW", strings.TrimSuffix(m[0], "!") + " overflow. If necessary set \"ansi_mode\" to \"false\" to bypass this error."
	}},
	{regexp.MustCompile(`^(?:date field value out of range|invalid (?:date|timestamp) field format): "(.*?)"`), func(m []string) (string, string) {
		return "CAST_INVALID_INPUT", fmt.Sprintf("The value '%s' of the type \"STRING\" cannot be cast to a date or timestamp because it is malformed. "+
			"Correct the value as per the syntax, or change its target type. Use `try_cast` to tolerate malformed input and return NULL instead.", m[1])
	}},
	{regexp.MustCompile(`^(?:Could not choose a best candidate function for the function call "(.*?)"|failed to bind function, either: .*)`), func(m []string) (string, string) {
		return "DATATYPE_MISMATCH", fmt.Sprintf("Cannot resolve \"%s\" due to data type mismatch: the types of its arguments do not fit one form of the function; cast them.", m[1])
	}},
	{regexp.MustCompile(`^No function matches the given name and argument types '(.*?)'`), func(m []string) (string, string) {
		return "DATATYPE_MISMATCH", fmt.Sprintf("Cannot resolve \"%s\" due to data type mismatch: no form of the function takes arguments of these types.", m[1])
	}},
	{regexp.MustCompile(`^(Cannot (?:compare|mix) values of type .*)`), func(m []string) (string, string) {
		return "DATATYPE_MISMATCH", m[1]
	}},
	{regexp.MustCompile(`^column "(.+?)" must appear in the GROUP BY clause`), func(m []string) (string, string) {
		return "MISSING_AGGREGATION", fmt.Sprintf("The non-aggregating expression %s is based on columns which are not participating in the GROUP BY clause. "+
			"Add the columns or the expression to the GROUP BY, aggregate the expression, or use \"any_value(%s)\".", backtickName(m[1]), m[1])
	}},
}

var (
	// duckPrefixRE is DuckDB's "<Type> Error: " at the start of its messages.
	duckPrefixRE = regexp.MustCompile(`^[A-Z][A-Za-z]*(?: [A-Za-z]+)* Error: `)
	// classPrefixRE is an error class zbemu put into a message itself (the
	// error() calls of translated statements).
	classPrefixRE = regexp.MustCompile(`^\[([A-Z][A-Z0-9_]*(?:\.[A-Z][A-Z0-9_]*)?)\] ?`)
	// duckInternalRE matches names only DuckDB and zbemu's storage know.
	duckInternalRE = regexp.MustCompile(`__zbemu|pg_catalog|information_schema|duckdb_|\bmemory\.main\b`)
	duckAliasRE    = regexp.MustCompile(`\b(main|system|temp|memory)_db\b`)
)

// sqlError wraps a DuckDB error (ErrSQL, or ErrCanceled) with the error
// class and SQLSTATE Databricks gives the same condition and a message in
// Databricks' words.
func sqlError(err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w: %v", ErrCanceled, err)
	}
	class, msg := translateDuckMessage(err.Error())
	if class != "" {
		msg = "[" + class + "] " + msg // in the text too, for logs and the SQL CLI
	}
	wrapped := fmt.Errorf("%w: %s", ErrSQL, msg)
	state := classStates[class]
	if state == "" {
		state = duckState(err)
	}
	if class == "" && state == "" {
		return wrapped
	}
	return withCondition(wrapped, class, state)
}

// translateDuckMessage returns the error class (or "") and Databricks-like
// text of a DuckDB error message.
func translateDuckMessage(msg string) (string, string) {
	if i := strings.Index(msg, "\n\nLINE "); i >= 0 {
		msg = msg[:i] // an excerpt of the translated statement, not the learner's
	}
	msg = duckPrefixRE.ReplaceAllString(strings.TrimSpace(msg), "")
	// zbemu's own error() calls may carry a DuckDB prefix of their own.
	msg = duckPrefixRE.ReplaceAllString(msg, "")
	if m := classPrefixRE.FindStringSubmatch(msg); m != nil {
		if text := strings.TrimPrefix(msg, m[0]); text != "" {
			return m[1], text
		}
		return m[1], classTexts[m[1]]
	}
	for _, t := range duckTranslations {
		if m := t.re.FindStringSubmatch(msg); m != nil {
			class, text := t.f(m)
			return class, text
		}
	}
	return "", cleanDuckMessage(msg)
}

// cleanDuckMessage drops DuckDB's suggestions that name its own catalog
// or zbemu's storage, and gives zbemu's catalogs their Unity Catalog names.
func cleanDuckMessage(msg string) string {
	lines := strings.Split(msg, "\n")
	out := lines[:0]
	for _, l := range lines {
		if duckInternalRE.MatchString(l) || strings.HasPrefix(l, "Candidate functions:") || strings.HasPrefix(l, "\t") {
			continue
		}
		out = append(out, l)
	}
	return duckAliasRE.ReplaceAllString(strings.TrimSpace(strings.Join(out, "\n")), "$1")
}

// backtickName quotes each part of a dotted name as Databricks messages do
// (`main`.`default`.`t`); DuckDB's names of zbemu's catalogs become the
// Unity Catalog names.
func backtickName(name string) string {
	parts := strings.Split(strings.Trim(name, `"`), ".")
	for i, p := range parts {
		parts[i] = "`" + ucCatalog(strings.Trim(p, `"`)) + "`"
	}
	return strings.Join(parts, ".")
}

func tableNotFoundText(name string) string {
	return "The table or view " + name + " cannot be found. Verify the spelling and correctness of the schema and catalog. " +
		"If you did not qualify the name with a schema, verify the current_schema() output, or qualify the name with the correct schema and catalog."
}

// namedIn names the table of a TABLE_OR_VIEW_NOT_FOUND error from DuckDB
// as the statement text wrote it (DuckDB gives only a part of it).
func namedIn(err error, text string) error {
	if !errors.Is(err, ErrSQL) || ErrorClass(err) != "TABLE_OR_VIEW_NOT_FOUND" {
		return err
	}
	detail := Detail(err)
	if named := qualifyNotFound(detail, text); named != detail {
		return withCondition(fmt.Errorf("%w: %s", ErrSQL, named), "TABLE_OR_VIEW_NOT_FOUND", SQLState(err))
	}
	return err
}

// notFoundNameRE finds the name in a TABLE_OR_VIEW_NOT_FOUND text.
var notFoundNameRE = regexp.MustCompile("The table or view ((?:`[^`]*`\\.?)+) cannot")

// qualifyNotFound names the table as the statement wrote it when DuckDB
// gave only a part of it: the first dotted name in the statement that
// starts or ends with that part.
func qualifyNotFound(msg, text string) string {
	m := notFoundNameRE.FindStringSubmatch(msg)
	if m == nil {
		return msg
	}
	short := ucCatalog(strings.ReplaceAll(strings.Trim(m[1], "`"), "`.`", "."))
	names, err := dialect.Names(text)
	if err != nil {
		return msg
	}
	for _, n := range names {
		p := n.Parts
		if len(p) < 2 || n.Call || n.Dot {
			continue
		}
		if strings.EqualFold(p[len(p)-1], short) || strings.EqualFold(p[0], short) || strings.EqualFold(strings.Join(p, "."), short) {
			return strings.Replace(msg, m[1], backtickName(strings.Join(p, ".")), 1)
		}
	}
	return msg
}
