package main

import (
	"math"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/zbemu/zbemu/fixtures/zbclient"
	"github.com/zbemu/zbemu/schema"
	"github.com/zbemu/zbemu/web/zerobuspb"
)

// CHECK constraints, DEFAULTs and column renames against the real binary:
// REST, gRPC JSON and gRPC protobuf ingest and SQL DML all refuse a
// violating record or row with Databricks' error naming the constraint,
// and nothing of the refused request is stored.

const readingsDDL = `CREATE TABLE main.default.readings (device_id STRING NOT NULL, temp DOUBLE, is_fault BOOLEAN DEFAULT false)
	TBLPROPERTIES ('delta.feature.allowColumnDefaults' = 'supported', 'delta.columnMapping.mode' = 'name')`

func TestCheckConstraintsAcrossProtocols(t *testing.T) {
	t.Parallel()
	s := startServer(t, "")
	s.sql(readingsDDL)
	s.sql("ALTER TABLE main.default.readings ADD CONSTRAINT temp_range CHECK (temp BETWEEN -50 AND 150)")
	const violated = "[DELTA_VIOLATE_CONSTRAINT_WITH_VALUES] CHECK constraint temp_range (temp BETWEEN -50 AND 150) violated by row with values:\n - temp : 200"

	// REST: the request is refused whole.
	if code, ec, msg := s.restInsert(devToken, "main.default.readings", []map[string]any{{"device_id": "r1", "temp": 20.5}}); code != 200 {
		t.Fatalf("REST good record: %d %s %s", code, ec, msg)
	}
	code, ec, msg := s.restInsert(devToken, "main.default.readings", []map[string]any{{"device_id": "r2", "temp": 21}, {"device_id": "r3", "temp": 200}})
	if code != 400 || ec != "INVALID_PARAMETER_VALUE" || !strings.Contains(msg, "record 1: "+violated) {
		t.Fatalf("REST violating batch: %d %s %q", code, ec, msg)
	}

	// gRPC JSON: the violating request is never acknowledged; what was
	// acknowledged before it stays.
	st := wireStream(t, s, "main.default.readings")
	if err := sendAndWait(t, st, `{"device_id":"g1","temp":1}`); err != nil {
		t.Fatal(err)
	}
	err := sendAndWait(t, st, `{"device_id":"g2","temp":2}`, `{"device_id":"g3","temp":200}`)
	if status.Code(err) != codes.InvalidArgument || !strings.Contains(status.Convert(err).Message(), violated) {
		t.Fatalf("gRPC JSON violating request: %v", err)
	}

	// gRPC protobuf, with the DEFAULT of an unset field.
	desc, err := proto.Marshal(descriptorFor("Readings", []schema.Field{{Name: "device_id", Type: &schema.Type{Kind: schema.String}},
		{Name: "temp", Type: &schema.Type{Kind: schema.Double}, Nullable: true}, {Name: "is_fault", Type: &schema.Type{Kind: schema.Boolean}, Nullable: true}}, true))
	if err != nil {
		t.Fatal(err)
	}
	ps := wireStreamOf(t, s, "main.default.readings", zerobuspb.RecordType_PROTO, desc)
	rec := func(id string, temp float64) []byte {
		b := protowire.AppendTag(nil, 1, protowire.BytesType)
		b = protowire.AppendString(b, id)
		b = protowire.AppendTag(b, 2, protowire.Fixed64Type)
		return protowire.AppendFixed64(b, math.Float64bits(temp))
	}
	if err := ps.Send(zbclient.Batch{Proto: [][]byte{rec("p1", 3)}}); err != nil {
		t.Fatal(err)
	}
	if err := waitAcked(t, ps); err != nil {
		t.Fatal(err)
	}
	if err := ps.Send(zbclient.Batch{Proto: [][]byte{rec("p2", 200)}}); err != nil {
		t.Fatal(err)
	}
	if err := waitAcked(t, ps); status.Code(err) != codes.InvalidArgument || !strings.Contains(status.Convert(err).Message(), violated) {
		t.Fatalf("gRPC protobuf violating request: %v", err)
	}

	// SQL DML.
	r := s.sqlResult("INSERT INTO main.default.readings (device_id, temp) VALUES ('s1', 4), ('s2', 200)")
	if r.Status.State != "FAILED" || !strings.Contains(r.Status.Error.Message, violated) || r.Status.SQLState != "23001" {
		t.Fatalf("SQL INSERT: %+v", r.Status)
	}
	s.sql("INSERT INTO main.default.readings (device_id, temp) VALUES ('s3', 5)")
	r = s.sqlResult("UPDATE main.default.readings SET temp = temp + 1000 WHERE device_id = 's3'")
	if r.Status.State != "FAILED" || !strings.Contains(r.Status.Error.Message, "CHECK constraint temp_range") {
		t.Fatalf("SQL UPDATE: %+v", r.Status)
	}
	want := "g1|1.0|false\np1|3.0|false\nr1|20.5|false\ns3|5.0|false"
	if got := s.cells("SELECT device_id, temp, is_fault FROM main.default.readings ORDER BY device_id"); got != want {
		t.Fatalf("rows:\n%s\nwant\n%s", got, want)
	}
	if got := s.cells("SELECT count(*) FROM system.zbemu.rejected_records WHERE message LIKE '%DELTA_VIOLATE_CONSTRAINT_WITH_VALUES%' AND reason = 'CHECK constraint violated' AND column_name = 'temp'"); got != "3" {
		t.Errorf("rejected_records rows naming the constraint = %s, want 3 (REST, gRPC JSON, gRPC protobuf)", got)
	}

	// RENAME COLUMN: the published schema follows; the old name is refused.
	s.sql("ALTER TABLE main.default.readings RENAME COLUMN device_id TO device")
	code, body := s.call("GET", "/zbemu/v1/tables/main.default.readings/jsonschema", devToken, nil)
	if code != 200 || !strings.Contains(string(body), `"device"`) || strings.Contains(string(body), `"device_id"`) {
		t.Fatalf("JSON Schema after RENAME: %d %s", code, body)
	}
	code, body = s.call("GET", "/zbemu/v1/tables/main.default.readings/proto", devToken, nil)
	if code != 200 || !strings.Contains(string(body), " device = 1") {
		t.Fatalf(".proto after RENAME: %d %s", code, body)
	}
	if code, ec, msg := s.restInsert(devToken, "main.default.readings", []map[string]any{{"device_id": "x", "temp": 1}}); code != 400 || !strings.Contains(msg, "device_id") {
		t.Fatalf("old field name after RENAME: %d %s %s", code, ec, msg)
	}
	if code, ec, msg := s.restInsert(devToken, "main.default.readings", []map[string]any{{"device": "n1", "temp": 6}}); code != 200 {
		t.Fatalf("new field name after RENAME: %d %s %s", code, ec, msg)
	}
	if got := s.count("main.default.readings"); got != 5 {
		t.Fatalf("rows after RENAME = %d, want 5", got)
	}
	if got := s.historyOps("main.default.readings"); got != "2 RENAME COLUMN, 1 ADD CONSTRAINT, 0 CREATE TABLE" {
		t.Fatalf("history: %s", got)
	}
}
