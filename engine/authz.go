package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/zbemu/zbemu/engine/dialect"
	"github.com/zbemu/zbemu/engine/identity"
)

// Authorization follows Unity Catalog (package identity has the rules):
// every SQL statement, Unity Catalog REST call, schema endpoint and stats
// request asks the same Access. System tables are governed by grants as in
// Databricks (https://docs.databricks.com/aws/en/admin/system-tables/,
// "grant access to system tables"): admins read them, others need USE
// CATALOG on system, USE SCHEMA and SELECT. They are not open to every
// principal because system.zbemu.rejected_records holds the raw payloads of
// rejected records of every table, and the stream tables name every table.

// Authorizer answers one request's authorization questions for package
// web. Securables are named as in GRANT: type CATALOG, SCHEMA or TABLE and
// the full name. Methods fail with the lookup's error when the securable
// does not exist and with ErrPermissionDenied naming the missing privilege
// and the GRANT that adds it.
type Authorizer struct {
	e *Engine
	a *identity.Access
	// ctx is the request's, for the lookups a view's owner needs
	// (authorizeViewOwner).
	ctx context.Context
}

// Authorizer loads what id may do; use it for one request.
func (e *Engine) Authorizer(ctx context.Context, id *Identity) (*Authorizer, error) {
	a, err := e.access(ctx, id)
	if err != nil {
		return nil, err
	}
	return &Authorizer{e: e, a: a, ctx: ctx}, nil
}

// Admin reports whether the identity may do everything.
func (z *Authorizer) Admin() bool { return z.a.Admin() }

// Require checks privileges on a securable (and USE on its containers).
func (z *Authorizer) Require(securableType, name string, privileges ...string) error {
	o, err := z.e.object(securableType, name)
	if err != nil {
		return err
	}
	return z.a.Require(o, privileges...)
}

// RequireManage checks that the identity may drop, alter or grant on a
// securable (owner, owner of a container, MANAGE or admin).
func (z *Authorizer) RequireManage(securableType, name string) error {
	o, err := z.e.object(securableType, name)
	if err != nil {
		return err
	}
	return z.a.RequireManage(o)
}

// RequireVisible checks that the identity may read a securable's metadata.
func (z *Authorizer) RequireVisible(securableType, name string) error {
	o, err := z.e.object(securableType, name)
	if err != nil {
		return err
	}
	return z.a.RequireVisible(o)
}

// Visible reports whether a securable shows up in the identity's lists.
func (z *Authorizer) Visible(securableType, name string) bool {
	o, err := z.e.object(securableType, name)
	return err == nil && z.a.Visible(o)
}

// RequireCreateCatalog checks that the identity may create catalogs: only
// admins (metastore admins) may.
func (z *Authorizer) RequireCreateCatalog() error {
	if z.a.Admin() {
		return nil
	}
	return fmt.Errorf("%w: only an admin principal (metastore admin) may create catalogs", ErrPermissionDenied)
}

// ifExists runs check on a securable that exists; a missing one passes, so
// that the statement itself reports it (or IF EXISTS makes it a no-op).
func ifExists(err error) error {
	if errors.Is(err, ErrCatalogNotFound) || errors.Is(err, ErrSchemaNotFound) || errors.Is(err, ErrTableNotFound) {
		return nil
	}
	return err
}

// authorizeStatement checks a statement before execOne runs it. SHOW
// CATALOGS|SCHEMAS|TABLES|GRANTS also filter what they list (see execOne).
func (e *Engine) authorizeStatement(z *Authorizer, req *StatementRequest, st dialect.Statement, text string) error {
	switch s := st.(type) {
	case *dialect.CreateCatalog:
		return z.RequireCreateCatalog()
	case *dialect.DropCatalog:
		return ifExists(z.RequireManage(identity.TypeCatalog, s.Name))
	case *dialect.CreateSchema:
		c, _ := schemaName(req, s.Name)
		return ifExists(z.Require(identity.TypeCatalog, c, "USE CATALOG", "CREATE SCHEMA"))
	case *dialect.DropSchema:
		c, n := schemaName(req, s.Name)
		return ifExists(z.RequireManage(identity.TypeSchema, c+"."+n))
	case *dialect.UseCatalog:
		return ifExists(z.Require(identity.TypeCatalog, s.Name, "USE CATALOG"))
	case *dialect.UseSchema:
		c, n := schemaName(req, s.Name)
		return ifExists(z.Require(identity.TypeSchema, c+"."+n, "USE SCHEMA"))
	case *dialect.ShowSchemas:
		cat := s.Catalog
		if cat == "" {
			cat = req.Catalog
		}
		return ifExists(z.Require(identity.TypeCatalog, cat, "USE CATALOG"))
	case *dialect.ShowTables:
		c, n := schemaName(req, s.Schema)
		return ifExists(z.Require(identity.TypeSchema, c+"."+n, "USE SCHEMA"))
	case *dialect.DescribeTable:
		return ifExists(z.RequireVisible(identity.TypeTable, qualify(req, s.Name)))
	case *dialect.DescribeDetail:
		return ifExists(z.RequireVisible(identity.TypeTable, qualify(req, s.Name)))
	case *dialect.ShowTblProperties:
		return ifExists(z.RequireVisible(identity.TypeTable, qualify(req, s.Name)))
	case *dialect.ShowCreateTable:
		return ifExists(z.RequireVisible(identity.TypeTable, qualify(req, s.Name)))
	case *dialect.DescribeHistory:
		return ifExists(z.Require(identity.TypeTable, qualify(req, s.Name), "SELECT"))
	case *dialect.Optimize:
		// Databricks asks MODIFY, as of other writes to the table.
		return ifExists(z.Require(identity.TypeTable, qualify(req, s.Name), "MODIFY"))
	case *dialect.RestoreTable:
		// RESTORE replaces the table's rows: MODIFY, as Databricks asks.
		return ifExists(z.Require(identity.TypeTable, qualify(req, s.Name), "MODIFY"))
	case *dialect.CreateTable:
		full := qualify(req, s.Name)
		if s.OrReplace {
			if err := ifExists(z.RequireManage(identity.TypeTable, full)); err != nil {
				return err
			}
		}
		if err := ifExists(z.Require(identity.TypeSchema, full[:strings.LastIndexByte(full, '.')], "USE SCHEMA", "CREATE TABLE")); err != nil {
			return err
		}
		if s.AsQuery != nil {
			// CTAS reads what its query reads.
			return e.authorizeQuery(z, req, s.AsQueryText)
		}
		return nil
	case *dialect.CreateView:
		return e.authorizeViewQuery(z, req, s.Name, s.OrReplace, s.QueryText)
	case *dialect.AlterViewAs:
		return e.authorizeViewQuery(z, req, s.Name, true, s.QueryText)
	case *dialect.DropView:
		return ifExists(z.RequireManage(identity.TypeTable, qualify(req, s.Name)))
	case dialect.TableChange:
		return ifExists(z.RequireManage(identity.TypeTable, qualify(req, s.ChangedTable())))
	case *dialect.Grant:
		return z.RequireManage(s.On.Type, e.securableName(req, s.On))
	case *dialect.Revoke:
		return z.RequireManage(s.On.Type, e.securableName(req, s.On))
	case *dialect.Query:
		return e.authorizeQuery(z, req, text)
	}
	return nil
}

// authorizeViewQuery checks CREATE [OR REPLACE] VIEW and ALTER VIEW AS:
// Databricks asks USE SCHEMA and CREATE TABLE on the schema, ownership (or
// MANAGE) of a view that is replaced, and SELECT on what the query reads,
// which the creator then lends to the view's readers.
func (e *Engine) authorizeViewQuery(z *Authorizer, req *StatementRequest, name dialect.QName, replace bool, query string) error {
	full := qualify(req, name)
	if replace {
		if err := ifExists(z.RequireManage(identity.TypeTable, full)); err != nil {
			return err
		}
	}
	if err := ifExists(z.Require(identity.TypeSchema, full[:strings.LastIndexByte(full, '.')], "USE SCHEMA", "CREATE TABLE")); err != nil {
		return err
	}
	return e.authorizeQuery(z, req, query)
}

// authorizeQuery checks every table a query or DML statement can reach:
// SELECT on each, MODIFY on the target of INSERT, SELECT and MODIFY on the
// target of UPDATE and DELETE (they read the rows they change), as Unity
// Catalog asks.
//
// The tables are every dotted name of the statement that resolves to a
// table (dialect.Names), read from the statement as typed: a superset, so a
// name used only as a column that happens to name a table needs SELECT on
// it too. Functions that read a table named in a string (query,
// query_table, the pragma_* functions) and names of the hidden __zbemu
// schema are refused to every principal by the sealed-SQL checks
// (seal.go), which run after this one. Two kinds of names are left out because they cannot reach a
// table: a name right after AS (it defines an alias), and a name of four or
// more parts (a column of a table, which DuckDB only resolves when that
// table is itself named in FROM, where it is checked). A target is the name after INTO, UPDATE or DELETE FROM
// wherever it appears (also after WITH ...), not only at the start.
// DuckDB's own duckdb.GetTableNames was tried and is not safe to rely on:
// in duckdb-go v2.10506.0 it returns no names, and no error, for a JOIN ...
// USING, for UPDATE and DELETE, and leaves out the target of INSERT (its
// binder fails and the error is dropped), so a check built on it would let
// those through. A view (view.go) is checked by its name like a table
// and then read with its owner's rights: authorizeViewOwner checks what
// its body reads; the system tables, which are DuckDB views, are checked
// by their UC names.
func (e *Engine) authorizeQuery(z *Authorizer, req *StatementRequest, text string) error {
	if z.Admin() {
		return nil
	}
	return e.tableRefs(req, text, func(o identity.Object, privs []string) error {
		if err := z.a.Require(o, privs...); err != nil {
			return err
		}
		// A view is read with its owner's rights (view.go).
		return e.authorizeViewOwner(z.ctx, o.Name(), 0)
	})
}

// tableRefs calls f with every table a statement's text can reach (see
// authorizeQuery for which names count) and the privileges Unity Catalog
// asks on it; MODIFY marks the tables the statement writes.
func (e *Engine) tableRefs(req *StatementRequest, text string, f func(o identity.Object, privs []string) error) error {
	names, err := dialect.Names(text)
	if err != nil {
		return dialectError(err)
	}
	word := func(k int) string {
		if k < 0 || len(names[k].Parts) != 1 {
			return ""
		}
		return names[k].Parts[0]
	}
	for i, name := range names {
		n := name.Parts
		if word(i-1) == "as" {
			continue
		}
		privs := []string{"SELECT"}
		switch prev := word(i - 1); {
		// MERGE INTO reads the target's rows as it changes them, as
		// UPDATE and DELETE do: SELECT and MODIFY, before the INTO rule.
		case prev == "update", prev == "from" && word(i-2) == "delete", prev == "into" && word(i-2) == "merge":
			privs = []string{"SELECT", "MODIFY"}
		case prev == "into", prev == "table" && (word(i-2) == "into" || word(i-2) == "overwrite"):
			privs = []string{"MODIFY"}
		}
		for _, full := range tableCandidates(req, n) {
			o, err := e.object(identity.TypeTable, full)
			if err != nil {
				continue // not a table: a column, alias, function or keyword
			}
			if err := f(o, privs); err != nil {
				return err
			}
		}
	}
	return nil
}

// tableCandidates lists the tables a dotted name can denote as a table
// reference, the way DuckDB resolves it on a connection whose current
// schema is req's: t is catalog.schema.t; s.t is catalog.s.t or the table t
// of catalog s's schema main; c.s.t itself. DuckDB database names (main_db)
// are mapped back to catalog names.
func tableCandidates(req *StatementRequest, n []string) []string {
	cur, sch := strings.ToLower(req.Catalog), strings.ToLower(req.Schema)
	switch len(n) {
	case 1:
		return []string{cur + "." + sch + "." + n[0]}
	case 2:
		return []string{cur + "." + n[0] + "." + n[1], ucCatalog(n[0]) + ".main." + n[1]}
	case 3:
		return []string{ucCatalog(n[0]) + "." + n[1] + "." + n[2]}
	}
	return nil
}

// ucCatalog maps a DuckDB database name back to its catalog (main_db is
// main); other names are unchanged.
func ucCatalog(duck string) string {
	if c, ok := strings.CutSuffix(duck, "_db"); ok && duckReserved[c] {
		return c
	}
	return duck
}

// showGrants lists grants; a non-admin sees only its own grants and the
// grants on objects it owns (or whose container it owns).
func (e *Engine) showGrants(ctx context.Context, z *Authorizer, req *StatementRequest, s *dialect.ShowGrants) (*Result, error) {
	var typ, name string
	if s.Securable != nil {
		typ, name = strings.ToUpper(s.Securable.Type), strings.ToLower(e.securableName(req, *s.Securable))
	}
	principal := s.Principal
	if principal != "" {
		if p, err := e.ids.LookupPrincipal(ctx, principal); err == nil {
			principal = p.ClientID
		}
	}
	gs, err := e.ids.Grants(ctx, principal, typ, name)
	if err != nil {
		return nil, err
	}
	me := req.Identity.ClientID
	res := &Result{Columns: stringCols("Principal", "ActionType", "ObjectType", "ObjectKey")}
	for _, g := range gs {
		if !z.Admin() && g.Principal != me {
			o, err := e.object(g.SecurableType, g.Securable)
			if err != nil || !slices.Contains(o.Owners, me) {
				continue
			}
		}
		res.Rows = append(res.Rows, []*string{strp(g.Principal), strp(g.Privilege), strp(g.SecurableType), strp(g.Securable)})
	}
	return res, nil
}

// changeGrants runs GRANT and REVOKE (authorized by authorizeStatement).
func (e *Engine) changeGrants(ctx context.Context, req *StatementRequest, sec dialect.Securable, principal string, privs []string, grant bool) error {
	o, err := e.object(sec.Type, e.securableName(req, sec))
	if err != nil {
		return err
	}
	return e.ids.ChangeGrants(ctx, principal, o.Type(), o.Name(), privs, grant)
}
