package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	_ "modernc.org/sqlite"

	"github.com/zbemu/zbemu/web"
)

// These tests cover OAuth (/oidc/v1/token), personal access tokens and how
// each kind of token is checked by REST ingest, SQL and Unity Catalog.

// sdkTokenBody is the form the official SDK (1.3.0) posts for a stream on
// table: parameters in its order, authorization_details with its three
// entries and keys in serde's alphabetical order (sdk-observed.md §2).
func sdkTokenBody(workspaceID, table string) string {
	parts := strings.Split(table, ".")
	details := fmt.Sprintf(`[{"object_full_path":%q,"object_type":"CATALOG","privileges":["USE CATALOG"],"type":"unity_catalog_privileges"},`+
		`{"object_full_path":%q,"object_type":"SCHEMA","privileges":["USE SCHEMA"],"type":"unity_catalog_privileges"},`+
		`{"object_full_path":%q,"object_type":"TABLE","operations":["zerobuswrite"],"privileges":["SELECT","MODIFY"],"type":"unity_catalog_privileges"}]`,
		parts[0], parts[0]+"."+parts[1], table)
	return "grant_type=client_credentials&scope=all-apis" +
		"&resource=" + url.QueryEscape("api://databricks/workspaces/"+workspaceID+"/zerobusDirectWriteApi") +
		"&authorization_details=" + url.QueryEscape(details)
}

type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
	Scope       string `json:"scope"`
}

// scopedToken gets a token the way the SDK does for table and fails the
// test unless it is issued.
func (s *server) scopedToken(id, secret, table string) string {
	s.t.Helper()
	code, body := s.tokenRequest("/oidc/v1/token", id, secret, sdkTokenBody("6051921418418893", table))
	if code != 200 {
		s.t.Fatalf("token for %s on %s: %d %s", id, table, code, body)
	}
	var tok tokenResponse
	json.Unmarshal(body, &tok)
	return tok.AccessToken
}

// restInsert posts records to table's REST insert with token.
func (s *server) restInsert(token, table string, records any) (int, string, string) {
	s.t.Helper()
	status, _, body := s.do("POST", insertPath(table), map[string]string{"Authorization": "Bearer " + token, "Content-Type": "application/json"}, mustJSON(records))
	if status == 200 {
		return status, "", ""
	}
	code, msg := apiErr(s.t, body)
	return status, code, msg
}

func TestOAuthTokenEndpoint(t *testing.T) {
	t.Parallel()
	s := startServer(t, "", "--memory")
	s.sql("CREATE TABLE main.default.t " + eventsDDL)
	pid, psecret := s.newPrincipal("oauth-no-grants")

	tests := []struct {
		name       string
		path       string
		id, secret string
		body       string
		status     int
		oauthError string // "error" of a failed request
		desc       string // exact error_description; "" to skip
		descHas    string
	}{
		{name: "SDK request, dev principal", path: "/oidc/v1/token", id: devID, secret: devSecret, body: sdkTokenBody("6051921418418893", "main.default.t"), status: 200},
		{name: "path prefix", path: "/some/prefix/oidc/v1/token", id: devID, secret: devSecret, body: sdkTokenBody("6051921418418893", "main.default.t"), status: 200},
		{name: "doubled slash (workspace URL with a trailing slash)", path: "//oidc/v1/token", id: devID, secret: devSecret, body: sdkTokenBody("6051921418418893", "main.default.t"), status: 200},
		{name: "prefix with a trailing slash", path: "/ws/prefix//oidc/v1/token", id: devID, secret: devSecret, body: sdkTokenBody("6051921418418893", "main.default.t"), status: 200},
		{name: "host:port as the workspace id", path: "/oidc/v1/token", id: devID, secret: devSecret, body: sdkTokenBody("localhost:8765", "main.default.t"), status: 200},
		{name: "any workspace id", path: "/oidc/v1/token", id: devID, secret: devSecret, body: sdkTokenBody("1234567890123456", "main.default.t"), status: 200},
		{name: "no resource, no authorization_details", path: "/oidc/v1/token", id: devID, secret: devSecret, body: "grant_type=client_credentials&scope=all-apis", status: 200},
		{name: "credentials in the form", path: "/oidc/v1/token", body: "grant_type=client_credentials&scope=all-apis&client_id=" + devID + "&client_secret=" + devSecret, status: 200},

		{name: "wrong secret", path: "/oidc/v1/token", id: devID, secret: "wrong", body: sdkTokenBody("6051921418418893", "main.default.t"),
			status: 401, oauthError: "invalid_client", desc: "Client authentication failed"},
		{name: "unknown client", path: "/oidc/v1/token", id: "nobody", secret: devSecret, body: sdkTokenBody("6051921418418893", "main.default.t"),
			status: 401, oauthError: "invalid_client", desc: "Client authentication failed"},
		{name: "no credentials", path: "/oidc/v1/token", body: sdkTokenBody("6051921418418893", "main.default.t"),
			status: 401, oauthError: "invalid_client", desc: "missing client credentials (HTTP Basic client_id:client_secret)"},
		{name: "wrong grant type", path: "/oidc/v1/token", id: devID, secret: devSecret, body: "grant_type=password&scope=all-apis",
			status: 400, oauthError: "unsupported_grant_type", desc: `grant_type must be client_credentials, got "password"`},
		{name: "authorization_details not JSON", path: "/oidc/v1/token", id: devID, secret: devSecret, body: "grant_type=client_credentials&authorization_details=nope",
			status: 400, oauthError: "invalid_authorization_details", descHas: "authorization_details is not a JSON array of objects"},
		// An admin's token is issued before the table exists; the stream or
		// insert then fails with TABLE_DOES_NOT_EXIST (see TestSDKErrors).
		{name: "admin, authorization_details for a missing table", path: "/oidc/v1/token", id: devID, secret: devSecret, body: sdkTokenBody("1", "main.default.nope"), status: 200},
		{name: "principal without grants", path: "/oidc/v1/token", id: pid, secret: psecret, body: sdkTokenBody("6051921418418893", "main.default.t"),
			status: 403, oauthError: "invalid_authorization_details",
			desc: "permission denied: principal \"" + pid + "\" lacks USE CATALOG on CATALOG main (GRANT USE CATALOG ON CATALOG main TO `" + pid + "`)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body := s.tokenRequest(tc.path, tc.id, tc.secret, tc.body)
			if status != tc.status {
				t.Fatalf("status %d, want %d: %s", status, tc.status, body)
			}
			if tc.status == 200 {
				var tok tokenResponse
				if err := json.Unmarshal(body, &tok); err != nil {
					t.Fatal(err)
				}
				if tok.AccessToken == "" || tok.TokenType != "Bearer" || tok.ExpiresIn != 3600 || tok.Scope != "all-apis" {
					t.Errorf("token response %s", body)
				}
				// The token works.
				if code, _ := s.call("GET", "/api/2.1/unity-catalog/tables/main.default.t", tok.AccessToken, nil); code != 200 {
					t.Errorf("token rejected by the UC API: %d", code)
				}
				return
			}
			var e map[string]string
			if err := json.Unmarshal(body, &e); err != nil || len(e) != 2 {
				t.Fatalf("OAuth error body %s, want {error, error_description}", body)
			}
			if e["error"] != tc.oauthError {
				t.Errorf("error %q, want %q", e["error"], tc.oauthError)
			}
			if tc.desc != "" && e["error_description"] != tc.desc {
				t.Errorf("error_description\n got: %s\nwant: %s", e["error_description"], tc.desc)
			}
			if !strings.Contains(e["error_description"], tc.descHas) {
				t.Errorf("error_description lacks %q: %s", tc.descHas, e["error_description"])
			}
		})
	}
}

// Granting step by step: the token endpoint names the next missing
// privilege until the principal has what the SDK asks for.
func TestOAuthGrantsForAScopedToken(t *testing.T) {
	t.Parallel()
	s := startServer(t, "", "--memory")
	s.sql("CREATE TABLE main.default.t " + eventsDDL)
	pid, psecret := s.newPrincipal("oauth-grants")
	steps := []struct {
		name  string
		grant string // run before the token request
		want  int
		desc  string
	}{
		{"no grants", "", 403, "lacks USE CATALOG on CATALOG main (GRANT USE CATALOG ON CATALOG main TO"},
		{"USE CATALOG", "GRANT USE CATALOG ON CATALOG main TO `%s`", 403, "lacks USE SCHEMA on SCHEMA main.default (GRANT USE SCHEMA ON SCHEMA main.default TO"},
		{"USE SCHEMA", "GRANT USE SCHEMA ON SCHEMA main.default TO `%s`", 403, "lacks SELECT on TABLE main.default.t (GRANT SELECT ON TABLE main.default.t TO"},
		{"SELECT only", "GRANT SELECT ON TABLE main.default.t TO `%s`", 403, "lacks MODIFY on TABLE main.default.t (GRANT MODIFY ON TABLE main.default.t TO"},
		{"SELECT, MODIFY", "GRANT SELECT, MODIFY ON TABLE main.default.t TO `%s`", 200, ""},
		{"revoked MODIFY", "REVOKE MODIFY ON TABLE main.default.t FROM `%s`", 403, "lacks MODIFY on TABLE main.default.t"},
		{"granted again by display name", "GRANT MODIFY ON TABLE main.default.t TO `oauth-grants`", 200, ""},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if st.grant != "" {
				g := st.grant
				if strings.Contains(g, "%s") {
					g = fmt.Sprintf(g, pid)
				}
				s.sql(g)
			}
			status, body := s.tokenRequest("/oidc/v1/token", pid, psecret, sdkTokenBody("6051921418418893", "main.default.t"))
			if status != st.want || (st.desc != "" && !strings.Contains(string(body), st.desc)) {
				t.Errorf("got %d %s, want %d naming %q", status, body, st.want, st.desc)
			}
		})
	}
}

// Each kind of token against each API: a token scoped by
// authorization_details, a workspace-level OAuth token and a PAT.
func TestAuthTokensAcrossAPIs(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	s := startServer(t, data)
	for _, tbl := range []string{"t", "u", "v"} {
		s.sql("CREATE TABLE main.default." + tbl + " " + eventsDDL)
	}
	pid, psecret := s.newPrincipal("writer")
	s.sql(fmt.Sprintf("GRANT USE CATALOG ON CATALOG main TO `%s`", pid))
	s.sql(fmt.Sprintf("GRANT USE SCHEMA ON SCHEMA main.default TO `%s`", pid))
	for _, tbl := range []string{"t", "u"} { // not v
		s.sql(fmt.Sprintf("GRANT SELECT, MODIFY ON TABLE main.default.%s TO `%s`", tbl, pid))
	}

	scopedT := s.scopedToken(pid, psecret, "main.default.t")
	workspace := s.workspaceToken(pid, psecret)
	code, body := s.call("POST", "/api/2.0/token/create", workspace, map[string]any{"comment": "ci", "lifetime_seconds": 3600})
	var created struct {
		TokenValue string `json:"token_value"`
		TokenInfo  struct {
			Comment    string `json:"comment"`
			ExpiryTime int64  `json:"expiry_time"`
		} `json:"token_info"`
	}
	json.Unmarshal(body, &created)
	if code != 200 || !strings.HasPrefix(created.TokenValue, "dapi") || created.TokenInfo.Comment != "ci" || created.TokenInfo.ExpiryTime <= time.Now().UnixMilli() {
		t.Fatalf("create PAT: %d %s", code, body)
	}
	pat := created.TokenValue
	code, body = s.call("POST", "/api/2.0/token/create", devToken, nil)
	var devCreated struct {
		TokenValue string `json:"token_value"`
	}
	json.Unmarshal(body, &devCreated)
	if code != 200 || !strings.HasPrefix(devCreated.TokenValue, "dapi") {
		t.Fatalf("create PAT with the dev token: %d %s", code, body)
	}
	devPAT := devCreated.TokenValue

	expired := signedToken(t, data, pid, time.Now().Add(-2*time.Hour), time.Now().Add(-time.Hour))
	wrongKey := func() string {
		tok, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": pid, "iss": "zbemu", "exp": time.Now().Add(time.Hour).Unix()}).SignedString([]byte("not the server's key"))
		return tok
	}()
	unsigned := func() string {
		tok, _ := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{"sub": devID, "iss": "zbemu", "exp": time.Now().Add(time.Hour).Unix()}).SignedString(jwt.UnsafeAllowNoneSignatureType)
		return tok
	}()
	valid := signedToken(t, data, pid, time.Now(), time.Now().Add(time.Hour))

	tests := []struct {
		name, token, table string
		insert             int    // REST insert status
		insertHas          string // in the insert error message
		sql, uc            int    // HTTP status of SQL (SUCCEEDED when 200) and UC calls
	}{
		{name: "scoped token, its table", token: scopedT, table: "t", insert: 200, sql: 200, uc: 200},
		{name: "scoped token, another granted table", token: scopedT, table: "u", insert: 403,
			insertHas: "permission denied: the access token was issued for main.default.t, not for table main.default.u", sql: 200, uc: 200},
		{name: "workspace token, granted table", token: workspace, table: "u", insert: 200, sql: 200, uc: 200},
		{name: "workspace token, table without grants", token: workspace, table: "v", insert: 403,
			insertHas: "lacks SELECT on TABLE main.default.v", sql: 200, uc: 200},
		{name: "PAT of the principal, granted table", token: pat, table: "t", insert: 200, sql: 200, uc: 200},
		{name: "PAT of the principal, table without grants", token: pat, table: "v", insert: 403, insertHas: "lacks SELECT on TABLE main.default.v", sql: 200, uc: 200},
		{name: "PAT of the dev principal", token: devPAT, table: "v", insert: 200, sql: 200, uc: 200},
		{name: "token signed by the server for the principal", token: valid, table: "t", insert: 200, sql: 200, uc: 200},
		{name: "expired JWT", token: expired, table: "t", insert: 401, insertHas: "token is expired", sql: 401, uc: 401},
		{name: "JWT signed with another key", token: wrongKey, table: "t", insert: 401, insertHas: "signature is invalid", sql: 401, uc: 401},
		{name: "unsigned JWT (alg none) claiming the dev principal", token: unsigned, table: "t", insert: 401, insertHas: "invalid access token", sql: 401, uc: 401},
		{name: "garbage", token: "garbage", table: "t", insert: 401, insertHas: "invalid access token", sql: 401, uc: 401},
		{name: "truncated JWT", token: valid[:len(valid)-5], table: "t", insert: 401, insertHas: "signature is invalid", sql: 401, uc: 401},
		{name: "unknown PAT", token: "dapi00000000000000000000000000000000", table: "t", insert: 401, insertHas: "invalid or expired personal access token", sql: 401, uc: 401},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			table := "main.default." + tc.table
			before := s.count(table)
			status, code, msg := s.restInsert(tc.token, table, eventRecords(tc.name, 2))
			if status != tc.insert || !strings.Contains(msg, tc.insertHas) {
				t.Errorf("insert: %d %s %s, want %d with %q", status, code, msg, tc.insert, tc.insertHas)
			}
			wantCode := map[int]string{200: "", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED"}[tc.insert]
			if code != wantCode {
				t.Errorf("insert error_code %q, want %q", code, wantCode)
			}
			added := 0
			if tc.insert == 200 {
				added = 2
			}
			if n := s.count(table) - before; n != added {
				t.Errorf("insert added %d rows, want %d", n, added)
			}

			// SQL and UC read table t, on which the principal holds SELECT.
			code2, body := s.call("POST", "/api/2.0/sql/statements", tc.token, map[string]any{"statement": "SELECT count(*) FROM main.default.t", "warehouse_id": "w", "wait_timeout": "30s"})
			if code2 != tc.sql {
				t.Errorf("SQL: %d %s, want %d", code2, body, tc.sql)
			} else if code2 == 200 {
				var r web.StatementResponse
				json.Unmarshal(body, &r)
				if r.Status.State != "SUCCEEDED" || r.Result == nil || *r.Result.DataArray[0][0] != fmt.Sprint(s.count("main.default.t")) {
					t.Errorf("SQL result %s", body)
				}
			} else if c, _ := apiErr(t, body); c != "UNAUTHENTICATED" {
				t.Errorf("SQL error_code %q", c)
			}

			code3, body := s.call("GET", "/api/2.1/unity-catalog/tables/main.default.t", tc.token, nil)
			if code3 != tc.uc {
				t.Errorf("UC: %d %s, want %d", code3, body, tc.uc)
			} else if code3 == 200 && !strings.Contains(string(body), `"full_name":"main.default.t"`) {
				t.Errorf("UC body %s", body)
			}
		})
	}

	t.Run("PAT past its lifetime", func(t *testing.T) {
		code, body := s.call("POST", "/api/2.0/token/create", workspace, map[string]any{"lifetime_seconds": 1})
		var c struct {
			TokenValue string `json:"token_value"`
		}
		json.Unmarshal(body, &c)
		if code != 200 || c.TokenValue == "" {
			t.Fatalf("create PAT: %d %s", code, body)
		}
		if status, _, msg := s.restInsert(c.TokenValue, "main.default.t", eventRecords("short", 1)); status != 200 {
			t.Fatalf("fresh PAT: %d %s", status, msg)
		}
		time.Sleep(1100 * time.Millisecond)
		if status, code, msg := s.restInsert(c.TokenValue, "main.default.t", eventRecords("late", 1)); status != 401 || code != "UNAUTHENTICATED" || msg != "unauthenticated: invalid or expired personal access token" {
			t.Errorf("expired PAT: %d %s %s", status, code, msg)
		}
	})
	t.Run("tokens survive a restart", func(t *testing.T) {
		s.stop()
		s2 := startServer(t, data)
		for _, tok := range []string{scopedT, workspace, pat} {
			if status, _, msg := s2.restInsert(tok, "main.default.t", eventRecords("restart", 1)); status != 200 {
				t.Errorf("after restart: %d %s", status, msg)
			}
		}
	})
}

// signedToken signs a zbemu access token for sub with the server's key,
// read from the workspace store, valid from iat until exp.
func signedToken(t *testing.T, data, sub string, iat, exp time.Time) string {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(data, "workspace.db")+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var key []byte
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := db.QueryRowContext(ctx, "SELECT value FROM settings WHERE key = 'token-signing-key'").Scan(&key); err != nil {
		t.Fatalf("read the signing key: %v", err)
	}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": sub, "iss": "zbemu", "iat": iat.Unix(), "exp": exp.Unix(), "scope": "all-apis"}).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// The official SDK with a new principal's credentials: its token request
// carries authorization_details for the stream's table, so a table without
// grants fails at the token endpoint with 403, once, without retries.
func TestAuthSDKWithAGrantedPrincipal(t *testing.T) {
	t.Parallel()
	s := startServer(t, "")
	s.sql("CREATE TABLE main.default.granted " + eventsDDL)
	s.sql("CREATE TABLE main.default.other " + eventsDDL)
	pid, psecret := s.newPrincipal("sdk-writer")
	s.sql(fmt.Sprintf("GRANT USE CATALOG ON CATALOG main TO `%s`", pid))
	s.sql(fmt.Sprintf("GRANT USE SCHEMA ON SCHEMA main.default TO `%s`", pid))
	s.sql(fmt.Sprintf("GRANT SELECT, MODIFY ON TABLE main.default.granted TO `%s`", pid))

	records := func(prefix string, n int) []any {
		out := []any{}
		for _, r := range eventRecords(prefix, n) {
			out = append(out, r)
		}
		return out
	}
	tests := []struct {
		name      string
		table     string
		urlSuffix string // appended to the workspace URL
		ok        bool
		has       []string
		rows      int // in table afterwards
	}{
		{name: "granted table", table: "main.default.granted", ok: true, rows: 25},
		{name: "workspace URL with a trailing slash", table: "main.default.granted", urlSuffix: "/", ok: true, rows: 50},
		{name: "table without grants", table: "main.default.other", has: []string{"403", "invalid_authorization_details", "lacks SELECT on TABLE main.default.other"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sc := s.scenario(map[string]any{"table": tc.table, "batches": batchesOf(records(tc.name, 25), 10)})
			sc["clientId"], sc["clientSecret"] = pid, psecret
			sc["workspaceUrl"] = s.url + tc.urlSuffix
			ensureSDK(t) // not timed
			start := time.Now()
			r := runSDK(t, sc)
			elapsed := time.Since(start)
			st := r.Streams[0]
			msg := errText(st.Error)
			if st.OK != tc.ok {
				t.Fatalf("stream ok=%v, want %v: %s", st.OK, tc.ok, msg)
			}
			for _, h := range tc.has {
				if !strings.Contains(msg, h) {
					t.Errorf("error lacks %q: %s", h, msg)
				}
			}
			if !tc.ok && (st.StreamCreated || elapsed > 5*time.Second) {
				t.Errorf("failed after %v (stream created: %v); want a fast failure without retries", elapsed, st.StreamCreated)
			}
			if n := s.count(tc.table); n != tc.rows {
				t.Errorf("%s has %d rows, want %d", tc.table, n, tc.rows)
			}
		})
	}
}
