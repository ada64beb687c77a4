package web

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"github.com/zbemu/zbemu/engine"
	"github.com/zbemu/zbemu/web/metrics"
	"github.com/zbemu/zbemu/web/ui"
)

// The browser UI (package web/ui) is static files; everything it shows it
// fetches from the public APIs with a bearer token, like any script. This
// file adds what the UI needs beyond the other APIs: the dev session on
// loopback, the open streams and the live stats as server-sent events.

// UIOptions configures the UI's session endpoint and live stats.
type UIOptions struct {
	// DevClientID, DevClientSecret and DevToken are the dev principal's
	// credentials, handed to a browser on loopback so the UI needs no
	// log-in there. An empty DevToken makes the UI always ask for a token.
	DevClientID, DevClientSecret, DevToken string
	// CAFile is the CA certificate clients must trust with TLS ("" without).
	CAFile string
	// MaxStatsStreams bounds concurrent GET /zbemu/v1/stats/stream clients;
	// 0 means 32.
	MaxStatsStreams int
	// StatsInterval is the time between live stats events; 0 means a
	// second. Tests shorten it to replay minutes of updates quickly.
	StatsInterval time.Duration
}

func (s *Server) uiRoutes(r *mux.Router) {
	r.HandleFunc("/zbemu/v1/ui/session", s.handle(s.uiSession)).Methods(http.MethodGet)
	r.HandleFunc("/zbemu/v1/streams", s.handle(s.authed(s.listStreams))).Methods(http.MethodGet)
	r.HandleFunc("/zbemu/v1/stats/stream", s.handle(s.authed(s.statsStream))).Methods(http.MethodGet)
	h := ui.Handler()
	r.MatcherFunc(func(r *http.Request, _ *mux.RouteMatch) bool {
		return ui.Serves(r.URL.Path)
	}).Methods(http.MethodGet, http.MethodHead).Handler(h)
}

// uiSessionHeader must be on a session request. A page of another origin
// cannot send it without a CORS preflight, which zbemu never grants.
const uiSessionHeader = "X-Zbemu-UI"

// devSessionRefusal says why a request may not have the dev credentials,
// or "" when it may: the dev principal exists with a token, the peer is on
// a loopback address, the Host header names loopback (a page of another
// site whose name was rebound to 127.0.0.1 sends its own name: DNS
// rebinding), and the request comes from zbemu's own page (the custom
// header and Sec-Fetch-Site rule out cross-site requests: CSRF).
func (s *Server) devSessionRefusal(r *http.Request) string {
	if s.opts.UI.DevToken == "" {
		return "this server has no dev token (--token is empty)"
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		return "the request does not come from a loopback address"
	}
	if !loopbackHost(r.Host) {
		return fmt.Sprintf("the Host header %q is not localhost, 127.0.0.1 or [::1]", r.Host)
	}
	if r.Header.Get(uiSessionHeader) == "" {
		return "the request lacks the " + uiSessionHeader + " header zbemu's page sends"
	}
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return fmt.Sprintf("the request comes from another site (Sec-Fetch-Site: %s)", site)
	}
	return ""
}

// loopbackHost reports whether a Host header names the loopback interface.
func loopbackHost(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport
	}
	switch host {
	case "localhost", "127.0.0.1", "::1", "[::1]":
		return true
	}
	return false
}

// uiSession serves GET /zbemu/v1/ui/session: the dev credentials to a
// browser on this machine, else 403 and the UI asks for a token.
func (s *Server) uiSession(w http.ResponseWriter, r *http.Request) error {
	if why := s.devSessionRefusal(r); why != "" {
		return &httpError{http.StatusForbidden, "PERMISSION_DENIED",
			"no dev session: " + why + "; paste a token (zbemu token create) into the UI instead"}
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]any{"token": s.opts.UI.DevToken, "client_id": s.opts.UI.DevClientID,
		"client_secret": s.opts.UI.DevClientSecret, "workspace_url": scheme + "://" + r.Host, "ca_file": s.opts.UI.CAFile})
	return nil
}

// visibleStats returns the part of st that z may see, without modifying st
// (the hub shares it): a non-admin sees the tables and streams of the
// tables it may read (SELECT); the workspace totals (rates, latency,
// errors by code, backlog) name no table and are left whole.
func visibleStats(z *engine.Authorizer, st metrics.Stats) metrics.Stats {
	if z.Admin() {
		return st
	}
	readable := map[string]bool{}
	canRead := func(table string) bool {
		ok, seen := readable[table]
		if !seen {
			ok = z.Require("TABLE", table, "SELECT") == nil
			readable[table] = ok
		}
		return ok
	}
	tables, streams := []metrics.TableStats{}, []metrics.StreamStats{}
	for _, t := range st.Tables {
		if canRead(t.Table) {
			tables = append(tables, t)
		}
	}
	for _, t := range st.Streams {
		if canRead(t.Table) {
			streams = append(streams, t)
		}
	}
	pipelines := []metrics.DatasetStats{}
	for _, d := range st.Pipelines {
		if canRead(d.Dataset) {
			pipelines = append(pipelines, d)
		}
	}
	st.Tables, st.Streams, st.Pipelines = tables, streams, pipelines
	return st
}

// visiblePoint drops the tables z may not read from a history point.
func visiblePoint(z *engine.Authorizer, p metrics.StatsPoint) metrics.StatsPoint {
	if z.Admin() {
		return p
	}
	tables := make(map[string]metrics.TablePoint, len(p.Tables))
	for name, tp := range p.Tables {
		if z.Require("TABLE", name, "SELECT") == nil {
			tables[name] = tp
		}
	}
	p.Tables = tables
	return p
}

// listStreams serves GET /zbemu/v1/streams: the open gRPC streams of the
// tables the caller may read, as in /zbemu/v1/stats.
func (s *Server) listStreams(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
	z, err := s.e.Authorizer(r.Context(), id)
	if err != nil {
		return err
	}
	st := visibleStats(z, s.metrics.Snapshot(time.Now()))
	writeJSON(w, http.StatusOK, map[string]any{"streams": st.Streams})
	return nil
}

// statsWriteTimeout drops an SSE client that does not read its events.
const statsWriteTimeout = 10 * time.Second

// statsStream serves GET /zbemu/v1/stats/stream as server-sent events
// (https://html.spec.whatwg.org/multipage/server-sent-events.html): first
// an "history" event with up to 15 minutes of points, then a "stats" event
// per second with the stats and the newest point. The caller is
// authenticated and authorized again for every event, so a revoked token
// or grant takes effect within a second.
func (s *Server) statsStream(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
	if !s.hub.Join() {
		return &httpError{http.StatusTooManyRequests, "RESOURCE_EXHAUSTED",
			fmt.Sprintf("too many live stats clients (at most %d); close another monitor or poll GET /zbemu/v1/stats", s.hub.MaxClients())}
	}
	defer s.hub.Leave()
	z, err := s.e.Authorizer(r.Context(), id)
	if err != nil {
		return err
	}
	rc := http.NewResponseController(w)
	rc.SetReadDeadline(time.Time{}) // a GET has no body; the stream outlives the body timeout
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	points := s.hub.History()
	for i := range points {
		points[i] = visiblePoint(z, points[i])
	}
	send := func(event string, v any) bool {
		b, err := json.Marshal(v)
		if err != nil {
			s.log.Error("live stats: cannot encode event", "event", event, "principal", id.ClientID, "err", err)
			return false
		}
		rc.SetWriteDeadline(time.Now().Add(statsWriteTimeout))
		if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, b); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !send("history", map[string]any{"points": points}) {
		return nil
	}
	_, _, tick := s.hub.Current()
	for {
		select {
		case <-r.Context().Done():
			return nil
		case <-s.hub.Stopped():
			return nil
		case <-tick:
		}
		var st metrics.Stats
		var p metrics.StatsPoint
		st, p, tick = s.hub.Current()
		if id, err = s.e.Authenticate(r.Context(), bearer(r)); err == nil {
			z, err = s.e.Authorizer(r.Context(), id)
		}
		if err != nil {
			_, code, msg := classify(err)
			send("error", APIError{ErrorCode: code, Message: msg})
			return nil
		}
		if !send("stats", map[string]any{"stats": visibleStats(z, st), "point": visiblePoint(z, p)}) {
			return nil
		}
	}
}
