package web

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/gorilla/mux"

	"github.com/zbemu/zbemu/engine"
	"github.com/zbemu/zbemu/schema"
)

// Workspace endpoints the official Databricks SDKs call before or around
// the data APIs: OAuth discovery (the first call of OAuth M2M), the
// caller's identity (SCIM Me), the SQL warehouse a statement names and the
// caller's personal access tokens.

// WarehouseID is the id of zbemu's one SQL warehouse, which is always
// running. Statements may name it or any other id (warehouse_id is
// accepted and ignored); the banner prints it for tools that look a
// warehouse up first. It has the form of Databricks' ids (16 hex digits).
const WarehouseID = "7a62656d75000001"

func (s *Server) workspaceRoutes(r *mux.Router) {
	// Like the token endpoint, discovery answers under any prefix: the SDK
	// builds its URL from the workspace URL, which may end in "/".
	for _, doc := range []string{"/oidc/.well-known/oauth-authorization-server", "/oidc/.well-known/openid-configuration"} {
		r.MatcherFunc(func(r *http.Request, _ *mux.RouteMatch) bool { return strings.HasSuffix(r.URL.Path, doc) }).
			Methods(http.MethodGet).HandlerFunc(s.oidcDiscovery)
	}
	r.HandleFunc("/api/2.0/preview/scim/v2/Me", s.handle(s.authed(s.scimMe))).Methods(http.MethodGet)
	r.HandleFunc("/api/2.0/token/list", s.handle(s.authed(s.listPATs))).Methods(http.MethodGet)
	r.HandleFunc("/api/2.0/token/delete", s.handle(s.authed(s.revokePAT))).Methods(http.MethodPost)
	r.HandleFunc("/api/2.0/sql/warehouses", s.handle(s.authed(s.listWarehouses))).Methods(http.MethodGet)
	r.HandleFunc("/api/2.0/sql/warehouses/{id}", s.handle(s.authed(s.getWarehouse))).Methods(http.MethodGet)
}

// baseURL is the workspace URL the client used to reach this request.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// oidcDiscovery serves the OAuth authorization server metadata (RFC 8414)
// a Databricks workspace publishes at /oidc/.well-known/oauth-authorization-server
// (https://docs.databricks.com/aws/en/dev-tools/auth/oauth-m2m.html, "manually
// generate"): the SDKs read authorization_endpoint and token_endpoint from
// it before they ask for a token. zbemu grants client credentials only, so
// the authorization endpoint is named (the SDKs require it) but not served.
func (s *Server) oidcDiscovery(w http.ResponseWriter, r *http.Request) {
	base := baseURL(r)
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                base + "/oidc",
		"authorization_endpoint":                base + "/oidc/v1/authorize",
		"token_endpoint":                        base + "/oidc/v1/token",
		"grant_types_supported":                 []string{"client_credentials"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post"},
		"scopes_supported":                      []string{"all-apis"},
		"response_types_supported":              []string{"token"},
	})
}

// scimGroup is a SCIM group reference.
type scimGroup struct {
	Display string `json:"display"`
	Type    string `json:"type"`
	Value   string `json:"value"`
}

// scimValue is a SCIM multi-valued attribute (entitlements).
type scimValue struct {
	Value string `json:"value"`
}

// scimUser is the SCIM User of GET /api/2.0/preview/scim/v2/Me. For a
// service principal Databricks puts its application id in userName.
type scimUser struct {
	Schemas      []string    `json:"schemas"`
	ID           string      `json:"id"`
	UserName     string      `json:"userName"`
	DisplayName  string      `json:"displayName"`
	Active       bool        `json:"active"`
	Groups       []scimGroup `json:"groups"`
	Entitlements []scimValue `json:"entitlements"`
}

// scimID is a principal's numeric SCIM id, as Databricks gives them,
// derived from the client id so that it is stable across restarts.
func scimID(clientID string) string {
	sum := sha256.Sum256([]byte(clientID))
	return strconv.FormatUint(binary.BigEndian.Uint64(sum[:8])%1e16, 10)
}

// scimMe answers with the principal behind the caller's token, and nobody
// else: there is no parameter to ask for another one.
func (s *Server) scimMe(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
	p, err := s.e.LookupPrincipal(r.Context(), id.ClientID)
	if err != nil {
		return err
	}
	u := scimUser{Schemas: []string{"urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:workspace:2.0:User"},
		ID: scimID(p.ClientID), UserName: p.ClientID, DisplayName: p.Name, Active: true, Groups: []scimGroup{},
		Entitlements: []scimValue{{"workspace-access"}, {"databricks-sql-access"}}}
	if p.Admin {
		u.Groups = append(u.Groups, scimGroup{Display: "admins", Type: "direct", Value: scimID("admins")})
	}
	writeJSON(w, http.StatusOK, u)
	return nil
}

// listPATs implements GET /api/2.0/token/list: the caller's own tokens.
func (s *Server) listPATs(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
	list, err := s.e.ListPATs(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"token_infos": list})
	return nil
}

// maxTokenRequest bounds the body of POST /api/2.0/token/delete, which
// holds one token id.
const maxTokenRequest = 64 << 10

// revokePAT implements POST /api/2.0/token/delete.
func (s *Server) revokePAT(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
	var req struct {
		TokenID *string `json:"token_id"`
	}
	if err := decodeJSONLimit(r, &req, maxTokenRequest); err != nil {
		return err
	}
	if req.TokenID == nil || *req.TokenID == "" {
		return badRequest("field \"token_id\" is required: the token_id of a token from GET /api/2.0/token/list")
	}
	if err := s.e.RevokePAT(r.Context(), id, *req.TokenID); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct{}{})
	return nil
}

// warehouse is the EndpointInfo of zbemu's warehouse. There is no ODBC or
// JDBC endpoint (zbemu speaks the Statement Execution API only), so
// odbc_params and jdbc_url are left out.
func warehouse(creator string) map[string]any {
	return map[string]any{
		"id": WarehouseID, "name": "zbemu warehouse", "state": "RUNNING", "health": map[string]string{"status": "HEALTHY"},
		"cluster_size": "2X-Small", "min_num_clusters": 1, "max_num_clusters": 1, "num_clusters": 1, "num_active_sessions": 0,
		"auto_stop_mins": 0, "enable_serverless_compute": true, "enable_photon": true, "warehouse_type": "PRO",
		"spot_instance_policy": "COST_OPTIMIZED", "channel": map[string]string{"name": "CHANNEL_NAME_CURRENT"}, "creator_name": creator,
		"tags": map[string]any{"custom_tags": []any{}},
	}
}

// listWarehouses implements GET /api/2.0/sql/warehouses.
func (s *Server) listWarehouses(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
	writeJSON(w, http.StatusOK, map[string]any{"warehouses": []any{warehouse(s.e.Options().DevClientID)}})
	return nil
}

// getWarehouse implements GET /api/2.0/sql/warehouses/{id}.
func (s *Server) getWarehouse(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
	if wid := mux.Vars(r)["id"]; wid != WarehouseID {
		return fmt.Errorf("%w: warehouse %q does not exist; zbemu has one warehouse, %s (GET /api/2.0/sql/warehouses)", engine.ErrNotFound, schema.ClipReceived(wid), WarehouseID)
	}
	writeJSON(w, http.StatusOK, warehouse(s.e.Options().DevClientID))
	return nil
}
