package engine

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	duckdb "github.com/duckdb/duckdb-go/v2"
	"github.com/zbemu/zbemu/engine/delta"
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
	// ErrNotFound: another workspace object (a dashboard) does not exist.
	ErrNotFound = identity.ErrNotFound

	// Creation and removal.
	ErrAlreadyExists = errors.New("already exists")
	ErrNotEmpty      = errors.New("not empty")
	ErrReservedName  = errors.New("reserved name")
	// ErrConflict: the object changed since the client read it (a stale
	// etag); read it again and retry.
	ErrConflict = errors.New("conflicting change")

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
	// ErrRateLimited: a quota or an injected rate-limit fault refused the
	// request; clients retry it later with backoff (429, RESOURCE_EXHAUSTED).
	ErrRateLimited = errors.New("request limit exceeded")
	ErrSQL         = errors.New("SQL execution failed")

	// Errors of reading a Delta log (package delta), re-exported: a
	// version or time outside the log, a reader feature zbemu lacks, a
	// folder that is not a Delta table, a log that breaks the protocol.
	ErrDeltaVersionNotFound = delta.ErrVersionNotFound
	ErrDeltaTimestamp       = delta.ErrTimestampOutOfRange
	ErrDeltaFeature         = delta.ErrUnsupportedFeature
	ErrNotDeltaTable        = delta.ErrNotTable
	ErrDeltaLog             = delta.ErrCorruptLog
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
	// Records is how many records the request had; Failed how many of
	// them fail, and Others the first of the others (up to
	// MaxListedFailures with this one), so that a client fixes them all
	// at once rather than one per retry.
	Records, Failed int
	Others          []RecordFailure
}

// RecordFailure is one more failing record of a rejected request.
type RecordFailure struct {
	Index int
	Err   error
}

// MaxListedFailures is how many failing records a batch error lists.
const MaxListedFailures = 10

func (e *RecordError) Error() string {
	var b strings.Builder
	if e.Offset >= 0 {
		fmt.Fprintf(&b, "record at offset %d, index %d: %v", e.Offset, e.Index, e.Err)
	} else {
		fmt.Fprintf(&b, "record %d: %v", e.Index, e.Err)
	}
	if e.Records > 1 {
		fmt.Fprintf(&b, ". No record of this request was written: %d of its %d records fail", e.Failed, e.Records)
		if len(e.Others) > 0 {
			b.WriteString("; also")
			for _, o := range e.Others {
				fmt.Fprintf(&b, " [index %d: %v]", o.Index, o.Err)
			}
			if shown := 1 + len(e.Others); e.Failed > shown {
				fmt.Fprintf(&b, " and %d more", e.Failed-shown)
			}
		}
		b.WriteString(". Fix them and send the request again")
	}
	return b.String()
}

// Unwrap exposes both the cause and the ErrInvalidRecord category.
func (e *RecordError) Unwrap() []error { return []error{ErrInvalidRecord, e.Err} }

// notFound builds the Zerobus-style "cannot be found" error for a table.
func tableNotFound(name string) error {
	return fmt.Errorf("%w: Table %q cannot be found. Create it first (CREATE TABLE %s (...)) — Zerobus never creates tables", ErrTableNotFound, name, name)
}

// Category is one row of the error table: an engine sentinel with the
// names a client sees for it on every surface. Package web adds the wire
// statuses (HTTP and gRPC) per Code, in web/errors.go.
type Category struct {
	// Err is the sentinel; the first row whose Err matches (errors.Is) wins.
	Err error
	// Code is the Databricks error_code: REST bodies, system.lakeflow.zerobus_stream
	// errors and the zbemu_errors_total metric.
	Code string
	// SQLState is the SQLSTATE of the category, as Databricks assigns them
	// to its error conditions (https://docs.databricks.com/aws/en/error-messages/sqlstates,
	// https://docs.databricks.com/aws/en/error-messages/): the Statement
	// API's status.sql_state and the "SQLSTATE: xxxxx" of its messages.
	SQLState string
	// StatementCode is the error_code of a FAILED statement
	// (status.error.error_code), which the Statement Execution API types as
	// ServiceErrorCode, an enum without the REST codes above
	// (https://docs.databricks.com/api/workspace/statementexecution/getstatement).
	// Errors of the statement itself are BAD_REQUEST there; what it is
	// says the error class at the start of the message.
	StatementCode string
	// Class is the Databricks error condition a statement's message starts
	// with ("[TABLE_OR_VIEW_NOT_FOUND] ..."), or "" when the error carries
	// its own (see ErrorClass).
	Class string
}

// Categories is the error table, one row per sentinel of the catalogue
// above, in match order: an error that wraps two sentinels (a RecordError
// always wraps ErrInvalidRecord) takes the first row. The error_code values
// are the ones clients already branch on; keep them stable.
var Categories = []Category{
	{ErrTableNotFound, "TABLE_DOES_NOT_EXIST", "42P01", "BAD_REQUEST", "TABLE_OR_VIEW_NOT_FOUND"},
	{ErrSchemaNotFound, "SCHEMA_DOES_NOT_EXIST", "42704", "BAD_REQUEST", "SCHEMA_NOT_FOUND"},
	{ErrCatalogNotFound, "CATALOG_DOES_NOT_EXIST", "42P08", "BAD_REQUEST", "CATALOG_NOT_FOUND"},
	{ErrStatementNotFound, "RESOURCE_DOES_NOT_EXIST", "42704", "NOT_FOUND", ""}, // undefined object
	{ErrAlreadyExists, "RESOURCE_ALREADY_EXISTS", "42P07", "BAD_REQUEST", "TABLE_OR_VIEW_ALREADY_EXISTS"},
	{ErrNotEmpty, "INVALID_STATE", "2BP01", "BAD_REQUEST", "SCHEMA_NOT_EMPTY"},
	// Reading Delta logs (time travel, RESTORE, import); the classes are
	// Delta's (delta-error-classes.json in github.com/delta-io/delta).
	{ErrDeltaVersionNotFound, "INVALID_PARAMETER_VALUE", "22003", "BAD_REQUEST", "DELTA_VERSION_NOT_FOUND"},
	{ErrDeltaTimestamp, "INVALID_PARAMETER_VALUE", "42816", "BAD_REQUEST", "DELTA_TIMESTAMP_GREATER_THAN_COMMIT"},
	{ErrDeltaFeature, "NOT_IMPLEMENTED", "56038", "BAD_REQUEST", "DELTA_UNSUPPORTED_FEATURES_FOR_READ"},
	{ErrNotDeltaTable, "INVALID_PARAMETER_VALUE", "42K03", "BAD_REQUEST", "DELTA_PATH_DOES_NOT_EXIST"},
	{ErrDeltaLog, "INVALID_STATE", "55000", "BAD_REQUEST", ""},                // object not in prerequisite state
	{ErrInvalidRecord, "INVALID_PARAMETER_VALUE", "22000", "BAD_REQUEST", ""}, // data exception
	{ErrBadOffset, "INVALID_PARAMETER_VALUE", "22023", "BAD_REQUEST", ""},     // invalid parameter value
	{ErrInvalidArgument, "INVALID_PARAMETER_VALUE", "22023", "BAD_REQUEST", ""},
	{ErrReservedName, "INVALID_PARAMETER_VALUE", "42939", "BAD_REQUEST", ""}, // reserved name
	{ErrUnsupported, "NOT_IMPLEMENTED", "0A000", "BAD_REQUEST", "UNSUPPORTED_FEATURE"},
	{ErrTooLarge, "RESOURCE_EXHAUSTED", "54000", "RESOURCE_EXHAUSTED", ""},  // program limit exceeded
	{ErrStreamClosed, "INVALID_STATE", "08003", "BAD_REQUEST", ""},          // connection does not exist
	{ErrUnauthenticated, "UNAUTHENTICATED", "28000", "UNAUTHENTICATED", ""}, // invalid authorization specification
	{ErrInvalidClient, "UNAUTHENTICATED", "28000", "UNAUTHENTICATED", ""},
	{ErrPermissionDenied, "PERMISSION_DENIED", "42501", "BAD_REQUEST", "INSUFFICIENT_PERMISSIONS"},
	{ErrUnavailable, "TEMPORARILY_UNAVAILABLE", "08000", "TEMPORARILY_UNAVAILABLE", ""}, // connection exception: retry
	{ErrClosed, "TEMPORARILY_UNAVAILABLE", "57P03", "TEMPORARILY_UNAVAILABLE", ""},      // cannot connect now (shutting down)
	{ErrRateLimited, "REQUEST_LIMIT_EXCEEDED", "53400", "RESOURCE_EXHAUSTED", ""},       // configuration limit exceeded: retry later
	{ErrCanceled, "CANCELLED", "HY008", "CANCELLED", "OPERATION_CANCELED"},
	{ErrNotFound, "RESOURCE_DOES_NOT_EXIST", "42704", "NOT_FOUND", ""}, // undefined object
	{ErrConflict, "ABORTED", "40001", "ABORTED", ""},                   // serialization failure: retry on fresh data
	{ErrSQL, "BAD_REQUEST", "42000", "BAD_REQUEST", ""},                // refined per DuckDB error by sqlError
}

// Internal is the category of every error outside the catalogue. Its text
// is never shown to clients (they get InternalMessage); it is logged instead.
var Internal = Category{Code: "INTERNAL_ERROR", SQLState: "XX000", StatementCode: "INTERNAL_ERROR"}

// InternalMessage is all a client, or a reader of the system tables,
// learns of an error outside the catalogue.
const InternalMessage = "internal error (see the zbemu log)"

// Classify returns the category of err: the first row of Categories it
// wraps, ErrCanceled's row for a canceled context, Internal otherwise.
// The zero Category is returned for a nil error.
func Classify(err error) Category {
	if err == nil {
		return Category{}
	}
	for _, c := range Categories {
		if errors.Is(err, c.Err) {
			return c
		}
	}
	if errors.Is(err, context.Canceled) {
		return Classify(ErrCanceled)
	}
	return Internal
}

// ErrorCode is the Databricks error_code of err ("" for nil).
func ErrorCode(err error) string { return Classify(err).Code }

// SQLState is the SQLSTATE of err: the one its condition gives (see
// condition), the category's otherwise.
func SQLState(err error) string {
	var c *condition
	if errors.As(err, &c) && c.state != "" {
		return c.state
	}
	return Classify(err).SQLState
}

// ErrorClass is the Databricks error condition of err, as a failed
// statement's message starts with it: the one its condition gives, one the
// message already starts with ("[DELTA_...] ..."), the category's
// otherwise; "" when none fits.
func ErrorClass(err error) string {
	var c *condition
	if errors.As(err, &c) && c.class != "" {
		return c.class
	}
	cat := Classify(err)
	if m := classRE.FindStringSubmatch(Detail(err)); m != nil {
		return m[1]
	}
	return cat.Class
}

// classRE matches an error class at the start of a message.
var classRE = regexp.MustCompile(`^\[([A-Z][A-Z0-9_]*(?:\.[A-Z][A-Z0-9_]*)?)\]`)

// Detail is the text of err after its category's sentinel ("table does not
// exist: Table 'x' ..." is "Table 'x' ..."): what a Databricks message says
// after the error class.
func Detail(err error) string {
	msg := err.Error()
	if cat := Classify(err); cat.Err != nil {
		msg = strings.TrimPrefix(msg, cat.Err.Error()+": ")
	}
	return msg
}

// condition gives an error a SQLSTATE and an error class finer than its
// category's (either may be "": the category's then).
type condition struct {
	class, state string
	err          error
}

func (e *condition) Error() string { return e.err.Error() }
func (e *condition) Unwrap() error { return e.err }

// withCondition attaches an error class and SQLSTATE to err.
func withCondition(err error, class, state string) error {
	return &condition{class: class, state: state, err: err}
}

// withSQLState attaches to wrapped the SQLSTATE state; with state "" the
// one Databricks gives the condition of cause's DuckDB error, if any.
func withSQLState(wrapped, cause error, state string) error {
	if state == "" {
		state = duckState(cause)
	}
	if state == "" {
		return wrapped
	}
	return withCondition(wrapped, "", state)
}

// duckState is the SQLSTATE of err's DuckDB error type, or "".
func duckState(err error) string {
	var de *duckdb.Error
	if errors.As(err, &de) {
		return duckSQLStates[de.Type]
	}
	return ""
}

// duckSQLStates maps DuckDB's error types to the SQLSTATE Databricks gives
// the same condition (PARSE_SYNTAX_ERROR 42601, CAST_INVALID_INPUT 22018, ARITHMETIC_OVERFLOW 22003, DIVIDE_BY_ZERO
// 22012, ...). Types not listed keep ErrSQL's 42000.
var duckSQLStates = map[duckdb.ErrorType]string{
	duckdb.ErrorTypeParser:         "42601",
	duckdb.ErrorTypeSyntax:         "42601",
	duckdb.ErrorTypeCatalog:        "42704",
	duckdb.ErrorTypeConversion:     "22018",
	duckdb.ErrorTypeOutOfRange:     "22003",
	duckdb.ErrorTypeDivideByZero:   "22012",
	duckdb.ErrorTypeInvalidInput:   "22023",
	duckdb.ErrorTypeConstraint:     "23000",
	duckdb.ErrorTypeMismatchType:   "42804",
	duckdb.ErrorTypeNotImplemented: "0A000",
	duckdb.ErrorTypePermission:     "42501",
	duckdb.ErrorTypeInterrupt:      "HY008",
	duckdb.ErrorTypeTransaction:    "40001",
	duckdb.ErrorTypeOutOfMemory:    "53200",
	duckdb.ErrorTypeIO:             "58030",
	duckdb.ErrorTypeInternal:       "XX000",
	duckdb.ErrorTypeFatal:          "XX000",
}
