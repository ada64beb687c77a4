package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zbemu/zbemu/fixtures/golden"
	"github.com/zbemu/zbemu/web"
)

// The Statement Execution API (/api/2.0/sql/statements) is checked against
// golden transcripts in testdata/statements: each file lists the requests
// of one scenario with the status and body zbemu answered. Statement ids
// (and any other UUID) are replaced by <uuid-N>, numbered in order of
// appearance, so a GET of the id a POST returned reads as the same id.
// Every response is also checked against Databricks' conventions
// (checkStatementConventions), so a golden cannot bless a broken shape.
//
// Rewrite the goldens after a deliberate change with
//
//	go test ./cmd/zbemu -run 'TestStatementAPI' -update

const statementsPath = "/api/2.0/sql/statements"

// recordedRequest is a request as a golden file shows it.
type recordedRequest struct {
	Method   string  `json:"method"`
	Path     string  `json:"path"`
	Token    string  `json:"token"`
	Body     any     `json:"body,omitempty"`
	BodyText *string `json:"body_text,omitempty"`
}

// exchange is one request and zbemu's answer.
type exchange struct {
	Request  recordedRequest `json:"request"`
	Status   int             `json:"status"`
	Response json.RawMessage `json:"response"`
}

// transcript records the exchanges of one golden file.
type transcript struct {
	t   *testing.T
	s   *server
	log []exchange
}

func newTranscript(t *testing.T, s *server) *transcript { return &transcript{t: t, s: s} }

// do sends a request and records it. body is sent as JSON, or as is when it
// is a string; token "" sends no Authorization header.
func (tr *transcript) do(method, path, token string, body any) (int, []byte) {
	tr.t.Helper()
	req := recordedRequest{Method: method, Path: path, Token: token}
	switch token {
	case devToken:
		req.Token = "<dev token>"
	case "":
		req.Token = "<none>"
	}
	switch b := body.(type) {
	case nil:
	case string:
		req.BodyText = &b
	default:
		req.Body = b
	}
	code, resp := tr.s.call(method, path, token, body)
	raw := json.RawMessage(bytes.TrimSpace(resp))
	if !json.Valid(raw) {
		raw, _ = json.Marshal(string(resp))
	}
	tr.log = append(tr.log, exchange{Request: req, Status: code, Response: raw})
	return code, resp
}

// exec posts a statement request (with the dev token), checks that the
// answer is HTTP 200 and follows the conventions, and returns it.
func (tr *transcript) exec(req map[string]any) web.StatementResponse {
	tr.t.Helper()
	if _, ok := req["warehouse_id"]; !ok {
		req["warehouse_id"] = "zbemu"
	}
	code, body := tr.do("POST", statementsPath, devToken, req)
	if code != 200 {
		tr.t.Fatalf("POST %v: HTTP %d %s", req, code, body)
	}
	return checkStatementConventions(tr.t, body)
}

// sql runs one statement synchronously.
func (tr *transcript) sql(stmt string) web.StatementResponse {
	tr.t.Helper()
	return tr.exec(map[string]any{"statement": stmt, "wait_timeout": "30s"})
}

// get polls a statement once.
func (tr *transcript) get(id string) web.StatementResponse {
	tr.t.Helper()
	code, body := tr.do("GET", statementsPath+"/"+id, devToken, nil)
	if code != 200 {
		tr.t.Fatalf("GET statement %s: HTTP %d %s", id, code, body)
	}
	return checkStatementConventions(tr.t, body)
}

// check compares the transcript with testdata/statements/<name>.json.
func (tr *transcript) check(name string) {
	tr.t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(tr.log); err != nil {
		tr.t.Fatal(err)
	}
	got := normalizeIDs(buf.String())
	golden.Check(tr.t, filepath.Join("testdata", "statements", name+".json"), []byte(got))
}

// normalizeIDs replaces each distinct UUID by <uuid-N>.
func normalizeIDs(s string) string {
	ids := map[string]string{}
	return uuidRE.ReplaceAllStringFunc(s, func(id string) string {
		if n, ok := ids[id]; ok {
			return n
		}
		ids[id] = fmt.Sprintf("<uuid-%d>", len(ids)+1)
		return ids[id]
	})
}

// columnsOf lists "name type_name type_text" of each result column.
func columnsOf(r web.StatementResponse) []string {
	var out []string
	if r.Manifest == nil {
		return nil
	}
	for _, c := range r.Manifest.Schema.Columns {
		out = append(out, c.Name+" "+c.TypeName+" "+c.TypeText)
	}
	return out
}

// rowsOf renders data_array with NULL for null.
func rowsOf(r web.StatementResponse) [][]string {
	var out [][]string
	if r.Result == nil {
		return nil
	}
	for _, row := range r.Result.DataArray {
		var cells []string
		for _, v := range row {
			if v == nil {
				cells = append(cells, "NULL")
			} else {
				cells = append(cells, *v)
			}
		}
		out = append(out, cells)
	}
	return out
}

func equalStrings(a, b []string) bool {
	return strings.Join(a, "\x00") == strings.Join(b, "\x00") && len(a) == len(b)
}

// equalSets reports whether a and b hold the same strings in any order.
func equalSets(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[string]int{}
	for _, x := range a {
		seen[x]++
	}
	for _, x := range b {
		seen[x]--
		if seen[x] < 0 {
			return false
		}
	}
	return true
}
