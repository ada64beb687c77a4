package dialect

import (
	"encoding/json"
	"strings"
)

// fromJSON is from_json(jsonStr, schema): Spark parses the string with a
// DDL schema ('array<struct<a: int>>', or a field list 'a INT, b STRING').
// DuckDB's json_transform does the same with the schema as a DuckDB type:
// fields missing from the JSON and values of the wrong type are NULL,
// fields the schema does not name are ignored, names match case
// sensitively, as in Spark. TRY_CAST(... AS JSON) makes a string that is
// not JSON NULL rather than an error, as Spark's default PERMISSIVE mode
// does (https://docs.databricks.com/aws/en/sql/language-manual/functions/from_json).
func fromJSON(c *call) (string, error) {
	if len(c.args) == 3 {
		return "", &UnsupportedError{Kind: "function", Construct: "FROM_JSON with options", Hint: "zbemu reads JSON in Spark's default PERMISSIVE mode"}
	}
	if err := c.arity(2); err != nil {
		return "", err
	}
	schema, ok := c.str(1)
	if !ok {
		return "", &UnsupportedError{Kind: "function", Construct: "FROM_JSON with a schema that is not a string literal"}
	}
	duck, err := typeFromText(schema)
	if err != nil {
		// A top-level field list is a STRUCT: 'a INT, b STRING'.
		if fields, ferr := typeFromText("struct<" + schema + ">"); ferr == nil && strings.TrimSpace(schema) != "" {
			duck, err = fields, nil
		}
	}
	if err != nil {
		return "", err
	}
	structure, _ := json.Marshal(duck) // a string always marshals
	return "json_transform(TRY_CAST(" + c.args[0] + " AS JSON), " + quoteDuckString(string(structure)) + ")", nil
}
