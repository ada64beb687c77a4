package engine

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/google/uuid"

	"github.com/zbemu/zbemu/engine/dialect"
	"github.com/zbemu/zbemu/engine/identity"
)

// Views (CREATE VIEW, https://docs.databricks.com/aws/en/views/) are DuckDB
// views in the catalog's file plus zbemu metadata: Unity Catalog table_type
// VIEW and view_definition, so SHOW TABLES, DESCRIBE, GetTable/ListTables
// and the UC REST API list them with the tables.
//
// Security model, as in Unity Catalog: creating a view needs USE SCHEMA and
// CREATE TABLE on its schema and SELECT on everything its query reads;
// reading it needs SELECT on the view only, and the view's owner must
// still hold SELECT on what the query reads (authorizeViewOwner), so a
// view stops working when its owner loses access and never reaches more
// than its owner may read. A view's query is checked at CREATE like any
// query (sealed SQL: no denied function, no hidden schema, only zbemu's
// tables in the plan), and DuckDB's plan of every statement that reads the
// view is checked again, as for any query.
//
// Name resolution: DuckDB binds a view's table names in the view's own
// schema first and then in the search path of whoever reads it, where
// Databricks binds them once, in the creator's current catalog and schema.
// So the stored DuckDB query names every table in full: qualifyTables finds
// each table reference in DuckDB's own parse tree (json_serialize_sql) and
// writes it out as database.schema.table, resolved the Databricks way. The
// view's dependencies (viewDef.Deps) are exactly those names, and the
// plan of the finished view may read no other table.
//
// Temporary views (CREATE TEMPORARY VIEW) are refused by the parser with a
// hint: the Statement Execution API has no sessions for them to live in.

const tableTypeView = "VIEW"

// maxViewDepth bounds views over views (and catches cycles that OR REPLACE
// could make).
const maxViewDepth = 16

// viewDef is the definition of a view, kept in its tableMeta.
type viewDef struct {
	// Text is the query as written (UC view_definition).
	Text string `json:"text"`
	// SQL is the DuckDB query with every table named in full.
	SQL string `json:"sql"`
	// Deps are the full UC names of the tables and views SQL reads.
	Deps []string `json:"deps"`
}

// viewMeta returns the metadata of the view with the full name, or nil when
// the name is not a view.
func (e *Engine) viewMeta(full string) *tableMeta {
	_, t, err := e.resolveTable(full)
	if err != nil {
		return nil
	}
	if m := t.cur.Load().meta; m.TableType == tableTypeView && m.View != nil {
		return m
	}
	return nil
}

// authorizeViewOwner checks, when full is a view, that its owner may read
// every table and view its query reads (recursively for views over views),
// and that the stored query still passes the sealed-SQL name checks.
func (e *Engine) authorizeViewOwner(ctx context.Context, full string, depth int) error {
	m := e.viewMeta(full)
	if m == nil {
		return nil
	}
	if depth > maxViewDepth {
		return fmt.Errorf("%w: view %s reads views nested deeper than %d levels (or a cycle of views)", ErrInvalidArgument, full, maxViewDepth)
	}
	if st, err := dialect.Parse(m.View.Text); err != nil {
		return dialectError(err)
	} else if q, ok := st.(*dialect.Query); !ok {
		return fmt.Errorf("%w: view %s has no query", ErrInvalidArgument, full)
	} else if err := checkNames(q); err != nil {
		return err
	}
	p, err := e.ids.LookupPrincipal(ctx, m.Owner)
	if err != nil {
		return fmt.Errorf("%w: view %s cannot be read: its owner %s is not a principal any more", ErrPermissionDenied, full, m.Owner)
	}
	a, err := e.access(ctx, &Identity{ClientID: p.ClientID, Admin: p.Admin})
	if err != nil {
		return err
	}
	for _, d := range m.View.Deps {
		o, err := e.object(identity.TypeTable, d)
		if err != nil {
			if ifExists(err) == nil {
				continue // DuckDB reports the missing table when it binds the view
			}
			return err
		}
		if err := a.Require(o, "SELECT"); err != nil {
			return fmt.Errorf("%w: view %s reads %s with its owner's rights, and its owner %s may not read it any more: %v",
				ErrPermissionDenied, full, d, m.Owner, err)
		}
		if err := e.authorizeViewOwner(ctx, d, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// createView runs CREATE [OR REPLACE] VIEW [IF NOT EXISTS] (authorized by
// authorizeStatement).
func (e *Engine) createView(ctx context.Context, req *StatementRequest, s *dialect.CreateView, text string) (*Result, error) {
	full := qualify(req, s.Name)
	if err := validName("view", s.Name.Parts[len(s.Name.Parts)-1]); err != nil {
		return nil, err
	}
	var old *tableMeta
	if _, t, err := e.resolveTable(full); err == nil {
		old = t.cur.Load().meta
	}
	switch {
	case old != nil && s.IfNotExists:
		return &Result{}, nil
	case old != nil && old.TableType != tableTypeView:
		return nil, fmt.Errorf("%w: %s is a table, not a view (CREATE OR REPLACE VIEW replaces views only)", ErrAlreadyExists, full)
	case old != nil && !s.OrReplace:
		return nil, fmt.Errorf("%w: View '%s' already exists", ErrAlreadyExists, full)
	}
	op := "CREATE VIEW"
	if old != nil {
		op = "CREATE OR REPLACE VIEW"
	}
	return &Result{}, e.defineView(ctx, req, full, old, s.Query, s.QueryText, s.Columns, s.Comment, s.Properties, op, text)
}

// alterView runs ALTER VIEW name AS query: a new definition, the same
// view (id, owner, grants, comment, properties).
func (e *Engine) alterView(ctx context.Context, req *StatementRequest, s *dialect.AlterViewAs, text string) (*Result, error) {
	full := qualify(req, s.Name)
	_, t, err := e.resolveTable(full)
	if err != nil {
		return nil, err
	}
	old := t.cur.Load().meta
	if old.TableType != tableTypeView {
		return nil, fmt.Errorf("%w: %s is a table, not a view (use ALTER TABLE)", ErrInvalidArgument, full)
	}
	return &Result{}, e.defineView(ctx, req, full, old, s.Query, s.QueryText, nil, old.Comment, old.Properties, "ALTER VIEW", text)
}

// defineView compiles a view's query and creates or replaces the view
// (old is the view it replaces, or nil).
func (e *Engine) defineView(ctx context.Context, req *StatementRequest, full string, old *tableMeta, q *dialect.Query, queryText string,
	names []dialect.ViewColumn, comment string, props map[string]string, op, text string) error {
	if ps := dialect.Params(queryText); len(ps) > 0 {
		return fmt.Errorf("%w: a view's query cannot use parameter markers (found :%s); write the values into the query", ErrInvalidArgument, ps[0])
	}
	for _, c := range q.Calls {
		if strings.EqualFold(c, "event_log") {
			// Who may read a pipeline's event log is checked when
			// event_log is called; a view would keep the answer.
			return fmt.Errorf("%w: event_log in a view (query event_log directly, or copy the events into a table with CREATE TABLE ... AS SELECT)", ErrUnsupported)
		}
	}
	conn, err := e.sessionConn(ctx, req)
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := e.checkSealed(ctx, conn, q, q.SQL, nil, false); err != nil {
		return err
	}
	body, deps, err := qualifyTables(ctx, conn, q.SQL, req)
	if err != nil {
		return err
	}
	cols, err := viewColumns(ctx, conn, body, names)
	if err != nil {
		return err
	}
	allowed, err := e.baseTables(deps)
	if err != nil {
		return err
	}
	parts := strings.Split(full, ".")
	now := nowMillis()
	m := &tableMeta{TableID: uuid.NewString(), Schema: parts[1], Name: parts[2], Columns: cols, Comment: comment,
		Properties: copyProps(props), Owner: req.Identity.ClientID, CreatedAt: now, UpdatedAt: now, Statement: text,
		TableType: tableTypeView, View: &viewDef{Text: queryText, SQL: body, Deps: deps}}
	if old != nil {
		m.TableID, m.Owner, m.CreatedAt, m.Version, m.Schema, m.Name = old.TableID, old.Owner, old.CreatedAt, old.Version+1, old.Schema, old.Name
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	c, sch, err := e.schemaLocked(parts[0], parts[1])
	if err != nil {
		return err
	}
	m.Catalog, m.Schema = c.info.Name, sch.Name
	ts, err := newTableState(m, c.alias)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidArgument, err)
	}
	key := strings.ToLower(m.Schema + "." + m.Name)
	if cur, ok := c.tables[key]; ok && (old == nil || cur.cur.Load().meta.TableID != old.TableID) {
		return fmt.Errorf("%w: Table or view '%s' already exists", ErrAlreadyExists, full)
	}
	colNames := make([]string, len(cols))
	for i, col := range cols {
		colNames[i] = quoteIdent(col.Name)
	}
	ddl := fmt.Sprintf("CREATE OR REPLACE VIEW %s (%s) AS %s", ts.cur.Load().info().DuckDB, strings.Join(colNames, ", "), body)
	err = e.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, ddl); err != nil {
			return err
		}
		if err := checkViewPlan(ctx, tx, ts.cur.Load().info().DuckDB, deps, allowed); err != nil {
			return err
		}
		if err := e.writeMetaTx(ctx, tx, c.alias, m); err != nil {
			return err
		}
		return e.historyTx(ctx, tx, c.alias, m, op, map[string]any{"columns": len(cols)})
	})
	if errors.Is(err, ErrPermissionDenied) || errors.Is(err, ErrInvalidArgument) {
		return err
	}
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrSQL, op, err)
	}
	c.tables[key] = ts
	return nil
}

// DropView removes a view.
func (e *Engine) DropView(ctx context.Context, full string, ifExists bool) error {
	c, t, err := e.resolveTable(full)
	if err != nil {
		if ifExists && errors.Is(err, ErrTableNotFound) {
			return nil
		}
		return err
	}
	m := t.cur.Load().meta
	if m.TableType != tableTypeView {
		return fmt.Errorf("%w: %s is a table, not a view; use DROP TABLE", ErrInvalidArgument, full)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	err = e.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "DROP VIEW "+t.cur.Load().info().DuckDB); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, fmt.Sprintf("DELETE FROM %s.__zbemu.tables WHERE schema_name = ? AND name = ?", quoteIdent(c.alias)), strings.ToLower(m.Schema), strings.ToLower(m.Name))
		return err
	})
	if err != nil {
		return fmt.Errorf("drop view %s: %w", full, err)
	}
	delete(c.tables, strings.ToLower(m.Schema+"."+m.Name))
	return e.ids.DropGrants(ctx, m.fullName())
}

// checkViewPlan checks that DuckDB's plan of the new view (duckName, in
// the transaction that creates it) reads no table but the base tables of
// deps (through views over views): a name qualifyTables took for a CTE
// that DuckDB binds as a table would show up here. The transaction's
// connection first uses the empty database memory, so such a name cannot
// silently find a table on a search path. It is a backstop, not the rule:
// DuckDB's optimizer drops scans that the tables' statistics prove empty,
// so qualifyTables must name every table itself. __zbemu tables are left
// to checkPlanTable (the quarantine view).
func checkViewPlan(ctx context.Context, tx *sql.Tx, duckName string, deps []string, allowed map[string]bool) error {
	if _, err := tx.ExecContext(ctx, "USE memory.main"); err != nil {
		return err
	}
	plans, err := explainPlans(ctx, tx, "SELECT * FROM "+duckName, nil)
	if err != nil {
		return err
	}
	var walk func(nodes []planNode) error
	walk = func(nodes []planNode) error {
		for _, n := range nodes {
			if t, ok := n.ExtraInfo["Table"].(string); ok {
				parts := duckNameParts(t)
				lt := strings.ToLower(strings.Join(parts, "."))
				if !allowed[lt] && !(len(parts) == 3 && strings.EqualFold(parts[1], "__zbemu")) {
					return sealError("the view's query reads %s, which is not one of the tables it names (%s); name every table in full (catalog.schema.table)", t, strings.Join(deps, ", "))
				}
			}
			if err := walk(n.Children); err != nil {
				return err
			}
		}
		return nil
	}
	for _, nodes := range plans {
		if err := walk(nodes); err != nil {
			return err
		}
	}
	return nil
}

// baseTables returns the DuckDB names (lower case) of the base tables that
// deps name, through views over views.
func (e *Engine) baseTables(deps []string) (map[string]bool, error) {
	allowed := map[string]bool{}
	var expand func(names []string, depth int) error
	expand = func(names []string, depth int) error {
		for _, d := range names {
			_, t, err := e.resolveTable(d)
			if err != nil {
				continue
			}
			v := t.cur.Load()
			if v.meta.View == nil {
				allowed[strings.ToLower(v.alias+"."+v.meta.Schema+"."+v.meta.Name)] = true
				continue
			}
			if depth > maxViewDepth {
				return fmt.Errorf("%w: the view reads views nested deeper than %d levels", ErrInvalidArgument, maxViewDepth)
			}
			if err := expand(v.meta.View.Deps, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	return allowed, expand(deps, 1)
}

// viewColumns returns the columns of a view's query: DuckDB's result
// names and types mapped to Databricks types, nullable, renamed (and
// commented) by the view's column list when there is one.
func viewColumns(ctx context.Context, conn *sql.Conn, body string, names []dialect.ViewColumn) ([]storedColumn, error) {
	rows, err := conn.QueryContext(ctx, "SELECT * FROM ("+body+") LIMIT 0")
	if err != nil {
		return nil, sqlError(err)
	}
	cts, err := rows.ColumnTypes()
	rows.Close()
	if err != nil {
		return nil, sqlError(err)
	}
	if len(names) > 0 && len(names) != len(cts) {
		return nil, fmt.Errorf("%w: the view's column list names %d columns but its query returns %d", ErrInvalidArgument, len(names), len(cts))
	}
	seen := map[string]bool{}
	out := make([]storedColumn, len(cts))
	for i, ct := range cts {
		c := storedColumn{Name: ct.Name(), Type: resultType(ct.DatabaseTypeName()).String(), Nullable: true}
		if len(names) > 0 {
			c.Name, c.Comment = names[i].Name, names[i].Comment
		}
		if seen[strings.ToLower(c.Name)] {
			return nil, fmt.Errorf("%w: the view would have two columns named %q; give them different names with AS", ErrInvalidArgument, c.Name)
		}
		seen[strings.ToLower(c.Name)] = true
		out[i] = c
	}
	return out, nil
}

// tableRef is a table reference of a parsed query: the parts as written
// (catalog and schema may be empty) and its byte offset in the query.
type tableRef struct {
	catalog, schema, table string
	at                     int
}

// qualifyTables rewrites a (translated, sealed) view query so that every
// table it reads is named in full as a DuckDB database.schema.table,
// resolved the Databricks way against req's current catalog and schema
// (t is catalog.schema.t, s.t is catalog.s.t), and returns it with the
// full UC names it reads. The references come from DuckDB's parse tree
// (json_serialize_sql), which tells a table from a CTE name; what that
// tree does not show is checked afterwards: DuckDB's plan of the rewritten
// query may read no table but those.
func qualifyTables(ctx context.Context, conn *sql.Conn, query string, req *StatementRequest) (string, []string, error) {
	var tree string
	if err := conn.QueryRowContext(ctx, "SELECT CAST(json_serialize_sql("+quoteString(query)+") AS VARCHAR)").Scan(&tree); err != nil {
		return "", nil, sqlError(err)
	}
	var root map[string]any
	if err := json.Unmarshal([]byte(tree), &root); err != nil {
		return "", nil, fmt.Errorf("decode the parse tree of a view: %w", err)
	}
	if failed, _ := root["error"].(bool); failed {
		return "", nil, fmt.Errorf("%w: %v", ErrSQL, root["error_message"])
	}
	var refs []tableRef
	collectTableRefs(root["statements"], nil, &refs)
	sort.Slice(refs, func(i, j int) bool { return refs[i].at > refs[j].at })
	out := query
	var deps []string
	duckNames := map[string]bool{}
	for _, r := range refs {
		cat, sch := r.catalog, r.schema
		if sch == "" {
			sch = req.Schema
		}
		if cat == "" {
			cat = duckAlias(req.Catalog)
		}
		uc := strings.ToLower(ucCatalog(cat) + "." + sch + "." + r.table)
		duck := quoteIdent(strings.ToLower(cat)) + "." + quoteIdent(strings.ToLower(sch)) + "." + quoteIdent(strings.ToLower(r.table))
		end, ok := nameEnd(out, r)
		if !ok {
			return "", nil, fmt.Errorf("%w: cannot locate the table reference %s in the view's query; name it in full (catalog.schema.table)", ErrUnsupported, r.table)
		}
		out = out[:r.at] + duck + out[end:]
		if !duckNames[uc] {
			deps = append(deps, uc)
		}
		duckNames[uc] = true
	}
	sort.Strings(deps)
	return out, deps, nil
}

// collectTableRefs walks a json_serialize_sql tree and appends the base
// table references that are not names of common table expressions in
// scope. A CTE is in scope in the query that defines it, in the bodies of
// the CTEs after it and, for a recursive CTE, in its own body.
func collectTableRefs(v any, ctes []string, refs *[]tableRef) {
	switch x := v.(type) {
	case []any:
		for _, item := range x {
			collectTableRefs(item, ctes, refs)
		}
	case map[string]any:
		scope := ctes
		if cm, ok := x["cte_map"].(map[string]any); ok {
			entries, _ := cm["map"].([]any)
			for _, en := range entries {
				entry, _ := en.(map[string]any)
				name, _ := entry["key"].(string)
				body := entry["value"]
				own := scope
				if isRecursiveCTE(body) {
					own = append(append([]string(nil), scope...), strings.ToLower(name))
				}
				collectTableRefs(body, own, refs)
				scope = append(append([]string(nil), scope...), strings.ToLower(name))
			}
		}
		if x["type"] == "BASE_TABLE" {
			r := tableRef{}
			r.catalog, _ = x["catalog_name"].(string)
			r.schema, _ = x["schema_name"].(string)
			r.table, _ = x["table_name"].(string)
			loc, _ := x["query_location"].(float64)
			r.at = int(loc)
			if loc < 0 || loc > 1<<40 {
				r.at = -1
			}
			if r.catalog != "" || r.schema != "" || !containsFold(scope, r.table) {
				*refs = append(*refs, r)
			}
		}
		for k, child := range x {
			if k != "cte_map" {
				collectTableRefs(child, scope, refs)
			}
		}
	}
}

func isRecursiveCTE(body any) bool {
	b, _ := body.(map[string]any)
	q, _ := b["query"].(map[string]any)
	n, _ := q["node"].(map[string]any)
	return n["type"] == "RECURSIVE_CTE_NODE"
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// nameEnd checks that the dotted name of r starts at r.at in query and
// returns where it ends.
func nameEnd(query string, r tableRef) (int, bool) {
	if r.at < 0 || r.at >= len(query) {
		return 0, false
	}
	want := []string{r.table}
	if r.schema != "" {
		want = append([]string{r.schema}, want...)
	}
	if r.catalog != "" {
		want = append([]string{r.catalog}, want...)
	}
	i := r.at
	for k, part := range want {
		if k > 0 {
			i = skipSpace(query, i)
			if i >= len(query) || query[i] != '.' {
				return 0, false
			}
			i = skipSpace(query, i+1)
		}
		got, end, ok := identAt(query, i)
		if !ok || !strings.EqualFold(got, part) {
			return 0, false
		}
		i = end
	}
	return i, true
}

// duckNameParts splits a dotted DuckDB name as its plans print it
// (main_db."default".t) into its unquoted parts.
func duckNameParts(name string) []string {
	var parts []string
	for i := 0; i < len(name); {
		part, end, ok := identAt(name, i)
		if !ok {
			return append(parts, name[i:])
		}
		parts = append(parts, part)
		if end < len(name) && name[end] == '.' {
			end++
		}
		i = end
	}
	return parts
}

func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	return i
}

// identAt reads a DuckDB identifier at i: "quoted" (with "" escapes) or a
// run of letters, digits, _ and $ (and non-ASCII bytes).
func identAt(s string, i int) (string, int, bool) {
	if i < len(s) && s[i] == '"' {
		var b strings.Builder
		for j := i + 1; j < len(s); j++ {
			if s[j] != '"' {
				b.WriteByte(s[j])
				continue
			}
			if j+1 < len(s) && s[j+1] == '"' {
				b.WriteByte('"')
				j++
				continue
			}
			return b.String(), j + 1, true
		}
		return "", 0, false
	}
	j := i
	for j < len(s) && (s[j] == '_' || s[j] == '$' || s[j] >= 0x80 || s[j] >= '0' && s[j] <= '9' || s[j]|0x20 >= 'a' && s[j]|0x20 <= 'z') {
		j++
	}
	return s[i:j], j, j > i
}
