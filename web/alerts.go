package web

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"github.com/zbemu/zbemu/engine"
)

// AlertManager manages SQL alerts over the system tables (zbemu alert
// create|list|delete); *systables.Alerts implements it.
type AlertManager interface {
	CreateAlert(ctx context.Context, r engine.AlertRule) (engine.AlertRule, error)
	ListAlerts(ctx context.Context) ([]engine.AlertRule, error)
	DeleteAlert(ctx context.Context, name string) error
}

// alertJSON is an alert rule on the wire of /zbemu/v1/alerts.
type alertJSON struct {
	Name          string `json:"name"`
	SQL           string `json:"sql"`
	Every         string `json:"every,omitempty"` // Go duration, e.g. "30s"
	WebhookURL    string `json:"webhook_url,omitempty"`
	Owner         string `json:"owner,omitempty"`
	CreatedAt     string `json:"created_at,omitempty"`
	State         string `json:"state,omitempty"`
	LastEvaluated string `json:"last_evaluated,omitempty"`
	LastError     string `json:"last_error,omitempty"`
}

func toAlertJSON(r engine.AlertRule) alertJSON {
	ts := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	return alertJSON{Name: r.Name, SQL: r.SQL, Every: r.Every.String(), WebhookURL: r.WebhookURL, Owner: r.Owner,
		CreatedAt: ts(r.CreatedAt), State: r.State, LastEvaluated: ts(r.LastEvaluated), LastError: r.LastError}
}

// alertRoutes serves the alert API (a zbemu extension, admin only):
// POST /zbemu/v1/alerts, GET /zbemu/v1/alerts, DELETE /zbemu/v1/alerts/{name}.
func (s *Server) alertRoutes(r *mux.Router) {
	r.HandleFunc("/zbemu/v1/alerts", s.handle(s.authed(s.alertAdmin(s.createAlert)))).Methods(http.MethodPost)
	r.HandleFunc("/zbemu/v1/alerts", s.handle(s.authed(s.alertAdmin(s.listAlerts)))).Methods(http.MethodGet)
	r.HandleFunc("/zbemu/v1/alerts/{name}", s.handle(s.authed(s.alertAdmin(s.deleteAlert)))).Methods(http.MethodDelete)
}

// alertAdmin lets only admins manage alerts, and explains when the server
// runs without system tables.
func (s *Server) alertAdmin(h authedFunc) authedFunc {
	return adminOnly("manage alerts", func(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
		if s.opts.Alerts == nil {
			return &httpError{http.StatusNotImplemented, "NOT_IMPLEMENTED", "alerts need the system tables, which are switched off on this server (--no-systables)"}
		}
		return h(w, r, id)
	})
}

func (s *Server) createAlert(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
	var req alertJSON
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	rule := engine.AlertRule{Name: req.Name, SQL: req.SQL, WebhookURL: req.WebhookURL, Owner: id.ClientID}
	if req.Every != "" {
		d, err := time.ParseDuration(req.Every)
		if err != nil {
			return badRequest(fmt.Sprintf("every %q is not a duration (e.g. 30s, 5m)", req.Every))
		}
		rule.Every = d
	}
	created, err := s.opts.Alerts.CreateAlert(r.Context(), rule)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toAlertJSON(created))
	return nil
}

func (s *Server) listAlerts(w http.ResponseWriter, r *http.Request, _ *engine.Identity) error {
	rules, err := s.opts.Alerts.ListAlerts(r.Context())
	if err != nil {
		return err
	}
	out := make([]alertJSON, len(rules))
	for i, rule := range rules {
		out[i] = toAlertJSON(rule)
	}
	writeJSON(w, http.StatusOK, map[string]any{"alerts": out})
	return nil
}

func (s *Server) deleteAlert(w http.ResponseWriter, r *http.Request, _ *engine.Identity) error {
	name := mux.Vars(r)["name"]
	if u, err := pathUnescape(name); err == nil {
		name = u
	}
	if err := s.opts.Alerts.DeleteAlert(r.Context(), name); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{})
	return nil
}
