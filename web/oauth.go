package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/zbemu/zbemu/engine"
)

// token implements POST <any prefix>/oidc/v1/token (client credentials).
// Errors use the OAuth shape {"error","error_description"}: the SDK copies
// the body of a 4xx into its message and fails without retrying.
func (s *Server) token(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "cannot parse form body: "+err.Error())
		return nil
	}
	if gt := r.PostForm.Get("grant_type"); gt != "client_credentials" {
		writeOAuthError(w, http.StatusBadRequest, "unsupported_grant_type", "grant_type must be client_credentials, got "+strconv.Quote(gt))
		return nil
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id == "" {
		writeOAuthError(w, http.StatusUnauthorized, "invalid_client", "missing client credentials (HTTP Basic client_id:client_secret)")
		return nil
	}
	tok, err := s.e.IssueToken(r.Context(), id, secret, r.PostForm.Get("authorization_details"))
	switch {
	case err == nil:
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, http.StatusOK, tok)
	case errors.Is(err, engine.ErrInvalidClient):
		writeOAuthError(w, http.StatusUnauthorized, "invalid_client", "Client authentication failed")
	case errors.Is(err, engine.ErrPermissionDenied):
		writeOAuthError(w, http.StatusForbidden, "invalid_authorization_details", err.Error())
	case errors.Is(err, engine.ErrTableNotFound), errors.Is(err, engine.ErrSchemaNotFound), errors.Is(err, engine.ErrCatalogNotFound), errors.Is(err, engine.ErrInvalidArgument):
		writeOAuthError(w, http.StatusBadRequest, "invalid_authorization_details", err.Error())
	default:
		return err
	}
	return nil
}

func writeOAuthError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

// createPAT implements POST /api/2.0/token/create. A token scoped by
// authorization_details may not mint one: the PAT would carry all of the
// principal's grants and escape the scope.
func (s *Server) createPAT(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
	if id.Tables != nil {
		return fmt.Errorf("%w: the access token was issued for %s by authorization_details and cannot create personal access tokens; use a workspace-level token",
			engine.ErrPermissionDenied, strings.Join(id.Tables, ", "))
	}
	var req struct {
		Comment         string `json:"comment"`
		LifetimeSeconds int64  `json:"lifetime_seconds"`
	}
	if r.ContentLength != 0 {
		if err := decodeJSON(r, &req); err != nil {
			return err
		}
	}
	tok, info, err := s.e.CreatePAT(r.Context(), id.ClientID, req.Comment, req.LifetimeSeconds)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"token_value": tok, "token_info": info})
	return nil
}

// tableFromPath accepts the table of /zerobus/v1/tables/{table}/insert,
// percent-encoded or not.
func tableFromPath(raw string) string {
	if u, err := pathUnescape(raw); err == nil {
		raw = u
	}
	return strings.TrimSpace(raw)
}

// createPrincipal implements POST /zbemu/v1/principals (a zbemu extension,
// admin only): it creates a service principal and returns its secret once.
func (s *Server) createPrincipal(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
	if !id.Admin {
		return &httpError{http.StatusForbidden, "PERMISSION_DENIED", "only an admin principal may create service principals"}
	}
	var req struct {
		Name string `json:"display_name"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	p, secret, err := s.e.CreatePrincipal(r.Context(), req.Name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"application_id": p.ClientID, "display_name": p.Name, "secret": secret})
	return nil
}
