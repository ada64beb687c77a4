package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"
)

// These tests drive REST ingest, POST /zerobus/v1/tables/{c.s.t}/insert,
// the way curl, notebooks (Python requests) and NiFi do.

const eventsDDL = "(device_id STRING NOT NULL, ts TIMESTAMP NOT NULL, temp DOUBLE)"

// plainClient never follows redirects, so a test sees exactly what the
// server answered.
var plainClient = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// do sends one request with exactly the headers given (nothing added: no
// Content-Type unless hdr has one) and returns status, headers and body.
func (s *server) do(method, path string, hdr map[string]string, body []byte) (int, http.Header, []byte) {
	s.t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, s.url+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := plainClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, data
}

// insertPath is the REST insert URL of a table.
func insertPath(table string) string { return "/zerobus/v1/tables/" + table + "/insert" }

// apiErr decodes a REST error body and fails unless it has exactly the two
// fields {"error_code","message"}.
func apiErr(t testing.TB, body []byte) (code, msg string) {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("error body is not a JSON object: %q", body)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if strings.Join(keys, ",") != "error_code,message" {
		t.Errorf("error body fields %v, want exactly error_code and message: %s", keys, body)
	}
	code, _ = m["error_code"].(string)
	msg, _ = m["message"].(string)
	return code, msg
}

// newPrincipal creates a service principal with the dev token and returns
// its id and secret.
func (s *server) newPrincipal(name string) (id, secret string) {
	s.t.Helper()
	code, body := s.call("POST", "/zbemu/v1/principals", devToken, map[string]string{"display_name": name})
	if code != 200 {
		s.t.Fatalf("create principal: %d %s", code, body)
	}
	var p struct {
		ID     string `json:"application_id"`
		Name   string `json:"display_name"`
		Secret string `json:"secret"`
	}
	if err := json.Unmarshal(body, &p); err != nil || p.ID == "" || p.Secret == "" || p.Name != name {
		s.t.Fatalf("create principal: %s (%v)", body, err)
	}
	return p.ID, p.Secret
}

// tokenRequest POSTs a form body to the token endpoint at path with HTTP
// Basic credentials (none if id is ""), as the SDK's OAuth client does.
func (s *server) tokenRequest(path, id, secret, body string) (int, []byte) {
	s.t.Helper()
	req, err := http.NewRequest("POST", s.url+path, strings.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	if id != "" {
		req.SetBasicAuth(id, secret)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "*/*")
	resp, err := plainClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, data
}

// workspaceToken returns a token without authorization_details (checked
// against the principal's grants at use).
func (s *server) workspaceToken(id, secret string) string {
	s.t.Helper()
	code, body := s.tokenRequest("/oidc/v1/token", id, secret, "grant_type=client_credentials&scope=all-apis")
	if code != 200 {
		s.t.Fatalf("token for %s: %d %s", id, code, body)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	json.Unmarshal(body, &tok)
	return tok.AccessToken
}

func eventRecords(prefix string, n int) []map[string]any {
	out := make([]map[string]any, n)
	for i := range out {
		out[i] = map[string]any{"device_id": fmt.Sprintf("%s-%d", prefix, i), "ts": 1732451234000000 + int64(i), "temp": 20.5 + float64(i)}
	}
	return out
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// pythonJSON renders v as Python's json.dumps does by default: ", " and
// ": " separators (what requests.post(url, json=...) sends).
func pythonJSON(v any) []byte {
	var b bytes.Buffer
	var enc func(v any)
	enc = func(v any) {
		switch x := v.(type) {
		case []map[string]any:
			b.WriteByte('[')
			for i, e := range x {
				if i > 0 {
					b.WriteString(", ")
				}
				enc(e)
			}
			b.WriteByte(']')
		case map[string]any:
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			b.WriteByte('{')
			for i, k := range keys {
				if i > 0 {
					b.WriteString(", ")
				}
				b.Write(mustJSON(k))
				b.WriteString(": ")
				enc(x[k])
			}
			b.WriteByte('}')
		default:
			b.Write(mustJSON(x))
		}
	}
	enc(v)
	return b.Bytes()
}

// sizedRecord is one events record whose JSON is exactly n bytes.
func sizedRecord(n int) []byte {
	head, tail := `{"ts":1732451234000000,"device_id":"`, `"}`
	return []byte(head + strings.Repeat("x", n-len(head)-len(tail)) + tail)
}

func TestRESTInsert(t *testing.T) {
	t.Parallel()
	s := startServer(t, "", "--memory")
	s.sql("CREATE TABLE main.default.events " + eventsDDL)
	noGrants, noGrantsSecret := s.newPrincipal("rest-no-grants")
	noGrantsTok := s.workspaceToken(noGrants, noGrantsSecret)

	const limit = 10 << 20
	jsonCT := map[string]string{"Authorization": "Bearer " + devToken, "Content-Type": "application/json"}
	with := func(kv ...string) map[string]string {
		h := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] != "" {
				h[kv[i]] = kv[i+1]
			}
		}
		return h
	}
	events := insertPath("main.default.events")
	tests := []struct {
		name   string
		method string // POST if empty
		path   string
		header map[string]string
		body   []byte
		status int
		code   string // error_code; "" for 200 {}
		msg    string // exact message; "" to skip
		has    []string
		added  int // rows the request adds to events
	}{
		{name: "JSON array (batch)", path: events, header: jsonCT, body: mustJSON(eventRecords("batch", 3)), status: 200, added: 3},
		{name: "single JSON object", path: events, header: jsonCT, body: mustJSON(eventRecords("single", 1)[0]), status: 200, added: 1},
		{name: "percent-encoded table name", path: insertPath("main%2Edefault%2Eevents"), header: jsonCT, body: mustJSON(eventRecords("pct", 2)), status: 200, added: 2},
		{name: "percent-encoded letters", path: insertPath("%6Dain.default.%65vents"), header: jsonCT, body: mustJSON(eventRecords("pct2", 1)), status: 200, added: 1},
		{name: "table name in upper case", path: insertPath("MAIN.Default.EVENTS"), header: jsonCT, body: mustJSON(eventRecords("upper", 1)), status: 200, added: 1},
		{name: "python requests json=", path: events, header: jsonCT, body: pythonJSON(eventRecords("py-json", 4)), status: 200, added: 4},
		{name: "python requests data=json.dumps without Content-Type", path: events, header: with("Authorization", "Bearer "+devToken),
			body: pythonJSON(eventRecords("py-data", 2)), status: 200, added: 2},
		{name: "Content-Type with charset", path: events, header: with("Authorization", "Bearer "+devToken, "Content-Type", "application/json; charset=utf-8"),
			body: mustJSON(eventRecords("charset", 1)), status: 200, added: 1},
		{name: "null for a nullable column", path: events, header: jsonCT,
			body: []byte(`[{"device_id":"nulltemp","ts":1732451234000000,"temp":null}]`), status: 200, added: 1},
		{name: "body of exactly 10 MB", path: events, header: jsonCT, body: sizedRecord(limit), status: 200, added: 1},

		{name: "string for a TIMESTAMP", path: events, header: jsonCT, body: []byte(`[{"device_id":"d1","ts":"2024-11-24T10:00:00Z"}]`),
			status: 400, code: "INVALID_PARAMETER_VALUE", msg: `record 0: column "ts": expected TIMESTAMP (integer microseconds since epoch), received string "2024-11-24T10:00:00Z"; hint: send microseconds since epoch, e.g. 1732451234000000`},
		{name: "missing NOT NULL column", path: events, header: jsonCT, body: []byte(`{"ts":1732451234000000,"temp":1.5}`),
			status: 400, code: "INVALID_PARAMETER_VALUE", msg: `record 0: column "device_id": missing required (NOT NULL) column: expected STRING (JSON string); hint: every record must include "device_id"; only nullable columns may be left out`},
		{name: "null for a NOT NULL column", path: events, header: jsonCT, body: []byte(`[{"device_id":null,"ts":1732451234000000}]`),
			status: 400, code: "INVALID_PARAMETER_VALUE", msg: `record 0: column "device_id": null for a NOT NULL value: expected STRING (JSON string), received null`},
		{name: "unknown field", path: events, header: jsonCT, body: []byte(`[{"device_id":"d1","ts":1732451234000000,"humidity":40}]`),
			status: 400, code: "INVALID_PARAMETER_VALUE", msg: `record 0: field "humidity": unknown field (not a column of the table); hint: to accept it, add the column (ALTER TABLE main.default.events ADD COLUMNS (humidity BIGINT)), or collect unknown fields in a rescue column (ALTER TABLE main.default.events ADD COLUMNS (_rescued_data VARIANT); ALTER TABLE main.default.events ALTER COLUMN _rescued_data SET TAGS ('zerobus-rescue')), or let zbemu add new fields as columns (ALTER TABLE main.default.events SET TBLPROPERTIES ('zbemu.autoMerge' = 'true'), a zbemu extension)`},
		{name: "string for a DOUBLE", path: events, header: jsonCT, body: []byte(`[{"device_id":"d1","ts":1732451234000000,"temp":"warm"}]`),
			status: 400, code: "INVALID_PARAMETER_VALUE", msg: `record 0: column "temp": expected DOUBLE (number), received string "warm"; hint: send a JSON number, or one of the strings "NaN", "Infinity", "-Infinity"`},
		{name: "third record of a batch is bad: nothing written", path: events, header: jsonCT,
			body:   mustJSON(append(eventRecords("allornothing", 2), map[string]any{"device_id": "bad", "ts": "yesterday"}, eventRecords("after", 1)[0])),
			status: 400, code: "INVALID_PARAMETER_VALUE", msg: `record 2: column "ts": expected TIMESTAMP (integer microseconds since epoch), received string "yesterday"; hint: send microseconds since epoch, e.g. 1732451234000000. No record of this request was written: 1 of its 4 records fail. Fix them and send the request again`},
		{name: "NDJSON body", path: events, header: jsonCT, body: []byte("{\"device_id\":\"d1\",\"ts\":1}\n{\"device_id\":\"d2\",\"ts\":2}\n"),
			status: 400, code: "INVALID_PARAMETER_VALUE", has: []string{"looks like NDJSON", "send [{...}, {...}]"}},
		{name: "array with a non-object", path: events, header: jsonCT, body: []byte(`[{"device_id":"d1","ts":1},"x"]`),
			status: 400, code: "INVALID_PARAMETER_VALUE", msg: "record 1 must be a JSON object, got a JSON string"},
		{name: "malformed JSON", path: events, header: jsonCT, body: []byte(`[{"device_id":"d1","ts":1},{"device_id":]`),
			status: 400, code: "INVALID_PARAMETER_VALUE", msg: "malformed JSON in record 1: invalid character ']' looking for beginning of value"},
		{name: "trailing garbage", path: events, header: jsonCT, body: []byte(`[{"device_id":"d1","ts":1}] x`),
			status: 400, code: "INVALID_PARAMETER_VALUE", msg: "malformed JSON body: unexpected data after the closing ]"},
		{name: "empty body", path: events, header: jsonCT, body: []byte(""),
			status: 400, code: "INVALID_PARAMETER_VALUE", msg: "request body is empty; send a JSON array of records or one JSON object"},
		{name: "empty array", path: events, header: jsonCT, body: []byte("[]"),
			status: 400, code: "INVALID_PARAMETER_VALUE", msg: "the JSON array has no records"},
		{name: "two-part table name", path: insertPath("default.events"), header: jsonCT, body: mustJSON(eventRecords("x", 1)),
			status: 400, code: "INVALID_PARAMETER_VALUE", msg: `invalid argument: table name "default.events" must have exactly 3 parts (catalog.schema.table)`},

		{name: "missing token", path: events, header: with("Content-Type", "application/json"), body: mustJSON(eventRecords("x", 1)),
			status: 401, code: "UNAUTHENTICATED", msg: "unauthenticated: missing bearer token (send Authorization: Bearer <token>)"},
		{name: "unknown PAT", path: events, header: with("Authorization", "Bearer dapi-not-a-token", "Content-Type", "application/json"), body: mustJSON(eventRecords("x", 1)),
			status: 401, code: "UNAUTHENTICATED", msg: "unauthenticated: invalid or expired personal access token"},
		{name: "garbage token", path: events, header: with("Authorization", "Bearer not.a.jwt", "Content-Type", "application/json"), body: mustJSON(eventRecords("x", 1)),
			status: 401, code: "UNAUTHENTICATED", has: []string{"unauthenticated: invalid access token: token is malformed"}},
		{name: "Basic instead of Bearer", path: events, header: with("Authorization", "Basic emJlbXUtZGV2OnpiZW11LWRldi1zZWNyZXQ=", "Content-Type", "application/json"), body: mustJSON(eventRecords("x", 1)),
			status: 401, code: "UNAUTHENTICATED", has: []string{"missing bearer token"}},

		{name: "principal without grants", path: events, header: with("Authorization", "Bearer "+noGrantsTok, "Content-Type", "application/json"), body: mustJSON(eventRecords("x", 1)),
			status: 403, code: "PERMISSION_DENIED", has: []string{"permission denied: principal \"" + noGrants + "\" lacks USE CATALOG on CATALOG main (GRANT USE CATALOG ON CATALOG main TO `" + noGrants + "`)"}},

		{name: "unknown table", path: insertPath("main.default.nope"), header: jsonCT, body: mustJSON(eventRecords("x", 1)),
			status: 404, code: "TABLE_DOES_NOT_EXIST", msg: `table does not exist: Table "main.default.nope" cannot be found. Create it first (CREATE TABLE main.default.nope (...)) — Zerobus never creates tables`},
		{name: "unknown catalog", path: insertPath("nocat.default.events"), header: jsonCT, body: mustJSON(eventRecords("x", 1)),
			status: 404, code: "TABLE_DOES_NOT_EXIST", has: []string{`"nocat.default.events"`}},

		{name: "GET is not allowed", method: "GET", path: events, header: jsonCT,
			status: 405, code: "METHOD_NOT_ALLOWED", msg: "GET is not allowed on /zerobus/v1/tables/main.default.events/insert"},

		{name: "body over 10 MB", path: events, header: jsonCT, body: sizedRecord(limit + 1),
			status: 413, code: "RESOURCE_EXHAUSTED", msg: "request body exceeds the 10 MB (10485760 bytes) limit; split it into several requests"},

		{name: "body of 12 MB", path: events, header: jsonCT, body: sizedRecord(limit + 2<<20),
			status: 413, code: "RESOURCE_EXHAUSTED", msg: "request body exceeds the 10 MB (10485760 bytes) limit; split it into several requests"},

		{name: "text/plain", path: events, header: with("Authorization", "Bearer "+devToken, "Content-Type", "text/plain"), body: mustJSON(eventRecords("x", 1)),
			status: 415, code: "INVALID_PARAMETER_VALUE", msg: `Content-Type "text/plain" is not supported; send application/json (a JSON array of records or one JSON object)`},
		{name: "form-encoded (curl -d without -H)", path: events, header: with("Authorization", "Bearer "+devToken, "Content-Type", "application/x-www-form-urlencoded"), body: mustJSON(eventRecords("x", 1)),
			status: 415, code: "INVALID_PARAMETER_VALUE", has: []string{`"application/x-www-form-urlencoded"`, "application/json"}},
	}
	total, ran := 0, 0
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := s.count("main.default.events")
			method := tc.method
			if method == "" {
				method = "POST"
			}
			status, hdr, body := s.do(method, tc.path, tc.header, tc.body)
			if status != tc.status {
				t.Fatalf("status %d, want %d: %.300s", status, tc.status, body)
			}
			if ct := hdr.Get("Content-Type"); ct != "application/json" {
				t.Errorf("response Content-Type %q", ct)
			}
			if tc.code == "" {
				if got := strings.TrimSpace(string(body)); got != "{}" {
					t.Errorf("success body %q, want {}", got)
				}
			} else {
				code, msg := apiErr(t, body)
				if code != tc.code {
					t.Errorf("error_code %q, want %q (%s)", code, tc.code, msg)
				}
				if tc.msg != "" && msg != tc.msg {
					t.Errorf("message\n got: %s\nwant: %s", msg, tc.msg)
				}
				for _, h := range tc.has {
					if !strings.Contains(msg, h) {
						t.Errorf("message lacks %q: %s", h, msg)
					}
				}
			}
			n := s.count("main.default.events") - before
			if n != tc.added {
				t.Errorf("request added %d rows, want %d", n, tc.added)
			}
			total += n
			ran++
		})
	}
	if n := s.count("main.default.events"); n != total {
		t.Errorf("events has %d rows, want the %d accepted", n, total)
	}
	if ran < len(tests) {
		return // -run picked some of the requests
	}
	// What was written is what was sent.
	rows := s.sql("SELECT device_id, CAST(ts AS STRING), temp FROM main.default.events WHERE device_id IN ('py-json-3', 'nulltemp', 'batch-0') ORDER BY device_id")
	got := make([]string, len(rows))
	for i, r := range rows {
		cells := make([]string, len(r))
		for j, c := range r {
			if c == nil {
				cells[j] = "NULL"
			} else {
				// zbemu prints TIMESTAMP with DuckDB's "+00" suffix,
				// Databricks without; only the instant matters here.
				cells[j] = strings.TrimSuffix(*c, "+00")
			}
		}
		got[i] = strings.Join(cells, "|")
	}
	want := []string{"batch-0|2024-11-24 12:27:14|20.5", "nulltemp|2024-11-24 12:27:14|NULL", "py-json-3|2024-11-24 12:27:14.000003|23.5"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// REST has no long-lived stream: a column added by ALTER TABLE is accepted
// by the very next request.
func TestRESTPicksUpAddColumns(t *testing.T) {
	t.Parallel()
	s := startServer(t, "", "--memory")
	s.sql("CREATE TABLE main.default.evolve " + eventsDDL)
	path := insertPath("main.default.evolve")
	h := map[string]string{"Authorization": "Bearer " + devToken, "Content-Type": "application/json"}
	rec := []byte(`[{"device_id":"d1","ts":1732451234000000,"site":"lab-1"}]`)

	status, _, body := s.do("POST", path, h, rec)
	if code, msg := apiErr(t, body); status != 400 || code != "INVALID_PARAMETER_VALUE" || !strings.Contains(msg, `"site"`) {
		t.Fatalf("before ALTER: %d %s", status, body)
	}
	s.sql("ALTER TABLE main.default.evolve ADD COLUMNS (site STRING COMMENT 'where', floor INT)")
	if status, _, body := s.do("POST", path, h, rec); status != 200 {
		t.Fatalf("right after ALTER: %d %s", status, body)
	}
	if status, _, body := s.do("POST", path, h, []byte(`{"device_id":"d2","ts":1732451234000001,"site":"lab-2","floor":3}`)); status != 200 {
		t.Fatalf("second insert: %d %s", status, body)
	}
	rows := s.sql("SELECT device_id, site, CAST(floor AS STRING) FROM main.default.evolve ORDER BY device_id")
	if len(rows) != 2 || *rows[0][1] != "lab-1" || rows[0][2] != nil || *rows[1][1] != "lab-2" || *rows[1][2] != "3" {
		t.Errorf("rows %v", rows)
	}
}
