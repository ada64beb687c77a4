package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Attacks on Arrow Flight DoPut: principals without MODIFY on the table,
// malformed and oversized IPC, schemas that do not match. Each is refused
// with a status the SDK does not retry (or RESOURCE_EXHAUSTED for size),
// and what was acknowledged before stays, once.

// attackBatch is a batch of n rows (id, note) starting at id from.
func attackBatch(from, n int) arrow.RecordBatch {
	b := array.NewRecordBuilder(memory.NewGoAllocator(), attackSchema)
	defer b.Release()
	for i := 0; i < n; i++ {
		b.Field(0).(*array.Int64Builder).Append(int64(from + i))
		b.Field(1).(*array.LargeStringBuilder).Append(fmt.Sprintf("note %d", from+i))
	}
	return b.NewRecordBatch()
}

var attackSchema = arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "note", Type: arrow.BinaryTypes.LargeString, Nullable: true}}, nil)

func TestAttackArrow(t *testing.T) {
	t.Parallel()
	s := startServer(t, "")
	for _, tbl := range []string{"t", "u"} {
		s.sql("CREATE TABLE main.default.arrow_" + tbl + " (id BIGINT NOT NULL, note STRING)")
	}
	noneID, noneSecret := s.newPrincipal("arrow-none")
	noneToken := s.workspaceToken(noneID, noneSecret)
	tableID, tableSecret := s.newPrincipal("arrow-table")
	s.sql(fmt.Sprintf("GRANT USE CATALOG ON CATALOG main TO `%s`", tableID))
	s.sql(fmt.Sprintf("GRANT USE SCHEMA ON SCHEMA main.default TO `%s`", tableID))
	s.sql(fmt.Sprintf("GRANT SELECT, MODIFY ON TABLE main.default.arrow_t TO `%s`", tableID))
	tableToken := s.workspaceToken(tableID, tableSecret)

	// good are two batches of 3 rows; the attacks append to them.
	good := func(from int) []*flight.FlightData {
		r1, r2 := attackBatch(from, 3), attackBatch(from+3, 3)
		defer r1.Release()
		defer r2.Release()
		return flightMessages(t, attackSchema, r1, r2)
	}
	withOffset := func(fd *flight.FlightData, n int) *flight.FlightData {
		fd.AppMetadata = fmt.Appendf(nil, `{"offset_id":%d}`, n)
		return fd
	}
	truncated := func() *flight.FlightData {
		fd := good(0)[1]
		fd.DataBody = fd.DataBody[:8]
		return fd
	}
	tests := []struct {
		name, token, table string
		msgs               []*flight.FlightData
		code               codes.Code
		want               string // in the status message
		acked              int64  // rows acknowledged before the refusal
	}{
		{"no grant", noneToken, "main.default.arrow_t", good(100), codes.PermissionDenied, "lacks USE CATALOG on CATALOG main", 0},
		{"grant on another table", tableToken, "main.default.arrow_u", good(100), codes.PermissionDenied, "lacks SELECT on TABLE main.default.arrow_u", 0},
		{"bad token", "dapi-not-a-token", "main.default.arrow_t", good(100), codes.Unauthenticated, "", 0},
		{"no table header", devToken, "", good(100), codes.InvalidArgument, "x-databricks-zerobus-table-name is missing", 0},
		{"garbage schema message", devToken, "main.default.arrow_t", []*flight.FlightData{{DataHeader: []byte("not a flatbuffer at all")}},
			codes.InvalidArgument, "must be the Arrow IPC schema message", 0},
		{"garbage batch header", devToken, "main.default.arrow_t", append(good(200), withOffset(&flight.FlightData{DataHeader: bytes.Repeat([]byte{0xff}, 64)}, 2)),
			codes.InvalidArgument, "FlightData after offset 1", 6},
		{"truncated batch body", devToken, "main.default.arrow_t", append(good(300), withOffset(truncated(), 2)),
			codes.InvalidArgument, "", 6},
		{"offset out of order", devToken, "main.default.arrow_t", append(good(400), withOffset(good(0)[1], 5)),
			codes.InvalidArgument, "expected offset_id 2, received 5", 6},
		{"no offset", devToken, "main.default.arrow_t", append(good(500), &flight.FlightData{DataHeader: good(0)[1].DataHeader, DataBody: good(0)[1].DataBody}),
			codes.InvalidArgument, `app_metadata must be JSON {"offset_id": N}`, 6},
		{"oversized batch", devToken, "main.default.arrow_t", append(good(600), withOffset(&flight.FlightData{DataHeader: good(0)[1].DataHeader,
			DataBody: make([]byte, 11<<20)}, 2)), codes.ResourceExhausted, "exceeds the limit of 10485760 bytes", 6},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s.t = t
			out := flightPut(t, s, tc.token, tc.table, tc.msgs)
			st, _ := status.FromError(out.err)
			if st.Code() != tc.code || !strings.Contains(st.Message(), tc.want) {
				t.Errorf("status %v %q, want %v containing %q", st.Code(), st.Message(), tc.code, tc.want)
			}
			if got := out.last().Records; got != tc.acked {
				t.Errorf("acknowledged %d rows (acks %v), want %d", got, out.acks, tc.acked)
			}
		})
	}
	s.t = t
	// Exactly the acknowledged batches are stored, once each: the first two
	// of each attack that opened a stream (ids 200-205 ... 600-605).
	want := ""
	for _, from := range []int{200, 300, 400, 500, 600} {
		want += fmt.Sprintf("%d|%d|6\n", from, from+5)
	}
	got := s.cells("SELECT min(id), max(id), count(*) FROM main.default.arrow_t GROUP BY id DIV 100 ORDER BY 1")
	if got+"\n" != want {
		t.Errorf("stored rows (min, max, count per attack):\n%s\nwant:\n%s", got, want)
	}
	if n := s.count("main.default.arrow_u"); n != 0 {
		t.Errorf("arrow_u has %d rows", n)
	}
}

// TestAttackArrowSchema: a schema that does not match is refused at
// creation, naming every mismatch, with Zerobus' ErrorInfo.
func TestAttackArrowSchema(t *testing.T) {
	t.Parallel()
	s := startServer(t, "", "--memory")
	s.sql("CREATE TABLE main.default.arrow_s (id BIGINT NOT NULL, ts TIMESTAMP, tags ARRAY<INT>, note STRING)")
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond}, Nullable: true},
		{Name: "tags", Type: arrow.ListOf(arrow.BinaryTypes.String), Nullable: true},
		{Name: "NOTE", Type: arrow.BinaryTypes.LargeString, Nullable: true},
		{Name: "note", Type: arrow.BinaryTypes.LargeString, Nullable: true},
		{Name: "extra", Type: arrow.PrimitiveTypes.Int8},
	}, nil)
	out := flightPut(t, s, devToken, "main.default.arrow_s", flightMessages(t, schema))
	st, _ := status.FromError(out.err)
	if st.Code() != codes.InvalidArgument || out.ready() {
		t.Fatalf("status %v %q, ready %v", st.Code(), st.Message(), out.ready())
	}
	for _, want := range []string{
		`field "ts": column type TIMESTAMP needs Arrow timestamp[us, tz=UTC], received timestamp[us]; hint: a timestamp without a time zone is a TIMESTAMP_NTZ column`,
		`field "tags[]": column type INT needs Arrow int32, received utf8`,
		`field "note" appears twice`,
		`field "extra" is not a column of the table (columns: id, ts, tags, note)`,
		`column "id" is NOT NULL but the schema has no field for it (expected int64)`,
	} {
		if !strings.Contains(st.Message(), want) {
			t.Errorf("message %q does not say %q", st.Message(), want)
		}
	}
	var info *errdetails.ErrorInfo
	for _, d := range st.Details() {
		if i, ok := d.(*errdetails.ErrorInfo); ok {
			info = i
		}
	}
	if info == nil || info.Reason != "SCHEMA_VALIDATION_FAILED" || info.Domain != "zerobus.databricks.com" ||
		info.Metadata["causes"] != "TYPE_INCOMPATIBLE,FIELD_COUNT_MISMATCH,FIELD_NOT_IN_TABLE,MISSING_REQUIRED_COLUMN" {
		t.Errorf("ErrorInfo = %v", info)
	}
}
