package web

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/zbemu/zbemu/engine"
)

// This file is the one place where errors become wire errors: a REST status
// with {"error_code","message"} and a gRPC status. The error table has two
// halves: engine.Categories maps each engine sentinel to its error_code and
// SQLSTATE, wireCodes below maps each error_code to its REST status and
// gRPC code. Permanent problems use gRPC codes the Zerobus SDKs do not
// retry (INVALID_ARGUMENT, NOT_FOUND, UNAUTHENTICATED, PERMISSION_DENIED),
// transient ones UNAVAILABLE. Errors outside the catalogue become
// INTERNAL_ERROR without their text, which logFailure logs instead.

// APIError is the JSON body of every failed REST request.
type APIError struct {
	ErrorCode string `json:"error_code"`
	Message   string `json:"message"`
}

// httpError is an error that already knows its REST status and code; the
// web layer uses it for protocol problems (bad JSON, wrong media type).
type httpError struct {
	status int
	code   string
	msg    string
}

func (e *httpError) Error() string { return e.msg }

func badRequest(msg string) error {
	return &httpError{http.StatusBadRequest, "INVALID_PARAMETER_VALUE", msg}
}

// wire is the wire half of the error table: for each error_code of
// engine.Categories (and INTERNAL_ERROR), the REST status and the gRPC code.
// Together with engine.Categories (sentinel → error_code, SQLSTATE) it is
// the one table every surface maps errors with; TestErrorTable walks it.
type wire struct {
	status int
	grpc   codes.Code
}

var wireCodes = map[string]wire{
	"TABLE_DOES_NOT_EXIST":    {http.StatusNotFound, codes.NotFound},
	"SCHEMA_DOES_NOT_EXIST":   {http.StatusNotFound, codes.NotFound},
	"CATALOG_DOES_NOT_EXIST":  {http.StatusNotFound, codes.NotFound},
	"RESOURCE_DOES_NOT_EXIST": {http.StatusNotFound, codes.NotFound},
	"RESOURCE_ALREADY_EXISTS": {http.StatusConflict, codes.AlreadyExists},
	"INVALID_STATE":           {http.StatusBadRequest, codes.FailedPrecondition},
	"INVALID_PARAMETER_VALUE": {http.StatusBadRequest, codes.InvalidArgument},
	"BAD_REQUEST":             {http.StatusBadRequest, codes.InvalidArgument},
	"NOT_IMPLEMENTED":         {http.StatusNotImplemented, codes.Unimplemented},
	"RESOURCE_EXHAUSTED":      {http.StatusRequestEntityTooLarge, codes.ResourceExhausted},
	"UNAUTHENTICATED":         {http.StatusUnauthorized, codes.Unauthenticated},
	"PERMISSION_DENIED":       {http.StatusForbidden, codes.PermissionDenied},
	"TEMPORARILY_UNAVAILABLE": {http.StatusServiceUnavailable, codes.Unavailable},
	"REQUEST_LIMIT_EXCEEDED":  {http.StatusTooManyRequests, codes.ResourceExhausted},
	"CANCELLED":               {statusClientClosed, codes.Canceled},
	"ABORTED":                 {http.StatusConflict, codes.Aborted},
	"INTERNAL_ERROR":          {http.StatusInternalServerError, codes.Internal},
}

// statusClientClosed is nginx's 499 "client closed request": the client
// canceled, nobody reads the answer.
const statusClientClosed = 499

// classify returns the REST status, error code and public message of err.
func classify(err error) (int, string, string) {
	var he *httpError
	if errors.As(err, &he) {
		return he.status, he.code, he.msg
	}
	if errors.Is(err, context.Canceled) {
		return statusClientClosed, "CANCELLED", "the request was canceled"
	}
	code := engine.ErrorCode(err)
	w, ok := wireCodes[code]
	if !ok || code == engine.Internal.Code {
		return http.StatusInternalServerError, engine.Internal.Code, engine.InternalMessage
	}
	return w.status, code, err.Error()
}

// grpcStatus converts err to the gRPC status the SDK expects.
func grpcStatus(err error) error {
	if _, ok := status.FromError(err); ok {
		return err
	}
	_, code, msg := classify(err)
	c, ok := wireCodes[code]
	if !ok {
		return status.Error(codes.Internal, msg)
	}
	return status.Error(c.grpc, msg)
}

// logFailure logs an error a client received, with the context in args
// (stream id, table, statement id, principal): at ERROR when it is the
// server's fault (a 5xx: internal errors, unavailable storage), so that the
// log explains every INTERNAL_ERROR a client is told to look up; at INFO
// when it is the client's; at DEBUG when the client had already gone.
func (s *Server) logFailure(ctx context.Context, msg string, err error, args ...any) {
	st, code := failureStatus(err)
	lvl := slog.LevelInfo
	switch {
	case ctx.Err() != nil:
		lvl = slog.LevelDebug
	case st >= 500:
		lvl = slog.LevelError
	}
	s.log.Log(ctx, lvl, msg, append(args, "status", st, "code", code, "err", err)...)
}

// failureStatus is the REST status and error_code of err; for a gRPC status
// made by the web layer or the transport, those of its error_code.
func failureStatus(err error) (int, string) {
	if _, ok := status.FromError(err); ok {
		code := errorCode(err)
		if w, ok := wireCodes[code]; ok {
			return w.status, code
		}
		return http.StatusInternalServerError, code
	}
	st, code, _ := classify(err)
	return st, code
}
