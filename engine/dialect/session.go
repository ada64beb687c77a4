package dialect

// Session is what the session functions of a statement return, as
// Databricks answers them (https://docs.databricks.com/aws/en/sql/language-manual/functions/current_catalog
// and the pages of the functions next to it).
type Session struct {
	// Catalog and Schema are the current ones (current_catalog(),
	// current_schema() and its synonym current_database()).
	Catalog, Schema string
	// User is the principal running the statement: current_user(),
	// session_user() and user() (a service principal's application id).
	User string
	// Metastore is current_metastore(): cloud:region:metastore-uuid.
	Metastore string
	// Version is the dbsql_version field of current_version().
	Version string
	// Stored is set for a query that is kept and run later (a view's):
	// session functions are refused there, since the values of the
	// session that defines the view would be kept in its text.
	Stored bool
}

// sessionRewrites answer the session functions from TranslateOptions.Session.
var sessionRewrites = map[string]rewriteFunc{
	"current_catalog":   sessionValue(func(s *Session) string { return quoteDuckString(s.Catalog) }),
	"current_schema":    sessionValue(func(s *Session) string { return quoteDuckString(s.Schema) }),
	"current_database":  sessionValue(func(s *Session) string { return quoteDuckString(s.Schema) }),
	"current_user":      sessionValue(func(s *Session) string { return quoteDuckString(s.User) }),
	"session_user":      sessionValue(func(s *Session) string { return quoteDuckString(s.User) }),
	"user":              sessionValue(func(s *Session) string { return quoteDuckString(s.User) }),
	"current_metastore": sessionValue(func(s *Session) string { return quoteDuckString(s.Metastore) }),
	// current_version() is a STRUCT<dbr_version STRING, dbsql_version
	// STRING, u_build_hash STRING, r_build_hash STRING>; dbr_version is NULL
	// on a SQL warehouse.
	"current_version": sessionValue(func(s *Session) string {
		return "{'dbr_version': CAST(NULL AS VARCHAR), 'dbsql_version': " + quoteDuckString(s.Version) +
			", 'u_build_hash': 'zbemu', 'r_build_hash': 'zbemu'}"
	}),
}

// sessionValue is a rewrite of a session function without arguments.
func sessionValue(value func(*Session) string) rewriteFunc {
	return func(c *call) (string, error) {
		if c.tr.opts.Session == nil {
			return "", nil
		}
		if c.tr.opts.Session.Stored {
			return "", &UnsupportedError{Kind: "function", Construct: c.upper() + " in a view",
				Hint: "zbemu would keep the value of the session that creates the view; filter in the query that reads the view"}
		}
		if err := c.arity(0); err != nil {
			return "", err
		}
		return value(c.tr.opts.Session), nil
	}
}
