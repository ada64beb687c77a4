package identity

import (
	"errors"
	"strings"
	"testing"
)

// The hierarchy of these tests: catalog main (owned by admin) with schema
// default (owned by admin) holding tables t and u (owned by admin) and v
// (owned by bob); catalog lab owned by bob.
func obj(owners ...string) func(path string) Object {
	return func(path string) Object {
		p := strings.Split(path, ".")
		return Object{Path: p, Owners: owners[:len(p)]}
	}
}

var (
	mainCat = obj("admin")("main")
	mainDef = obj("admin", "admin")("main.default")
	tableT  = obj("admin", "admin", "admin")("main.default.t")
	tableU  = obj("admin", "admin", "admin")("main.default.u")
	tableV  = obj("admin", "admin", "bob")("main.default.v")
	labCat  = obj("bob")("lab")
	labS    = obj("bob", "carol")("lab.s")
	labST   = obj("bob", "carol", "carol")("lab.s.t")
	sysTab  = obj("", "", "")("system.zbemu.rejected_records")
)

func g(typ, name string, privs ...string) []Grant {
	var out []Grant
	for _, p := range privs {
		out = append(out, Grant{Principal: "bob", SecurableType: typ, Securable: name, Privilege: p})
	}
	return out
}

func grants(gs ...[]Grant) []Grant {
	var out []Grant
	for _, x := range gs {
		out = append(out, x...)
	}
	return out
}

var useMain = grants(g(TypeCatalog, "main", "USE CATALOG"), g(TypeSchema, "main.default", "USE SCHEMA"))

func TestRequireInheritance(t *testing.T) {
	bob := &Identity{ClientID: "bob"}
	cases := []struct {
		name    string
		id      *Identity
		grants  []Grant
		obj     Object
		privs   []string
		wantErr string // "" = allowed; else a substring of the error
	}{
		{"no grants cannot read", bob, nil, tableT, []string{"SELECT"}, "lacks USE CATALOG on CATALOG main (GRANT USE CATALOG ON CATALOG main TO `bob`)"},
		{"SELECT on the table without USE", bob, g(TypeTable, "main.default.t", "SELECT"), tableT, []string{"SELECT"}, "lacks USE CATALOG on CATALOG main"},
		{"USE CATALOG only", bob, g(TypeCatalog, "main", "USE CATALOG"), tableT, []string{"SELECT"}, "lacks USE SCHEMA on SCHEMA main.default"},
		{"USE both, no SELECT", bob, useMain, tableT, []string{"SELECT"}, "lacks SELECT on TABLE main.default.t (GRANT SELECT ON TABLE main.default.t TO `bob`)"},
		{"table grant reads the table", bob, grants(useMain, g(TypeTable, "main.default.t", "SELECT")), tableT, []string{"SELECT"}, ""},
		{"table grant does not read its sibling", bob, grants(useMain, g(TypeTable, "main.default.t", "SELECT")), tableU, []string{"SELECT"}, "lacks SELECT on TABLE main.default.u"},
		{"SELECT on the schema is inherited", bob, grants(useMain, g(TypeSchema, "main.default", "SELECT")), tableU, []string{"SELECT"}, ""},
		{"SELECT on the catalog is inherited", bob, grants(useMain, g(TypeCatalog, "main", "SELECT")), tableU, []string{"SELECT"}, ""},
		{"USE SCHEMA on the catalog is inherited", bob, g(TypeCatalog, "main", "USE CATALOG", "USE SCHEMA", "SELECT"), tableU, []string{"SELECT"}, ""},
		{"SELECT does not give MODIFY", bob, grants(useMain, g(TypeSchema, "main.default", "SELECT")), tableT, []string{"SELECT", "MODIFY"}, "lacks MODIFY on TABLE main.default.t"},
		{"ALL PRIVILEGES counts as every privilege", bob, grants(useMain, g(TypeSchema, "main.default", "ALL PRIVILEGES")), tableT, []string{"SELECT", "MODIFY"}, ""},
		{"a grant below does not flow up", bob, grants(useMain, g(TypeTable, "main.default.t", "CREATE TABLE")), mainDef, []string{"USE SCHEMA", "CREATE TABLE"}, "lacks CREATE TABLE on SCHEMA main.default"},
		{"CREATE TABLE on the schema", bob, grants(useMain, g(TypeSchema, "main.default", "CREATE TABLE")), mainDef, []string{"USE SCHEMA", "CREATE TABLE"}, ""},
		{"CREATE SCHEMA needs it on the catalog", bob, useMain, mainCat, []string{"USE CATALOG", "CREATE SCHEMA"}, "lacks CREATE SCHEMA on CATALOG main"},
		{"owner of a table reads it with USE", bob, useMain, tableV, []string{"SELECT", "MODIFY"}, ""},
		{"owner of a table still needs USE", bob, nil, tableV, []string{"SELECT"}, "lacks USE CATALOG on CATALOG main"},
		{"owner of a catalog does not read others' tables", bob, nil, labST, []string{"SELECT"}, "lacks USE SCHEMA on SCHEMA lab.s"},
		{"system tables need grants", bob, nil, sysTab, []string{"SELECT"}, "lacks USE CATALOG on CATALOG system"},
		{"system tables open by grant", bob, g(TypeCatalog, "system", "USE CATALOG", "USE SCHEMA", "SELECT"), sysTab, []string{"SELECT"}, ""},
		{"admin needs nothing", &Identity{ClientID: "root", Admin: true}, nil, sysTab, []string{"SELECT", "MODIFY"}, ""},
		{"scoped token reaches its table", &Identity{ClientID: "bob", Tables: []string{"main.default.t"}}, grants(useMain, g(TypeTable, "main.default.t", "SELECT")), tableT, []string{"SELECT"}, ""},
		{"scoped token does not reach another table", &Identity{ClientID: "bob", Tables: []string{"main.default.t"}}, grants(useMain, g(TypeSchema, "main.default", "SELECT")), tableU, []string{"SELECT"}, "the access token was issued for main.default.t"},
		{"scoped token may use the containers", &Identity{ClientID: "bob", Tables: []string{"main.default.t"}}, useMain, mainDef, []string{"USE SCHEMA"}, ""},
		{"scoped token may not create", &Identity{ClientID: "bob", Tables: []string{"main.default.t"}}, grants(useMain, g(TypeSchema, "main.default", "CREATE TABLE")), mainDef, []string{"USE SCHEMA", "CREATE TABLE"}, "the access token was issued for"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := NewAccess(c.id, c.grants).Require(c.obj, c.privs...)
			checkErr(t, err, c.wantErr)
		})
	}
}

func checkErr(t *testing.T, err error, want string) {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Fatalf("denied: %v", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("allowed, want an error containing %q", want)
	}
	if !errors.Is(err, ErrPermissionDenied) || !strings.Contains(err.Error(), want) {
		t.Fatalf("error %v, want ErrPermissionDenied containing %q", err, want)
	}
}

func TestRequireManage(t *testing.T) {
	bob := &Identity{ClientID: "bob"}
	cases := []struct {
		name    string
		id      *Identity
		grants  []Grant
		obj     Object
		wantErr string
	}{
		{"no grants", bob, nil, tableT, "lacks USE CATALOG on CATALOG main"},
		{"USE only", bob, useMain, tableT, "may not change TABLE main.default.t"},
		{"SELECT and MODIFY are not enough", bob, grants(useMain, g(TypeCatalog, "main", "SELECT", "MODIFY")), tableT, "GRANT MANAGE ON TABLE main.default.t TO `bob`"},
		{"MANAGE on the schema", bob, grants(useMain, g(TypeSchema, "main.default", "MANAGE")), tableT, ""},
		{"owner of the table", bob, nil, tableV, ""},
		{"owner of the catalog manages what is in it", bob, nil, labST, ""},
		{"system catalog: nobody but admins", bob, g(TypeCatalog, "system", "USE CATALOG", "USE SCHEMA", "SELECT"), sysTab, "only its owner (an admin)"},
		{"admin", &Identity{ClientID: "root", Admin: true}, nil, sysTab, ""},
		{"scoped token never manages", &Identity{ClientID: "bob", Tables: []string{"main.default.v"}}, nil, tableV, "the access token was issued for"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			checkErr(t, NewAccess(c.id, c.grants).RequireManage(c.obj), c.wantErr)
		})
	}
}

func TestVisible(t *testing.T) {
	bob := &Identity{ClientID: "bob"}
	tableGrant := grants(useMain, g(TypeTable, "main.default.t", "SELECT"))
	cases := []struct {
		name   string
		id     *Identity
		grants []Grant
		obj    Object
		want   bool
	}{
		{"nothing without grants", bob, nil, mainCat, false},
		{"a table grant shows its catalog", bob, tableGrant, mainCat, true},
		{"a table grant shows its schema", bob, tableGrant, mainDef, true},
		{"a table grant shows its table", bob, tableGrant, tableT, true},
		{"but not its sibling", bob, tableGrant, tableU, false},
		{"a schema grant shows every table", bob, grants(useMain, g(TypeSchema, "main.default", "SELECT")), tableU, true},
		{"owned catalog", bob, nil, labCat, true},
		{"table in owned catalog", bob, nil, labST, true},
		{"other catalog", &Identity{ClientID: "carol"}, nil, labCat, false},
		{"USE CATALOG shows the catalog", bob, useMain, mainCat, true},
		{"USE SCHEMA on the catalog shows its schemas", bob, g(TypeCatalog, "main", "USE CATALOG", "USE SCHEMA"), mainDef, true},
		{"scoped token hides other tables", &Identity{ClientID: "bob", Tables: []string{"main.default.t"}}, grants(useMain, g(TypeSchema, "main.default", "SELECT")), tableU, false},
		{"scoped token shows its own", &Identity{ClientID: "bob", Tables: []string{"main.default.t"}}, grants(useMain, g(TypeSchema, "main.default", "SELECT")), tableT, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := NewAccess(c.id, c.grants).Visible(c.obj); got != c.want {
				t.Fatalf("Visible(%s) = %v, want %v", c.obj.Name(), got, c.want)
			}
		})
	}
}
