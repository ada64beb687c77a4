package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gorilla/mux"

	"github.com/zbemu/zbemu/engine"
	"github.com/zbemu/zbemu/schema"
)

// The Unity Catalog Grants API: the grants SQL GRANT and REVOKE change,
// read and changed over REST in Databricks' shapes (engine/permissions.go).

func (s *Server) grantRoutes(r *mux.Router) {
	r.HandleFunc(ucBase+"/permissions/{securable_type}/{full_name}", s.handle(s.authed(s.getPermissions))).Methods(http.MethodGet)
	r.HandleFunc(ucBase+"/permissions/{securable_type}/{full_name}", s.handle(s.authed(s.updatePermissions))).Methods(http.MethodPatch)
	r.HandleFunc(ucBase+"/effective-permissions/{securable_type}/{full_name}", s.handle(s.authed(s.getEffectivePermissions))).Methods(http.MethodGet)
}

// securable reads {securable_type} and {full_name} of a Grants API path.
func securable(r *http.Request) (typ, name string, err error) {
	typ = pathVar(r, "securable_type")
	if !engine.IsSecurableType(typ) {
		return "", "", badRequest("securable_type " + strconv.Quote(schema.ClipReceived(typ)) +
			" is not one zbemu has: expected catalog, schema or table (views are tables)")
	}
	return strings.ToUpper(typ), pathVar(r, "full_name"), nil
}

func (s *Server) getPermissions(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
	return s.readGrants(w, r, id, func(z *engine.Authorizer, typ, name, principal string) (any, error) {
		return z.Permissions(typ, name, principal)
	})
}

func (s *Server) getEffectivePermissions(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
	return s.readGrants(w, r, id, func(z *engine.Authorizer, typ, name, principal string) (any, error) {
		return z.EffectivePermissions(typ, name, principal)
	})
}

// readGrants answers a GET of the Grants API with what read returns for
// the path's securable and the principal query parameter.
func (s *Server) readGrants(w http.ResponseWriter, r *http.Request, id *engine.Identity,
	read func(z *engine.Authorizer, typ, name, principal string) (any, error)) error {
	typ, name, err := securable(r)
	if err != nil {
		return err
	}
	z, err := s.e.Authorizer(r.Context(), id)
	if err != nil {
		return err
	}
	list, err := read(z, typ, name, r.URL.Query().Get("principal"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"privilege_assignments": list})
	return nil
}

// maxPermissionsBody bounds a PATCH of permissions: thousands of changes.
const maxPermissionsBody = 1 << 20

func (s *Server) updatePermissions(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
	typ, name, err := securable(r)
	if err != nil {
		return err
	}
	if err := requirePatchBody(r, "changes: [{principal, add: [privileges], remove: [privileges]}]"); err != nil {
		return err
	}
	var req struct {
		Changes []struct {
			Principal *string  `json:"principal"`
			Add       []string `json:"add"`
			Remove    []string `json:"remove"`
		} `json:"changes"`
	}
	if err := decodeJSONLimit(r, &req, maxPermissionsBody); err != nil {
		return err
	}
	changes := make([]engine.GrantChange, len(req.Changes))
	for i, c := range req.Changes {
		if c.Principal == nil || *c.Principal == "" {
			return badRequest("changes[" + strconv.Itoa(i) + "].principal is required: the application id or display name of a service principal")
		}
		changes[i] = engine.GrantChange{Principal: *c.Principal, Add: c.Add, Remove: c.Remove}
	}
	z, err := s.e.Authorizer(r.Context(), id)
	if err != nil {
		return err
	}
	list, err := z.UpdatePermissions(typ, name, changes)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"privilege_assignments": list})
	return nil
}

// requirePatchBody refuses a PATCH that arrives without a body, naming
// the fields to send. @databricks/sdk-experimental 0.17's ApiClient sends
// a body with POST and PUT only, so each of its update calls arrives here
// empty; answering 200 without changing anything would hide that.
func requirePatchBody(r *http.Request, fields string) error {
	if r.ContentLength != 0 {
		return nil
	}
	return badRequest("PATCH without a body: send the fields to change as JSON (" + fields + "). The Databricks SDK for " +
		"JavaScript (@databricks/sdk-experimental) drops the body of PATCH requests; update with a plain HTTP PATCH or another SDK")
}
