package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/zbemu/zbemu/fixtures/zbclient"
	"github.com/zbemu/zbemu/web"
	"github.com/zbemu/zbemu/web/zerobuspb"
)

// The authorization matrix of issue 9: every action over SQL, Unity
// Catalog REST, REST ingest and gRPC ingest, tried by
//   - none:   a principal without grants (workspace-level OAuth token);
//   - table:  a principal with USE CATALOG, USE SCHEMA and SELECT, MODIFY on
//     main.default.t only (workspace-level OAuth token);
//   - scoped: a principal with SELECT, MODIFY on the whole schema whose
//     token's authorization_details name main.default.t only;
//   - admin:  the default principal.
// Each is allowed or denied as Unity Catalog would; a denial is
// PERMISSION_DENIED (HTTP 403, gRPC PERMISSION_DENIED, a FAILED statement
// with that error_code) whose message names the privilege.

const (
	pNone = iota
	pTable
	pScoped
	pAdmin
)

var principalNames = []string{"none", "table", "scoped", "admin"}

// outcome of one action: "" allowed, otherwise a substring of the denial.
type authzCase struct {
	name string
	run  func(s *server, token string) (httpStatus int, code, msg string)
	want [4]string
}

// sqlAs runs one statement with token and reports the HTTP status, the
// error_code and message of a failed statement.
func sqlAs(stmt string) func(s *server, token string) (int, string, string) {
	return func(s *server, token string) (int, string, string) {
		code, body := s.call("POST", "/api/2.0/sql/statements", token, map[string]any{"statement": stmt, "warehouse_id": "w", "wait_timeout": "30s"})
		if code != 200 {
			c, m := apiErr(s.t, body)
			return code, c, m
		}
		var r web.StatementResponse
		json.Unmarshal(body, &r)
		if r.Status.State == "SUCCEEDED" {
			return 200, "", ""
		}
		if r.Status.Error == nil {
			return 200, r.Status.State, string(body)
		}
		return 200, statementCode(r.Status.Error.ErrorCode, r.Status.Error.Message), r.Status.Error.Message
	}
}

func restAs(method, path string, body any) func(s *server, token string) (int, string, string) {
	return func(s *server, token string) (int, string, string) {
		code, b := s.call(method, path, token, body)
		if code == 200 {
			return 200, "", ""
		}
		c, m := apiErr(s.t, b)
		return code, c, m
	}
}

func grpcAs(table string) func(s *server, token string) (int, string, string) {
	return func(s *server, token string) (int, string, string) {
		cc, err := zbclient.Dial(s.addr)
		if err != nil {
			s.t.Fatal(err)
		}
		defer cc.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		bs, err := zbclient.OpenStream(ctx, cc, zbclient.StreamOptions{Token: token, Table: table, RecordType: zerobuspb.RecordType_JSON, Window: 1})
		if err == nil {
			bs.Finish()
			return 200, "", ""
		}
		st, _ := status.FromError(errors.Unwrap(err))
		if st.Code() == codes.PermissionDenied {
			return 403, "PERMISSION_DENIED", st.Message()
		}
		return 500, st.Code().String(), st.Message()
	}
}

func TestAttackAuthorizationMatrix(t *testing.T) {
	t.Parallel()
	s := startServer(t, "", "--memory")
	for _, tbl := range []string{"t", "u", "drop_me", "uc_drop_me", "alter_me"} {
		s.sql("CREATE TABLE main.default." + tbl + " " + eventsDDL)
	}
	s.sql("CREATE CATALOG victim")
	s.sql("CREATE SCHEMA victim.s")
	tokens := make([]string, 4)
	ids := make([]string, 4)
	noneID, noneSecret := s.newPrincipal("attack-none")
	ids[pNone], tokens[pNone] = noneID, s.workspaceToken(noneID, noneSecret)
	tableID, tableSecret := s.newPrincipal("attack-table")
	s.sql(fmt.Sprintf("GRANT USE CATALOG ON CATALOG main TO `%s`", tableID))
	s.sql(fmt.Sprintf("GRANT USE SCHEMA ON SCHEMA main.default TO `%s`", tableID))
	s.sql(fmt.Sprintf("GRANT SELECT, MODIFY ON TABLE main.default.t TO `%s`", tableID))
	ids[pTable], tokens[pTable] = tableID, s.workspaceToken(tableID, tableSecret)
	scopedID, scopedSecret := s.newPrincipal("attack-scoped")
	s.sql(fmt.Sprintf("GRANT USE CATALOG ON CATALOG main TO `%s`", scopedID))
	s.sql(fmt.Sprintf("GRANT USE SCHEMA, SELECT, MODIFY ON SCHEMA main.default TO `%s`", scopedID))
	ids[pScoped], tokens[pScoped] = scopedID, s.scopedToken(scopedID, scopedSecret, "main.default.t")
	ids[pAdmin], tokens[pAdmin] = devID, devToken
	s.sql("INSERT INTO main.default.u VALUES ('secret', TIMESTAMP '2024-01-01', 1.0)")

	const (
		useCat   = "lacks USE CATALOG on CATALOG main"
		selU     = "lacks SELECT on TABLE main.default.u"
		selT     = "lacks SELECT on TABLE main.default.t"
		modU     = "lacks MODIFY on TABLE main.default.u"
		scope    = "the access token was issued for main.default.t"
		manage   = "may not change"
		adminCat = "only an admin principal (metastore admin) may create catalogs"
	)
	ev := eventRecords("attack", 1)
	cases := []authzCase{
		// Reads, also through joins, subqueries, CTEs and set operations.
		{"SQL SELECT t", sqlAs("SELECT count(*) FROM main.default.t"), [4]string{useCat, "", "", ""}},
		{"SQL SELECT u", sqlAs("SELECT * FROM main.default.u"), [4]string{useCat, selU, scope, ""}},
		{"SQL SELECT u unqualified", sqlAs("SELECT * FROM u"), [4]string{useCat, selU, scope, ""}},
		{"SQL SELECT u by its DuckDB name", sqlAs("SELECT * FROM main_db.default.u"), [4]string{useCat, selU, scope, "the name main_db is reserved"}},
		{"SQL JOIN USING", sqlAs("SELECT * FROM main.default.t JOIN main.default.u USING (device_id)"), [4]string{useCat, selU, scope, ""}},
		{"SQL subquery", sqlAs("SELECT * FROM main.default.t WHERE device_id IN (SELECT device_id FROM main.default.u)"), [4]string{useCat, selU, scope, ""}},
		{"SQL CTE", sqlAs("WITH c AS (SELECT * FROM main.default.u) SELECT * FROM c"), [4]string{useCat, selU, scope, ""}},
		{"SQL UNION", sqlAs("SELECT device_id FROM main.default.t UNION ALL SELECT device_id FROM main.default.u"), [4]string{useCat, selU, scope, ""}},
		{"SQL scalar subquery", sqlAs("SELECT (SELECT max(temp) FROM `main`.`default`.`u`)"), [4]string{useCat, selU, scope, ""}},
		{"SQL alias named like an unreadable table", sqlAs("SELECT u.device_id FROM main.default.t AS u"), [4]string{useCat, "", "", ""}},
		{"SQL query_table", sqlAs("SELECT * FROM query_table('main_db.default.u')"), [4]string{"function query_table is not allowed", "function query_table is not allowed", "function query_table is not allowed", "function query_table is not allowed"}},
		{"SQL query", sqlAs("SELECT * FROM query('SELECT * FROM main_db.default.u')"), [4]string{"function query is not allowed", "function query is not allowed", "function query is not allowed", "function query is not allowed"}},
		{"SQL pragma_storage_info", sqlAs("SELECT * FROM pragma_storage_info('main_db.default.u')"), [4]string{"function pragma_storage_info is not allowed", "function pragma_storage_info is not allowed", "function pragma_storage_info is not allowed", "function pragma_storage_info is not allowed"}},
		{"SQL DESCRIBE u", sqlAs("DESCRIBE TABLE main.default.u"), [4]string{useCat, selU, scope, ""}},
		{"SQL DESCRIBE HISTORY u", sqlAs("DESCRIBE HISTORY main.default.u"), [4]string{useCat, selU, scope, ""}},
		{"SQL system table", sqlAs("SELECT * FROM system.zbemu.rejected_records"), [4]string{"lacks USE CATALOG on CATALOG system", "lacks USE CATALOG on CATALOG system", scope, ""}},
		{"SQL hidden metadata", sqlAs("SELECT * FROM main_db.__zbemu.tables"), [4]string{"the name main_db is reserved", "the name main_db is reserved", "the name main_db is reserved", "the name main_db is reserved"}},
		// Writes.
		{"SQL INSERT t", sqlAs("INSERT INTO main.default.t VALUES ('a', TIMESTAMP '2024-01-01', 1.0)"), [4]string{useCat, "", "", ""}},
		{"SQL INSERT u", sqlAs("INSERT INTO main.default.u VALUES ('a', TIMESTAMP '2024-01-01', 1.0)"), [4]string{useCat, modU, scope, ""}},
		{"SQL INSERT u after WITH", sqlAs("WITH c AS (SELECT * FROM main.default.t) INSERT INTO main.default.u SELECT * FROM c"), [4]string{useCat, modU, scope, ""}},
		{"SQL INSERT t from u", sqlAs("INSERT INTO main.default.t SELECT * FROM main.default.u"), [4]string{useCat, selU, scope, ""}},
		{"SQL UPDATE u", sqlAs("UPDATE main.default.u SET temp = 0"), [4]string{useCat, selU, scope, ""}},
		{"SQL UPDATE t from u", sqlAs("UPDATE main.default.t SET temp = (SELECT max(temp) FROM main.default.u)"), [4]string{useCat, selU, scope, ""}},
		{"SQL DELETE u", sqlAs("DELETE FROM main.default.u WHERE device_id = 'a'"), [4]string{useCat, selU, scope, ""}},
		{"SQL DELETE t", sqlAs("DELETE FROM main.default.t WHERE device_id = 'nobody'"), [4]string{useCat, "", "", ""}},
		// DDL and grants.
		{"SQL CREATE SCHEMA", sqlAs("CREATE SCHEMA main.attack"), [4]string{useCat, "lacks CREATE SCHEMA on CATALOG main", scope, ""}},
		{"SQL CREATE TABLE", sqlAs("CREATE TABLE main.default.attack (a INT)"), [4]string{useCat, "lacks CREATE TABLE on SCHEMA main.default", scope, ""}},
		{"SQL ALTER TABLE", sqlAs("ALTER TABLE main.default.alter_me ADD COLUMNS (z INT)"), [4]string{useCat, manage, scope, ""}},
		{"SQL ALTER TABLE its own grant", sqlAs("ALTER TABLE main.default.t SET TBLPROPERTIES ('x' = 'y')"), [4]string{useCat, manage, scope, ""}},
		{"SQL GRANT on a table it does not own", sqlAs("GRANT SELECT ON TABLE main.default.u TO `attack-none`"), [4]string{useCat, manage, scope, ""}},
		{"SQL DROP TABLE", sqlAs("DROP TABLE main.default.drop_me"), [4]string{useCat, manage, scope, ""}},
		{"SQL CREATE CATALOG", sqlAs("CREATE CATALOG attack"), [4]string{adminCat, adminCat, adminCat, ""}},
		{"SQL DROP SCHEMA", sqlAs("DROP SCHEMA victim.s"), [4]string{"lacks USE CATALOG on CATALOG victim", "lacks USE CATALOG on CATALOG victim", scope, ""}},
		// Unity Catalog REST.
		{"UC get table t", restAs("GET", "/api/2.1/unity-catalog/tables/main.default.t", nil), [4]string{useCat, "", "", ""}},
		{"UC get table u", restAs("GET", "/api/2.1/unity-catalog/tables/main.default.u", nil), [4]string{useCat, selU, scope, ""}},
		{"UC schema of u", restAs("GET", "/zbemu/v1/tables/main.default.u/jsonschema", nil), [4]string{useCat, selU, scope, ""}},
		{"UC create catalog", restAs("POST", "/api/2.1/unity-catalog/catalogs", map[string]string{"name": "attack2"}), [4]string{adminCat, adminCat, adminCat, ""}},
		{"UC create schema", restAs("POST", "/api/2.1/unity-catalog/schemas", map[string]string{"name": "attack2", "catalog_name": "main"}), [4]string{useCat, "lacks CREATE SCHEMA on CATALOG main", scope, ""}},
		{"UC create table", restAs("POST", "/api/2.1/unity-catalog/tables", map[string]any{"name": "attack2", "catalog_name": "main", "schema_name": "default",
			"columns": []map[string]string{{"name": "a", "type_text": "INT"}}}), [4]string{useCat, "lacks CREATE TABLE on SCHEMA main.default", scope, ""}},
		{"UC delete table", restAs("DELETE", "/api/2.1/unity-catalog/tables/main.default.uc_drop_me", nil), [4]string{useCat, manage, scope, ""}},
		{"UC delete catalog with force", restAs("DELETE", "/api/2.1/unity-catalog/catalogs/victim?force=true", nil), [4]string{"may not change CATALOG victim", "may not change CATALOG victim", scope, ""}},
		// A scoped token cannot mint a PAT that escapes its scope.
		{"create a PAT", restAs("POST", "/api/2.0/token/create", map[string]any{"lifetime_seconds": 3600}), [4]string{"", "", "cannot create personal access tokens", ""}},
		// Ingest.
		{"REST ingest t", restAs("POST", insertPath("main.default.t"), ev), [4]string{useCat, "", "", ""}},
		{"REST ingest u", restAs("POST", insertPath("main.default.u"), ev), [4]string{useCat, selU, scope, ""}},
		{"gRPC ingest t", grpcAs("main.default.t"), [4]string{useCat, "", "", ""}},
		{"gRPC ingest u", grpcAs("main.default.u"), [4]string{useCat, selU, scope, ""}},
	}
	for _, c := range cases {
		for p, want := range c.want {
			t.Run(c.name+"/"+principalNames[p], func(t *testing.T) {
				s.t = t
				status, code, msg := c.run(s, tokens[p])
				switch {
				case want == "" && code != "":
					t.Errorf("denied: %d %s %s", status, code, msg)
				case want != "" && (code != "PERMISSION_DENIED" || status != 200 && status != 403 || !strings.Contains(msg, want)):
					t.Errorf("got %d %s %q, want PERMISSION_DENIED containing %q", status, code, msg, want)
				}
			})
		}
	}
	s.t = t
	// What the admin did took effect; the denied principals changed nothing.
	if rows := s.sql("SELECT temp FROM main.default.u WHERE device_id = 'secret'"); len(rows) != 1 || *rows[0][0] != "0.0" {
		t.Errorf("u's row after the admin's UPDATE: %d rows", len(rows))
	}
	// t, u, alter_me and the two the admin created; drop_me and uc_drop_me are gone.
	if rows := s.sql("SHOW TABLES IN main.default"); len(rows) != 5 {
		t.Errorf("tables after the admin's DROP TABLE and CREATE TABLE: %d", len(rows))
	}
}

// Lists show only what the principal may see; SHOW GRANTS only its own
// grants and those on objects it owns; statements only to their owner;
// stats only tables it may read.
func TestAttackAuthorizationVisibility(t *testing.T) {
	t.Parallel()
	s := startServer(t, "", "--memory")
	for _, tbl := range []string{"t", "u"} {
		s.sql("CREATE TABLE main.default." + tbl + " " + eventsDDL)
	}
	s.sql("CREATE CATALOG hidden")
	pid, psecret := s.newPrincipal("viewer")
	other, _ := s.newPrincipal("other")
	for _, g := range []string{"USE CATALOG ON CATALOG main", "USE SCHEMA ON SCHEMA main.default", "SELECT, MODIFY ON TABLE main.default.t"} {
		s.sql(fmt.Sprintf("GRANT %s TO `%s`", g, pid))
	}
	s.sql(fmt.Sprintf("GRANT USE CATALOG ON CATALOG hidden TO `%s`", other))
	tok := s.workspaceToken(pid, psecret)
	for _, tbl := range []string{"t", "u"} {
		if st, _, msg := s.restInsert(devToken, "main.default."+tbl, eventRecords("v", 1)); st != 200 {
			t.Fatalf("insert %s: %s", tbl, msg)
		}
	}
	column := func(stmt string, col int) []string {
		_, code, msg := sqlAs(stmt)(s, tok)
		if code != "" {
			t.Fatalf("%s: %s %s", stmt, code, msg)
		}
		var out []string
		_, body := s.call("POST", "/api/2.0/sql/statements", tok, map[string]any{"statement": stmt, "wait_timeout": "30s"})
		var r web.StatementResponse
		json.Unmarshal(body, &r)
		for _, row := range r.Result.DataArray {
			out = append(out, *row[col])
		}
		return out
	}
	if got := column("SHOW CATALOGS", 0); !slices.Equal(got, []string{"main"}) {
		t.Errorf("SHOW CATALOGS = %v, want [main]", got)
	}
	if got := column("SHOW TABLES IN main.default", 1); !slices.Equal(got, []string{"t"}) {
		t.Errorf("SHOW TABLES = %v, want [t]", got)
	}
	for _, g := range column("SHOW GRANTS", 0) {
		if g != pid {
			t.Errorf("SHOW GRANTS shows a grant of %s", g)
		}
	}
	if got := column("SHOW GRANTS ON CATALOG hidden", 0); len(got) != 0 {
		t.Errorf("SHOW GRANTS ON CATALOG hidden = %v, want nothing", got)
	}
	code, body := s.call("GET", "/api/2.1/unity-catalog/catalogs", tok, nil)
	if code != 200 || strings.Contains(string(body), "hidden") || !strings.Contains(string(body), `"main"`) {
		t.Errorf("UC catalogs: %d %s", code, body)
	}
	code, body = s.call("GET", "/api/2.1/unity-catalog/tables?catalog_name=main&schema_name=default", tok, nil)
	if code != 200 || strings.Contains(string(body), "main.default.u") || !strings.Contains(string(body), "main.default.t") {
		t.Errorf("UC tables: %d %s", code, body)
	}
	code, body = s.call("GET", "/zbemu/v1/stats", tok, nil)
	if code != 200 || strings.Contains(string(body), "main.default.u") || !strings.Contains(string(body), "main.default.t") {
		t.Errorf("stats: %d %s", code, body)
	}

	// System tables open by grant, as in Databricks.
	if _, code, msg := sqlAs("SELECT count(*) FROM system.zbemu.rejected_records")(s, tok); code != "PERMISSION_DENIED" || !strings.Contains(msg, "GRANT USE CATALOG ON CATALOG system TO `"+pid+"`") {
		t.Errorf("system table without grants: %s %s", code, msg)
	}
	s.sql(fmt.Sprintf("GRANT USE CATALOG ON CATALOG system TO `%s`", pid))
	s.sql(fmt.Sprintf("GRANT USE SCHEMA ON SCHEMA system.zbemu TO `%s`", pid))
	s.sql(fmt.Sprintf("GRANT SELECT ON TABLE system.zbemu.rejected_records TO `%s`", pid))
	if _, code, msg := sqlAs("SELECT count(*) FROM system.zbemu.rejected_records")(s, tok); code != "" {
		t.Errorf("system table with grants: %s %s", code, msg)
	}
	if _, code, msg := sqlAs("SELECT count(*) FROM system.lakeflow.zerobus_stream")(s, tok); code != "PERMISSION_DENIED" || !strings.Contains(msg, "lacks USE SCHEMA on SCHEMA system.lakeflow") {
		t.Errorf("system table of another schema: %s %s", code, msg)
	}

	// A statement of the admin is not readable, pageable or cancelable by
	// another principal.
	code, body = s.call("POST", "/api/2.0/sql/statements", devToken, map[string]any{"statement": "SELECT * FROM main.default.u", "wait_timeout": "30s"})
	var r web.StatementResponse
	json.Unmarshal(body, &r)
	if code != 200 || r.StatementID == "" {
		t.Fatalf("admin statement: %d %s", code, body)
	}
	for _, call := range [][2]string{{"GET", ""}, {"GET", "/result/chunks/0"}, {"POST", "/cancel"}} {
		code, body := s.call(call[0], "/api/2.0/sql/statements/"+r.StatementID+call[1], tok, nil)
		if c, m := apiErr(t, body); code != 403 || c != "PERMISSION_DENIED" || !strings.Contains(m, "only its owner") {
			t.Errorf("%s statement%s as another principal: %d %s %s", call[0], call[1], code, c, m)
		}
	}
	if code, body := s.call("GET", "/api/2.0/sql/statements/"+r.StatementID, devToken, nil); code != 200 {
		t.Errorf("owner reads its statement: %d %s", code, body)
	}
}

// Token lifetimes are positive and capped; a JWT without exp is refused.
func TestAttackTokenLimits(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	s := startServer(t, data)
	pid, psecret := s.newPrincipal("tokens")
	tok := s.workspaceToken(pid, psecret)
	for _, bad := range []int64{-1, -86400, 730*86400 + 1, 1 << 62} {
		code, body := s.call("POST", "/api/2.0/token/create", tok, map[string]any{"lifetime_seconds": bad})
		c, m := apiErr(t, body)
		if code != 400 || c != "INVALID_PARAMETER_VALUE" || !strings.Contains(m, "lifetime_seconds") || !strings.Contains(m, fmt.Sprint(bad)) {
			t.Errorf("lifetime_seconds %d: %d %s %s", bad, code, c, m)
		}
	}
	for _, tc := range []struct {
		seconds int64
		want    time.Duration
	}{{0, 730 * 24 * time.Hour}, {3600, time.Hour}, {730 * 86400, 730 * 24 * time.Hour}} {
		code, body := s.call("POST", "/api/2.0/token/create", tok, map[string]any{"lifetime_seconds": tc.seconds})
		var created struct {
			TokenInfo struct {
				ExpiryTime int64 `json:"expiry_time"`
			} `json:"token_info"`
		}
		json.Unmarshal(body, &created)
		exp := time.UnixMilli(created.TokenInfo.ExpiryTime)
		// The expiry lies within the minutes around now + lifetime: a
		// generous bound that only a wrong lifetime misses.
		if lo, hi := time.Now().Add(tc.want-time.Hour), time.Now().Add(tc.want+time.Hour); code != 200 || exp.Before(lo) || exp.After(hi) {
			t.Errorf("lifetime_seconds %d: %d expiry %v, want about now + %v (%s)", tc.seconds, code, exp, tc.want, body)
		}
	}
	noExp := func() string {
		db, err := sql.Open("sqlite", "file:"+filepath.Join(data, "workspace.db")+"?mode=ro&_pragma=busy_timeout(5000)")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var key []byte
		if err := db.QueryRow("SELECT value FROM settings WHERE key = 'token-signing-key'").Scan(&key); err != nil {
			t.Fatal(err)
		}
		tok, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": devID, "iss": "zbemu", "iat": time.Now().Unix()}).SignedString(key)
		return tok
	}()
	code, body := s.call("GET", "/api/2.1/unity-catalog/catalogs", noExp, nil)
	if c, m := apiErr(t, body); code != 401 || c != "UNAUTHENTICATED" || !strings.Contains(m, "exp claim is required") {
		t.Errorf("JWT without exp: %d %s %s", code, c, m)
	}
}
