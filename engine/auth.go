package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/zbemu/zbemu/engine/identity"
)

// Identity is who a request acts as (package identity owns identities,
// tokens and grants; the engine decides what they mean for its objects).
type Identity = identity.Identity

// Token is an issued OAuth access token.
type Token = identity.Token

// Principal is a service principal.
type Principal = identity.Principal

// AuthorizationDetail is one element of the OAuth authorization_details
// parameter the Zerobus SDKs send.
type AuthorizationDetail struct {
	Type           string   `json:"type"`
	ObjectType     string   `json:"object_type"`
	ObjectFullPath string   `json:"object_full_path"`
	Privileges     []string `json:"privileges"`
	Operations     []string `json:"operations,omitempty"`
}

// Authenticate turns a bearer token (OAuth JWT or PAT) into an Identity.
func (e *Engine) Authenticate(ctx context.Context, bearer string) (*Identity, error) {
	return e.ids.Authenticate(ctx, bearer)
}

// CreatePrincipal creates a service principal and returns it with its
// secret, which is shown only once.
func (e *Engine) CreatePrincipal(ctx context.Context, name string) (Principal, string, error) {
	return e.ids.CreatePrincipal(ctx, name)
}

// CreatePAT issues a personal access token for a principal. lifetimeSeconds
// is POST /api/2.0/token/create's lifetime_seconds (0 = the default); it
// returns the token and its description.
func (e *Engine) CreatePAT(ctx context.Context, clientID, comment string, lifetimeSeconds int64) (string, PATInfo, error) {
	lifetime, err := identity.PATLifetime(lifetimeSeconds)
	if err != nil {
		return "", PATInfo{}, err
	}
	return e.ids.CreatePAT(ctx, clientID, comment, lifetime)
}

// PATInfo describes a personal access token without its secret.
type PATInfo = identity.PATInfo

// PATID is the token id (GET /api/2.0/token/list) of a personal access token.
func PATID(token string) string { return identity.PATID(token) }

// ListPATs lists the personal access tokens of id's principal, as
// GET /api/2.0/token/list does (an admin too sees only its own there).
func (e *Engine) ListPATs(ctx context.Context, id *Identity) ([]PATInfo, error) {
	return e.ids.ListPATs(ctx, id.ClientID)
}

// RevokePAT revokes one of id's personal access tokens; an admin may
// revoke any principal's. A token scoped by authorization_details may not:
// it must not reach beyond its tables.
func (e *Engine) RevokePAT(ctx context.Context, id *Identity, tokenID string) error {
	if id.Tables != nil {
		return fmt.Errorf("%w: the access token was issued for %s by authorization_details and cannot revoke personal access tokens; use a workspace-level token",
			ErrPermissionDenied, strings.Join(id.Tables, ", "))
	}
	return e.ids.DeletePAT(ctx, id.ClientID, tokenID, id.Admin)
}

// LookupPrincipal finds a principal by client id or display name.
func (e *Engine) LookupPrincipal(ctx context.Context, who string) (Principal, error) {
	return e.ids.LookupPrincipal(ctx, who)
}

// IssueToken implements the client-credentials grant of /oidc/v1/token.
// With authorization_details the privileges are checked against the
// principal's grants now (as Databricks does) and the token is scoped to the
// tables named; without, it is a workspace-level token.
func (e *Engine) IssueToken(ctx context.Context, clientID, secret, authorizationDetails string) (Token, error) {
	id, err := e.ids.AuthenticateClient(ctx, clientID, secret)
	if err != nil {
		return Token{}, err
	}
	var tables []string
	if authorizationDetails != "" {
		var details []AuthorizationDetail
		if err := json.Unmarshal([]byte(authorizationDetails), &details); err != nil {
			return Token{}, fmt.Errorf("%w: authorization_details is not a JSON array of objects: %v", ErrInvalidArgument, err)
		}
		a, err := e.ids.Access(ctx, id)
		if err != nil {
			return Token{}, err
		}
		for _, d := range details {
			if d.Type != "unity_catalog_privileges" {
				return Token{}, fmt.Errorf("%w: authorization_details type %q is not supported (want unity_catalog_privileges)", ErrInvalidArgument, d.Type)
			}
			if a.Admin() {
				// An admin's token is issued before the table exists; the
				// stream then fails with TABLE_DOES_NOT_EXIST, as the SDK
				// expects of a missing table.
				if strings.EqualFold(d.ObjectType, identity.TypeTable) {
					tables = append(tables, strings.ToLower(d.ObjectFullPath))
				}
				continue
			}
			o, err := e.object(d.ObjectType, d.ObjectFullPath)
			if err != nil {
				return Token{}, err
			}
			if err := a.Require(o, d.Privileges...); err != nil {
				return Token{}, err
			}
			if o.Type() == identity.TypeTable {
				tables = append(tables, o.Name())
			}
		}
	}
	return e.ids.SignToken(ctx, id, tables)
}

// object resolves a securable to its identity.Object (path and owners). It
// fails like the lookups do when the securable does not exist. The system
// catalog and its schemas and tables exist while system tables are on and
// have no owner: only admins and grants open them.
func (e *Engine) object(securableType, name string) (identity.Object, error) {
	typ := strings.ToUpper(securableType)
	parts := strings.Split(strings.ToLower(name), ".")
	want := map[string]int{identity.TypeCatalog: 1, identity.TypeSchema: 2, identity.TypeTable: 3}[typ]
	if want == 0 || len(parts) != want || slices.Contains(parts, "") {
		return identity.Object{}, fmt.Errorf("%w: %s %q is not a valid securable (CATALOG c, SCHEMA c.s or TABLE c.s.t)", ErrInvalidArgument, securableType, name)
	}
	if parts[0] == systemCatalog && e.opts.SystemTables != nil {
		return systemObject(parts)
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	c, err := e.catalogLocked(parts[0])
	if err != nil {
		return identity.Object{}, err
	}
	o := identity.Object{Path: parts, Owners: []string{c.info.Owner}}
	if want == 1 {
		return o, nil
	}
	_, si, err := e.schemaLocked(parts[0], parts[1])
	if err != nil {
		return identity.Object{}, err
	}
	o.Owners = append(o.Owners, si.Owner)
	if want == 2 {
		return o, nil
	}
	ts, ok := c.tables[parts[1]+"."+parts[2]]
	if !ok {
		return identity.Object{}, tableNotFound(name)
	}
	o.Owners = append(o.Owners, ts.cur.Load().meta.Owner)
	return o, nil
}

// systemObject resolves a name in the system catalog.
func systemObject(parts []string) (identity.Object, error) {
	o := identity.Object{Path: parts, Owners: make([]string, len(parts))}
	if len(parts) == 1 {
		return o, nil
	}
	for _, d := range systemTableDefs {
		if d.Schema == parts[1] && (len(parts) == 2 || d.Name == parts[2]) {
			return o, nil
		}
	}
	if len(parts) == 2 {
		return identity.Object{}, fmt.Errorf("%w: schema %s does not exist", ErrSchemaNotFound, strings.Join(parts, "."))
	}
	return identity.Object{}, systemTableNotFound(strings.Join(parts, "."))
}

// access loads what id may do, for one request.
func (e *Engine) access(ctx context.Context, id *Identity) (*identity.Access, error) {
	return e.ids.Access(ctx, id)
}

// authorizeIngest checks that id may write to a table through Zerobus:
// USE CATALOG, USE SCHEMA, SELECT and MODIFY, as the SDK's token request
// asks for.
func (e *Engine) authorizeIngest(ctx context.Context, id *Identity, table string) error {
	if id == nil {
		return fmt.Errorf("%w: missing credentials", ErrUnauthenticated)
	}
	if strings.Count(table, ".") != 2 {
		return fmt.Errorf("%w: table name %q must have exactly 3 parts", ErrInvalidArgument, table)
	}
	o, err := e.object(identity.TypeTable, table)
	if err != nil {
		return err
	}
	a, err := e.access(ctx, id)
	if err != nil {
		return err
	}
	return a.Require(o, "SELECT", "MODIFY")
}
