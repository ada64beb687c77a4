package identity

import (
	"fmt"
	"slices"
	"strings"
)

// Object is a Unity Catalog securable with the owners along its path:
// Path is [catalog], [catalog, schema] or [catalog, schema, table] in lower
// case, Owners[i] the owner of Path[:i+1] ("" when nobody owns it, as for
// the system catalog, which only admins and grants open).
type Object struct {
	Path   []string
	Owners []string
}

// Type is CATALOG, SCHEMA or TABLE.
func (o Object) Type() string {
	switch len(o.Path) {
	case 1:
		return TypeCatalog
	case 2:
		return TypeSchema
	}
	return TypeTable
}

// Name is the full name, e.g. main.default.events.
func (o Object) Name() string { return strings.Join(o.Path, ".") }

// ancestor returns the object's prefix of n levels.
func (o Object) ancestor(n int) Object {
	return Object{Path: o.Path[:n], Owners: o.Owners[:min(n, len(o.Owners))]}
}

func (o Object) owner() string {
	if len(o.Owners) < len(o.Path) {
		return ""
	}
	return o.Owners[len(o.Path)-1]
}

// useOf is the privilege that opens a container: USE CATALOG for a
// catalog, USE SCHEMA for a schema.
func useOf(level int) string {
	if level == 1 {
		return "USE CATALOG"
	}
	return "USE SCHEMA"
}

// Access answers what one identity may do, following Unity Catalog
// (https://docs.databricks.com/aws/en/data-governance/unity-catalog/manage-privileges/privileges.html):
//   - a privilege granted on a catalog or schema is inherited by everything
//     in it (SELECT on a schema reads all its tables, present and future);
//   - using an object needs USE CATALOG on its catalog and USE SCHEMA on its
//     schema, besides the privilege on the object itself;
//   - an object's owner holds every privilege on that object;
//   - dropping, altering and granting on an object takes ownership of it or
//     of a container above it, or MANAGE;
//   - admins (metastore admins) may do everything;
//   - a token scoped by authorization_details reaches only the tables it
//     names, whatever the principal's grants.
type Access struct {
	id *Identity
	// grants maps "TYPE name" to the privileges granted there.
	grants map[string]map[string]bool
}

// NewAccess builds an Access from the identity's grants.
func NewAccess(id *Identity, grants []Grant) *Access {
	a := &Access{id: id, grants: map[string]map[string]bool{}}
	for _, g := range grants {
		k := strings.ToUpper(g.SecurableType) + " " + strings.ToLower(g.Securable)
		if a.grants[k] == nil {
			a.grants[k] = map[string]bool{}
		}
		a.grants[k][NormPrivilege(g.Privilege)] = true
	}
	return a
}

// Admin reports whether the identity may do everything.
func (a *Access) Admin() bool { return a.id.Admin }

// ClientID is the identity's principal.
func (a *Access) ClientID() string { return a.id.ClientID }

// has reports whether priv holds on o: owned, or granted on o or above.
func (a *Access) has(o Object, priv string) bool {
	if o.owner() == a.id.ClientID {
		return true
	}
	for n := 1; n <= len(o.Path); n++ {
		anc := o.ancestor(n)
		g := a.grants[anc.Type()+" "+anc.Name()]
		if g[priv] || g[AllPrivileges] {
			return true
		}
	}
	return false
}

// inScope reports whether a scoped token reaches o: one of its tables, or
// a catalog or schema above one.
func (a *Access) inScope(o Object) bool {
	if a.id.Tables == nil {
		return true
	}
	name := o.Name()
	for _, t := range a.id.Tables {
		if t == name || strings.HasPrefix(t, name+".") {
			return true
		}
	}
	return false
}

func (a *Access) scopeError(o Object, what string) error {
	return fmt.Errorf("%w: the access token was issued for %s, not for %s %s (%s); request a token with authorization_details for it, or a workspace-level token",
		ErrPermissionDenied, strings.Join(a.id.Tables, ", "), strings.ToLower(o.Type()), o.Name(), what)
}

func (a *Access) denied(o Object, priv string) error {
	return fmt.Errorf("%w: principal %q lacks %s on %s %s (GRANT %s ON %s %s TO `%s`)", ErrPermissionDenied,
		a.id.ClientID, priv, o.Type(), o.Name(), priv, o.Type(), o.Name(), a.id.ClientID)
}

// requireUse checks USE CATALOG and USE SCHEMA on the containers of o.
func (a *Access) requireUse(o Object) error {
	for n := 1; n < len(o.Path); n++ {
		anc := o.ancestor(n)
		if !a.has(anc, useOf(n)) {
			return a.denied(anc, useOf(n))
		}
	}
	return nil
}

// Require checks that the identity holds every privilege on o and may use
// its containers. The error names the first privilege missing and the GRANT
// that adds it.
func (a *Access) Require(o Object, privileges ...string) error {
	if a.id.Admin {
		return nil
	}
	if !a.inScope(o) || (a.id.Tables != nil && len(o.Path) < 3 && slices.ContainsFunc(privileges, func(p string) bool { return !strings.HasPrefix(p, "USE ") })) {
		return a.scopeError(o, strings.Join(privileges, ", "))
	}
	if err := a.requireUse(o); err != nil {
		return err
	}
	for _, p := range privileges {
		if np := NormPrivilege(p); !a.has(o, np) {
			return a.denied(o, np)
		}
	}
	return nil
}

// RequireManage checks that the identity may drop, alter or grant on o: it
// owns o or a container of o, or holds MANAGE on o (and may use its
// containers).
func (a *Access) RequireManage(o Object) error {
	if a.id.Admin {
		return nil
	}
	if a.id.Tables != nil {
		return a.scopeError(o, "changes")
	}
	if slices.Contains(o.Owners, a.id.ClientID) {
		return nil
	}
	if err := a.requireUse(o); err != nil {
		return err
	}
	if !a.has(o, "MANAGE") {
		owner := o.owner()
		if owner == "" {
			owner = "an admin"
		}
		return fmt.Errorf("%w: principal %q may not change %s %s: only its owner (%s), the owner of a container, an admin or a holder of MANAGE may (GRANT MANAGE ON %s %s TO `%s`)",
			ErrPermissionDenied, a.id.ClientID, o.Type(), o.Name(), owner, o.Type(), o.Name(), a.id.ClientID)
	}
	return nil
}

// Visible reports whether o shows up for the identity in lists (SHOW,
// the Unity Catalog list calls): it owns o or a container of o, or holds a
// privilege on o, on something inside it, or above it that applies to o
// (USE CATALOG and USE SCHEMA open containers and show nothing by
// themselves).
func (a *Access) Visible(o Object) bool {
	if a.id.Admin {
		return true
	}
	if !a.inScope(o) {
		return false
	}
	if slices.Contains(o.Owners, a.id.ClientID) {
		return true
	}
	name := o.Name()
	for k, privs := range a.grants {
		if len(privs) == 0 {
			continue
		}
		g := k[strings.IndexByte(k, ' ')+1:]
		if g == name || strings.HasPrefix(g, name+".") {
			return true
		}
		if strings.HasPrefix(name, g+".") {
			for p := range privs {
				if p != "USE CATALOG" && (p != "USE SCHEMA" || len(o.Path) == 2) {
					return true
				}
			}
		}
	}
	return false
}

// RequireVisible checks that the identity may read o's metadata: it may
// use o's containers and o is Visible. The error suggests the grant that a
// reader needs.
func (a *Access) RequireVisible(o Object) error {
	if a.id.Admin {
		return nil
	}
	if !a.inScope(o) {
		return a.scopeError(o, "access")
	}
	if err := a.requireUse(o); err != nil {
		return err
	}
	if !a.Visible(o) {
		priv := "SELECT"
		if len(o.Path) < 3 {
			priv = useOf(len(o.Path))
		}
		return a.denied(o, priv)
	}
	return nil
}
