package web

import (
	"fmt"
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"github.com/zbemu/zbemu/engine"
	"github.com/zbemu/zbemu/engine/sqlalert"
)

// alertJSON is an alert rule on the wire of /zbemu/v1/alerts.
type alertJSON struct {
	ID            string `json:"id,omitempty"`
	Name          string `json:"name"`
	SQL           string `json:"sql"`
	Every         string `json:"every,omitempty"`    // Go duration, e.g. "30s"
	Schedule      string `json:"schedule,omitempty"` // Quartz cron, for alerts made with the Alerts API
	WebhookURL    string `json:"webhook_url,omitempty"`
	Owner         string `json:"owner,omitempty"`
	CreatedAt     string `json:"created_at,omitempty"`
	State         string `json:"state,omitempty"`
	LastEvaluated string `json:"last_evaluated,omitempty"`
	LastError     string `json:"last_error,omitempty"`
}

func toAlertJSON(r sqlalert.Rule) alertJSON {
	ts := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	j := alertJSON{ID: r.ID, Name: r.Name, SQL: r.SQL, Schedule: r.Schedule, WebhookURL: r.WebhookURL, Owner: r.Owner,
		CreatedAt: ts(r.CreatedAt), State: r.State, LastEvaluated: ts(r.LastEvaluated), LastError: r.LastError}
	if r.Every > 0 {
		j.Every = r.Every.String()
	}
	return j
}

// alertRoutes serves zbemu's own alert API (admin only), a thin layer over
// the Alerts API's model (package sqlalert, rule.go): POST /zbemu/v1/alerts,
// GET /zbemu/v1/alerts, DELETE /zbemu/v1/alerts/{name}.
func (s *Server) alertRoutes(r *mux.Router) {
	r.HandleFunc("/zbemu/v1/alerts", s.handle(s.authed(s.alertsOn(s.alertAdmin(s.createAlert))))).Methods(http.MethodPost)
	r.HandleFunc("/zbemu/v1/alerts", s.handle(s.authed(s.alertsOn(s.alertAdmin(s.listAlerts))))).Methods(http.MethodGet)
	r.HandleFunc("/zbemu/v1/alerts/{name}", s.handle(s.authed(s.alertsOn(s.alertAdmin(s.deleteAlert))))).Methods(http.MethodDelete)
	s.sqlAlertRoutes(r)
}

// alertAdmin lets only admins use the rule API: it lists every alert.
func (s *Server) alertAdmin(h authedFunc) authedFunc {
	return adminOnly("manage alerts through /zbemu/v1/alerts; use the Alerts API (/api/2.0/alerts) for your own alerts", h)
}

func (s *Server) createAlert(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
	var req alertJSON
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	rule := sqlalert.Rule{Name: req.Name, SQL: req.SQL, WebhookURL: req.WebhookURL}
	if req.Every != "" {
		d, err := time.ParseDuration(req.Every)
		if err != nil {
			return badRequest(fmt.Sprintf("every %q is not a duration (e.g. 30s, 5m)", req.Every))
		}
		rule.Every = d
	}
	created, err := s.opts.Alerts.CreateRule(r.Context(), id, rule)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toAlertJSON(created))
	return nil
}

func (s *Server) listAlerts(w http.ResponseWriter, r *http.Request, _ *engine.Identity) error {
	rules := s.opts.Alerts.Rules(r.Context())
	out := make([]alertJSON, len(rules))
	for i, rule := range rules {
		out[i] = toAlertJSON(rule)
	}
	writeJSON(w, http.StatusOK, map[string]any{"alerts": out})
	return nil
}

func (s *Server) deleteAlert(w http.ResponseWriter, r *http.Request, _ *engine.Identity) error {
	if err := s.opts.Alerts.DeleteRule(r.Context(), pathVar(r, "name")); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{})
	return nil
}
