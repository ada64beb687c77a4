package web

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/mux"
	"golang.org/x/net/http2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/keepalive"

	"github.com/zbemu/zbemu/engine"
	"github.com/zbemu/zbemu/engine/fault"
	"github.com/zbemu/zbemu/engine/lakeview"
	"github.com/zbemu/zbemu/engine/sqlalert"
	"github.com/zbemu/zbemu/web/flight"
	"github.com/zbemu/zbemu/web/metrics"
	"github.com/zbemu/zbemu/web/otlp"
	"github.com/zbemu/zbemu/web/zerobuspb"
)

// Options configures the server.
type Options struct {
	// Addr is the one address for every surface (gRPC and HTTP).
	Addr string
	// TLS serves HTTPS and gRPC over TLS with a certificate from TLSConfig.
	TLSConfig *tls.Config
	// Logger receives request logs; nil discards them.
	Logger *slog.Logger
	// Version is reported by /healthz.
	Version string
	// Alerts serves the Alerts API v2, saved queries, notification
	// destinations and /zbemu/v1/alerts; nil answers that alerts are off.
	Alerts *sqlalert.Manager
	// Pipelines serves /api/2.0/pipelines; nil answers that pipelines are
	// off.
	Pipelines PipelineManager
	// Dashboards serves the Lakeview API; nil answers that there are none.
	Dashboards *lakeview.Manager
	// Metrics backs /metrics and /zbemu/v1/stats; pass the one given to
	// the engine as its Observer. Nil creates one that sees only web errors.
	Metrics *metrics.Metrics
	// Timeouts bound how long a client may hold a connection without
	// making progress; zero fields take the defaults of DefaultTimeouts.
	Timeouts Timeouts
	// UI configures the browser UI's dev session and live stats (uiapi.go).
	UI UIOptions
	// Faults are the injected faults (/zbemu/v1/faults); nil makes a new,
	// empty set.
	Faults *fault.Set
	// Quotas enforces the real service's limits (quota.go); nil enforces
	// only the 10 MB message limit.
	Quotas *Quotas
	// AckDelay, when set, holds every ack back by what it returns
	// (--latency realistic); the records are durable as soon as usual.
	AckDelay func() time.Duration
}

// Timeouts are the connection and request deadlines of the server.
type Timeouts struct {
	// Header bounds reading a REST request's headers (slowloris).
	Header time.Duration
	// Body bounds reading a REST request's body, from the end of its
	// headers. It is not applied to gRPC, whose streams live for hours.
	Body time.Duration
	// Idle closes an HTTP/1.1 keep-alive connection with no request, and
	// a gRPC connection with no open stream, after this long.
	Idle time.Duration
}

// DefaultTimeouts: a 10 MB insert (the largest request Zerobus accepts)
// still arrives within Body on a link of 700 kbit/s; Idle follows the
// two minutes common to HTTP servers and is far above the seconds a
// client keeps a pooled connection between requests.
var DefaultTimeouts = Timeouts{Header: 30 * time.Second, Body: 2 * time.Minute, Idle: 2 * time.Minute}

// gRPC liveness. The SDK sets no keep-alive pings of its own, and a
// stream may stay open and quiet for hours, so connections with an open
// stream are never closed for idleness; the server pings a silent peer
// instead and drops it if no ack comes back, which frees the streams of
// a client that vanished without a FIN. Client pings are allowed every
// 10 s, with or without streams, so an SDK that enables keep-alive is not
// sent GOAWAY too_many_pings (grpc-go's default minimum is 5 minutes).
const (
	grpcPingAfter     = time.Minute
	grpcPingTimeout   = 20 * time.Second
	grpcMinClientPing = 10 * time.Second
)

// Server serves the Zerobus gRPC service, OAuth, REST ingest, the SQL
// Statement Execution API and the Unity Catalog API on one address.
type Server struct {
	e    *engine.Engine
	opts Options
	log  *slog.Logger

	ln      net.Listener
	http    *http.Server
	grpc    *grpc.Server
	h2c     *chanListener // plaintext connections that start with the HTTP/2 preface
	stmts   *statementStore
	metrics *metrics.Metrics
	hub     *metrics.Hub // live stats for the UI
	otlp    *otlp.Exporter
	faults  *fault.Set
	// restQuota is the REST requests/s quota; nil without quotas.
	restQuota *bucket

	wg sync.WaitGroup
}

// New builds a server for an open engine.
func New(e *engine.Engine, opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Metrics == nil {
		opts.Metrics = metrics.New()
	}
	if opts.Faults == nil {
		opts.Faults = fault.NewSet()
	}
	opts.Timeouts = opts.Timeouts.withDefaults()
	s := &Server{e: e, opts: opts, log: opts.Logger, stmts: newStatementStore(), metrics: opts.Metrics,
		hub: metrics.NewHub(opts.Metrics, opts.UI.StatsInterval, opts.UI.MaxStatsStreams), faults: opts.Faults, otlp: otlp.NewExporter(e)}
	if opts.Quotas != nil {
		s.restQuota = newBucket(opts.Quotas.RESTPerSecond)
	}
	s.grpc = grpc.NewServer(
		grpc.MaxRecvMsgSize(64<<20), // above the 10 MB limit, so our own check gives the clearer error
		grpc.MaxConcurrentStreams(10000),
		grpc.InitialWindowSize(4<<20), grpc.InitialConnWindowSize(16<<20),
		grpc.ReadBufferSize(256<<10), grpc.WriteBufferSize(256<<10),
		grpc.KeepaliveParams(keepalive.ServerParameters{MaxConnectionIdle: opts.Timeouts.Idle,
			Time: grpcPingAfter, Timeout: grpcPingTimeout}),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: grpcMinClientPing, PermitWithoutStream: true}),
	)
	zerobuspb.RegisterZerobusServer(s.grpc, &zerobusService{s: s})
	s.registerOTLP(s.grpc)
	flight.Register(s.grpc, flight.Options{Engine: e, Status: grpcStatus, MessageLimit: s.messageLimit,
		Failed: func(ctx context.Context, err error, args ...any) {
			if ctx.Err() == nil {
				s.metrics.CountError(errorCode(err), "GRPC")
			}
			s.logFailure(ctx, "arrow stream failed", err, args...)
		},
		Admit: func(table, stream string) error {
			if h := s.faults.Check(table, stream, fault.RateLimit, fault.Unavailable); h != nil {
				return faultError(h, table, stream)
			}
			return nil
		}})
	// No ReadTimeout or WriteTimeout: over TLS gRPC streams are served by
	// this server too, and those deadlines would end them. The body
	// deadline is set per REST request in handle instead.
	s.http = &http.Server{Handler: s.routes(), ReadHeaderTimeout: opts.Timeouts.Header, IdleTimeout: opts.Timeouts.Idle,
		ErrorLog: slog.NewLogLogger(opts.Logger.Handler(), slog.LevelDebug)}
	return s
}

func (t Timeouts) withDefaults() Timeouts {
	d := DefaultTimeouts
	if t.Header > 0 {
		d.Header = t.Header
	}
	if t.Body > 0 {
		d.Body = t.Body
	}
	if t.Idle > 0 {
		d.Idle = t.Idle
	}
	return d
}

// Listen binds the address; Serve then serves on it. Split so that the
// caller can print the banner once the port is bound.
func (s *Server) Listen() error {
	ln, err := net.Listen("tcp", s.opts.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.opts.Addr, err)
	}
	s.ln = ln
	return nil
}

// Addr is the bound address (useful with port 0).
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Serve serves until Shutdown. gRPC and HTTP/1.1 share the port: plaintext
// connections are sorted by their first bytes (the SDK speaks HTTP/2 with
// prior knowledge, its OAuth client HTTP/1.1); TLS connections by ALPN.
func (s *Server) Serve() error {
	s.hub.Start()
	if s.opts.TLSConfig != nil {
		cfg := s.opts.TLSConfig.Clone()
		cfg.NextProtos = []string{"h2", "http/1.1"}
		rest := s.http.Handler
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.ProtoMajor == 2 && strings.HasPrefix(r.Header.Get("Content-Type"), "application/grpc") {
				s.grpc.ServeHTTP(w, r)
				return
			}
			rest.ServeHTTP(w, r)
		})
		s.http.Handler = h
		if err := http2.ConfigureServer(s.http, &http2.Server{MaxConcurrentStreams: 10000, MaxReadFrameSize: 1 << 20}); err != nil {
			return err
		}
		err := s.http.Serve(tls.NewListener(s.ln, cfg))
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	}
	s.h2c = newChanListener(s.ln.Addr())
	httpLn := newChanListener(s.ln.Addr())
	s.wg.Add(2)
	go func() { defer s.wg.Done(); s.grpc.Serve(s.h2c) }()
	go func() { defer s.wg.Done(); s.http.Serve(httpLn) }()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			s.h2c.Close()
			httpLn.Close()
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			return err
		}
		go s.sniff(c, httpLn)
	}
}

var h2Preface = []byte("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")

func (s *Server) sniff(c net.Conn, httpLn *chanListener) {
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReaderSize(c, 4096)
	peek, err := br.Peek(len(h2Preface))
	c.SetReadDeadline(time.Time{})
	pc := &peekedConn{Conn: c, r: br}
	if err == nil && bytes.Equal(peek, h2Preface) {
		s.h2c.put(pc)
		return
	}
	if err != nil && len(peek) == 0 {
		c.Close()
		return
	}
	httpLn.put(pc)
}

// Shutdown stops accepting, lets open calls finish until ctx ends, then
// closes everything.
func (s *Server) Shutdown(ctx context.Context) error {
	if s.ln != nil {
		s.ln.Close()
	}
	s.hub.Close() // ends the live stats streams, which would hold http.Shutdown
	done := make(chan struct{})
	go func() { s.grpc.GracefulStop(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		s.grpc.Stop()
	}
	err := s.http.Shutdown(ctx)
	s.stmts.cancelAll()
	s.wg.Wait()
	return err
}

type peekedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *peekedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// chanListener is a net.Listener fed with connections by the sniffer.
type chanListener struct {
	addr net.Addr
	ch   chan net.Conn
	once sync.Once
	done chan struct{}
}

func newChanListener(addr net.Addr) *chanListener {
	return &chanListener{addr: addr, ch: make(chan net.Conn), done: make(chan struct{})}
}

func (l *chanListener) put(c net.Conn) {
	select {
	case l.ch <- c:
	case <-l.done:
		c.Close()
	}
}

func (l *chanListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *chanListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *chanListener) Addr() net.Addr { return l.addr }

// handlerFunc is a REST handler that returns its error instead of writing it.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// handle adapts a handlerFunc: it writes errors through the one mapping and
// logs them with a request id.
func (s *Server) handle(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rid := uuid.NewString()
		w.Header().Set("x-request-id", rid)
		// A body that trickles in is cut off at the deadline: the read
		// fails and the handler answers 408 naming the cause.
		rc := http.NewResponseController(w)
		rc.SetReadDeadline(time.Now().Add(s.opts.Timeouts.Body))
		r.Body = &deadlineBody{ReadCloser: r.Body, rc: rc}
		if err := h(w, r); err != nil {
			st, code, msg := classify(err)
			s.logFailure(r.Context(), "request failed", err, "method", r.Method, "path", r.URL.Path, "request_id", rid)
			writeJSON(w, st, APIError{ErrorCode: code, Message: msg})
		}
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

// decodeJSON reads a JSON request body into v, naming the problem precisely.
func decodeJSON(r *http.Request, v any) error { return decodeJSONLimit(r, v, 16<<20) }

// decodeJSONLimit is decodeJSON for bodies of at most limit bytes; a
// larger one is refused with 413 naming the limit.
func decodeJSONLimit(r *http.Request, v any, limit int64) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return bodyReadError(err)
	}
	if int64(len(body)) > limit {
		return fmt.Errorf("%w: the request body is larger than %d bytes; this API accepts at most that", engine.ErrTooLarge, limit)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return badRequest("request body is empty; expected a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		return badRequest("malformed JSON request body: " + err.Error())
	}
	return nil
}

// deadlineBody lifts the body deadline once the body has been read: the
// connection's read deadline also ends the request's context (net/http
// watches for the client going away with a read), and an insert or a
// statement may rightly wait longer than its body took to arrive.
type deadlineBody struct {
	io.ReadCloser
	rc *http.ResponseController
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF && b.rc != nil {
		b.rc.SetReadDeadline(time.Time{})
		b.rc = nil
	}
	return n, err
}

// bodyReadError explains a failed body read; a body that did not arrive
// within Timeouts.Body gets 408 so the client knows to send it faster.
func bodyReadError(err error) error {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return &httpError{http.StatusRequestTimeout, "DEADLINE_EXCEEDED",
			"the request body did not arrive in time; zbemu reads a body for at most the body timeout (--body-timeout) after its headers"}
	}
	return badRequest("cannot read request body: " + err.Error())
}

// bearer extracts the token of an Authorization: Bearer header.
func bearer(r *http.Request) string { return bearerToken(r.Header.Get("Authorization")) }

// bearerToken is the token of an Authorization value "Bearer <token>".
func bearerToken(h string) string {
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

func (s *Server) identity(r *http.Request) (*engine.Identity, error) {
	return s.e.Authenticate(r.Context(), bearer(r))
}

// authedFunc is a handler that runs as an authenticated identity.
type authedFunc func(w http.ResponseWriter, r *http.Request, id *engine.Identity) error

// authed authenticates the bearer token before running h.
func (s *Server) authed(h authedFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := s.identity(r)
		if err != nil {
			return err
		}
		return h(w, r, id)
	}
}

// adminOnly lets only admin principals (the workspace admins of zbemu's
// identity model) run h; what names the action for the refusal.
func adminOnly(what string, h authedFunc) authedFunc {
	return func(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
		if !id.Admin {
			return &httpError{http.StatusForbidden, "PERMISSION_DENIED", "only an admin principal may " + what}
		}
		return h(w, r, id)
	}
}

func (s *Server) routes() http.Handler {
	r := mux.NewRouter()
	r.UseEncodedPath()
	// No 301 to a cleaned path: a client follows it with a GET, so the
	// SDK's POST //oidc/v1/token (workspace URL ending in "/") would fail.
	r.SkipClean(true)
	r.HandleFunc("/healthz", s.healthz).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/readyz", s.readyz).Methods(http.MethodGet, http.MethodHead)
	// The SDK concatenates the workspace URL and /oidc/v1/token, so any
	// prefix (including a doubled slash) must reach the token endpoint.
	r.MatcherFunc(func(r *http.Request, _ *mux.RouteMatch) bool {
		return strings.HasSuffix(r.URL.Path, "/oidc/v1/token")
	}).Methods(http.MethodPost).HandlerFunc(s.handle(s.token))
	r.HandleFunc("/api/2.0/token/create", s.handle(s.authed(s.createPAT))).Methods(http.MethodPost)
	r.HandleFunc("/zbemu/v1/principals", s.handle(s.authed(s.createPrincipal))).Methods(http.MethodPost)
	for path, sig := range map[string]*otlp.Signal{"/v1/traces": otlp.Traces, "/v1/logs": otlp.Logs, "/v1/metrics": otlp.Metrics} {
		r.HandleFunc(path, s.otlpHTTP(sig)).Methods(http.MethodPost)
	}
	r.HandleFunc("/zerobus/v1/tables/{table}/insert", s.handle(s.countErrors("HTTP", s.authed(s.insert)))).Methods(http.MethodPost)
	// Unauthenticated, like most exporters: it holds counts and table names, no data.
	r.Handle("/metrics", s.metrics.Handler()).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/zbemu/v1/stats", s.handle(s.authed(s.stats))).Methods(http.MethodGet)
	s.statementRoutes(r)
	s.unityCatalogRoutes(r)
	s.tagRoutes(r)
	s.alertRoutes(r)
	s.faultRoutes(r)
	s.pipelineRoutes(r)
	s.schemaRoutes(r)
	s.deltaRoutes(r)
	s.lakeviewRoutes(r)
	s.workspaceRoutes(r)
	s.grantRoutes(r)
	s.uiRoutes(r)
	r.NotFoundHandler = s.handle(func(w http.ResponseWriter, r *http.Request) error {
		return &httpError{http.StatusNotFound, "ENDPOINT_NOT_FOUND", fmt.Sprintf("no API at %s %s in zbemu", r.Method, r.URL.Path)}
	})
	r.MethodNotAllowedHandler = s.handle(func(w http.ResponseWriter, r *http.Request) error {
		return &httpError{http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", fmt.Sprintf("%s is not allowed on %s", r.Method, r.URL.Path)}
	})
	return r
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"status": "up", "version": s.opts.Version})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if !s.e.Ready() {
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "not ready", "storage": "closed"})
		return
	}
	if err := s.e.Health(); err != nil {
		// Degraded: acknowledged records wait for the store (e.g. a full
		// disk) and ingest is refused until zbemu recovers by itself.
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "not ready", "storage": "degraded", "reason": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "ready", "storage": "open"})
}
