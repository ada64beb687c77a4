package otlp

import "github.com/zbemu/zbemu/engine"

// Errors of an OTLP export request. Each is an engine.ErrInvalidArgument
// (errors.Is), so engine.Categories maps it to INVALID_PARAMETER_VALUE,
// HTTP 400 and gRPC InvalidArgument: the client's problem, permanent, and
// exporters do not retry it. Callers wrap them with the details.
var (
	// ErrNoTable: the request lacks header x-databricks-zerobus-table-name.
	ErrNoTable error = &invalid{"missing table header"}
	// ErrTableLayout: the target table is not in the v2 layout.
	ErrTableLayout error = &invalid{"wrong table layout"}
	// ErrBadRequest: the body is not an OTLP export request.
	ErrBadRequest error = &invalid{"malformed OTLP request"}
)

// invalid is a sentinel that is also an engine.ErrInvalidArgument.
type invalid struct{ msg string }

func (e *invalid) Error() string { return e.msg }
func (e *invalid) Unwrap() error { return engine.ErrInvalidArgument }
