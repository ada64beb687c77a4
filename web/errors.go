package web

import (
	"context"
	"errors"
	"net/http"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/zbemu/zbemu/engine"
)

// This file is the one place where errors become wire errors: a REST status
// with {"error_code","message"} and a gRPC status. The error_code comes
// from engine.ErrorCode; the statuses follow the Zerobus error table
// (research/zerobus-wire.md §4.7): permanent problems use codes the SDKs do
// not retry (INVALID_ARGUMENT, NOT_FOUND, UNAUTHENTICATED, PERMISSION_DENIED),
// transient ones use UNAVAILABLE. Errors outside the catalogue become
// INTERNAL without their text, which is logged instead.

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

var codeStatus = map[string]int{
	"TABLE_DOES_NOT_EXIST":    http.StatusNotFound,
	"SCHEMA_DOES_NOT_EXIST":   http.StatusNotFound,
	"CATALOG_DOES_NOT_EXIST":  http.StatusNotFound,
	"RESOURCE_DOES_NOT_EXIST": http.StatusNotFound,
	"RESOURCE_ALREADY_EXISTS": http.StatusConflict,
	"INVALID_STATE":           http.StatusBadRequest,
	"INVALID_PARAMETER_VALUE": http.StatusBadRequest,
	"BAD_REQUEST":             http.StatusBadRequest,
	"NOT_IMPLEMENTED":         http.StatusNotImplemented,
	"RESOURCE_EXHAUSTED":      http.StatusRequestEntityTooLarge,
	"UNAUTHENTICATED":         http.StatusUnauthorized,
	"PERMISSION_DENIED":       http.StatusForbidden,
	"TEMPORARILY_UNAVAILABLE": http.StatusServiceUnavailable,
	"CANCELLED":               499,
	"INTERNAL_ERROR":          http.StatusInternalServerError,
}

var codeGRPC = map[string]codes.Code{
	"TABLE_DOES_NOT_EXIST":    codes.NotFound,
	"SCHEMA_DOES_NOT_EXIST":   codes.NotFound,
	"CATALOG_DOES_NOT_EXIST":  codes.NotFound,
	"RESOURCE_DOES_NOT_EXIST": codes.NotFound,
	"RESOURCE_ALREADY_EXISTS": codes.AlreadyExists,
	"INVALID_STATE":           codes.FailedPrecondition,
	"INVALID_PARAMETER_VALUE": codes.InvalidArgument,
	"BAD_REQUEST":             codes.InvalidArgument,
	"NOT_IMPLEMENTED":         codes.Unimplemented,
	"RESOURCE_EXHAUSTED":      codes.ResourceExhausted,
	"UNAUTHENTICATED":         codes.Unauthenticated,
	"PERMISSION_DENIED":       codes.PermissionDenied,
	"TEMPORARILY_UNAVAILABLE": codes.Unavailable,
	"CANCELLED":               codes.Canceled,
	"INTERNAL_ERROR":          codes.Internal,
}

// classify returns the REST status, error code and public message of err.
func classify(err error) (int, string, string) {
	var he *httpError
	if errors.As(err, &he) {
		return he.status, he.code, he.msg
	}
	if errors.Is(err, context.Canceled) {
		return 499, "CANCELLED", "the request was canceled"
	}
	code := engine.ErrorCode(err)
	st, ok := codeStatus[code]
	if !ok || code == "INTERNAL_ERROR" {
		return http.StatusInternalServerError, "INTERNAL_ERROR", "internal error (see the zbemu log)"
	}
	return st, code, err.Error()
}

// grpcStatus converts err to the gRPC status the SDK expects.
func grpcStatus(err error) error {
	if _, ok := status.FromError(err); ok {
		return err
	}
	_, code, msg := classify(err)
	c, ok := codeGRPC[code]
	if !ok {
		c = codes.Internal
	}
	return status.Error(c, msg)
}
