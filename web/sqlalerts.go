package web

import (
	"net/http"
	"strconv"

	"github.com/gorilla/mux"

	"github.com/zbemu/zbemu/engine"
	"github.com/zbemu/zbemu/engine/sqlalert"
)

// The Databricks SQL alerts surface, in the shapes of Databricks' APIs and
// SDKs: Alerts API v2 (/api/2.0/alerts,
// https://docs.databricks.com/api/workspace/alertsv2), saved queries
// (/api/2.0/sql/queries, https://docs.databricks.com/api/workspace/queries)
// and the webhook notification destinations alerts notify
// (/api/2.0/notification-destinations). Package sqlalert keeps them,
// authorizes every call and evaluates the alerts; its types are the wire
// objects.

// maxAlertBody bounds a create or update body: the largest query text,
// JSON-escaped (quotes and backslashes double), plus the other fields.
const maxAlertBody = 2*sqlalert.MaxQueryBytes + 64<<10

func (s *Server) sqlAlertRoutes(r *mux.Router) {
	for _, rt := range []struct {
		path, method string
		h            authedFunc
	}{
		{"/api/2.0/alerts", http.MethodPost, s.createAlertV2},
		{"/api/2.0/alerts", http.MethodGet, s.listAlertsV2},
		{"/api/2.0/alerts/{id}", http.MethodGet, s.getAlertV2},
		{"/api/2.0/alerts/{id}", http.MethodPatch, s.updateAlertV2},
		{"/api/2.0/alerts/{id}", http.MethodDelete, s.trashAlertV2},
		{"/api/2.0/sql/queries", http.MethodPost, s.createQuery},
		{"/api/2.0/sql/queries", http.MethodGet, s.listQueries},
		{"/api/2.0/sql/queries/{id}", http.MethodGet, s.getQuery},
		{"/api/2.0/sql/queries/{id}", http.MethodPatch, s.updateQuery},
		{"/api/2.0/sql/queries/{id}", http.MethodDelete, s.trashQuery},
		{"/api/2.0/notification-destinations", http.MethodPost, s.createDestination},
		{"/api/2.0/notification-destinations", http.MethodGet, s.listDestinations},
		{"/api/2.0/notification-destinations/{id}", http.MethodGet, s.getDestination},
		{"/api/2.0/notification-destinations/{id}", http.MethodDelete, s.deleteDestination},
	} {
		r.HandleFunc(rt.path, s.handle(s.authed(s.alertsOn(rt.h)))).Methods(rt.method)
	}
}

// alertsOn explains when the server runs without alerts.
func (s *Server) alertsOn(h authedFunc) authedFunc {
	return func(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
		if s.opts.Alerts == nil {
			return &httpError{http.StatusNotImplemented, "NOT_IMPLEMENTED", "alerts are not available on this server"}
		}
		return h(w, r, id)
	}
}

// listPage reads page_size and page_token.
func listPage(r *http.Request) (int, string, error) {
	q := r.URL.Query()
	n := 0
	if v := q.Get("page_size"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			return 0, "", badRequest("page_size must be an integer, got " + strconv.Quote(v))
		}
	}
	return n, q.Get("page_token"), nil
}

func (s *Server) createAlertV2(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
	var a sqlalert.Alert
	if err := decodeJSONLimit(r, &a, maxAlertBody); err != nil {
		return err
	}
	created, err := s.opts.Alerts.CreateAlert(r.Context(), id, a)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, created)
	return nil
}

func (s *Server) listAlertsV2(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
	size, token, err := listPage(r)
	if err != nil {
		return err
	}
	as, next, err := s.opts.Alerts.ListAlerts(r.Context(), id, size, token)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		Alerts        []sqlalert.Alert `json:"alerts"`
		NextPageToken string           `json:"next_page_token,omitempty"`
	}{as, next})
	return nil
}

func (s *Server) getAlertV2(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
	a, err := s.opts.Alerts.GetAlert(r.Context(), id, pathVar(r, "id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}

func (s *Server) updateAlertV2(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
	if err := requirePatchBody(r, "the alert's fields, with update_mask in the query string naming them"); err != nil {
		return err
	}
	var a sqlalert.Alert
	if err := decodeJSONLimit(r, &a, maxAlertBody); err != nil {
		return err
	}
	updated, err := s.opts.Alerts.UpdateAlert(r.Context(), id, pathVar(r, "id"), a, r.URL.Query().Get("update_mask"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, updated)
	return nil
}

func (s *Server) trashAlertV2(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
	if err := s.opts.Alerts.TrashAlert(r.Context(), id, pathVar(r, "id")); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct{}{})
	return nil
}

// queryRequest is the body of the Queries API's create and update.
type queryRequest struct {
	Query      *sqlalert.Query `json:"query"`
	UpdateMask string          `json:"update_mask"`
	// AutoResolveDisplayName is accepted and ignored: zbemu does not
	// require unique query names.
	AutoResolveDisplayName bool `json:"auto_resolve_display_name"`
}

func (s *Server) decodeQuery(r *http.Request) (queryRequest, error) {
	var req queryRequest
	if err := decodeJSONLimit(r, &req, maxAlertBody); err != nil {
		return req, err
	}
	if req.Query == nil {
		return req, badRequest("query is required: a JSON object with the query's fields (query_text, display_name, ...)")
	}
	return req, nil
}

func (s *Server) createQuery(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
	req, err := s.decodeQuery(r)
	if err != nil {
		return err
	}
	q, err := s.opts.Alerts.CreateQuery(r.Context(), id, *req.Query)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, q)
	return nil
}

func (s *Server) listQueries(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
	size, token, err := listPage(r)
	if err != nil {
		return err
	}
	qs, next, err := s.opts.Alerts.ListQueries(r.Context(), id, size, token)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		Results       []sqlalert.Query `json:"results"`
		NextPageToken string           `json:"next_page_token,omitempty"`
	}{qs, next})
	return nil
}

func (s *Server) getQuery(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
	q, err := s.opts.Alerts.GetQuery(r.Context(), id, pathVar(r, "id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, q)
	return nil
}

func (s *Server) updateQuery(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
	if err := requirePatchBody(r, "query with the fields to change, and update_mask naming them"); err != nil {
		return err
	}
	req, err := s.decodeQuery(r)
	if err != nil {
		return err
	}
	q, err := s.opts.Alerts.UpdateQuery(r.Context(), id, pathVar(r, "id"), *req.Query, req.UpdateMask)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, q)
	return nil
}

func (s *Server) trashQuery(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
	if err := s.opts.Alerts.TrashQuery(r.Context(), id, pathVar(r, "id")); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct{}{})
	return nil
}

func (s *Server) createDestination(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
	var d sqlalert.Destination
	if err := decodeJSONLimit(r, &d, 64<<10); err != nil {
		return err
	}
	created, err := s.opts.Alerts.CreateDestination(r.Context(), id, d)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, created)
	return nil
}

func (s *Server) listDestinations(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
	size, token, err := listPage(r)
	if err != nil {
		return err
	}
	ds, next, err := s.opts.Alerts.ListDestinations(r.Context(), id, size, token)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		Results       []sqlalert.Destination `json:"results"`
		NextPageToken string                 `json:"next_page_token,omitempty"`
	}{ds, next})
	return nil
}

func (s *Server) getDestination(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
	d, err := s.opts.Alerts.GetDestination(r.Context(), id, pathVar(r, "id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (s *Server) deleteDestination(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
	if err := s.opts.Alerts.DeleteDestination(r.Context(), id, pathVar(r, "id")); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct{}{})
	return nil
}
