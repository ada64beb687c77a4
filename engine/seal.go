package engine

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/zbemu/zbemu/engine/dialect"
)

// SQL from users runs sealed, for every principal, admins included. DuckDB
// itself enforces the outer wall (duckSettings: no file, network or
// extension access outside zbemu's directories, locked configuration).
// checkSealed adds what DuckDB's settings cannot express:
//
//   - exactly one statement, of a type a query may have (DuckDB's own
//     parser decides, so text that zbemu takes for one statement but DuckDB
//     for several is refused, never half run);
//   - no function that reaches outside zbemu or inspects the engine
//     (deniedFunction), checked on the names the statement calls;
//   - no name of zbemu's hidden metadata (__zbemu) or of DuckDB's own
//     databases and catalog schemas (hiddenQualifiers);
//   - in DuckDB's plan of the statement, table functions only from
//     allowedTableFunctions and base tables only in zbemu's catalogs, which
//     also covers what the names do not show: views, replacement scans of
//     'file.csv' strings and query() bodies.
//
// Refusals wrap ErrPermissionDenied: the statement is well formed but
// reaches something no principal may reach, as Databricks answers
// INSUFFICIENT_PERMISSIONS for file paths without the ANY FILE privilege.

// hiddenQualifiers are DuckDB database and schema names users never
// qualify a name with: the DuckDB names of zbemu's catalogs (users write
// main and system; the translator maps them), DuckDB's own catalogs.
var hiddenQualifiers = map[string]bool{
	"main_db": true, "system_db": true, "temp_db": true, "memory_db": true,
	"pg_catalog": true, "information_schema": true,
}

// deniedPrefixes and deniedFunctions name DuckDB functions that read files,
// run SQL text, or show settings, secrets, variables and the engine's own
// catalog.
var deniedPrefixes = []string{"read_", "duckdb_", "pragma_", "parquet_", "sniff_", "iceberg_", "delta_",
	"sqlite_", "postgres_", "mysql_", "ducklake_", "json_execute", "arrow_", "__zbemu"}

var deniedFunctions = map[string]bool{
	"glob": true, "query": true, "query_table": true, "getenv": true, "current_setting": true,
	"getvariable": true, "which_secret": true, "checkpoint": true, "force_checkpoint": true,
	"seq_scan": true, "index_scan": true, "load_aws_credentials": true, "enable_logging": true,
}

func deniedFunction(name string) bool {
	n := strings.ToLower(name)
	if deniedFunctions[n] {
		return true
	}
	for _, p := range deniedPrefixes {
		if strings.HasPrefix(n, p) {
			return true
		}
	}
	return false
}

// allowedTableFunctions are the table functions (as DuckDB's plan names
// them) a statement may use: sequences and UNNEST, and the function behind
// the system.* views.
var allowedTableFunctions = map[string]bool{
	"RANGE": true, "GENERATE_SERIES": true, "UNNEST": true, strings.ToUpper(systemTableFunc): true,
}

// allowedStatementTypes are DuckDB's statement types of the queries zbemu
// passes through (dialect.Query kinds).
var allowedStatementTypes = map[duckdb.StmtType]string{
	duckdb.STATEMENT_TYPE_SELECT: "SELECT", duckdb.STATEMENT_TYPE_INSERT: "INSERT",
	duckdb.STATEMENT_TYPE_UPDATE: "UPDATE", duckdb.STATEMENT_TYPE_DELETE: "DELETE",
	duckdb.STATEMENT_TYPE_EXPLAIN: "EXPLAIN",
	// duckdb-go v2.10506.0 has no name for DUCKDB_STATEMENT_TYPE_MERGE_INTO
	// (30 in duckdb.h).
	duckdb.StmtType(30): "MERGE",
}

func sealError(format string, args ...any) error {
	return fmt.Errorf("%w: zbemu runs SQL sealed: "+format, append([]any{ErrPermissionDenied}, args...)...)
}

// checkNames refuses the functions and qualifiers of q that users may not
// reach. It needs no DuckDB, so it runs before anything is bound.
func checkNames(q *dialect.Query) error {
	if len(q.Paths) > 0 {
		return sealError("reading a file by its path is not allowed (%q); read tables by name", q.Paths[0])
	}
	for _, c := range q.Calls {
		if deniedFunction(c) {
			return sealError("function %s is not allowed (it reads files, runs SQL text or inspects the engine)", c)
		}
	}
	for _, n := range q.Qualifiers {
		l := strings.ToLower(n)
		if hiddenQualifiers[l] || strings.HasPrefix(l, "__zbemu") {
			return sealError("the name %s is reserved for zbemu's and DuckDB's own metadata", n)
		}
	}
	return nil
}

// checkSealed runs on the connection that will run translated, after the
// connection is pointed at the current catalog and schema. deltaFiles is
// set when the engine replaced time travel references of the statement
// by reads of Delta data files (timetravel.go): only then may the plan
// call read_parquet, which no user may name (checkNames).
func (e *Engine) checkSealed(ctx context.Context, conn *sql.Conn, q *dialect.Query, translated string, args []any, deltaFiles bool) error {
	if err := checkNames(q); err != nil {
		return err
	}
	typ, err := statementType(conn, translated)
	if err != nil {
		return err
	}
	name, ok := allowedStatementTypes[typ]
	if !ok {
		return sealError("DuckDB reads this text as a statement of type %d, not a query (SELECT, INSERT, UPDATE, DELETE, MERGE or EXPLAIN)", typ)
	}
	inner := translated
	if name == "EXPLAIN" {
		// EXPLAIN ANALYZE runs the statement: check the statement.
		if len(translated) < len("EXPLAIN") || !strings.EqualFold(translated[:len("EXPLAIN")], "EXPLAIN") {
			return sealError("EXPLAIN must start the statement")
		}
		inner = strings.TrimSpace(translated[len("EXPLAIN"):])
		if len(inner) >= len("ANALYZE") && strings.EqualFold(inner[:len("ANALYZE")], "ANALYZE") {
			inner = strings.TrimSpace(inner[len("ANALYZE"):])
		}
		if typ, err := statementType(conn, inner); err != nil {
			return err
		} else if n := allowedStatementTypes[typ]; n == "" || n == "EXPLAIN" {
			return sealError("EXPLAIN of a statement of type %d", typ)
		}
	}
	return checkPlan(ctx, conn, inner, args, deltaFiles)
}

// statementType prepares text with DuckDB's own parser and returns its
// statement type. The driver's Prepare refuses text with more than one
// statement without running any of it (PrepareContext would run all but
// the last).
func statementType(conn *sql.Conn, text string) (duckdb.StmtType, error) {
	var typ duckdb.StmtType
	err := conn.Raw(func(dc any) error {
		st, err := dc.(*duckdb.Conn).Prepare(text)
		if err != nil {
			if strings.Contains(err.Error(), "multi-statement") {
				return sealError("DuckDB reads this text as more than one statement; send one statement")
			}
			return sqlError(err)
		}
		defer st.Close()
		typ, err = st.(*duckdb.Stmt).StatementType()
		return err
	})
	return typ, err
}

// planNode is one operator of DuckDB's EXPLAIN (FORMAT JSON) output.
type planNode struct {
	Name      string         `json:"name"`
	Children  []planNode     `json:"children"`
	ExtraInfo map[string]any `json:"extra_info"`
}

// checkPlan walks DuckDB's physical plan of text: every table function
// must be allowed and every base table must live in one of zbemu's
// catalogs, outside the hidden __zbemu schema.
func checkPlan(ctx context.Context, conn *sql.Conn, text string, args []any, deltaFiles bool) error {
	plans, err := explainPlans(ctx, conn, text, args)
	if err != nil {
		return err
	}
	for _, nodes := range plans {
		if err := walkPlan(nodes, deltaFiles); err != nil {
			return err
		}
	}
	return nil
}

// queryer is a connection or a transaction.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// explainPlans returns DuckDB's physical plans of text (EXPLAIN (FORMAT
// JSON)), one operator tree per plan.
func explainPlans(ctx context.Context, conn queryer, text string, args []any) ([][]planNode, error) {
	rows, err := conn.QueryContext(ctx, "EXPLAIN (FORMAT JSON) "+text, args...)
	if err != nil {
		return nil, sqlError(err)
	}
	defer rows.Close()
	var plans [][]planNode
	for rows.Next() {
		var kind, plan string
		if err := rows.Scan(&kind, &plan); err != nil {
			return nil, fmt.Errorf("read the plan: %w", err)
		}
		var nodes []planNode
		if err := json.Unmarshal([]byte(plan), &nodes); err != nil {
			return nil, fmt.Errorf("decode the plan: %w", err)
		}
		plans = append(plans, nodes)
	}
	if err := rows.Err(); err != nil {
		return nil, sqlError(err)
	}
	return plans, nil
}

func walkPlan(nodes []planNode, deltaFiles bool) error {
	for _, n := range nodes {
		if f, ok := n.ExtraInfo["Function"].(string); ok && !allowedTableFunctions[strings.ToUpper(f)] && !(deltaFiles && strings.EqualFold(f, "READ_PARQUET")) {
			return sealError("table function %s is not allowed (only range, generate_series and unnest; tables are read by name)", strings.ToLower(f))
		}
		if t, ok := n.ExtraInfo["Table"].(string); ok {
			if err := checkPlanTable(t); err != nil {
				return err
			}
		}
		if err := walkPlan(n.Children, deltaFiles); err != nil {
			return err
		}
	}
	return nil
}

// checkPlanTable checks a base table of the plan, "db.schema.table" as
// DuckDB prints it. The hidden tables a plan may read are each catalog's
// __zbemu.quarantine, which the view system.zbemu.quarantined_records
// reads, and __zbemu.pipeline_events, which the subquery that replaces
// event_log(...) reads (filtered to one pipeline the caller may read, see
// EventLogSource). checkNames has already refused every __zbemu name in
// the statement as typed, so the view and that subquery are the only ways
// a statement reaches them.
func checkPlanTable(t string) error {
	parts := strings.SplitN(strings.ToLower(t), ".", 3)
	if len(parts) == 3 && !duckBuiltinDB[parts[0]] && (parts[1] != "__zbemu" || planReadable[parts[2]]) {
		return nil
	}
	return sealError("table %s is zbemu's or DuckDB's own metadata", t)
}

// planReadable are the __zbemu tables a plan may read (see checkPlanTable).
var planReadable = map[string]bool{"quarantine": true, "pipeline_events": true}

// duckBuiltinDB are DuckDB's own databases; zbemu's catalogs are attached
// under other names (duckAlias).
var duckBuiltinDB = map[string]bool{"memory": true, "temp": true, "system": true}
