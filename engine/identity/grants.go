package identity

import (
	"context"
	"fmt"
	"sort"
	"strings"
)

// Securable types, as GRANT names them.
const (
	TypeCatalog = "CATALOG"
	TypeSchema  = "SCHEMA"
	TypeTable   = "TABLE"
)

// AllPrivileges counts as every privilege (the real token endpoint wants
// explicit grants; zbemu is lenient here).
const AllPrivileges = "ALL PRIVILEGES"

// privilegesOn lists the privileges each securable type takes, as Unity
// Catalog does (https://docs.databricks.com/aws/en/data-governance/unity-catalog/manage-privileges/privileges.html,
// "Privilege types by securable object"): a privilege granted on a
// container is inherited by what it holds, so a catalog takes the schema
// and table privileges too, while a table takes no USE or CREATE.
var privilegesOn = map[string]map[string]bool{
	TypeCatalog: {"USE CATALOG": true, "USE SCHEMA": true, "SELECT": true, "MODIFY": true, AllPrivileges: true,
		"CREATE SCHEMA": true, "CREATE TABLE": true, "BROWSE": true, "MANAGE": true, "APPLY TAG": true},
	TypeSchema: {"USE SCHEMA": true, "SELECT": true, "MODIFY": true, AllPrivileges: true, "CREATE TABLE": true,
		"MANAGE": true, "APPLY TAG": true},
	TypeTable: {"SELECT": true, "MODIFY": true, AllPrivileges: true, "MANAGE": true, "APPLY TAG": true},
}

// NormPrivilege spells a privilege as GRANT does: upper case, words
// separated by one space (use_catalog and "use  catalog" are USE CATALOG).
func NormPrivilege(p string) string {
	return strings.Join(strings.Fields(strings.ToUpper(strings.ReplaceAll(p, "_", " "))), " ")
}

// Grant is one privilege of a principal on a securable.
type Grant struct {
	Principal, SecurableType, Securable, Privilege string
}

// GrantChange adds and removes privileges of one principal, as an element
// of the Grants API's "changes" does.
type GrantChange struct {
	// Principal is a client id or a display name.
	Principal   string
	Add, Remove []string
}

// ChangeGrants grants (or revokes) privileges of a principal, named by
// client id or display name, on a securable whose existence the caller has
// checked.
func (s *Store) ChangeGrants(ctx context.Context, principal, securableType, securable string, privileges []string, grant bool) error {
	c := GrantChange{Principal: principal, Remove: privileges}
	if grant {
		c = GrantChange{Principal: principal, Add: privileges}
	}
	return s.applyGrantChanges(ctx, securableType, securable, []GrantChange{c}, func(int, string) string { return "" })
}

// ApplyGrantChanges applies every change on one securable, whose existence
// the caller has checked, or none: each principal must exist and each
// privilege must apply to the securable's type, and they are checked
// before anything is written, in one transaction.
func (s *Store) ApplyGrantChanges(ctx context.Context, securableType, securable string, changes []GrantChange) error {
	return s.applyGrantChanges(ctx, securableType, securable, changes, func(i int, field string) string {
		return fmt.Sprintf("changes[%d].%s: ", i, field)
	})
}

// applyGrantChanges is ApplyGrantChanges with errors prefixed by where(i,
// field), the position of the bad value in the caller's input.
func (s *Store) applyGrantChanges(ctx context.Context, securableType, securable string, changes []GrantChange, where func(i int, field string) string) error {
	typ := strings.ToUpper(securableType)
	type row struct {
		principal, privilege string
		grant                bool
	}
	var rows []row
	for i, c := range changes {
		p, err := s.LookupPrincipal(ctx, c.Principal)
		if err != nil {
			return fmt.Errorf("%s%w", where(i, "principal"), err)
		}
		for _, l := range []struct {
			field string
			privs []string
			grant bool
		}{{"add", c.Add, true}, {"remove", c.Remove, false}} {
			for _, priv := range l.privs {
				np := NormPrivilege(priv)
				if !privilegesOn[TypeCatalog][np] {
					return fmt.Errorf("%w: %sunknown privilege %q", ErrInvalidArgument, where(i, l.field), priv)
				}
				if !privilegesOn[typ][np] {
					return fmt.Errorf("%w: %sprivilege %s does not apply to a %s (it applies to %s)", ErrInvalidArgument,
						where(i, l.field), np, strings.ToLower(typ), strings.Join(appliesTo(np), ", "))
				}
				rows = append(rows, row{p.ClientID, np, l.grant})
			}
		}
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("change grants: %w", err)
	}
	defer tx.Rollback()
	for _, r := range rows {
		q := "INSERT OR IGNORE INTO grants(principal, securable_type, securable_name, privilege) VALUES (?, ?, ?, ?)"
		if !r.grant {
			q = "DELETE FROM grants WHERE principal = ? AND securable_type = ? AND securable_name = ? AND privilege = ?"
		}
		if _, err := tx.ExecContext(ctx, q, r.principal, typ, strings.ToLower(securable), r.privilege); err != nil {
			return fmt.Errorf("change grants: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("change grants: %w", err)
	}
	return nil
}

// appliesTo lists the securable types that take a privilege.
func appliesTo(priv string) []string {
	var out []string
	for _, t := range []string{TypeCatalog, TypeSchema, TypeTable} {
		if privilegesOn[t][priv] {
			out = append(out, strings.ToLower(t)+"s")
		}
	}
	return out
}

// Grants lists grants; an empty filter field matches everything.
func (s *Store) Grants(ctx context.Context, principal, securableType, securable string) ([]Grant, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT principal, securable_type, securable_name, privilege FROM grants
		WHERE (? = '' OR principal = ?) AND (? = '' OR securable_type = ?) AND (? = '' OR securable_name = ?)`,
		principal, principal, securableType, strings.ToUpper(securableType), securable, strings.ToLower(securable))
	if err != nil {
		return nil, fmt.Errorf("read grants: %w", err)
	}
	defer rows.Close()
	var out []Grant
	for rows.Next() {
		var g Grant
		if err := rows.Scan(&g.Principal, &g.SecurableType, &g.Securable, &g.Privilege); err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	sort.Slice(out, func(i, j int) bool { return fmt.Sprint(out[i]) < fmt.Sprint(out[j]) })
	return out, rows.Err()
}

// DropGrants removes every grant on a securable and on what it contains,
// so that a re-created object with the same name starts without grants.
func (s *Store) DropGrants(ctx context.Context, securable string) error {
	name := strings.ToLower(securable)
	_, err := s.db.ExecContext(ctx, "DELETE FROM grants WHERE securable_name = ? OR substr(securable_name, 1, ?) = ?", name, len(name)+1, name+".")
	if err != nil {
		return fmt.Errorf("drop grants on %s: %w", securable, err)
	}
	return nil
}

// Access loads what id may do. An Access is a snapshot: use one per request.
func (s *Store) Access(ctx context.Context, id *Identity) (*Access, error) {
	if id == nil {
		return nil, fmt.Errorf("%w: missing credentials", ErrUnauthenticated)
	}
	if id.Admin {
		return NewAccess(id, nil), nil
	}
	gs, err := s.Grants(ctx, id.ClientID, "", "")
	if err != nil {
		return nil, err
	}
	return NewAccess(id, gs), nil
}
