package web

import (
	"net/http"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/zbemu/zbemu/engine"
)

// The ingest figures themselves are kept by package web/metrics; this file
// serves them (GET /zbemu/v1/stats) and counts the errors the ingest
// handlers return, under the error_code the client received.

// stats serves GET /zbemu/v1/stats to any authenticated identity, filtered
// by visibleStats.
func (s *Server) stats(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
	z, err := s.e.Authorizer(r.Context(), id)
	if err != nil {
		return err
	}
	st := visibleStats(z, s.metrics.Snapshot(time.Now()))
	writeJSON(w, http.StatusOK, st)
	return nil
}

// grpcCodeNames names the gRPC statuses that the web layer makes itself
// (protocol errors, transport failures) with the matching error_code.
// Engine errors never get here: they are named by classify.
var grpcCodeNames = map[codes.Code]string{
	codes.InvalidArgument:   "INVALID_PARAMETER_VALUE",
	codes.ResourceExhausted: "RESOURCE_EXHAUSTED",
	codes.NotFound:          "RESOURCE_DOES_NOT_EXIST",
	codes.Unauthenticated:   "UNAUTHENTICATED",
	codes.PermissionDenied:  "PERMISSION_DENIED",
	codes.Unavailable:       "TEMPORARILY_UNAVAILABLE",
	codes.Canceled:          "CANCELLED",
	codes.DeadlineExceeded:  "CANCELLED",
}

// errorCode is the error_code a client receives for err.
func errorCode(err error) string {
	if st, ok := status.FromError(err); ok {
		if c, ok := grpcCodeNames[st.Code()]; ok {
			return c
		}
		return "INTERNAL_ERROR"
	}
	_, code, _ := classify(err)
	return code
}

// countErrors counts the errors an ingest handler returns. A request the
// client abandoned is not counted: nobody received that error.
func (s *Server) countErrors(protocol string, h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		err := h(w, r)
		if err != nil && r.Context().Err() == nil {
			s.metrics.CountError(errorCode(err), protocol)
		}
		return err
	}
}
