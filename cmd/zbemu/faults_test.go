package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// These tests inject faults (zbemu fault, /zbemu/v1/faults) and check
// that the official SDK recovers through each, with every record stored
// exactly once, and that REST clients get the status and Retry-After a
// retry loop needs.

// addFault adds a fault as the dev (admin) principal and returns its id.
func (s *server) addFault(t *testing.T, req map[string]any) string {
	t.Helper()
	code, body := s.call("POST", "/zbemu/v1/faults", devToken, req)
	if code != http.StatusOK {
		t.Fatalf("add fault %v: HTTP %d %s", req, code, body)
	}
	var out struct {
		ID string `json:"fault_id"`
	}
	json.Unmarshal(body, &out)
	return out.ID
}

// faultHits returns the hits of every active fault by id.
func (s *server) faultHits(t *testing.T) map[string]int {
	t.Helper()
	code, body := s.call("GET", "/zbemu/v1/faults", devToken, nil)
	if code != http.StatusOK {
		t.Fatalf("list faults: HTTP %d %s", code, body)
	}
	var out struct {
		Faults []struct {
			ID   string `json:"fault_id"`
			Hits int    `json:"hits"`
		} `json:"faults"`
	}
	json.Unmarshal(body, &out)
	hits := map[string]int{}
	for _, f := range out.Faults {
		hits[f.ID] = f.Hits
	}
	return hits
}

// exactlyOnce checks that table holds seq 0..n-1 once each.
func (s *server) exactlyOnce(t *testing.T, table string, n int) {
	t.Helper()
	r := s.sql(fmt.Sprintf("SELECT count(*), count(DISTINCT seq), min(seq), max(seq) FROM %s", table))[0]
	got := fmt.Sprintf("%s %s %s %s", *r[0], *r[1], *r[2], *r[3])
	if want := fmt.Sprintf("%d %d 0 %d", n, n, n-1); got != want {
		t.Errorf("count, distinct, min, max = %s; want %s (no record lost or duplicated)", got, want)
	}
}

// streamsOf counts the gRPC streams opened on table (system tables).
func (s *server) streamsOf(table string) int {
	return s.intSQL(fmt.Sprintf("SELECT count(DISTINCT stream_id) FROM system.lakeflow.zerobus_stream WHERE table_name = '%s'", table))
}

func TestSDKRecoversFromFaults(t *testing.T) {
	t.Parallel()
	s := startServer(t, "")
	const n = 2000
	tests := []struct {
		name  string
		fault map[string]any
		// streams is the least number of gRPC streams the recovery takes.
		streams int
		// consumed: the fault is used up once the SDK is done.
		consumed bool
	}{
		{"429 at stream creation until the fault clears", map[string]any{"kind": "rate-limit", "count": 2}, 1, true},
		{"503 at stream creation until the fault clears", map[string]any{"kind": "unavailable", "count": 2}, 1, true},
		{"CloseStreamSignal moves the stream", map[string]any{"kind": "close", "count": 1, "signal_duration": "30s"}, 2, true},
		{"stream timeout 6002 mid-stream", map[string]any{"kind": "timeout", "count": 2}, 3, true},
		{"slow acks", map[string]any{"kind": "latency", "latency_min": "20ms", "latency_max": "120ms", "for": "10m"}, 1, false},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			table := fmt.Sprintf("main.default.f%d", i)
			s.sql("CREATE TABLE " + table + " " + iotDDL)
			tc.fault["table"] = table
			id := s.addFault(t, tc.fault)
			r := runSDK(t, s.scenario(map[string]any{"table": table, "batches": batchesOf(iotRecords(0, n), 50),
				"options": map[string]any{"recoveryBackoffMs": 200, "recoveryRetries": 4}}))
			if !r.OK {
				t.Fatalf("the SDK did not recover: %s (stage %s)", errText(r.Streams[0].Error), r.Streams[0].Stage)
			}
			s.exactlyOnce(t, table, n)
			hits, active := s.faultHits(t)[id]
			switch {
			case tc.consumed && active:
				t.Errorf("fault %s still active with %d hits; the SDK should have used it up", id, hits)
			case !tc.consumed && hits == 0:
				t.Errorf("fault %s never hit", id)
			}
			if got := s.streamsOf(table); got < tc.streams {
				t.Errorf("%d streams opened, want at least %d (the SDK moves to a new stream)", got, tc.streams)
			}
		})
	}
}

func TestRESTFaults(t *testing.T) {
	t.Parallel()
	s := startServer(t, "")
	s.sql("CREATE TABLE main.default.r " + iotDDL)
	s.sql("CREATE TABLE main.default.other " + iotDDL)
	body, _ := json.Marshal(iotRecords(0, 3))
	tests := []struct {
		name       string
		fault      map[string]any
		table      string
		wantStatus int
		wantCode   string
	}{
		{"rate-limit gives 429 with Retry-After", map[string]any{"kind": "rate-limit", "table": "main.default.r", "count": 1}, "main.default.r", 429, "REQUEST_LIMIT_EXCEEDED"},
		{"unavailable gives 503 with Retry-After", map[string]any{"kind": "unavailable", "table": "main.default.r", "count": 1}, "main.default.r", 503, "TEMPORARILY_UNAVAILABLE"},
		{"a table's fault spares other tables", map[string]any{"kind": "rate-limit", "table": "main.default.r", "count": 1}, "main.default.other", 200, ""},
		{"a fault without table hits every table", map[string]any{"kind": "unavailable", "count": 1}, "main.default.other", 503, "TEMPORARILY_UNAVAILABLE"},
		{"latency delays the answer, not the write", map[string]any{"kind": "latency", "latency": "50ms", "count": 1}, "main.default.r", 200, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s.call("DELETE", "/zbemu/v1/faults", devToken, nil)
			before := s.count(tc.table)
			s.addFault(t, tc.fault)
			code, hdr, resp := s.do("POST", insertPath(tc.table), map[string]string{"Authorization": "Bearer " + devToken}, body)
			if code != tc.wantStatus || !strings.Contains(string(resp), tc.wantCode) {
				t.Fatalf("HTTP %d %s, want %d %s", code, resp, tc.wantStatus, tc.wantCode)
			}
			added := s.count(tc.table) - before
			if code != 200 {
				if hdr.Get("Retry-After") != "1" {
					t.Errorf("Retry-After %q, want 1", hdr.Get("Retry-After"))
				}
				if !strings.Contains(string(resp), "zbemu fault f-") || added != 0 {
					t.Errorf("refused request: %s; %d rows added, want 0", resp, added)
				}
				// The retry after the fault (count 1) is accepted.
				if code, _, resp = s.do("POST", insertPath(tc.table), map[string]string{"Authorization": "Bearer " + devToken}, body); code != 200 {
					t.Errorf("retry: HTTP %d %s", code, resp)
				}
			} else if added != 3 {
				t.Errorf("%d rows added, want 3", added)
			}
		})
	}
}

// TestQuotas counts the requests the quotas refuse: each limit is set so
// that a request either fits a fresh allowance or can never fit, so the
// outcome does not depend on timing.
func TestQuotas(t *testing.T) {
	t.Parallel()
	s := startServer(t, "", "--quotas", "--quota-records-per-sec", "100", "--quota-bytes-per-sec", "10000",
		"--quota-rest-per-sec", "0.001", "--quota-message-bytes", "20000")
	s.sql("CREATE TABLE main.default.q " + iotDDL)
	recs := func(n int) []string {
		var out []string
		for _, r := range iotRecords(0, n) {
			b, _ := json.Marshal(r)
			out = append(out, string(b))
		}
		return out
	}
	t.Run("records per second per stream", func(t *testing.T) {
		st := wireStream(t, s, "main.default.q")
		if err := sendAndWait(t, st, recs(60)...); err != nil {
			t.Fatalf("60 records within a quota of 100/s: %v", err)
		}
		err := sendAndWait(t, st, recs(150)...)
		if err == nil || !strings.Contains(err.Error(), "ResourceExhausted") || !strings.Contains(err.Error(), "100 records per second") {
			t.Fatalf("150 records past a quota of 100/s: %v", err)
		}
	})
	t.Run("bytes per second per stream", func(t *testing.T) {
		st := wireStream(t, s, "main.default.q")
		rec := func(n int) string {
			return fmt.Sprintf(`{"device_id":"%s","ts":1732451234000000,"seq":1}`, strings.Repeat("x", n))
		}
		if err := sendAndWait(t, st, rec(5000)); err != nil {
			t.Fatalf("5 kB within a quota of 10,000 bytes/s: %v", err)
		}
		// 15 kB is under the 20,000-byte message quota but more than one
		// second of the bytes quota, so no refill lets it pass.
		err := sendAndWait(t, st, rec(15000))
		if err == nil || !strings.Contains(err.Error(), "ResourceExhausted") || !strings.Contains(err.Error(), "10000 bytes per second") {
			t.Fatalf("15 kB past a quota of 10,000 bytes/s: %v", err)
		}
	})
	t.Run("message size", func(t *testing.T) {
		st := wireStream(t, s, "main.default.q")
		err := sendAndWait(t, st, fmt.Sprintf(`{"device_id":"%s","ts":1,"seq":1}`, strings.Repeat("x", 25000)))
		if err == nil || !strings.Contains(err.Error(), "ResourceExhausted") || !strings.Contains(err.Error(), "quota of 20000 bytes") {
			t.Fatalf("a 25 kB message past a 20,000-byte quota: %v", err)
		}
	})
	t.Run("REST requests per second", func(t *testing.T) {
		body, _ := json.Marshal(iotRecords(0, 1))
		refused := 0
		for range 5 {
			code, hdr, resp := s.do("POST", insertPath("main.default.q"), map[string]string{"Authorization": "Bearer " + devToken}, body)
			switch {
			case code == 429 && hdr.Get("Retry-After") == "1" && strings.Contains(string(resp), "REST requests per second"):
				refused++
			case code != 200:
				t.Errorf("HTTP %d %s", code, resp)
			}
		}
		// A quota of 0.001/s allows one request, then none for 1,000 s.
		if refused != 4 {
			t.Errorf("%d of 5 REST requests refused, want 4", refused)
		}
	})
}

// TestRealisticLatency checks the order the real service shows learners:
// a record is acknowledged before it can be queried. Each record's
// visibility delay is at least a second, so a count right after an ack
// misses it unless the machine stalled that long; the test looks for the
// order over several records rather than timing one.
func TestRealisticLatency(t *testing.T) {
	t.Parallel()
	s := startServer(t, "", "--latency", "realistic")
	s.sql("CREATE TABLE main.default.lat " + iotDDL)
	acked, seen := 0, false
	for i := 0; i < 20 && !seen; i++ {
		body, _ := json.Marshal(iotRecords(i, 1))
		code, _, resp := s.do("POST", insertPath("main.default.lat"), map[string]string{"Authorization": "Bearer " + devToken}, body)
		if code != 200 {
			t.Fatalf("HTTP %d %s", code, resp)
		}
		acked++
		seen = s.count("main.default.lat") < acked
	}
	if !seen {
		t.Errorf("each of %d acknowledged records was queryable at once; with --latency realistic it should not be", acked)
	}
	deadline := time.Now().Add(90 * time.Second)
	for s.count("main.default.lat") != acked {
		if time.Now().After(deadline) {
			t.Fatalf("the %d acknowledged rows never all became queryable", acked)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestCreateConnectionExplainsZerobus: learners coming from Kafka try
// CREATE CONNECTION; the error shows what Zerobus needs instead.
func TestCreateConnectionExplainsZerobus(t *testing.T) {
	t.Parallel()
	s := startServer(t, "", "--memory")
	msg := s.sqlError("CREATE CONNECTION kafka TYPE kafka OPTIONS (host 'b:9092')")
	for _, w := range []string{"CREATE CONNECTION", "service principal", "zbemu principal create", "GRANT SELECT, MODIFY ON TABLE"} {
		if !strings.Contains(msg, w) {
			t.Errorf("%q lacks %q", msg, w)
		}
	}
}
