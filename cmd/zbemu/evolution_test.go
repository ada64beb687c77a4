package main

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/zbemu/zbemu/fixtures/zbclient"
	"github.com/zbemu/zbemu/web/zerobuspb"
)

// Schema evolution against the real binary: ADD COLUMNS while a stream is
// open, the rescue column, zbemu's automatic schema merge and type
// widening, each checked through SQL and DESCRIBE HISTORY. Streams that
// must stay open across an ALTER use the wire-protocol client of zbemu
// bench (the SDK driver runs a stream start to finish); new streams use
// the official SDK.

// wireStream opens a JSON stream that stays open until the test ends.
func wireStream(t *testing.T, s *server, table string) *zbclient.Stream {
	t.Helper()
	return wireStreamOf(t, s, table, zerobuspb.RecordType_JSON, nil)
}

// wireStreamOf opens a stream of records of type rt (desc is the
// protobuf descriptor of PROTO records) that stays open until the test
// ends.
func wireStreamOf(t *testing.T, s *server, table string, rt zerobuspb.RecordType, desc []byte) *zbclient.Stream {
	t.Helper()
	cc, err := zbclient.Dial(s.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cc.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	st, err := zbclient.OpenStream(ctx, cc, zbclient.StreamOptions{Token: devToken, Table: table, RecordType: rt, Descriptor: desc, Window: 16})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// sendAndWait sends one request and waits for its ack (or the stream's
// error, returned).
func sendAndWait(t *testing.T, st *zbclient.Stream, recs ...string) error {
	t.Helper()
	if err := st.Send(zbclient.Batch{JSON: recs}); err != nil {
		return err
	}
	return waitAcked(t, st)
}

// waitAcked waits until every request sent on st is acknowledged (or the
// stream fails, whose error it returns).
func waitAcked(t *testing.T, st *zbclient.Stream) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := st.WaitAcked(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		t.Fatal("no ack within 30 s")
	}
	return err
}

// historyOps returns DESCRIBE HISTORY as "version operation" lines, newest first.
func (s *server) historyOps(table string) string {
	var out []string
	for _, r := range s.sql("DESCRIBE HISTORY " + table) {
		out = append(out, *r[0]+" "+*r[2])
	}
	return strings.Join(out, ", ")
}

// cells runs a query and renders its rows as "a|b" lines (NULL for null).
func (s *server) cells(q string) string {
	var lines []string
	for _, r := range s.sql(q) {
		var c []string
		for _, v := range r {
			if v == nil {
				c = append(c, "NULL")
			} else {
				c = append(c, *v)
			}
		}
		lines = append(lines, strings.Join(c, "|"))
	}
	return strings.Join(lines, "\n")
}

// ucVersion reads the table version the Unity Catalog API reports.
func (s *server) ucVersion(table string) string {
	s.t.Helper()
	code, body := s.call("GET", "/api/2.1/unity-catalog/tables/"+table, devToken, nil)
	var ti struct {
		Properties map[string]string `json:"properties"`
	}
	if code != 200 || json.Unmarshal(body, &ti) != nil {
		s.t.Fatalf("UC get table: %d %s", code, body)
	}
	return ti.Properties["delta.lastUpdateVersion"]
}

func (s *server) sqlError(stmt string) string {
	s.t.Helper()
	r := s.sqlResult(stmt)
	if r.Status.State != "FAILED" || r.Status.Error == nil {
		s.t.Fatalf("%s: state %s, want FAILED", stmt, r.Status.State)
	}
	return r.Status.Error.Message
}

func TestEvolutionAddColumnMidStream(t *testing.T) {
	t.Parallel()
	s := startServer(t, "")
	s.sql("CREATE TABLE main.default.ev (device_id STRING NOT NULL, temp DOUBLE)")
	old := wireStream(t, s, "main.default.ev")
	if err := sendAndWait(t, old, `{"device_id":"a","temp":1.5}`); err != nil {
		t.Fatal(err)
	}
	s.sql("ALTER TABLE main.default.ev ADD COLUMNS (site STRING COMMENT 'where the sensor is')")
	// The open stream keeps the schema it started with.
	if err := sendAndWait(t, old, `{"device_id":"b","temp":2.5}`, `{"device_id":"c"}`); err != nil {
		t.Fatalf("old stream after ADD COLUMNS: %v", err)
	}
	// A reopened stream (the SDK) and REST see the new column at once.
	r := runSDK(t, s.scenario(map[string]any{"table": "main.default.ev", "records": []any{map[string]any{"device_id": "d", "site": "north"}}}))
	if !r.OK {
		t.Fatalf("SDK after ADD COLUMNS: %s", errText(r.Streams[0].Error))
	}
	if code, body := s.call("POST", "/zerobus/v1/tables/main.default.ev/insert", devToken, `{"device_id":"e","site":"south"}`); code != 200 {
		t.Fatalf("REST after ADD COLUMNS: %d %s", code, body)
	}
	// The old stream does not know the column: its record is rejected, and it says which field.
	err := sendAndWait(t, old, `{"device_id":"f","site":"west"}`)
	if err == nil || !strings.Contains(err.Error(), `"site"`) || !strings.Contains(err.Error(), "unknown field") {
		t.Errorf("old stream sending the new column: %v", err)
	}
	if got := s.cells("SELECT device_id, temp, site FROM main.default.ev ORDER BY device_id"); got != "a|1.5|NULL\nb|2.5|NULL\nc|NULL|NULL\nd|NULL|north\ne|NULL|south" {
		t.Errorf("rows:\n%s", got)
	}
	if got := s.historyOps("main.default.ev"); got != "1 ADD COLUMNS, 0 CREATE TABLE" {
		t.Errorf("history: %s", got)
	}
	if v := s.ucVersion("main.default.ev"); v != "1" {
		t.Errorf("UC delta.lastUpdateVersion %q, want 1", v)
	}
	if got := s.cells("DESCRIBE TABLE EXTENDED main.default.ev"); !strings.Contains(got, "Version|1|NULL") || !strings.Contains(got, "site|string|where the sensor is") {
		t.Errorf("DESCRIBE EXTENDED:\n%s", got)
	}
}

func TestEvolutionRescueColumn(t *testing.T) {
	t.Parallel()
	s := startServer(t, "")
	s.sql("CREATE TABLE main.default.r (device_name STRING NOT NULL, temp INT, humidity BIGINT, rescue VARIANT)")
	s.sql("ALTER TABLE main.default.r ALTER COLUMN rescue SET TAGS ('zerobus-rescue')")
	// The example of the Databricks documentation, through the official SDK.
	rec := `{"device_name":"sensor-1","temp":"72F","humidity":87,"extra_field":"some value"}`
	r := runSDK(t, s.scenario(map[string]any{"table": "main.default.r", "records": []any{rec, `{"device_name":"sensor-2","temp":70}`}}))
	if !r.OK {
		t.Fatalf("SDK: %s", errText(r.Streams[0].Error))
	}
	if got := s.cells("SELECT device_name, temp, humidity, rescue FROM main.default.r ORDER BY device_name"); got != `sensor-1|NULL|87|{"extra_field":"some value","temp":"72F"}`+"\nsensor-2|70|NULL|NULL" {
		t.Errorf("rows:\n%s", got)
	}
	// A NOT NULL column is never rescued.
	code, body := s.call("POST", "/zerobus/v1/tables/main.default.r/insert", devToken, `{"device_name":7}`)
	if code != 400 || !strings.Contains(string(body), `column \"device_name\"`) {
		t.Errorf("mistyped NOT NULL column: %d %s", code, body)
	}
	// Protobuf records are not rescued: a descriptor with a field the table lacks is refused.
	fields := []map[string]any{
		{"name": "device_name", "number": 1, "label": "required", "type": "string"},
		{"name": "temp", "number": 2, "type": "int32"},
		{"name": "extra_field", "number": 5, "type": "string"},
	}
	r = runSDK(t, s.scenario(map[string]any{"table": "main.default.r", "recordType": "proto", "protoFields": fields,
		"records": []any{map[string]any{"device_name": "p", "extra_field": "x"}}, "options": map[string]any{"recovery": false}}))
	if r.Streams[0].OK || !strings.Contains(errText(r.Streams[0].Error), "extra_field") {
		t.Errorf("proto with an unknown field: %+v %s", r.Streams[0], errText(r.Streams[0].Error))
	}
	// Removing the tag turns rescue off; the table property zbemu.rescueColumn turns it on again.
	s.sql("ALTER TABLE main.default.r ALTER COLUMN rescue UNSET TAGS ('zerobus-rescue')")
	if code, body := s.call("POST", "/zerobus/v1/tables/main.default.r/insert", devToken, rec); code != 400 || !strings.Contains(string(body), `column \"temp\"`) {
		t.Errorf("after UNSET TAGS: %d %s", code, body)
	}
	s.sql("ALTER TABLE main.default.r SET TBLPROPERTIES ('zbemu.rescueColumn' = 'rescue')")
	if code, body := s.call("POST", "/zerobus/v1/tables/main.default.r/insert", devToken, `{"device_name":"sensor-3","x":1}`); code != 200 {
		t.Errorf("rescue by property: %d %s", code, body)
	}
	if got := s.cells("SELECT rescue FROM main.default.r WHERE device_name = 'sensor-3'"); got != `{"x":1}` {
		t.Errorf("rescued by property: %s", got)
	}
	if got := s.historyOps("main.default.r"); got != "3 SET TBLPROPERTIES, 2 UNSET COLUMN TAGS, 1 SET COLUMN TAGS, 0 CREATE TABLE" {
		t.Errorf("history: %s", got)
	}
}

func TestEvolutionAutoMerge(t *testing.T) {
	t.Parallel()
	s := startServer(t, "")
	s.sql("CREATE TABLE main.default.am (device_id STRING NOT NULL, temp DOUBLE) TBLPROPERTIES ('zbemu.autoMerge' = 'true')")
	// An open stream merges new fields of its records into the table.
	st := wireStream(t, s, "main.default.am")
	if err := sendAndWait(t, st, `{"device_id":"a","temp":1.5}`); err != nil {
		t.Fatal(err)
	}
	if err := sendAndWait(t, st, `{"device_id":"b","site":"north","battery":87}`, `{"device_id":"c","battery":12.5,"tags":{"line":2}}`); err != nil {
		t.Fatalf("records with new fields: %v", err)
	}
	// The official SDK and REST merge too.
	r := runSDK(t, s.scenario(map[string]any{"table": "main.default.am", "records": []any{`{"device_id":"d","alarm":true}`}}))
	if !r.OK {
		t.Fatalf("SDK: %s", errText(r.Streams[0].Error))
	}
	if code, body := s.call("POST", "/zerobus/v1/tables/main.default.am/insert", devToken, `[{"device_id":"e","firmware":"2.3.1"}]`); code != 200 {
		t.Fatalf("REST: %d %s", code, body)
	}
	// A conflicting type is still a rejection and adds nothing.
	code, body := s.call("POST", "/zerobus/v1/tables/main.default.am/insert", devToken, `{"device_id":"f","battery":"full"}`)
	if code != 400 || !strings.Contains(string(body), `column \"battery\"`) {
		t.Errorf("conflicting type: %d %s", code, body)
	}
	if got := s.cells("DESCRIBE main.default.am"); got != "device_id|string not null|NULL\ntemp|double|NULL\nsite|string|NULL\nbattery|double|NULL\ntags|variant|NULL\nalarm|boolean|NULL\nfirmware|string|NULL" {
		t.Errorf("DESCRIBE:\n%s", got)
	}
	if got := s.cells("SELECT device_id, site, battery, tags, alarm, firmware FROM main.default.am ORDER BY device_id"); got != "a|NULL|NULL|NULL|NULL|NULL\nb|north|87.0|NULL|NULL|NULL\n"+
		`c|NULL|12.5|{"line":2}|NULL|NULL`+"\nd|NULL|NULL|NULL|true|NULL\ne|NULL|NULL|NULL|NULL|2.3.1" {
		t.Errorf("rows:\n%s", got)
	}
	if got := s.historyOps("main.default.am"); got != "3 AUTO MERGE, 2 AUTO MERGE, 1 AUTO MERGE, 0 CREATE TABLE" {
		t.Errorf("history: %s", got)
	}
}

func TestEvolutionTypeWidening(t *testing.T) {
	t.Parallel()
	s := startServer(t, "")
	s.sql("CREATE TABLE main.default.w (id INT NOT NULL, reading INT, price DECIMAL(5,2), day DATE)")
	if msg := s.sqlError("ALTER TABLE main.default.w ALTER COLUMN reading TYPE BIGINT"); !strings.Contains(msg, "'delta.enableTypeWidening' = 'true'") {
		t.Errorf("widening without the property: %s", msg)
	}
	s.sql("ALTER TABLE main.default.w SET TBLPROPERTIES ('delta.enableTypeWidening' = 'true')")
	if msg := s.sqlError("ALTER TABLE main.default.w ALTER COLUMN reading TYPE SMALLINT"); !strings.Contains(msg, "from INT to SMALLINT") {
		t.Errorf("narrowing: %s", msg)
	}
	old := wireStream(t, s, "main.default.w")
	if err := sendAndWait(t, old, `{"id":1,"reading":1,"price":"1.25","day":0}`); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"ALTER TABLE main.default.w ALTER COLUMN reading TYPE BIGINT",
		"ALTER TABLE main.default.w ALTER COLUMN price TYPE DECIMAL(10,4)",
		"ALTER TABLE main.default.w CHANGE COLUMN day TYPE TIMESTAMP_NTZ",
	} {
		s.sql(q)
	}
	// The open stream still sends the old types; its rows are widened.
	if err := sendAndWait(t, old, `{"id":2,"reading":2147483647,"price":"-999.99","day":20051}`); err != nil {
		t.Fatalf("old stream after widening: %v", err)
	}
	r := runSDK(t, s.scenario(map[string]any{"table": "main.default.w", "records": []any{`{"id":3,"reading":9223372036854775807,"price":"123456.7891","day":1732451234567890}`}}))
	if !r.OK {
		t.Fatalf("SDK with the wide types: %s", errText(r.Streams[0].Error))
	}
	// Values beyond the old type are still refused on the old stream.
	if err := sendAndWait(t, old, `{"id":4,"reading":2147483648}`); err == nil || !strings.Contains(err.Error(), "reading") {
		t.Errorf("old stream beyond INT: %v", err)
	}
	if got := s.cells("SELECT id, reading, price, CAST(day AS STRING) FROM main.default.w ORDER BY id"); got != "1|1|1.2500|1970-01-01 00:00:00\n2|2147483647|-999.9900|2024-11-24 00:00:00\n3|9223372036854775807|123456.7891|2024-11-24 12:27:14.56789" {
		t.Errorf("rows:\n%s", got)
	}
	if got := s.cells("DESCRIBE main.default.w"); got != "id|int not null|NULL\nreading|bigint|NULL\nprice|decimal(10,4)|NULL\nday|timestamp_ntz|NULL" {
		t.Errorf("DESCRIBE:\n%s", got)
	}
	hist := s.sql("DESCRIBE HISTORY main.default.w")
	if got := s.historyOps("main.default.w"); got != "4 CHANGE COLUMN, 3 CHANGE COLUMN, 2 CHANGE COLUMN, 1 SET TBLPROPERTIES, 0 CREATE TABLE" {
		t.Errorf("history: %s", got)
	}
	if p := *hist[0][3]; !strings.Contains(p, `"fromType":"DATE"`) || !strings.Contains(p, `"toType":"TIMESTAMP_NTZ"`) {
		t.Errorf("operation parameters: %s", p)
	}
	if v := s.ucVersion("main.default.w"); v != "4" {
		t.Errorf("UC delta.lastUpdateVersion %q, want 4", v)
	}
}
