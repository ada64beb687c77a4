package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/zbemu/zbemu/engine"
)

// errorTable is the whole error table as clients see it, one row per
// category of engine.Categories plus unknown errors (README "Security
// model" shows it). The test fails if a category is added, removed or
// mapped differently without this table changing with it.
var errorTable = []struct {
	err      error
	code     string
	status   int
	grpc     codes.Code
	sqlState string
}{
	{engine.ErrTableNotFound, "TABLE_DOES_NOT_EXIST", 404, codes.NotFound, "42P01"},
	{engine.ErrSchemaNotFound, "SCHEMA_DOES_NOT_EXIST", 404, codes.NotFound, "42704"},
	{engine.ErrCatalogNotFound, "CATALOG_DOES_NOT_EXIST", 404, codes.NotFound, "42P08"},
	{engine.ErrStatementNotFound, "RESOURCE_DOES_NOT_EXIST", 404, codes.NotFound, "42704"},
	{engine.ErrAlreadyExists, "RESOURCE_ALREADY_EXISTS", 409, codes.AlreadyExists, "42P07"},
	{engine.ErrNotEmpty, "INVALID_STATE", 400, codes.FailedPrecondition, "2BP01"},
	{engine.ErrDeltaVersionNotFound, "INVALID_PARAMETER_VALUE", 400, codes.InvalidArgument, "22003"},
	{engine.ErrDeltaTimestamp, "INVALID_PARAMETER_VALUE", 400, codes.InvalidArgument, "42816"},
	{engine.ErrDeltaFeature, "NOT_IMPLEMENTED", 501, codes.Unimplemented, "56038"},
	{engine.ErrNotDeltaTable, "INVALID_PARAMETER_VALUE", 400, codes.InvalidArgument, "42K03"},
	{engine.ErrDeltaLog, "INVALID_STATE", 400, codes.FailedPrecondition, "55000"},
	{engine.ErrInvalidRecord, "INVALID_PARAMETER_VALUE", 400, codes.InvalidArgument, "22000"},
	{engine.ErrBadOffset, "INVALID_PARAMETER_VALUE", 400, codes.InvalidArgument, "22023"},
	{engine.ErrInvalidArgument, "INVALID_PARAMETER_VALUE", 400, codes.InvalidArgument, "22023"},
	{engine.ErrReservedName, "INVALID_PARAMETER_VALUE", 400, codes.InvalidArgument, "42939"},
	{engine.ErrUnsupported, "NOT_IMPLEMENTED", 501, codes.Unimplemented, "0A000"},
	{engine.ErrTooLarge, "RESOURCE_EXHAUSTED", 413, codes.ResourceExhausted, "54000"},
	{engine.ErrStreamClosed, "INVALID_STATE", 400, codes.FailedPrecondition, "08003"},
	{engine.ErrUnauthenticated, "UNAUTHENTICATED", 401, codes.Unauthenticated, "28000"},
	{engine.ErrInvalidClient, "UNAUTHENTICATED", 401, codes.Unauthenticated, "28000"},
	{engine.ErrPermissionDenied, "PERMISSION_DENIED", 403, codes.PermissionDenied, "42501"},
	{engine.ErrUnavailable, "TEMPORARILY_UNAVAILABLE", 503, codes.Unavailable, "08000"},
	{engine.ErrClosed, "TEMPORARILY_UNAVAILABLE", 503, codes.Unavailable, "57P03"},
	{engine.ErrRateLimited, "REQUEST_LIMIT_EXCEEDED", 429, codes.ResourceExhausted, "53400"},
	{engine.ErrCanceled, "CANCELLED", 499, codes.Canceled, "HY008"},
	{engine.ErrNotFound, "RESOURCE_DOES_NOT_EXIST", 404, codes.NotFound, "42704"},
	{engine.ErrConflict, "ABORTED", 409, codes.Aborted, "40001"},
	{engine.ErrSQL, "BAD_REQUEST", 400, codes.InvalidArgument, "42000"},
	{errors.New("disk I/O error at /secret/path"), "INTERNAL_ERROR", 500, codes.Internal, "XX000"},
}

// TestErrorTable walks every category through the one mapping: REST status,
// error_code and message, gRPC code and message, SQLSTATE.
func TestErrorTable(t *testing.T) {
	if len(errorTable) != len(engine.Categories)+1 {
		t.Fatalf("errorTable has %d rows, engine.Categories %d (+1 for unknown errors): add the new category here and to wireCodes", len(errorTable), len(engine.Categories))
	}
	for i, c := range engine.Categories {
		if errorTable[i].err != c.Err {
			t.Fatalf("row %d: errorTable has %v, engine.Categories %v (keep the same order)", i, errorTable[i].err, c.Err)
		}
	}
	used := map[string]bool{}
	for _, row := range errorTable {
		t.Run(row.code+"/"+row.err.Error(), func(t *testing.T) {
			err := fmt.Errorf("open stream on %q: %w", "main.default.t", row.err)
			used[engine.ErrorCode(err)] = true
			st, code, msg := classify(err)
			if st != row.status || code != row.code {
				t.Errorf("REST: %d %s, want %d %s", st, code, row.status, row.code)
			}
			gs, _ := status.FromError(grpcStatus(err))
			if gs.Code() != row.grpc || gs.Message() != msg {
				t.Errorf("gRPC: %v %q, want %v %q", gs.Code(), gs.Message(), row.grpc, msg)
			}
			if s := engine.SQLState(err); s != row.sqlState {
				t.Errorf("SQLSTATE %s, want %s", s, row.sqlState)
			}
			if row.code == "INTERNAL_ERROR" {
				if strings.Contains(msg, "secret") || msg != engine.InternalMessage {
					t.Errorf("an unknown error leaks its text: %q", msg)
				}
			} else if msg != err.Error() {
				t.Errorf("message %q, want the error's own %q", msg, err.Error())
			}
		})
	}
	for code := range wireCodes {
		if !used[code] {
			t.Errorf("wireCodes has a row for %s, which no category uses", code)
		}
	}
}

// TestClassifyProtocolErrors covers what is not an engine category: the
// web layer's own errors and a client that went away.
func TestClassifyProtocolErrors(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		status int
		code   string
		grpc   codes.Code
	}{
		{"bad request", badRequest("field \"statement\" is required"), http.StatusBadRequest, "INVALID_PARAMETER_VALUE", codes.InvalidArgument},
		{"canceled context", fmt.Errorf("read: %w", context.Canceled), 499, "CANCELLED", codes.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, code, _ := classify(tt.err)
			gs, _ := status.FromError(grpcStatus(tt.err))
			if st != tt.status || code != tt.code || gs.Code() != tt.grpc {
				t.Errorf("got %d %s %v, want %d %s %v", st, code, gs.Code(), tt.status, tt.code, tt.grpc)
			}
		})
	}
}

func TestWithSQLState(t *testing.T) {
	tests := []struct{ msg, want string }{
		{"catalog does not exist: Catalog 'nope' does not exist", "catalog does not exist: Catalog 'nope' does not exist SQLSTATE: 42P08"},
		{"SQL execution failed: Parser Error: syntax error at or near \"x\"\n\nLINE 1: x\n        ^", "SQL execution failed: Parser Error: syntax error at or near \"x\" SQLSTATE: 42P08\n\nLINE 1: x\n        ^"},
	}
	for _, tt := range tests {
		if got := withSQLState(tt.msg, "42P08"); got != tt.want {
			t.Errorf("withSQLState(%q) = %q, want %q", tt.msg, got, tt.want)
		}
	}
}

// TestStatementErrorCodes checks that every category's StatementCode, and
// Internal's, is a member of the Statement API's ServiceErrorCode enum
// (https://docs.databricks.com/api/workspace/statementexecution/getstatement),
// and that a failed statement's message starts with its error class.
func TestStatementErrorCodes(t *testing.T) {
	enum := map[string]bool{"ABORTED": true, "ALREADY_EXISTS": true, "BAD_REQUEST": true, "CANCELLED": true, "DEADLINE_EXCEEDED": true,
		"INTERNAL_ERROR": true, "IO_ERROR": true, "NOT_FOUND": true, "RESOURCE_EXHAUSTED": true, "SERVICE_UNDER_MAINTENANCE": true,
		"TEMPORARILY_UNAVAILABLE": true, "UNAUTHENTICATED": true, "UNKNOWN": true, "WORKSPACE_TEMPORARILY_UNAVAILABLE": true}
	for _, c := range append(engine.Categories, engine.Internal) {
		if !enum[c.StatementCode] {
			t.Errorf("category %s: StatementCode %q is not a ServiceErrorCode", c.Code, c.StatementCode)
		}
	}
	st := failedStatus(fmt.Errorf("%w: Table 'main.default.t' already exists", engine.ErrAlreadyExists))
	if st.Error.ErrorCode != "BAD_REQUEST" || st.Error.Message != "[TABLE_OR_VIEW_ALREADY_EXISTS] Table 'main.default.t' already exists SQLSTATE: 42P07" || st.SQLState != "42P07" {
		t.Errorf("got %+v %+v", st, st.Error)
	}
	st = failedStatus(errors.New("disk I/O error at /secret/path"))
	if st.Error.ErrorCode != "INTERNAL_ERROR" || strings.Contains(st.Error.Message, "secret") {
		t.Errorf("internal: %+v", st.Error)
	}
}
