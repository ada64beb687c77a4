package web_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/zbemu/zbemu/engine"
	"github.com/zbemu/zbemu/schema"
	"github.com/zbemu/zbemu/web"
)

const testToken = "dapi-test"

// startWeb serves an in-memory engine on a loopback port.
func startWeb(t *testing.T) (*engine.Engine, string) {
	t.Helper()
	e, s := startWebWith(t, web.Options{})
	return e, "http://" + s.Addr()
}

// startWebWith is startWeb with options (the address is set here).
func startWebWith(t *testing.T, opts web.Options) (*engine.Engine, *web.Server) {
	t.Helper()
	ctx := context.Background()
	e, err := engine.Open(ctx, engine.Options{Memory: true, DevClientSecret: "s", DevToken: testToken})
	if err != nil {
		t.Fatal(err)
	}
	opts.Addr = "127.0.0.1:0"
	s := web.New(e, opts)
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { s.Serve(); close(done) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		s.Shutdown(ctx)
		<-done
		e.Close(ctx)
	})
	return e, s
}

func get(t *testing.T, url, token string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestSchemaDocuments(t *testing.T) {
	e, base := startWeb(t)
	admin := &engine.Identity{ClientID: "zbemu-dev", Admin: true}
	for _, q := range []string{
		"CREATE TABLE main.default.iot (device_id STRING NOT NULL, ts TIMESTAMP NOT NULL, temp DOUBLE, tags MAP<STRING, STRING>, rescue VARIANT)",
		"ALTER TABLE main.default.iot ALTER COLUMN rescue SET TAGS ('zerobus-rescue')",
		"CREATE TABLE main.default.deep (a ARRAY<ARRAY<INT>>)",
	} {
		if _, err := e.Execute(context.Background(), engine.StatementRequest{SQL: q, Identity: admin}); err != nil {
			t.Fatal(err)
		}
	}
	ts, err := e.TableSchema(context.Background(), "main.default.iot")
	if err != nil {
		t.Fatal(err)
	}
	wantJSON, _ := schema.JSONSchema("main.default.iot", ts.Columns)
	wantProto, _ := schema.ProtoFile("main.default.iot", ts.Columns)
	tests := []struct {
		name, path, token string
		status            int
		contentType       string
		body              string // exact body, or for errors the error_code
	}{
		{"json schema", "/zbemu/v1/tables/main.default.iot/jsonschema", testToken, 200, "application/schema+json", string(wantJSON) + "\n"},
		{"proto file", "/zbemu/v1/tables/main.default.iot/proto", testToken, 200, "text/plain; charset=utf-8", wantProto},
		{"percent-encoded name", "/zbemu/v1/tables/main%2Edefault%2Eiot/proto", testToken, 200, "text/plain; charset=utf-8", wantProto},
		{"no token", "/zbemu/v1/tables/main.default.iot/jsonschema", "", 401, "", "UNAUTHENTICATED"},
		{"unknown table", "/zbemu/v1/tables/main.default.nope/proto", testToken, 404, "", "TABLE_DOES_NOT_EXIST"},
		{"two-part name", "/zbemu/v1/tables/default.iot/jsonschema", testToken, 400, "", "INVALID_PARAMETER_VALUE"},
		{"no protobuf encoding", "/zbemu/v1/tables/main.default.deep/proto", testToken, 501, "", "NOT_IMPLEMENTED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := get(t, base+tt.path, tt.token)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			if tt.status != 200 {
				var ae struct {
					ErrorCode string `json:"error_code"`
					Message   string `json:"message"`
				}
				if err := json.Unmarshal([]byte(body), &ae); err != nil || ae.ErrorCode != tt.body || ae.Message == "" {
					t.Errorf("error body %s, want error_code %s", body, tt.body)
				}
				return
			}
			if ct := resp.Header.Get("Content-Type"); ct != tt.contentType {
				t.Errorf("Content-Type %q, want %q", ct, tt.contentType)
			}
			if v := resp.Header.Get("X-Zbemu-Table-Version"); v != "1" {
				t.Errorf("X-Zbemu-Table-Version %q, want 1", v)
			}
			if body != tt.body {
				t.Errorf("body:\n%s\nwant\n%s", body, tt.body)
			}
		})
	}
	// The rescue tag shows in the published schema: unknown keys are allowed.
	if !strings.Contains(string(wantJSON), "rescue column rescue") || strings.Contains(string(wantJSON), `"additionalProperties": false`+"\n}") {
		t.Errorf("JSON schema does not describe the rescue column:\n%s", wantJSON)
	}
}
