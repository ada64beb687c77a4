package web

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/mux"

	"github.com/zbemu/zbemu/engine"
	"github.com/zbemu/zbemu/engine/fault"
)

// faultRoutes serves the fault switch (a zbemu extension, admin only):
// POST /zbemu/v1/faults adds one, GET lists them, DELETE /zbemu/v1/faults/{id}
// removes one and DELETE /zbemu/v1/faults all. Faults are kept in memory.
func (s *Server) faultRoutes(r *mux.Router) {
	admin := func(h authedFunc) http.HandlerFunc { return s.handle(s.authed(adminOnly("manage faults", h))) }
	r.HandleFunc("/zbemu/v1/faults", admin(s.addFault)).Methods(http.MethodPost)
	r.HandleFunc("/zbemu/v1/faults", admin(s.listFaults)).Methods(http.MethodGet)
	r.HandleFunc("/zbemu/v1/faults", admin(s.clearFaults)).Methods(http.MethodDelete)
	r.HandleFunc("/zbemu/v1/faults/{id}", admin(s.deleteFault)).Methods(http.MethodDelete)
}

func (s *Server) addFault(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, fault.MaxRequestBytes+1))
	if err != nil {
		return bodyReadError(err)
	}
	if len(body) > fault.MaxRequestBytes {
		return fmt.Errorf("%w: a fault request is at most %d bytes", engine.ErrTooLarge, fault.MaxRequestBytes)
	}
	req, err := fault.DecodeRequest(body)
	if err != nil {
		return err
	}
	if req.Table != "" {
		req.Table = tableFromPath(req.Table)
	}
	f, err := s.faults.Add(req)
	if err != nil {
		return err
	}
	s.log.Info("fault added", "fault_id", f.ID, "kind", f.Kind, "table", f.Table, "stream_id", f.StreamID, "by", id.ClientID)
	writeJSON(w, http.StatusOK, f)
	return nil
}

func (s *Server) listFaults(w http.ResponseWriter, r *http.Request, _ *engine.Identity) error {
	writeJSON(w, http.StatusOK, map[string]any{"faults": s.faults.List()})
	return nil
}

func (s *Server) deleteFault(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
	fid := mux.Vars(r)["id"]
	if err := s.faults.Delete(fid); err != nil {
		return err
	}
	s.log.Info("fault cleared", "fault_id", fid, "by", id.ClientID)
	writeJSON(w, http.StatusOK, map[string]any{"cleared": 1})
	return nil
}

func (s *Server) clearFaults(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
	n := s.faults.Clear()
	s.log.Info("faults cleared", "count", n, "by", id.ClientID)
	writeJSON(w, http.StatusOK, map[string]any{"cleared": n})
	return nil
}

// retryAfter is what 429 and 503 answers tell the client to wait, in
// seconds (the Retry-After header): a second, the SDK's order of backoff.
const retryAfter = 1

// faultError is the error a refusing fault gives a request of table on
// stream (empty for REST): the wire form of each kind.
func faultError(h *fault.Hit, table, stream string) error {
	switch h.Kind {
	case fault.RateLimit:
		return fmt.Errorf("%w: too many requests to table %s; retry after %ds with exponential backoff (injected by zbemu fault %s)",
			engine.ErrRateLimited, table, retryAfter, h.ID)
	case fault.Timeout:
		return streamTimeout(stream, h.ID)
	}
	return fmt.Errorf("%w: the Zerobus service is unavailable for table %s; retry with exponential backoff (injected by zbemu fault %s)",
		engine.ErrUnavailable, table, h.ID)
}

// streamTimeout is the real service's end of a stream it closes on its own
// (UNAVAILABLE, https://github.com/emqx/emqx/pull/18393); the SDK reconnects.
func streamTimeout(stream, cause string) error {
	return fmt.Errorf("%w: Stream timeout reached. Closing the stream (ID: %s). Error Code: 6002, Error State: 0. (zbemu: %s)",
		engine.ErrUnavailable, stream, cause)
}

// setRetryAfter tells a REST client when to retry a refused request.
func setRetryAfter(w http.ResponseWriter, err error) {
	switch engine.ErrorCode(err) {
	case "REQUEST_LIMIT_EXCEEDED", "TEMPORARILY_UNAVAILABLE":
		w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
	}
}

// ackDelay is how long an ack of table on stream is held back: the
// server's configured ack latency (--latency realistic) plus what latency
// faults add.
func (s *Server) ackDelay(table, stream string) time.Duration {
	var d time.Duration
	if s.opts.AckDelay != nil {
		d = s.opts.AckDelay()
	}
	return d + s.faults.Latency(table, stream)
}

// sleepCtx waits d, or less if ctx ends first.
func sleepCtx(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
