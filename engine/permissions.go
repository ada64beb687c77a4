package engine

import (
	"slices"
	"sort"
	"strings"

	"github.com/zbemu/zbemu/engine/identity"
)

// The Unity Catalog Grants API (GET/PATCH /api/2.1/unity-catalog/permissions
// and GET .../effective-permissions,
// https://docs.databricks.com/api/workspace/grants) reads and changes the
// same grants as SQL GRANT, REVOKE and SHOW GRANTS. Privileges are spelled
// as the API does, with underscores (USE_CATALOG); SQL spells them with
// spaces, and either is accepted in changes.

// GrantChange adds and removes privileges of one principal.
type GrantChange = identity.GrantChange

// PrivilegeAssignment is one principal's privileges on a securable.
type PrivilegeAssignment struct {
	Principal  string   `json:"principal"`
	Privileges []string `json:"privileges"`
}

// EffectivePrivilege is a privilege that holds on a securable, granted on
// it or, when InheritedFromType is set, on a container of it.
type EffectivePrivilege struct {
	Privilege         string `json:"privilege"`
	InheritedFromType string `json:"inherited_from_type,omitempty"`
	InheritedFromName string `json:"inherited_from_name,omitempty"`
}

// EffectiveAssignment is one principal's effective privileges.
type EffectiveAssignment struct {
	Principal  string               `json:"principal"`
	Privileges []EffectivePrivilege `json:"privileges"`
}

// apiPrivilege spells a privilege as the Grants API does.
func apiPrivilege(p string) string { return strings.ReplaceAll(p, " ", "_") }

// grantReader resolves a securable the caller may see and returns the
// principal whose grants it may read: everybody's ("") when it may manage
// the securable (as SHOW GRANTS shows an owner every grant), else only its
// own. principal, if not empty, narrows to one principal (client id or
// display name); a principal that does not exist has no grants.
func (z *Authorizer) grantReader(securableType, name, principal string) (o identity.Object, who string, none bool, err error) {
	o, err = z.e.object(securableType, name)
	if err != nil {
		return o, "", false, err
	}
	if err := z.a.RequireVisible(o); err != nil {
		return o, "", false, err
	}
	if principal != "" {
		p, err := z.e.ids.LookupPrincipal(z.ctx, principal)
		if err != nil {
			return o, "", true, nil
		}
		who = p.ClientID
	}
	if z.a.RequireManage(o) != nil {
		me := z.a.ClientID()
		if who != "" && who != me {
			return o, "", true, nil
		}
		who = me
	}
	return o, who, false, nil
}

// Permissions lists the privileges granted on a securable (not those
// inherited from its containers), one assignment per principal.
func (z *Authorizer) Permissions(securableType, name, principal string) ([]PrivilegeAssignment, error) {
	o, who, none, err := z.grantReader(securableType, name, principal)
	if err != nil || none {
		return []PrivilegeAssignment{}, err
	}
	return z.e.assignments(z, o, who)
}

func (e *Engine) assignments(z *Authorizer, o identity.Object, who string) ([]PrivilegeAssignment, error) {
	gs, err := e.ids.Grants(z.ctx, who, o.Type(), o.Name())
	if err != nil {
		return nil, err
	}
	out := []PrivilegeAssignment{}
	for _, g := range gs {
		if n := len(out); n > 0 && out[n-1].Principal == g.Principal {
			out[n-1].Privileges = append(out[n-1].Privileges, apiPrivilege(g.Privilege))
			continue
		}
		out = append(out, PrivilegeAssignment{Principal: g.Principal, Privileges: []string{apiPrivilege(g.Privilege)}})
	}
	return out, nil
}

// EffectivePermissions lists the privileges that hold on a securable:
// granted on it and inherited from its catalog and schema.
func (z *Authorizer) EffectivePermissions(securableType, name, principal string) ([]EffectiveAssignment, error) {
	o, who, none, err := z.grantReader(securableType, name, principal)
	if err != nil || none {
		return []EffectiveAssignment{}, err
	}
	byPrincipal := map[string][]EffectivePrivilege{}
	for n := 1; n <= len(o.Path); n++ {
		anc := identity.Object{Path: o.Path[:n]}
		gs, err := z.e.ids.Grants(z.ctx, who, anc.Type(), anc.Name())
		if err != nil {
			return nil, err
		}
		for _, g := range gs {
			p := EffectivePrivilege{Privilege: apiPrivilege(g.Privilege)}
			if n < len(o.Path) {
				p.InheritedFromType, p.InheritedFromName = anc.Type(), anc.Name()
			}
			byPrincipal[g.Principal] = append(byPrincipal[g.Principal], p)
		}
	}
	out := make([]EffectiveAssignment, 0, len(byPrincipal))
	for p, privs := range byPrincipal {
		out = append(out, EffectiveAssignment{Principal: p, Privileges: privs})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Principal < out[j].Principal })
	return out, nil
}

// UpdatePermissions applies changes to the grants on a securable, all or
// none, and returns every assignment on it afterwards. It takes what GRANT
// and REVOKE take: ownership of the securable or a container, MANAGE, or
// an admin.
func (z *Authorizer) UpdatePermissions(securableType, name string, changes []GrantChange) ([]PrivilegeAssignment, error) {
	o, err := z.e.object(securableType, name)
	if err != nil {
		return nil, err
	}
	if err := z.a.RequireManage(o); err != nil {
		return nil, err
	}
	if err := z.e.ids.ApplyGrantChanges(z.ctx, o.Type(), o.Name(), changes); err != nil {
		return nil, err
	}
	return z.e.assignments(z, o, "")
}

// IsSecurableType reports whether t (any case) is a securable type zbemu
// has: CATALOG, SCHEMA or TABLE (the Grants API spells them in lower case
// in its paths; views are TABLEs).
func IsSecurableType(t string) bool {
	return slices.Contains([]string{identity.TypeCatalog, identity.TypeSchema, identity.TypeTable}, strings.ToUpper(t))
}
