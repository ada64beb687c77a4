package engine_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/zbemu/zbemu/engine"
)

func execAs(e *engine.Engine, id *engine.Identity, sql string) (*engine.Result, error) {
	return e.Execute(context.Background(), engine.StatementRequest{SQL: sql, Identity: id})
}

func TestViews(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	e := openEngine(t, "disk", dir)
	exec(t, e, "CREATE SCHEMA main.s1")
	exec(t, e, "CREATE SCHEMA main.s2")
	exec(t, e, "CREATE TABLE main.s1.t (id INT, v STRING)")
	exec(t, e, "INSERT INTO main.s1.t VALUES (1, 'one'), (2, 'two')")
	exec(t, e, "CREATE TABLE main.s2.t (id INT, v STRING)")
	exec(t, e, "INSERT INTO main.s2.t VALUES (1, 'decoy')")

	// Names resolve in the creator's current schema (Databricks), not in
	// the view's schema or the reader's (DuckDB's own rule).
	_, err := e.Execute(ctx, engine.StatementRequest{SQL: "CREATE VIEW main.s2.v (ident COMMENT 'the id', val) COMMENT 'ones' AS " +
		"WITH r AS (SELECT * FROM t WHERE id = 1) SELECT id, v FROM r", Identity: admin, Catalog: "main", Schema: "s1"})
	if err != nil {
		t.Fatal(err)
	}
	for _, sch := range []string{"s1", "s2", "default"} {
		r, err := e.Execute(ctx, engine.StatementRequest{SQL: "SELECT * FROM main.s2.v", Identity: admin, Catalog: "main", Schema: sch})
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(rowsText(r), ","); got != "1|one" || colsText(r) != "ident INT, val STRING" {
			t.Errorf("from schema %s: %s %s, want ident INT, val STRING 1|one", sch, colsText(r), got)
		}
	}
	ti, err := e.GetTable(ctx, "main.s2.v")
	if err != nil {
		t.Fatal(err)
	}
	if ti.TableType != "VIEW" || ti.ViewDefinition != "WITH r AS (SELECT * FROM t WHERE id = 1) SELECT id, v FROM r" || ti.Columns[0].Comment != "the id" {
		t.Errorf("GetTable: %+v", ti)
	}
	if got := strings.Join(rowsText(exec(t, e, "SHOW TABLES IN main.s2")), ","); got != "s2|t|false,s2|v|false" {
		t.Errorf("SHOW TABLES %s", got)
	}
	if got := *exec(t, e, "SHOW CREATE TABLE main.s2.v").Rows[0][0]; got != "CREATE VIEW main.s2.v (\n  ident COMMENT 'the id',\n  val)\nCOMMENT 'ones'\n"+
		"AS WITH r AS (SELECT * FROM t WHERE id = 1) SELECT id, v FROM r\n" {
		t.Errorf("SHOW CREATE TABLE %q", got)
	}

	// Recursive CTEs, views over views and ALTER VIEW.
	exec(t, e, "CREATE VIEW main.s1.nums AS WITH RECURSIVE r AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT n FROM r")
	exec(t, e, "CREATE VIEW main.s1.vv AS SELECT count(*) AS n FROM main.s2.v JOIN main.s1.nums ON true")
	if got := strings.Join(rowsText(exec(t, e, "SELECT * FROM main.s1.vv")), ","); got != "3" {
		t.Errorf("view over views: %s", got)
	}
	exec(t, e, "ALTER VIEW main.s1.nums AS SELECT 7 AS n")
	if got := strings.Join(rowsText(exec(t, e, "SELECT * FROM main.s1.vv")), ","); got != "1" {
		t.Errorf("after ALTER VIEW: %s", got)
	}

	// A view is not a table: no ingest, no DROP TABLE, no DESCRIBE DETAIL.
	if err := e.Insert(ctx, admin, "main.s2.v", [][]byte{[]byte(`{"ident": 1}`)}); !errors.Is(err, engine.ErrInvalidArgument) {
		t.Errorf("ingest into a view: %v", err)
	}
	for _, stmt := range []string{"DROP TABLE main.s2.v", "DESCRIBE DETAIL main.s2.v", "DROP VIEW main.s1.t", "CREATE OR REPLACE VIEW main.s1.t AS SELECT 1 AS x"} {
		if _, err := execAs(e, admin, stmt); err == nil {
			t.Errorf("%s succeeded", stmt)
		}
	}

	// The view survives a restart.
	e.Close(ctx)
	e = openEngine(t, "disk", dir)
	if got := strings.Join(rowsText(exec(t, e, "SELECT * FROM main.s2.v")), ","); got != "1|one" {
		t.Errorf("after restart: %s", got)
	}
	// Dropping a table a view reads breaks the view until the table is back.
	exec(t, e, "DROP TABLE main.s1.t")
	if _, err := execAs(e, admin, "SELECT * FROM main.s2.v"); !errors.Is(err, engine.ErrSQL) || engine.ErrorClass(err) != "TABLE_OR_VIEW_NOT_FOUND" {
		t.Errorf("view over a dropped table: %v", err)
	}
	exec(t, e, "CREATE TABLE main.s1.t (id INT, v STRING)")
	exec(t, e, "INSERT INTO main.s1.t VALUES (1, 'again')")
	if got := strings.Join(rowsText(exec(t, e, "SELECT * FROM main.s2.v")), ","); got != "1|again" {
		t.Errorf("view over the re-created table: %s", got)
	}
	exec(t, e, "DROP VIEW main.s1.vv")
	exec(t, e, "DROP VIEW IF EXISTS main.s1.vv")
	if _, err := e.GetTable(ctx, "main.s1.vv"); !errors.Is(err, engine.ErrTableNotFound) {
		t.Errorf("dropped view: %v", err)
	}
}

func TestViewSealed(t *testing.T) {
	e := openEngine(t, "memory", "")
	exec(t, e, "CREATE TABLE main.default.t (id INT)")
	for _, stmt := range []string{
		"CREATE VIEW main.default.x AS SELECT * FROM read_csv('/etc/passwd')",
		"CREATE VIEW main.default.x AS SELECT * FROM main.__zbemu.tables",
		"CREATE VIEW main.default.x AS SELECT * FROM main_db.__zbemu.tables",
		"CREATE VIEW main.default.x AS SELECT getenv('HOME') AS h",
		"CREATE VIEW main.default.x AS SELECT * FROM duckdb_settings()",
		"CREATE VIEW main.default.x AS SELECT * FROM information_schema.tables",
		"CREATE VIEW main.default.x AS SELECT * FROM 'x.csv'",
		"CREATE VIEW main.default.x AS SELECT * FROM query('SELECT 1')",
	} {
		if _, err := execAs(e, admin, stmt); !errors.Is(err, engine.ErrPermissionDenied) {
			t.Errorf("%s: %v, want PERMISSION_DENIED", stmt, err)
		}
	}
	if _, err := execAs(e, admin, "CREATE VIEW main.default.x AS SELECT * FROM t WHERE id = :id"); !errors.Is(err, engine.ErrInvalidArgument) {
		t.Errorf("parameter marker in a view: %v", err)
	}
}

func TestViewOwnerRights(t *testing.T) {
	ctx := context.Background()
	e := openEngine(t, "memory", "")
	exec(t, e, "CREATE TABLE main.default.t (id INT, secret STRING)")
	exec(t, e, "INSERT INTO main.default.t VALUES (1, 's1')")
	exec(t, e, "CREATE TABLE main.default.other (id INT)")
	newPrincipal := func(name string) *engine.Identity {
		p, _, err := e.CreatePrincipal(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		exec(t, e, fmt.Sprintf("GRANT USE CATALOG ON CATALOG main TO `%s`", p.ClientID))
		exec(t, e, fmt.Sprintf("GRANT USE SCHEMA ON SCHEMA main.default TO `%s`", p.ClientID))
		return &engine.Identity{ClientID: p.ClientID}
	}
	owner, reader := newPrincipal("owner"), newPrincipal("reader")
	exec(t, e, fmt.Sprintf("GRANT CREATE TABLE ON SCHEMA main.default TO `%s`", owner.ClientID))
	exec(t, e, fmt.Sprintf("GRANT SELECT ON TABLE main.default.t TO `%s`", owner.ClientID))
	exec(t, e, fmt.Sprintf("GRANT CREATE TABLE ON SCHEMA main.default TO `%s`", reader.ClientID))

	// The owner may not wrap a table it cannot read.
	if _, err := execAs(e, owner, "CREATE VIEW main.default.leak AS SELECT * FROM other"); !errors.Is(err, engine.ErrPermissionDenied) {
		t.Errorf("view over an unreadable table: %v", err)
	}
	if _, err := execAs(e, owner, "CREATE VIEW main.default.v AS SELECT id FROM t"); err != nil {
		t.Fatal(err)
	}
	// Readers need SELECT on the view, not on the table.
	if _, err := execAs(e, reader, "SELECT * FROM main.default.v"); !errors.Is(err, engine.ErrPermissionDenied) {
		t.Errorf("read without SELECT on the view: %v", err)
	}
	exec(t, e, fmt.Sprintf("GRANT SELECT ON VIEW main.default.v TO `%s`", reader.ClientID))
	r, err := execAs(e, reader, "SELECT * FROM main.default.v")
	if err != nil || strings.Join(rowsText(r), ",") != "1" {
		t.Fatalf("reader: %v %v", r, err)
	}
	if _, err := execAs(e, reader, "SELECT * FROM main.default.t"); !errors.Is(err, engine.ErrPermissionDenied) {
		t.Errorf("reader reads the table itself: %v", err)
	}
	// The reader cannot re-expose the table through a view of its own
	// that reads the base table, only through the view it was given.
	if _, err := execAs(e, reader, "CREATE VIEW main.default.mine AS SELECT secret FROM t"); !errors.Is(err, engine.ErrPermissionDenied) {
		t.Errorf("reader's view over the table: %v", err)
	}
	if _, err := execAs(e, reader, "CREATE VIEW main.default.mine AS SELECT * FROM v"); err != nil {
		t.Errorf("reader's view over the view it may read: %v", err)
	}
	// Only the owner may replace or drop the view.
	for _, stmt := range []string{"CREATE OR REPLACE VIEW main.default.v AS SELECT secret FROM t", "ALTER VIEW main.default.v AS SELECT 1 AS id", "DROP VIEW main.default.v"} {
		if _, err := execAs(e, reader, stmt); !errors.Is(err, engine.ErrPermissionDenied) {
			t.Errorf("reader: %s: %v", stmt, err)
		}
	}
	// The owner loses SELECT: the view (and views over it) stop working.
	exec(t, e, fmt.Sprintf("REVOKE SELECT ON TABLE main.default.t FROM `%s`", owner.ClientID))
	for _, stmt := range []string{"SELECT * FROM main.default.v", "SELECT * FROM main.default.mine"} {
		if _, err := execAs(e, reader, stmt); !errors.Is(err, engine.ErrPermissionDenied) || !strings.Contains(err.Error(), "owner") {
			t.Errorf("%s after the owner lost SELECT: %v", stmt, err)
		}
	}
}
