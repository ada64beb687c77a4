package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// These tests drive zbemu with the official Zerobus SDK (the Node native
// core from npm, unmodified) through testdata/sdk/driver.js.

const iotDDL = "(device_id STRING NOT NULL, ts TIMESTAMP NOT NULL, temperature DOUBLE, humidity DOUBLE, status STRING, seq BIGINT)"

func iotRecords(from, n int) []any {
	out := make([]any, n)
	for i := range out {
		k := from + i
		out[i] = map[string]any{"device_id": fmt.Sprintf("dev-%d", k%7), "ts": 1732451234000000 + int64(k), "temperature": 20.5, "humidity": 40.0, "status": "ok", "seq": k}
	}
	return out
}

func batchesOf(recs []any, size int) [][]any {
	var out [][]any
	for i := 0; i < len(recs); i += size {
		out = append(out, recs[i:min(i+size, len(recs))])
	}
	return out
}

var iotProtoFields = []map[string]any{
	{"name": "device_id", "number": 1, "label": "required", "type": "string"},
	{"name": "ts", "number": 2, "label": "required", "type": "int64"},
	{"name": "temperature", "number": 3, "type": "double"},
	{"name": "humidity", "number": 4, "type": "double"},
	{"name": "status", "number": 5, "type": "string"},
	{"name": "seq", "number": 6, "type": "int64"},
}

func errText(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func TestSDKIngest(t *testing.T) {
	t.Parallel()
	s := startServer(t, "")
	for _, tbl := range []string{"single", "batch", "proto", "c1", "c2", "again"} {
		s.sql("CREATE TABLE main.default." + tbl + " " + iotDDL)
	}
	tests := []struct {
		name   string
		table  string
		stream map[string]any
		want   int
	}{
		{"json single records", "single", map[string]any{"table": "main.default.single", "mode": "single", "records": iotRecords(0, 50)}, 50},
		{"json batches", "batch", map[string]any{"table": "main.default.batch", "mode": "batch", "batches": batchesOf(iotRecords(0, 2500), 100)}, 2500},
		{"proto records with a descriptor", "proto", map[string]any{"table": "main.default.proto", "recordType": "proto", "protoName": "iot",
			"protoFields": iotProtoFields, "batches": batchesOf(iotRecords(0, 300), 7)}, 300},
		{"second stream after close", "again", map[string]any{"table": "main.default.again", "records": iotRecords(0, 10), "secondStreamAfterClose": true}, 20},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runSDK(t, s.scenario(tc.stream))
			if !r.OK || len(r.Streams) != 1 || !r.Streams[0].OK {
				t.Fatalf("SDK failed: %+v %s", r, errText(r.Streams[0].Error))
			}
			acked := r.Streams[0].AckedRecords
			if r.Streams[0].Second != nil {
				acked += r.Streams[0].Second.AckedRecords
			}
			if acked != tc.want {
				t.Errorf("acked %d, want %d", acked, tc.want)
			}
			if n := s.count("main.default." + tc.table); n != tc.want {
				t.Errorf("SQL count %d, want %d acked", n, tc.want)
			}
		})
	}
	t.Run("4 concurrent streams", func(t *testing.T) {
		var streams []map[string]any
		for i := 0; i < 4; i++ {
			tbl := []string{"c1", "c2"}[i%2]
			streams = append(streams, map[string]any{"table": "main.default." + tbl, "batches": batchesOf(iotRecords(i*1000, 1000), 50)})
		}
		r := runSDK(t, s.scenario(streams...))
		if !r.OK {
			t.Fatalf("SDK failed: %+v", r)
		}
		if a, b := s.count("main.default.c1"), s.count("main.default.c2"); a != 2000 || b != 2000 {
			t.Errorf("counts %d, %d; want 2000 each", a, b)
		}
		// Per-stream order: seq grows with ts inside each stream.
		rows := s.sql("SELECT count(*) FROM (SELECT seq, lag(seq) OVER (ORDER BY ts) AS p FROM main.default.c1) WHERE p IS NOT NULL AND seq < p")
		if *rows[0][0] != "0" {
			t.Errorf("order broken: %s rows out of order", *rows[0][0])
		}
	})
}

func TestSDKErrors(t *testing.T) {
	t.Parallel()
	s := startServer(t, "")
	s.sql("CREATE TABLE main.default.iot " + iotDDL)
	noRetry := map[string]any{"recovery": false}
	t.Run("wrong secret", func(t *testing.T) {
		sc := s.scenario(map[string]any{"table": "main.default.iot", "records": iotRecords(0, 1)})
		sc["clientSecret"] = "wrong"
		r := runSDK(t, sc)
		st := r.Streams[0]
		if st.OK || st.StreamCreated || !strings.Contains(errText(st.Error), "401") || !strings.Contains(errText(st.Error), "invalid_client") {
			t.Errorf("got %+v %s", st, errText(st.Error))
		}
	})
	t.Run("unknown table", func(t *testing.T) {
		r := runSDK(t, s.scenario(map[string]any{"table": "main.default.nope", "records": iotRecords(0, 1), "options": noRetry}))
		st := r.Streams[0]
		if st.OK || !strings.Contains(errText(st.Error), "not found") || !strings.Contains(errText(st.Error), "main.default.nope") {
			t.Errorf("got %s", errText(st.Error))
		}
	})
	t.Run("descriptor does not match the table", func(t *testing.T) {
		fields := []map[string]any{
			{"name": "device_id", "number": 1, "label": "optional", "type": "string"},
			{"name": "ts", "number": 2, "label": "required", "type": "int32"},
			{"name": "bogus", "number": 3, "type": "string"},
		}
		r := runSDK(t, s.scenario(map[string]any{"table": "main.default.iot", "recordType": "proto", "protoFields": fields, "records": []any{map[string]any{"device_id": "x", "ts": 1}}, "options": noRetry}))
		msg := errText(r.Streams[0].Error)
		if r.Streams[0].OK || !strings.Contains(msg, "invalid argument") || !strings.Contains(msg, "device_id") || !strings.Contains(msg, "ts") || !strings.Contains(msg, "bogus") {
			t.Errorf("got %s", msg)
		}
	})
	t.Run("bad record keeps what was acked", func(t *testing.T) {
		before := s.count("main.default.iot")
		good := batchesOf(iotRecords(0, 30), 10)
		bad := []any{map[string]any{"device_id": "x", "ts": "2024-11-24T10:00:00Z"}}
		r := runSDK(t, s.scenario(map[string]any{"table": "main.default.iot", "batches": append(good, bad), "options": noRetry}))
		st := r.Streams[0]
		msg := errText(st.Error)
		if st.OK || !strings.Contains(msg, "expected TIMESTAMP") || !strings.Contains(msg, "microseconds") || !strings.Contains(msg, "offset 3") {
			t.Errorf("got %+v %s", st, msg)
		}
		if n := s.count("main.default.iot") - before; n != 30 || st.AckedRecords != 30 {
			t.Errorf("rows added %d, acked %d; want 30", n, st.AckedRecords)
		}
	})
}

func TestSDKOverTLS(t *testing.T) {
	data := t.TempDir()
	s := startServer(t, data, "--tls")
	ca := filepath.Join(data, "tls", "ca.pem")
	if _, err := os.Stat(ca); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(s.stdout.String(), "export SSL_CERT_FILE="+ca) {
		t.Errorf("banner lacks the SSL_CERT_FILE line:\n%s", s.stdout)
	}
	useTLSClient(t, ca)
	s.sql("CREATE TABLE main.default.iot " + iotDDL)
	url := "https://localhost:" + s.addr[strings.LastIndex(s.addr, ":")+1:]
	sc := s.scenario(map[string]any{"table": "main.default.iot", "batches": batchesOf(iotRecords(0, 500), 100)})
	sc["endpoint"], sc["workspaceUrl"] = url, url
	r := runSDK(t, sc, "SSL_CERT_FILE="+ca)
	if !r.OK {
		t.Fatalf("SDK over TLS failed: %s", errText(r.Streams[0].Error))
	}
	if n := s.count("main.default.iot"); n != 500 {
		t.Errorf("count %d, want 500", n)
	}
}
