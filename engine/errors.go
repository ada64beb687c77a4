package engine

import (
	"errors"
	"fmt"

	"github.com/zbemu/zbemu/engine/identity"
)

// The engine's error catalogue. Every error the engine returns wraps one of
// these sentinels (compare with errors.Is) so that the single translation
// point in package web can map it to a gRPC status and a REST status plus
// {"error_code","message"} without parsing text. Messages are written for
// the person at the other end: they name the object and what was expected.
var (
	// Lookups.
	ErrCatalogNotFound   = errors.New("catalog does not exist")
	ErrSchemaNotFound    = errors.New("schema does not exist")
	ErrTableNotFound     = errors.New("table does not exist")
	ErrStatementNotFound = errors.New("statement does not exist")

	// Creation and removal.
	ErrAlreadyExists = errors.New("already exists")
	ErrNotEmpty      = errors.New("not empty")
	ErrReservedName  = errors.New("reserved name")

	// Input that can never succeed as sent.
	ErrInvalidArgument = identity.ErrInvalidArgument
	ErrUnsupported     = errors.New("not supported")
	ErrTooLarge        = errors.New("request too large")

	// Ingest.
	ErrInvalidRecord = errors.New("invalid record")
	ErrBadOffset     = errors.New("unexpected offset")
	ErrStreamClosed  = errors.New("stream closed")

	// Identity and access.
	// Package identity returns these; they are the same values.
	ErrUnauthenticated  = identity.ErrUnauthenticated
	ErrInvalidClient    = identity.ErrInvalidClient
	ErrPermissionDenied = identity.ErrPermissionDenied

	// Lifecycle.
	ErrClosed = errors.New("engine closed")
	// ErrUnavailable: the store cannot take writes for now (disk full, I/O
	// error); the message names the cause. Clients retry; zbemu recovers
	// by itself once the cause is gone.
	ErrUnavailable = errors.New("temporarily unavailable")
	ErrCanceled    = errors.New("canceled")
	ErrSQL         = errors.New("SQL execution failed")
)

// RecordError reports a rejected record with its position in the request.
// It wraps the schema package's *schema.RecordError (column, expected type,
// received value, hint) and ErrInvalidRecord.
type RecordError struct {
	// Offset is the wire offset of the request message (gRPC), or -1 for REST.
	Offset int64
	// Index is the record's index within the request (batch position).
	Index int
	Err   error
}

func (e *RecordError) Error() string {
	if e.Offset >= 0 {
		return fmt.Sprintf("record at offset %d, index %d: %v", e.Offset, e.Index, e.Err)
	}
	return fmt.Sprintf("record %d: %v", e.Index, e.Err)
}

// Unwrap exposes both the cause and the ErrInvalidRecord category.
func (e *RecordError) Unwrap() []error { return []error{ErrInvalidRecord, e.Err} }

// notFound builds the Zerobus-style "cannot be found" error for a table.
func tableNotFound(name string) error {
	return fmt.Errorf("%w: Table %q cannot be found. Create it first (CREATE TABLE %s (...)) — Zerobus never creates tables", ErrTableNotFound, name, name)
}

// ErrorCode names an engine error with its Databricks error_code, the name
// clients branch on. Package web maps these names to HTTP and gRPC statuses.
func ErrorCode(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrTableNotFound):
		return "TABLE_DOES_NOT_EXIST"
	case errors.Is(err, ErrSchemaNotFound):
		return "SCHEMA_DOES_NOT_EXIST"
	case errors.Is(err, ErrCatalogNotFound):
		return "CATALOG_DOES_NOT_EXIST"
	case errors.Is(err, ErrStatementNotFound):
		return "RESOURCE_DOES_NOT_EXIST"
	case errors.Is(err, ErrAlreadyExists):
		return "RESOURCE_ALREADY_EXISTS"
	case errors.Is(err, ErrNotEmpty):
		return "INVALID_STATE"
	case errors.Is(err, ErrInvalidRecord), errors.Is(err, ErrBadOffset), errors.Is(err, ErrInvalidArgument), errors.Is(err, ErrReservedName):
		return "INVALID_PARAMETER_VALUE"
	case errors.Is(err, ErrUnsupported):
		return "NOT_IMPLEMENTED"
	case errors.Is(err, ErrTooLarge):
		return "RESOURCE_EXHAUSTED"
	case errors.Is(err, ErrUnauthenticated), errors.Is(err, ErrInvalidClient):
		return "UNAUTHENTICATED"
	case errors.Is(err, ErrPermissionDenied):
		return "PERMISSION_DENIED"
	case errors.Is(err, ErrClosed), errors.Is(err, ErrUnavailable):
		return "TEMPORARILY_UNAVAILABLE"
	case errors.Is(err, ErrCanceled):
		return "CANCELLED"
	case errors.Is(err, ErrSQL):
		return "BAD_REQUEST"
	default:
		return "INTERNAL_ERROR"
	}
}
