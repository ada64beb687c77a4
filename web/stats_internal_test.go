package web

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/zbemu/zbemu/engine"
)

func TestErrorCode(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"engine error", fmt.Errorf("%w: Table x cannot be found", engine.ErrTableNotFound), "TABLE_DOES_NOT_EXIST"},
		{"invalid record", &engine.RecordError{Offset: 3, Err: errors.New("bad")}, "INVALID_PARAMETER_VALUE"},
		{"web protocol error", &httpError{http.StatusUnsupportedMediaType, "INVALID_PARAMETER_VALUE", "no"}, "INVALID_PARAMETER_VALUE"},
		{"gRPC protocol error", status.Error(codes.InvalidArgument, "first message must be create_stream"), "INVALID_PARAMETER_VALUE"},
		{"gRPC message too large", status.Error(codes.ResourceExhausted, "too big"), "RESOURCE_EXHAUSTED"},
		{"gRPC transport", status.Error(codes.Unavailable, "gone"), "TEMPORARILY_UNAVAILABLE"},
		{"unknown gRPC status", status.Error(codes.DataLoss, "?"), "INTERNAL_ERROR"},
		{"plain error", errors.New("boom"), "INTERNAL_ERROR"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := errorCode(tc.err); got != tc.want {
				t.Errorf("errorCode(%v) = %s, want %s", tc.err, got, tc.want)
			}
		})
	}
}
