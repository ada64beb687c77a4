package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/zbemu/zbemu/engine"
)

// Attacks on the workspace-fidelity endpoints (issue 13): the Grants API,
// the Unity Catalog updates, the system catalog, SCIM Me, tokens and the
// warehouse. A principal without grants and one granted a single table
// reach nothing more than SQL would give them, changes take MANAGE or
// ownership as Databricks asks, and bad input is refused naming the field
// without changing anything.

const ucPath = "/api/2.1/unity-catalog"

// fidelityFixture is catalog sec with schema sec.s and table sec.s.t,
// owned by the dev admin, and principals: none (no grants), tab (USE on
// the containers, SELECT and MODIFY on sec.s.t), peer (SELECT on sec.s.t too)
// and mgr (MANAGE on sec.s).
type fidelityFixture struct {
	s                   *server
	none, tab, mgr      string // tokens
	noneID, tabID       string
	peerID, mgrID       string
	tabSecret           string
	adminPAT, adminPATI string // a PAT of the admin and its token id
}

func newFidelityFixture(t *testing.T) *fidelityFixture {
	s := startServer(t, "", "--memory")
	f := &fidelityFixture{s: s}
	s.sql("CREATE CATALOG sec")
	s.sql("CREATE SCHEMA sec.s")
	s.sql("CREATE TABLE sec.s.t (id INT, note STRING)")
	s.sql("INSERT INTO sec.s.t VALUES (1, 'classified')")
	var noneSecret, mgrSecret string
	f.noneID, noneSecret = s.newPrincipal("fid-none")
	f.tabID, f.tabSecret = s.newPrincipal("fid-tab")
	f.peerID, _ = s.newPrincipal("fid-peer")
	f.mgrID, mgrSecret = s.newPrincipal("fid-mgr")
	for _, id := range []string{f.tabID, f.peerID, f.mgrID} {
		s.sql(fmt.Sprintf("GRANT USE CATALOG ON CATALOG sec TO `%s`", id))
		s.sql(fmt.Sprintf("GRANT USE SCHEMA ON SCHEMA sec.s TO `%s`", id))
	}
	s.sql(fmt.Sprintf("GRANT SELECT, MODIFY ON TABLE sec.s.t TO `%s`", f.tabID))
	s.sql(fmt.Sprintf("GRANT SELECT ON TABLE sec.s.t TO `%s`", f.peerID))
	s.sql(fmt.Sprintf("GRANT MANAGE ON SCHEMA sec.s TO `%s`", f.mgrID))
	f.none, f.tab, f.mgr = s.workspaceToken(f.noneID, noneSecret), s.workspaceToken(f.tabID, f.tabSecret), s.workspaceToken(f.mgrID, mgrSecret)
	code, body := s.call("POST", "/api/2.0/token/create", devToken, map[string]any{"comment": "admin's"})
	if code != 200 {
		t.Fatalf("token/create: %d %s", code, body)
	}
	f.adminPAT = strings.TrimSuffix(strings.SplitN(strings.SplitN(string(body), `"token_value":"`, 2)[1], `"`, 2)[0], `"`)
	f.adminPATI = engine.PATID(f.adminPAT)
	return f
}

// grantsOnTable is what the admin sees on sec.s.t.
func (f *fidelityFixture) grantsOnTable(t *testing.T) string {
	t.Helper()
	code, body := f.s.call("GET", ucPath+"/permissions/table/sec.s.t", devToken, nil)
	if code != 200 {
		t.Fatalf("admin reads grants: %d %s", code, body)
	}
	return string(body)
}

func TestAttackFidelityAuthorization(t *testing.T) {
	t.Parallel()
	f := newFidelityFixture(t)
	s := f.s
	before := f.grantsOnTable(t)
	if !strings.Contains(before, f.tabID) || !strings.Contains(before, f.peerID) {
		t.Fatalf("fixture grants: %s", before)
	}
	scoped := s.scopedToken(f.tabID, f.tabSecret, "sec.s.t")
	selfGrant := map[string]any{"changes": []map[string]any{{"principal": f.tabID, "add": []string{"ALL_PRIVILEGES", "MANAGE"}}}}
	cases := []struct {
		who, token   string
		method, path string
		body         any
		status       int
		want         string // a substring of the body
		leak         string // a substring the body must not have
	}{
		// A principal without grants sees and changes nothing.
		{"none", f.none, "GET", ucPath + "/permissions/catalog/sec", nil, 403, "lacks USE CATALOG on CATALOG sec", f.tabID},
		{"none", f.none, "GET", ucPath + "/effective-permissions/table/sec.s.t", nil, 403, "lacks USE CATALOG", f.tabID},
		{"none", f.none, "PATCH", ucPath + "/permissions/catalog/sec", map[string]any{"changes": []map[string]any{{"principal": f.noneID, "add": []string{"USE_CATALOG"}}}}, 403, "GRANT MANAGE ON CATALOG sec", ""},
		{"none", f.none, "PATCH", ucPath + "/catalogs/sec", map[string]any{"owner": f.noneID}, 403, "PERMISSION_DENIED", ""},
		{"none", f.none, "PATCH", ucPath + "/schemas/sec.s", map[string]any{"comment": "mine"}, 403, "PERMISSION_DENIED", ""},
		{"none", f.none, "PATCH", ucPath + "/tables/sec.s.t", map[string]any{"owner": f.noneID}, 403, "PERMISSION_DENIED", ""},
		{"none", f.none, "GET", ucPath + "/catalogs", nil, 200, `{"catalogs":[]}`, ""},
		{"none", f.none, "GET", ucPath + "/catalogs/system", nil, 403, "lacks USE CATALOG on CATALOG system", ""},
		{"none", f.none, "GET", ucPath + "/schemas?catalog_name=system", nil, 403, "lacks USE CATALOG on CATALOG system", ""},
		{"none", f.none, "GET", ucPath + "/tables/system.lakeflow.zerobus_stream", nil, 403, "lacks USE CATALOG on CATALOG system", ""},
		{"none", f.none, "GET", ucPath + "/permissions/catalog/system", nil, 403, "PERMISSION_DENIED", ""},
		{"none", f.none, "GET", "/api/2.0/preview/scim/v2/Me", nil, 200, `"userName":"` + f.noneID + `","displayName":"fid-none","active":true,"groups":[]`, devID},
		{"none", f.none, "GET", "/api/2.0/token/list", nil, 200, `{"token_infos":[]}`, f.adminPATI},
		{"none", f.none, "POST", "/api/2.0/token/delete", map[string]any{"token_id": f.adminPATI}, 404, "RESOURCE_DOES_NOT_EXIST", ""},
		{"none", f.none, "GET", "/api/2.0/sql/warehouses", nil, 200, `"state":"RUNNING"`, ""},
		// Granted one table: it reads its own grants there, not its
		// peer's, and changes nothing.
		{"tab", f.tab, "GET", ucPath + "/permissions/table/sec.s.t", nil, 200, `{"privilege_assignments":[{"principal":"` + f.tabID + `","privileges":["MODIFY","SELECT"]}]}`, f.peerID},
		{"tab", f.tab, "GET", ucPath + "/permissions/table/sec.s.t?principal=" + f.peerID, nil, 200, `{"privilege_assignments":[]}`, f.peerID},
		{"tab", f.tab, "GET", ucPath + "/effective-permissions/table/sec.s.t", nil, 200, `"privilege":"USE_SCHEMA","inherited_from_type":"SCHEMA","inherited_from_name":"sec.s"`, f.peerID},
		{"tab", f.tab, "PATCH", ucPath + "/permissions/table/sec.s.t", selfGrant, 403, "GRANT MANAGE ON TABLE sec.s.t", ""},
		{"tab", f.tab, "PATCH", ucPath + "/permissions/schema/sec.s", selfGrant, 403, "PERMISSION_DENIED", ""},
		{"tab", f.tab, "PATCH", ucPath + "/tables/sec.s.t", map[string]any{"owner": f.tabID}, 403, "PERMISSION_DENIED", ""},
		{"tab", f.tab, "PATCH", ucPath + "/catalogs/sec", map[string]any{"comment": "x"}, 403, "PERMISSION_DENIED", ""},
		{"tab", f.tab, "GET", ucPath + "/permissions/schema/sec.s", nil, 200, `"privileges":["USE_SCHEMA"]`, f.peerID},
		// A token scoped by authorization_details reaches its table only
		// and never changes grants or tokens.
		{"scoped", scoped, "PATCH", ucPath + "/permissions/table/sec.s.t", selfGrant, 403, "the access token was issued for sec.s.t", ""},
		{"scoped", scoped, "POST", "/api/2.0/token/delete", map[string]any{"token_id": f.adminPATI}, 403, "cannot revoke personal access tokens", ""},
		{"scoped", scoped, "PATCH", ucPath + "/tables/sec.s.t", map[string]any{"owner": f.tabID}, 403, "the access token was issued for", ""},
		// Without a token: 401 everywhere but the discovery documents.
		{"anonymous", "", "GET", ucPath + "/permissions/table/sec.s.t", nil, 401, "UNAUTHENTICATED", ""},
		{"anonymous", "", "PATCH", ucPath + "/catalogs/sec", map[string]any{"comment": "x"}, 401, "UNAUTHENTICATED", ""},
		{"anonymous", "", "GET", "/api/2.0/preview/scim/v2/Me", nil, 401, "UNAUTHENTICATED", ""},
		{"anonymous", "", "GET", "/api/2.0/token/list", nil, 401, "UNAUTHENTICATED", ""},
		{"anonymous", "", "GET", "/api/2.0/sql/warehouses", nil, 401, "UNAUTHENTICATED", ""},
		{"anonymous", "", "GET", "/oidc/.well-known/oauth-authorization-server", nil, 200, `"token_endpoint":"` + s.url + `/oidc/v1/token"`, ""},
		{"anonymous", "", "GET", "/oidc/.well-known/openid-configuration", nil, 200, `"authorization_endpoint":"` + s.url + `/oidc/v1/authorize"`, ""},
	}
	for _, c := range cases {
		t.Run(c.who+" "+c.method+" "+c.path, func(t *testing.T) {
			code, body := s.call(c.method, c.path, c.token, c.body)
			if code != c.status || !strings.Contains(string(body), c.want) || c.leak != "" && strings.Contains(string(body), c.leak) {
				t.Errorf("HTTP %d %s\nwant %d with %q and without %q", code, body, c.status, c.want, c.leak)
			}
		})
	}
	if after := f.grantsOnTable(t); after != before {
		t.Errorf("denied calls changed the grants:\n%s\nwant\n%s", after, before)
	}
	if code, body := s.call("GET", ucPath+"/tables/sec.s.t", devToken, nil); code != 200 || !strings.Contains(string(body), `"owner":"`+devID+`"`) {
		t.Errorf("denied calls changed the table: %s", body)
	}
	if code, _ := s.call("GET", "/api/2.0/preview/scim/v2/Me", f.adminPAT, nil); code != 200 {
		t.Errorf("another principal revoked the admin's token: HTTP %d", code)
	}

	// MANAGE on the schema changes grants and owners below it, and
	// nothing above.
	grant := map[string]any{"changes": []map[string]any{{"principal": f.noneID, "add": []string{"SELECT"}}}}
	if code, body := s.call("PATCH", ucPath+"/permissions/table/sec.s.t", f.mgr, grant); code != 200 || !strings.Contains(string(body), f.noneID) {
		t.Errorf("MANAGE holder grants on a table: HTTP %d %s", code, body)
	}
	if rows := s.sql("SHOW GRANTS ON TABLE sec.s.t"); !strings.Contains(fmt.Sprint(rowStrings(rows)), f.noneID) {
		t.Errorf("a REST grant is missing from SHOW GRANTS: %v", rowStrings(rows))
	}
	if code, body := s.call("PATCH", ucPath+"/permissions/catalog/sec", f.mgr, grant); code != 403 {
		t.Errorf("MANAGE on a schema changes the catalog's grants: HTTP %d %s", code, body)
	}

	// A view reads with its owner's rights: its owner may not hand it to
	// an admin to read through it what the owner may not.
	s.sql(fmt.Sprintf("GRANT CREATE TABLE ON SCHEMA sec.s TO `%s`", f.tabID))
	if state, code, msg := s.sqlAs(f.tab, "CREATE VIEW sec.s.v AS SELECT id FROM sec.s.t"); state != "SUCCEEDED" {
		t.Fatalf("tab creates a view: %s %s %s", state, code, msg)
	}
	code, body := s.call("PATCH", ucPath+"/tables/sec.s.v", f.tab, map[string]any{"owner": devID})
	if code != 403 || !strings.Contains(string(body), "only an admin may change the owner of view sec.s.v") {
		t.Errorf("the owner hands its view to an admin: HTTP %d %s", code, body)
	}
	// A table's owner may give it away, and then no longer manages it.
	s.sql(fmt.Sprintf("GRANT CREATE TABLE ON SCHEMA sec.s TO `%s`", f.noneID))
	if code, body := s.call("PATCH", ucPath+"/tables/sec.s.t", devToken, map[string]any{"owner": "fid-tab"}); code != 200 || !strings.Contains(string(body), `"owner":"`+f.tabID+`"`) {
		t.Errorf("admin gives the table to tab by display name: HTTP %d %s", code, body)
	}
	if code, body := s.call("PATCH", ucPath+"/permissions/table/sec.s.t", f.tab, grant); code != 200 {
		t.Errorf("the new owner grants on its table: HTTP %d %s", code, body)
	}
}

// rowStrings flattens result rows for messages and searches.
func rowStrings(rows [][]*string) []string {
	var out []string
	for _, r := range rows {
		for _, v := range r {
			if v != nil {
				out = append(out, *v)
			}
		}
	}
	return out
}

func TestAttackFidelityBadInput(t *testing.T) {
	t.Parallel()
	f := newFidelityFixture(t)
	s := f.s
	before := f.grantsOnTable(t)
	_, catBefore := s.call("GET", ucPath+"/catalogs/sec", devToken, nil)
	big := `{"changes":[{"principal":"` + strings.Repeat("x", 2<<20) + `","add":["SELECT"]}]}`
	cases := []struct {
		name, method, path string
		body               any
		status             int
		code, want         string
	}{
		{"empty PATCH", "PATCH", ucPath + "/permissions/table/sec.s.t", nil, 400, "INVALID_PARAMETER_VALUE", "PATCH without a body"},
		{"malformed JSON", "PATCH", ucPath + "/permissions/table/sec.s.t", `{"changes": [`, 400, "INVALID_PARAMETER_VALUE", "malformed JSON"},
		{"changes not an array", "PATCH", ucPath + "/permissions/table/sec.s.t", `{"changes": "SELECT"}`, 400, "INVALID_PARAMETER_VALUE", "changes"},
		{"add not strings", "PATCH", ucPath + "/permissions/table/sec.s.t", `{"changes": [{"principal": "fid-none", "add": [1]}]}`, 400, "INVALID_PARAMETER_VALUE", "add"},
		{"no principal", "PATCH", ucPath + "/permissions/table/sec.s.t", `{"changes": [{"add": ["SELECT"]}]}`, 400, "INVALID_PARAMETER_VALUE", "changes[0].principal is required"},
		{"unknown principal, after a valid change", "PATCH", ucPath + "/permissions/table/sec.s.t",
			map[string]any{"changes": []map[string]any{{"principal": f.tabID, "remove": []string{"SELECT"}}, {"principal": "nobody", "add": []string{"SELECT"}}}},
			400, "INVALID_PARAMETER_VALUE", `changes[1].principal: invalid argument: principal \"nobody\" does not exist`},
		{"unknown privilege", "PATCH", ucPath + "/permissions/table/sec.s.t", map[string]any{"changes": []map[string]any{{"principal": f.noneID, "add": []string{"SELECT", "FLY"}}}},
			400, "INVALID_PARAMETER_VALUE", `changes[0].add: unknown privilege \"FLY\"`},
		{"privilege of another type", "PATCH", ucPath + "/permissions/table/sec.s.t", map[string]any{"changes": []map[string]any{{"principal": f.noneID, "add": []string{"CREATE_SCHEMA"}}}},
			400, "INVALID_PARAMETER_VALUE", "privilege CREATE SCHEMA does not apply to a table (it applies to catalogs)"},
		{"oversized", "PATCH", ucPath + "/permissions/table/sec.s.t", big, 413, "RESOURCE_EXHAUSTED", "larger than 1048576 bytes"},
		{"securable type zbemu lacks", "GET", ucPath + "/permissions/volume/sec.s.v", nil, 400, "INVALID_PARAMETER_VALUE", `securable_type \"volume\" is not one zbemu has`},
		{"table name of two parts", "GET", ucPath + "/permissions/table/sec.s", nil, 400, "INVALID_PARAMETER_VALUE", `TABLE \"sec.s\" is not a valid securable`},
		{"missing table", "GET", ucPath + "/effective-permissions/table/sec.s.nope", nil, 404, "TABLE_DOES_NOT_EXIST", "sec.s.nope"},
		{"rename a catalog", "PATCH", ucPath + "/catalogs/sec", map[string]any{"new_name": "other"}, 501, "NOT_IMPLEMENTED", "new_name: zbemu cannot rename a catalog"},
		{"empty owner", "PATCH", ucPath + "/catalogs/sec", map[string]any{"owner": ""}, 400, "INVALID_PARAMETER_VALUE", "owner must name a principal"},
		{"unknown owner", "PATCH", ucPath + "/schemas/sec.s", map[string]any{"owner": "nobody", "comment": "lost?"}, 400, "INVALID_PARAMETER_VALUE", `owner: invalid argument: principal \"nobody\" does not exist`},
		{"comment of the wrong type", "PATCH", ucPath + "/catalogs/sec", `{"comment": 5}`, 400, "INVALID_PARAMETER_VALUE", "comment"},
		{"properties of the wrong type", "PATCH", ucPath + "/catalogs/sec", `{"properties": ["a"]}`, 400, "INVALID_PARAMETER_VALUE", "properties"},
		{"oversized update", "PATCH", ucPath + "/catalogs/sec", `{"comment": "` + strings.Repeat("x", 2<<20) + `"}`, 413, "RESOURCE_EXHAUSTED", "larger than"},
		{"table comment", "PATCH", ucPath + "/tables/sec.s.t", map[string]any{"comment": "x"}, 400, "INVALID_PARAMETER_VALUE", "only owner can be changed"},
		{"table without owner", "PATCH", ucPath + "/tables/sec.s.t", `{}`, 400, "INVALID_PARAMETER_VALUE", `field \"owner\" is required`},
		{"system catalog", "PATCH", ucPath + "/catalogs/system", map[string]any{"comment": "x"}, 403, "PERMISSION_DENIED", "read-only"},
		{"system table", "DELETE", ucPath + "/tables/system.lakeflow.zerobus_stream", nil, 403, "PERMISSION_DENIED", "read-only"},
		{"missing system table", "GET", ucPath + "/tables/system.lakeflow.nope", nil, 404, "TABLE_DOES_NOT_EXIST", "system table system.lakeflow.nope does not exist"},
		{"token_id missing", "POST", "/api/2.0/token/delete", `{}`, 400, "INVALID_PARAMETER_VALUE", `field \"token_id\" is required`},
		{"token_id a number", "POST", "/api/2.0/token/delete", `{"token_id": 5}`, 400, "INVALID_PARAMETER_VALUE", "token_id"},
		{"token delete oversized", "POST", "/api/2.0/token/delete", `{"token_id": "` + strings.Repeat("a", 70<<10) + `"}`, 413, "RESOURCE_EXHAUSTED", "larger than 65536 bytes"},
		{"long warehouse id", "GET", "/api/2.0/sql/warehouses/" + strings.Repeat("w", 8<<10), nil, 404, "RESOURCE_DOES_NOT_EXIST", "zbemu has one warehouse"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, body := s.call(c.method, c.path, devToken, c.body)
			ec, _ := apiErr(t, body)
			if code != c.status || ec != c.code || !strings.Contains(string(body), c.want) {
				t.Errorf("HTTP %d %.300s\nwant %d %s with %q", code, body, c.status, c.code, c.want)
			}
			if len(body) > 4<<10 {
				t.Errorf("the error repeats the input: %d bytes", len(body))
			}
		})
	}
	if after := f.grantsOnTable(t); after != before {
		t.Errorf("refused changes changed the grants:\n%s\nwant\n%s", after, before)
	}
	if _, catAfter := s.call("GET", ucPath+"/catalogs/sec", devToken, nil); string(catAfter) != string(catBefore) {
		t.Errorf("refused updates changed the catalog:\n%s\nwant\n%s", catAfter, catBefore)
	}
	if _, sc := s.call("GET", ucPath+"/schemas/sec.s", devToken, nil); strings.Contains(string(sc), "lost?") {
		t.Errorf("an update with an unknown owner changed the comment: %s", sc)
	}
}
