package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/zbemu/zbemu/fixtures/zbclient"
	"github.com/zbemu/zbemu/web/zerobuspb"
)

// Plausibility warnings against the live binary: integer timestamps in
// milliseconds or seconds are accepted, and reported in the REST header,
// the gRPC trailer, system.zbemu.warnings and the metric; with
// --strict-timestamps they are refused through the rejected-record path.

var (
	warnAt = time.Date(2024, 11, 24, 12, 27, 14, 0, time.UTC)
	warnMs = warnAt.UnixMilli()
	warnS  = warnAt.Unix()
	warnUs = warnAt.UnixMicro()
)

// sendJSONStream sends each batch on one gRPC stream and returns the
// stream's end: its error and its warning trailer.
func sendJSONStream(t *testing.T, s *server, table string, batches ...[]string) ([]string, error) {
	t.Helper()
	cc, err := zbclient.Dial(s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := zbclient.OpenStream(ctx, cc, zbclient.StreamOptions{Token: devToken, Table: table, RecordType: zerobuspb.RecordType_JSON, Window: 8})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range batches {
		if err := st.Send(zbclient.Batch{JSON: b}); err != nil {
			break
		}
	}
	err = st.Finish()
	return st.Warnings(), err
}

func TestPlausibilityWarnings(t *testing.T) {
	t.Parallel()
	s := startServer(t, "", "--memory")
	s.sql("CREATE TABLE main.default.w (ts TIMESTAMP, n BIGINT)")

	// REST: two of three records in milliseconds; one header value says so.
	body := fmt.Sprintf(`[{"ts":%d,"n":1},{"ts":%d,"n":2},{"ts":%d,"n":3}]`, warnMs, warnUs, warnMs+1)
	code, hdr, resp := s.do("POST", insertPath("main.default.w"), map[string]string{"Authorization": "Bearer " + devToken, "Content-Type": "application/json"}, []byte(body))
	want := fmt.Sprintf(`column "ts": 2 records look like milliseconds since the epoch (e.g. %d); multiply by 1000 to send microseconds`, warnMs)
	if code != 200 || strings.Join(hdr.Values("X-Zbemu-Warnings"), "\n") != want {
		t.Errorf("REST: %d %s, X-Zbemu-Warnings %q; want 200 and %q", code, resp, hdr.Values("X-Zbemu-Warnings"), want)
	}
	code, hdr, resp = s.do("POST", insertPath("main.default.w"), map[string]string{"Authorization": "Bearer " + devToken}, []byte(fmt.Sprintf(`{"ts":%d,"n":4}`, warnUs)))
	if code != 200 || hdr.Get("X-Zbemu-Warnings") != "" {
		t.Errorf("REST in microseconds: %d %s, warnings %q; want none", code, resp, hdr.Values("X-Zbemu-Warnings"))
	}

	// gRPC: the trailer carries the stream's totals.
	trailer, err := sendJSONStream(t, s, "main.default.w",
		[]string{fmt.Sprintf(`{"ts":%d,"n":5}`, warnS)}, []string{fmt.Sprintf(`{"ts":%d,"n":6}`, warnUs), fmt.Sprintf(`{"ts":%d,"n":7}`, warnS+1)})
	want = fmt.Sprintf(`column "ts": 2 records look like seconds since the epoch (e.g. %d); multiply by 1,000,000 to send microseconds`, warnS)
	if err != nil || strings.Join(trailer, "\n") != want {
		t.Errorf("gRPC: %v, trailer %q; want %q", err, trailer, want)
	}
	if n := s.count("main.default.w"); n != 7 {
		t.Errorf("%d rows, want all 7 accepted", n)
	}

	// system.zbemu.warnings: a row per request and column.
	rows := s.sql("SELECT protocol, column_name, unit, value, record_index, records, unsampled, hint, raw FROM system.zbemu.warnings WHERE table_name = 'main.default.w' ORDER BY time, protocol")
	got := make([]string, len(rows))
	for i, r := range rows {
		vals := make([]string, len(r))
		for j, v := range r {
			if v != nil {
				vals[j] = *v
			}
		}
		got[i] = strings.Join(vals, "|")
	}
	wantRows := []string{
		fmt.Sprintf(`HTTP|ts|milliseconds|%d|0|2|0|this looks like milliseconds since the epoch; multiply by 1000 to send microseconds|{"ts":%d,"n":1}`, warnMs, warnMs),
		fmt.Sprintf(`GRPC|ts|seconds|%d|0|1|0|this looks like seconds since the epoch; multiply by 1,000,000 to send microseconds|{"ts":%d,"n":5}`, warnS, warnS),
		fmt.Sprintf(`GRPC|ts|seconds|%d|1|1|0|this looks like seconds since the epoch; multiply by 1,000,000 to send microseconds|{"ts":%d,"n":7}`, warnS+1, warnS+1),
	}
	if strings.Join(got, "\n") != strings.Join(wantRows, "\n") {
		t.Errorf("system.zbemu.warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantRows, "\n"))
	}

	// The metric counts records per table and unit.
	m := s.scrape()
	for key, want := range map[string]float64{
		"zbemu_timestamp_warnings_total{table=main.default.w,unit=milliseconds}": 2,
		"zbemu_timestamp_warnings_total{table=main.default.w,unit=seconds}":      2,
	} {
		if m[key] != want {
			t.Errorf("%s = %g, want %g", key, m[key], want)
		}
	}
}

// --strict-timestamps refuses such records with a message naming the
// column, the expected unit, the value and the fix, on both protocols,
// and records them in system.zbemu.rejected_records.
func TestStrictTimestamps(t *testing.T) {
	t.Parallel()
	s := startServer(t, "", "--memory", "--strict-timestamps")
	s.sql("CREATE TABLE main.default.w (ts TIMESTAMP, n BIGINT)")
	says := func(where, msg string, parts ...string) {
		t.Helper()
		for _, p := range parts {
			if !strings.Contains(msg, p) {
				t.Errorf("%s: %q does not say %q", where, msg, p)
			}
		}
	}
	body := fmt.Sprintf(`[{"ts":%d,"n":1},{"ts":%d,"n":2}]`, warnUs, warnMs)
	code, resp := s.call("POST", insertPath("main.default.w"), devToken, body)
	ecode, msg := apiErr(t, resp)
	if code != 400 || ecode != "INVALID_PARAMETER_VALUE" {
		t.Errorf("REST: %d %s %s, want 400 INVALID_PARAMETER_VALUE", code, ecode, msg)
	}
	says("REST", msg, `column "ts"`, "implausible timestamp", "expected integer microseconds since the epoch", fmt.Sprint(warnMs),
		"2024-11-24T12:27:14Z as milliseconds", "multiply by 1000", "No record of this request was written")

	_, err := sendJSONStream(t, s, "main.default.w", []string{fmt.Sprintf(`{"ts":%d,"n":3}`, warnS)})
	st, _ := status.FromError(err)
	if st.Code() != codes.InvalidArgument {
		t.Errorf("gRPC: %v, want INVALID_ARGUMENT", err)
	}
	says("gRPC", st.Message(), `column "ts"`, "implausible timestamp", fmt.Sprint(warnS), "multiply by 1,000,000")

	if n := s.count("main.default.w"); n != 0 {
		t.Errorf("%d rows written from refused requests", n)
	}
	rows := s.sql("SELECT protocol, column_name, reason FROM system.zbemu.rejected_records WHERE table_name = 'main.default.w' ORDER BY time")
	if len(rows) != 2 || *rows[0][1] != "ts" || *rows[0][2] != "implausible timestamp" || *rows[1][0] != "GRPC" {
		t.Errorf("rejected_records: %d rows %v", len(rows), rows)
	}
	if n := s.sql("SELECT count(*) FROM system.zbemu.warnings"); *n[0][0] != "0" {
		t.Errorf("refused records were also recorded as warnings: %s", *n[0][0])
	}
}
