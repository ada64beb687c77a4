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

var validPrivileges = map[string]bool{"USE CATALOG": true, "USE SCHEMA": true, "SELECT": true, "MODIFY": true,
	AllPrivileges: true, "CREATE SCHEMA": true, "CREATE TABLE": true, "BROWSE": true, "MANAGE": true, "APPLY TAG": true}

// NormPrivilege spells a privilege as GRANT does: upper case, words
// separated by one space (use_catalog and "use  catalog" are USE CATALOG).
func NormPrivilege(p string) string {
	return strings.Join(strings.Fields(strings.ToUpper(strings.ReplaceAll(p, "_", " "))), " ")
}

// Grant is one privilege of a principal on a securable.
type Grant struct {
	Principal, SecurableType, Securable, Privilege string
}

// ChangeGrants grants (or revokes) privileges of a principal, named by
// client id or display name, on a securable whose existence the caller has
// checked.
func (s *Store) ChangeGrants(ctx context.Context, principal, securableType, securable string, privileges []string, grant bool) error {
	p, err := s.LookupPrincipal(ctx, principal)
	if err != nil {
		return err
	}
	for _, priv := range privileges {
		np := NormPrivilege(priv)
		if !validPrivileges[np] {
			return fmt.Errorf("%w: unknown privilege %q", ErrInvalidArgument, priv)
		}
		q := "INSERT OR IGNORE INTO grants(principal, securable_type, securable_name, privilege) VALUES (?, ?, ?, ?)"
		if !grant {
			q = "DELETE FROM grants WHERE principal = ? AND securable_type = ? AND securable_name = ? AND privilege = ?"
		}
		if _, err := s.db.ExecContext(ctx, q, p.ClientID, strings.ToUpper(securableType), strings.ToLower(securable), np); err != nil {
			return fmt.Errorf("change grants: %w", err)
		}
	}
	return nil
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
