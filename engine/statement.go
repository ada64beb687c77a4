package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/zbemu/zbemu/engine/delta"
	"github.com/zbemu/zbemu/engine/dialect"
	"github.com/zbemu/zbemu/engine/identity"
)

// Metastore is what current_metastore() answers: Databricks' form
// cloud:region:metastore-id, for zbemu's one local metastore.
const Metastore = "zbemu:local:5a3e0f4c-2f0d-4e55-9c1b-7a6d2c9e0b10"

// SQLVersion is the dbsql_version of current_version().
const SQLVersion = "zbemu"

// StatementRequest is one SQL statement to run, as the Statement Execution
// API receives it.
type StatementRequest struct {
	SQL      string
	Catalog  string // current catalog; default main
	Schema   string // current schema; default default
	Params   []Param
	Identity *Identity
	// RowLimit and ByteLimit (0: none) stop reading the result once it has
	// that many rows or bytes; Result.Truncated then says so. Bytes are
	// counted as resultBytes does.
	RowLimit, ByteLimit int64

	// catalogGiven and schemaGiven are set when the request (or a USE
	// statement) named the catalog or schema: a query then fails if it
	// does not exist, as USE CATALOG/SCHEMA would, instead of resolving
	// unqualified names elsewhere.
	catalogGiven, schemaGiven bool
	// text is the statement being run, as typed.
	text string
	// timeTravels counts the time travel references of the statement
	// being run that the engine replaced by reads of Delta data files.
	timeTravels int
}

// Param is a named parameter (:name in the statement). A nil Value is NULL.
type Param struct {
	Name  string
	Value *string
	Type  string // Databricks type name; empty means STRING
}

// ResultColumn describes one result column.
type ResultColumn struct {
	Name     string
	TypeName string // Statement API type_name (INT, LONG, STRING, ...)
	TypeText string // Databricks type text (INT, BIGINT, DECIMAL(10,2), ...)
	// Precision and Scale are a DECIMAL column's (0 for other types).
	Precision, Scale int
	// IntervalType is an INTERVAL column's qualifier, "DAY TO SECOND" or
	// "YEAR TO MONTH" (empty for other types).
	IntervalType string
}

// Result is the outcome of a statement: columns and rows of string cells
// (nil for NULL), as the Statement Execution API returns them.
type Result struct {
	Columns []ResultColumn
	Rows    [][]*string
	// Truncated is set when RowLimit or ByteLimit cut the result short.
	Truncated bool
	// Catalog and Schema are current after the statement (USE changes them).
	Catalog, Schema string
}

func strp(s string) *string { return &s }

func stringCols(names ...string) []ResultColumn {
	cols := make([]ResultColumn, len(names))
	for i, n := range names {
		cols[i] = ResultColumn{Name: n, TypeName: "STRING", TypeText: "STRING"}
	}
	return cols
}

// Execute runs SQL in the Databricks dialect. Several statements separated
// by semicolons run in order; the result is the last one's. Before anything
// reads data it waits until every acknowledged record is queryable.
func (e *Engine) Execute(ctx context.Context, req StatementRequest) (*Result, error) {
	if err := e.checkOpen(); err != nil {
		return nil, err
	}
	if req.Identity == nil {
		return nil, fmt.Errorf("%w: missing credentials", ErrUnauthenticated)
	}
	req.catalogGiven, req.schemaGiven = req.Catalog != "", req.Schema != ""
	if req.Catalog == "" {
		req.Catalog = "main"
	}
	if req.Schema == "" {
		req.Schema = "default"
	}
	stmts, err := dialect.Split(req.SQL)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidArgument, err)
	}
	if len(stmts) == 0 {
		return nil, fmt.Errorf("%w: the statement is empty", ErrInvalidArgument)
	}
	var res *Result
	for _, text := range stmts {
		opts := e.TranslateOptions(ctx, req.Identity)
		req.timeTravels = 0
		opts.TimeTravel = e.timeTravelHook(ctx, &req)
		opts.Session = &dialect.Session{Catalog: req.Catalog, Schema: req.Schema, User: req.Identity.ClientID,
			Metastore: Metastore, Version: SQLVersion}
		st, err := dialect.ParseWith(text, opts)
		if err == nil && isView(st) {
			opts.Session.Stored = true
			st, err = dialect.ParseWith(text, opts)
		}
		if err != nil {
			return nil, dialectError(err)
		}
		res, err = e.execOne(ctx, &req, st, text)
		if !readOnly(st) {
			e.dataWritten() // even a failed statement may have written
		}
		if err != nil {
			return nil, namedIn(err, text)
		}
		res.Catalog, res.Schema = req.Catalog, req.Schema
	}
	return res, nil
}

// readOnly reports whether a statement only reads rows: a query that
// starts with SELECT, VALUES or FROM (WITH and EXPLAIN may lead to DML).
func readOnly(st dialect.Statement) bool {
	q, ok := st.(*dialect.Query)
	return ok && (q.Kind == "SELECT" || q.Kind == "VALUES" || q.Kind == "FROM")
}

// isView reports whether st defines a view, whose query runs later.
func isView(st dialect.Statement) bool {
	switch st.(type) {
	case *dialect.CreateView, *dialect.AlterViewAs:
		return true
	}
	return false
}

func dialectError(err error) error {
	if Classify(err).Code != Internal.Code {
		// Already an error of the catalogue: one that event_log's source
		// returned through the translator (unknown pipeline, no permission).
		return err
	}
	if errors.Is(err, dialect.ErrUnsupported) {
		return fmt.Errorf("%w: %v", ErrUnsupported, err)
	}
	if errors.Is(err, dialect.ErrSyntax) {
		return withCondition(fmt.Errorf("%w: %v", ErrInvalidArgument, err), "PARSE_SYNTAX_ERROR", "42601")
	}
	return fmt.Errorf("%w: %v", ErrInvalidArgument, err)
}

// qualify completes a 1–3 part name with the current catalog and schema.
func qualify(req *StatementRequest, q dialect.QName) string {
	switch len(q.Parts) {
	case 1:
		return req.Catalog + "." + req.Schema + "." + q.Parts[0]
	case 2:
		return req.Catalog + "." + q.Parts[0] + "." + q.Parts[1]
	}
	return strings.Join(q.Parts, ".")
}

func schemaName(req *StatementRequest, q dialect.QName) (string, string) {
	switch len(q.Parts) {
	case 0:
		return req.Catalog, req.Schema
	case 1:
		return req.Catalog, q.Parts[0]
	}
	return q.Parts[0], q.Parts[1]
}

func columnSpecs(defs []dialect.ColumnDef) []ColumnSpec {
	out := make([]ColumnSpec, len(defs))
	for i, d := range defs {
		out[i] = ColumnSpec{Name: d.Name, TypeText: d.TypeText, NotNull: d.NotNull, Comment: d.Comment, Default: d.Default}
	}
	return out
}

func (e *Engine) execOne(ctx context.Context, req *StatementRequest, st dialect.Statement, text string) (*Result, error) {
	empty := &Result{}
	req.text = text
	owner := req.Identity.ClientID
	z, err := e.Authorizer(ctx, req.Identity)
	if err != nil {
		return nil, err
	}
	if err := e.authorizeStatement(z, req, st, text); err != nil {
		return nil, err
	}
	switch s := st.(type) {
	case *dialect.CreateCatalog:
		_, err := e.CreateCatalog(ctx, CatalogInfo{Name: s.Name, Comment: s.Comment, Owner: owner}, s.IfNotExists)
		return empty, err
	case *dialect.DropCatalog:
		return empty, e.DropCatalog(ctx, s.Name, s.IfExists, s.Cascade)
	case *dialect.CreateSchema:
		c, n := schemaName(req, s.Name)
		_, err := e.CreateSchema(ctx, SchemaInfo{CatalogName: c, Name: n, Comment: s.Comment, Properties: s.Properties, Owner: owner}, s.IfNotExists)
		return empty, err
	case *dialect.DropSchema:
		c, n := schemaName(req, s.Name)
		return empty, e.DropSchema(ctx, c, n, s.IfExists, s.Cascade)
	case *dialect.UseCatalog:
		if err := e.namespaceExists(ctx, s.Name, ""); err != nil {
			return nil, err
		}
		req.Catalog, req.Schema = s.Name, "default"
		req.catalogGiven, req.schemaGiven = true, false
		return empty, nil
	case *dialect.UseSchema:
		c, n := schemaName(req, s.Name)
		if err := e.namespaceExists(ctx, c, n); err != nil {
			return nil, err
		}
		req.Catalog, req.Schema = c, n
		req.catalogGiven, req.schemaGiven = true, true
		return empty, nil
	case *dialect.ShowCatalogs:
		res := &Result{Columns: stringCols("catalog")}
		var names []string
		if e.opts.SystemTables != nil {
			names = append(names, "system")
		}
		for _, c := range e.ListCatalogs(ctx) {
			names = append(names, c.Name)
		}
		sort.Strings(names)
		for _, n := range names {
			if likeMatch(s.Like, n) && z.Visible(identity.TypeCatalog, n) {
				res.Rows = append(res.Rows, []*string{strp(n)})
			}
		}
		return res, nil
	case *dialect.ShowSchemas:
		cat := s.Catalog
		if cat == "" {
			cat = req.Catalog
		}
		res := &Result{Columns: stringCols("databaseName")}
		if strings.EqualFold(cat, "system") && e.opts.SystemTables != nil {
			for _, n := range e.systemSchemas() {
				if likeMatch(s.Like, n) && z.Visible(identity.TypeSchema, systemCatalog+"."+n) {
					res.Rows = append(res.Rows, []*string{strp(n)})
				}
			}
			return res, nil
		}
		list, err := e.ListSchemas(ctx, cat)
		if err != nil {
			return nil, err
		}
		for _, sc := range list {
			if likeMatch(s.Like, sc.Name) && z.Visible(identity.TypeSchema, sc.CatalogName+"."+sc.Name) {
				res.Rows = append(res.Rows, []*string{strp(sc.Name)})
			}
		}
		return res, nil
	case *dialect.ShowTables:
		c, n := schemaName(req, s.Schema)
		res := &Result{Columns: append(stringCols("database", "tableName"), ResultColumn{Name: "isTemporary", TypeName: "BOOLEAN", TypeText: "BOOLEAN"})}
		if strings.EqualFold(c, "system") && e.opts.SystemTables != nil {
			for _, d := range SystemTableDefs() {
				if strings.EqualFold(d.Schema, n) && likeMatch(s.Like, d.Name) && z.Visible(identity.TypeTable, systemCatalog+"."+d.Key()) {
					res.Rows = append(res.Rows, []*string{strp(d.Schema), strp(d.Name), strp("false")})
				}
			}
			return res, nil
		}
		list, err := e.ListTables(ctx, c, n)
		if err != nil {
			return nil, err
		}
		for _, t := range list {
			if likeMatch(s.Like, t.Name) && z.Visible(identity.TypeTable, t.FullName) {
				res.Rows = append(res.Rows, []*string{strp(t.SchemaName), strp(t.Name), strp("false")})
			}
		}
		return res, nil
	case *dialect.ShowGrants:
		return e.showGrants(ctx, z, req, s)
	case *dialect.DescribeTable:
		return e.describe(ctx, qualify(req, s.Name), s.Extended)
	case *dialect.DescribeHistory:
		return e.describeHistory(ctx, qualify(req, s.Name), s.Limit)
	case *dialect.Optimize:
		return e.optimize(ctx, qualify(req, s.Name))
	case *dialect.RestoreTable:
		return e.restoreTable(ctx, req, s)
	case *dialect.CreateView:
		return e.createView(ctx, req, s, text)
	case *dialect.AlterViewAs:
		return e.alterView(ctx, req, s, text)
	case *dialect.DropView:
		return empty, e.DropView(ctx, qualify(req, s.Name), s.IfExists)
	case *dialect.DescribeDetail:
		return e.describeDetail(ctx, qualify(req, s.Name))
	case *dialect.ShowTblProperties:
		return e.showTblProperties(ctx, qualify(req, s.Name), s.Key)
	case *dialect.ShowCreateTable:
		return e.showCreateTable(ctx, qualify(req, s.Name))
	case *dialect.CreateTable:
		if s.Using != "" && s.Using != "DELTA" {
			return nil, fmt.Errorf("%w: USING %s (zbemu tables are managed Delta tables; use USING DELTA or omit it)", ErrUnsupported, s.Using)
		}
		if s.AsQuery != nil {
			return e.createTableAsSelect(ctx, req, s, text)
		}
		full := qualify(req, s.Name)
		parts := strings.Split(full, ".")
		if s.OrReplace {
			if err := e.DropTable(ctx, full, true); err != nil {
				return nil, err
			}
		}
		_, err := e.CreateTable(ctx, TableSpec{Catalog: parts[0], Schema: parts[1], Name: parts[2], Columns: columnSpecs(s.Columns),
			Comment: s.Comment, Properties: s.Properties, PartitionColumns: s.PartitionedBy, ClusterColumns: s.ClusterBy,
			Owner: owner, Statement: text, Constraints: checkSpecs(s.Constraints)}, s.IfNotExists)
		return empty, err
	case *dialect.DropTable:
		return empty, e.DropTable(ctx, qualify(req, s.Name), s.IfExists)
	case *dialect.AlterTableAddColumns:
		_, err := e.AddColumns(ctx, qualify(req, s.Name), columnSpecs(s.Columns), text)
		return empty, err
	case *dialect.AlterTableSetProperties:
		_, err := e.SetProperties(ctx, qualify(req, s.Name), s.Properties, nil, text)
		return empty, err
	case *dialect.AlterTableUnsetProperties:
		_, err := e.SetProperties(ctx, qualify(req, s.Name), nil, s.Keys, text)
		return empty, err
	case *dialect.AlterColumnComment:
		_, err := e.SetColumnComment(ctx, qualify(req, s.Name), s.Column, s.Comment, text)
		return empty, err
	case *dialect.AlterColumnType:
		_, err := e.AlterColumnType(ctx, qualify(req, s.Name), s.Column, s.TypeText, text)
		return empty, err
	case *dialect.AlterColumnSetTags:
		_, err := e.SetColumnTags(ctx, qualify(req, s.Name), s.Column, s.Tags, s.Unset, text)
		return empty, err
	case *dialect.AlterTableAddConstraint:
		_, err := e.AddConstraint(ctx, qualify(req, s.Name), s.Constraint, s.Check, text)
		return empty, err
	case *dialect.AlterTableDropConstraint:
		_, err := e.DropConstraint(ctx, qualify(req, s.Name), s.Constraint, s.IfExists, text)
		return empty, err
	case *dialect.AlterTableDropColumns:
		_, err := e.DropColumns(ctx, qualify(req, s.Name), s.Columns, s.IfExists, text)
		return empty, err
	case *dialect.AlterTableRenameColumn:
		_, err := e.RenameColumn(ctx, qualify(req, s.Name), s.From, s.To, text)
		return empty, err
	case *dialect.AlterColumnDefault:
		_, err := e.SetColumnDefault(ctx, qualify(req, s.Name), s.Column, s.Default, s.Drop, text)
		return empty, err
	case *dialect.Grant:
		return empty, e.changeGrants(ctx, req, s.On, s.Principal, s.Privileges, true)
	case *dialect.Revoke:
		return empty, e.changeGrants(ctx, req, s.On, s.Principal, s.Privileges, false)
	case *dialect.Query:
		return e.query(ctx, req, s, text)
	case *dialect.CreateDataset:
		// Databricks SQL runs these as a pipeline of one dataset; zbemu
		// runs them in pipelines only.
		return nil, fmt.Errorf("%w: CREATE %s %s in the SQL editor (put it in a pipeline source file and run it: zbemu pipeline run FILE.sql --catalog %s --schema %s, or create a pipeline with the Pipelines API)",
			ErrUnsupported, strings.ReplaceAll(s.Kind, "_", " "), s.Name, req.Catalog, req.Schema)
	}
	return nil, fmt.Errorf("%w: statement %T", ErrUnsupported, st)
}

func (e *Engine) securableName(req *StatementRequest, sec dialect.Securable) string {
	switch sec.Type {
	case "CATALOG":
		if len(sec.Name.Parts) == 0 {
			return req.Catalog
		}
		return strings.Join(sec.Name.Parts, ".")
	case "SCHEMA":
		c, n := schemaName(req, sec.Name)
		return c + "." + n
	}
	return qualify(req, sec.Name)
}

func (e *Engine) describe(ctx context.Context, full string, extended bool) (*Result, error) {
	if res, ok := describeSystemTable(full); ok {
		return res, nil
	}
	t, err := e.GetTable(ctx, full)
	if err != nil {
		return nil, err
	}
	res := &Result{Columns: stringCols("col_name", "data_type", "comment")}
	row := func(a, b string, c *string) { res.Rows = append(res.Rows, []*string{strp(a), strp(b), c}) }
	for _, c := range t.Columns {
		var cm *string
		if c.Comment != "" {
			cm = strp(c.Comment)
		}
		dt := strings.ToLower(c.TypeText)
		if !c.Nullable {
			dt += " not null"
		}
		row(c.Name, dt, cm)
	}
	if len(t.PartitionColumns) > 0 {
		row("# Partition Information", "", nil)
		row("# col_name", "data_type", strp("comment"))
		for _, p := range t.PartitionColumns {
			for _, c := range t.Columns {
				if strings.EqualFold(c.Name, p) {
					row(c.Name, c.TypeText, nil)
				}
			}
		}
	}
	if !extended {
		return res, nil
	}
	props := make([]string, 0, len(t.Properties))
	for k, v := range t.Properties {
		props = append(props, k+"="+v)
	}
	sort.Strings(props)
	row("", "", nil)
	row("# Detailed Table Information", "", nil)
	row("Catalog", t.CatalogName, nil)
	row("Database", t.SchemaName, nil)
	row("Table", t.Name, nil)
	row("Table ID", t.TableID, nil)
	row("Created Time", formatMillis(t.CreatedAt), nil)
	row("Last Access", "UNKNOWN", nil)
	row("Created By", "zbemu", nil)
	row("Type", t.TableType, nil)
	if t.Comment != "" {
		row("Comment", t.Comment, nil)
	}
	row("Location", t.StorageLocation, nil)
	row("Provider", "delta", nil)
	row("Owner", t.Owner, nil)
	if len(t.ClusterColumns) > 0 {
		row("Clustering Columns", "["+strings.Join(t.ClusterColumns, ",")+"]", nil)
	}
	row("Table Properties", "["+strings.Join(props, ",")+"]", nil)
	row("Version", strconv.FormatInt(t.Version, 10), nil)
	return res, nil
}

func (e *Engine) describeHistory(ctx context.Context, full string, limit int) (*Result, error) {
	// A table with a Delta log answers from it, so versions agree with
	// time travel's (restore.go).
	if info, err := e.GetTable(ctx, full); err == nil && info.TableType != "VIEW" {
		dir, err := e.deltaTable(ctx, info)
		if err == nil {
			return deltaHistory(dir, limit)
		}
		if !errors.Is(err, delta.ErrNotTable) {
			return nil, err
		}
	}
	hs, err := e.History(ctx, full)
	if err != nil {
		return nil, err
	}
	res := &Result{Columns: []ResultColumn{{Name: "version", TypeName: "LONG", TypeText: "BIGINT"},
		{Name: "timestamp", TypeName: "TIMESTAMP", TypeText: "TIMESTAMP"}, {Name: "operation", TypeName: "STRING", TypeText: "STRING"},
		{Name: "operationParameters", TypeName: "STRING", TypeText: "STRING"}, {Name: "statement", TypeName: "STRING", TypeText: "STRING"}}}
	for i, h := range hs {
		if limit > 0 && i >= limit {
			break
		}
		res.Rows = append(res.Rows, []*string{strp(strconv.FormatInt(h.Version, 10)), strp(formatTimestamp(h.Timestamp, true)),
			strp(h.Operation), strp(h.Parameters), strp(h.Statement)})
	}
	return res, nil
}

// systemSchemas lists the schemas of the system catalog (none when system
// tables are off).
func (e *Engine) systemSchemas() []string {
	if e.opts.SystemTables == nil {
		return nil
	}
	var out []string
	for _, d := range SystemTableDefs() {
		if !slices.Contains(out, d.Schema) {
			out = append(out, d.Schema)
		}
	}
	return out
}

// likeMatch implements SHOW ... LIKE patterns: * wildcard and | alternatives,
// case-insensitive.
func likeMatch(pattern, s string) bool {
	if pattern == "" {
		return true
	}
	for _, alt := range strings.Split(pattern, "|") {
		re := "^" + strings.ReplaceAll(regexp.QuoteMeta(strings.TrimSpace(alt)), `\*`, ".*") + "$"
		if ok, _ := regexp.MatchString("(?i)"+re, s); ok {
			return true
		}
	}
	return false
}

// query runs a statement on DuckDB after translating it. The connection is
// pointed at the current catalog and schema first.
func (e *Engine) query(ctx context.Context, req *StatementRequest, q *dialect.Query, text string) (*Result, error) {
	args, translated, err := bindParams(q.SQL, req.Params)
	if err != nil {
		return nil, err
	}
	conn, err := e.sessionConn(ctx, req)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if err := e.checkSealed(ctx, conn, q, translated, args, req.timeTravels > 0); err != nil {
		return nil, err
	}
	if _, ok := dmlKinds[q.Kind]; ok {
		targets, err := e.dmlTargets(req, q.Kind, text)
		if err != nil {
			return nil, err
		}
		var merged *Result
		n, err := e.execDML(ctx, conn, q.Kind, targets, func(ctx context.Context, x execQuerier) (int64, error) {
			if q.Kind == "MERGE" {
				r, n, err := merge(ctx, x, translated, args)
				merged = r
				return n, err
			}
			r, err := x.ExecContext(ctx, translated, args...)
			if err != nil {
				return 0, sqlError(err)
			}
			n, _ := r.RowsAffected()
			return n, nil
		})
		if err != nil {
			return nil, err
		}
		if merged != nil {
			return merged, nil
		}
		col := "num_affected_rows"
		if q.Kind == "INSERT" {
			col = "num_inserted_rows"
		}
		return &Result{Columns: []ResultColumn{{Name: col, TypeName: "LONG", TypeText: "BIGINT"}}, Rows: [][]*string{{strp(strconv.FormatInt(n, 10))}}}, nil
	}
	rows, err := conn.QueryContext(ctx, translated, args...)
	if err != nil {
		return nil, sqlError(err)
	}
	defer rows.Close()
	res, err := scanResult(rows, resultLimits{rows: req.RowLimit, bytes: req.ByteLimit})
	if err != nil {
		return nil, err
	}
	if len(q.Names) == len(res.Columns) {
		for i, n := range q.Names {
			if n != "" {
				res.Columns[i].Name = n
			}
		}
	}
	return res, nil
}

// sessionConn returns a connection for a statement of req, pointed at the
// current catalog and schema, once every acknowledged record is queryable.
func (e *Engine) sessionConn(ctx context.Context, req *StatementRequest) (*sql.Conn, error) {
	if err := e.Sync(ctx); err != nil {
		return nil, err
	}
	conn, err := e.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	if err := e.useSession(ctx, conn, req); err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}

func (e *Engine) useSession(ctx context.Context, conn *sql.Conn, req *StatementRequest) error {
	err := e.namespaceExists(ctx, req.Catalog, req.Schema)
	if err == nil {
		if _, err := conn.ExecContext(ctx, "USE "+quoteIdent(duckAlias(req.Catalog))+"."+quoteIdent(strings.ToLower(req.Schema))); err != nil {
			return fmt.Errorf("%w: %v", ErrSQL, err)
		}
		return nil
	}
	if req.schemaGiven {
		return err
	}
	// The connection is pooled: names must not resolve in the schema
	// an earlier statement chose on it. schema.table still resolves in
	// an existing current catalog.
	use := "USE memory.main"
	if err := e.namespaceExists(ctx, req.Catalog, ""); err == nil {
		use = "USE " + quoteIdent(duckAlias(req.Catalog))
	} else if req.catalogGiven {
		return err
	}
	if _, err := conn.ExecContext(ctx, use); err != nil {
		return fmt.Errorf("%w: %v", ErrSQL, err)
	}
	return nil
}

var paramRE = regexp.MustCompile(`\$([A-Za-z_][A-Za-z0-9_]*)`)

// paramTypeRE is what a parameter's type may be: a name with an optional
// precision and scale.
var paramTypeRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*( ?\( ?[0-9]+ ?(, ?[0-9]+ ?)?\))?$`)

// replaceOutsideQuotes applies re to the parts of a translated (DuckDB)
// statement outside 'string literals' and "quoted identifiers", so that a
// literal such as '$total' is never taken for a parameter marker.
func replaceOutsideQuotes(query string, re *regexp.Regexp, f func(string) string) string {
	var b strings.Builder
	start := 0
	for i := 0; i < len(query); i++ {
		q := query[i]
		if q != '\'' && q != '"' {
			continue
		}
		b.WriteString(re.ReplaceAllStringFunc(query[start:i], f))
		j := i + 1
		for j < len(query) {
			if query[j] == q {
				if j+1 < len(query) && query[j+1] == q { // doubled quote
					j += 2
					continue
				}
				break
			}
			j++
		}
		end := min(j+1, len(query))
		b.WriteString(query[i:end])
		start, i = end, end-1
	}
	b.WriteString(re.ReplaceAllStringFunc(query[start:], f))
	return b.String()
}

// bindParams binds :name parameters (already rewritten to $name). A typed
// parameter is cast in SQL, as Databricks does.
func bindParams(query string, params []Param) ([]any, string, error) {
	byName := map[string]Param{}
	for _, p := range params {
		// The type is spliced into the SQL text (CAST ... AS type): only a
		// type name may get there.
		if p.Type != "" && !paramTypeRE.MatchString(p.Type) {
			return nil, "", fmt.Errorf("%w: parameter %q: type %q is not a type name (expected e.g. INT, STRING, DATE or DECIMAL(10,2))", ErrInvalidArgument, p.Name, p.Type)
		}
		byName[p.Name] = p
	}
	var args []any
	var missing []string
	seen := map[string]bool{}
	out := replaceOutsideQuotes(query, paramRE, func(m string) string {
		name := m[1:]
		p, ok := byName[name]
		if !ok {
			if !seen[name] {
				missing = append(missing, name)
			}
			seen[name] = true
			return m
		}
		if !seen[name] {
			var v any
			if p.Value != nil {
				v = *p.Value
			}
			args = append(args, sql.Named(name, v))
			seen[name] = true
		}
		if p.Type != "" && !strings.EqualFold(p.Type, "STRING") {
			return "CAST(" + m + " AS " + duckParamType(p.Type) + ")"
		}
		if p.Value == nil {
			// An untyped parameter is a STRING, also when it is NULL
			// (DuckDB would type a bare NULL as INTEGER).
			return "CAST(" + m + " AS VARCHAR)"
		}
		return m
	})
	if len(missing) > 0 {
		return nil, "", withCondition(fmt.Errorf("%w: no value for parameter marker(s) %s; pass them in \"parameters\": [{\"name\": ..., \"value\": ...}]",
			ErrInvalidArgument, ":"+strings.Join(missing, ", :")), "UNBOUND_SQL_PARAMETER", "42P02")
	}
	return args, out, nil
}

func duckParamType(t string) string {
	switch strings.ToUpper(t) {
	case "INT", "INTEGER":
		return "INTEGER"
	case "BIGINT", "LONG":
		return "BIGINT"
	case "SMALLINT", "SHORT":
		return "SMALLINT"
	case "TINYINT", "BYTE":
		return "TINYINT"
	case "TIMESTAMP":
		return "TIMESTAMPTZ"
	case "TIMESTAMP_NTZ":
		return "TIMESTAMP"
	case "BINARY":
		return "BLOB"
	}
	return strings.ToUpper(t)
}
