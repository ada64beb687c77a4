package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// Attacks on the Lakeview dashboards (issue 11): a dashboard is its
// owner's (and the admins'), its widgets run as the viewer, its size is
// bounded, a malformed file is refused naming the JSON path, and filter
// values are bound parameters that cannot change a statement.

// secretDashboard is a dashboard over main.default.secret with a filter
// bound to a parameter and a field filter.
const secretDashboard = `{"datasets": [{"name": "s", "displayName": "Secret",
  "queryLines": ["SELECT id, device_id, note FROM main.default.secret WHERE (:p_note = 'All' OR note = :p_note)"],
  "parameters": [{"keyword": "p_note", "dataType": "STRING", "defaultSelection": {"values": {"values": [{"value": "All"}]}}}]},
 {"name": "notes", "queryLines": ["SELECT DISTINCT note FROM main.default.secret"]}],
 "pages": [{"name": "p", "displayName": "P", "layout": [
  {"widget": {"name": "rows", "queries": [{"name": "q", "query": {"datasetName": "s", "disaggregated": true,
     "fields": [{"name": "id", "expression": "` + "`id`" + `"}, {"name": "note", "expression": "` + "`note`" + `"}]}}],
     "spec": {"version": 1, "widgetType": "table", "encodings": {"columns": [{"fieldName": "id"}, {"fieldName": "note"}]}}},
   "position": {"x": 0, "y": 0, "width": 6, "height": 4}},
  {"widget": {"name": "n", "queries": [{"name": "q", "query": {"datasetName": "s", "disaggregated": false,
     "fields": [{"name": "count(*)", "expression": "COUNT(*)"}]}}],
     "spec": {"version": 2, "widgetType": "counter", "encodings": {"value": {"fieldName": "count(*)"}}}},
   "position": {"x": 0, "y": 4, "width": 2, "height": 2}},
  {"widget": {"name": "note_filter", "queries": [
     {"name": "choices", "query": {"datasetName": "notes", "fields": [{"name": "note", "expression": "` + "`note`" + `"}], "disaggregated": false}},
     {"name": "bind", "query": {"datasetName": "s", "parameters": [{"name": "p_note", "keyword": "p_note"}], "disaggregated": false}}],
     "spec": {"version": 2, "widgetType": "filter-single-select", "encodings": {"fields": [
       {"fieldName": "note", "queryName": "choices"}, {"parameterName": "p_note", "queryName": "bind"}]}}},
   "position": {"x": 2, "y": 4, "width": 2, "height": 2}},
  {"widget": {"name": "device_filter", "queries": [
     {"name": "devices", "query": {"datasetName": "s", "fields": [{"name": "device_id", "expression": "` + "`device_id`" + `"}], "disaggregated": false}}],
     "spec": {"version": 2, "widgetType": "filter-multi-select", "encodings": {"fields": [{"fieldName": "device_id", "queryName": "devices"}]}}},
   "position": {"x": 4, "y": 4, "width": 2, "height": 2}}]}]}`

func seedSecret(s *server) {
	s.sql("CREATE TABLE main.default.secret (id INT, device_id STRING, note STRING)")
	s.sql("INSERT INTO main.default.secret VALUES (1, 'd1', 'classified'), (2, 'd2', 'top secret')")
}

// TestAttackLakeviewAuthorization: a principal without grants cannot read,
// change, trash, publish, list or run another principal's dashboard (the
// built-in ones included), and through a dashboard it may open — its own,
// with the same file — sees no row it could not SELECT. A token scoped to
// tables reaches no dashboard.
func TestAttackLakeviewAuthorization(t *testing.T) {
	t.Parallel()
	s := startServer(t, "", "--memory")
	seedSecret(s)
	admin := s.importDashboard(devToken, "Secret", secretDashboard)
	if code, results, body := s.queryDashboard(devToken, admin.DashboardID, map[string]any{"page": "p", "widget": "rows"}); code != 200 ||
		len(results) != 1 || len(rowsOf(results[0].StatementResponse)) != 2 {
		t.Fatalf("the owner's own query: HTTP %d %s", code, body)
	}
	noneID, noneSecret := s.newPrincipal("lv-none")
	none := s.workspaceToken(noneID, noneSecret)
	path := dashboardsPath + "/" + admin.DashboardID
	denied := []struct {
		method, path string
		body         any
	}{
		{"GET", path, nil},
		{"PATCH", path, map[string]any{"display_name": "Mine now"}},
		{"DELETE", path, nil},
		{"POST", path + "/published", map[string]any{"embed_credentials": true}},
		{"GET", path + "/published", nil},
		{"DELETE", path + "/published", nil},
		{"POST", "/zbemu/v1/lakeview/dashboards/" + admin.DashboardID + "/query", map[string]any{"page": "p", "widget": "rows"}},
		{"POST", "/zbemu/v1/lakeview/dashboards/" + admin.DashboardID + "/query", map[string]any{"dataset": "s"}},
	}
	for _, d := range denied {
		code, body := s.call(d.method, d.path, none, d.body)
		if code != 403 || strings.Contains(string(body), "classified") {
			t.Errorf("%s %s as a principal without grants: HTTP %d %s, want 403", d.method, d.path, code, body)
			continue
		}
		if c, msg := apiErr(t, body); c != "PERMISSION_DENIED" || !strings.Contains(msg, "holds no permission on dashboard") {
			t.Errorf("%s %s: %s %q", d.method, d.path, c, msg)
		}
	}
	if code, body := s.call("GET", path, devToken, nil); code != 200 || !strings.Contains(string(body), `"display_name":"Secret"`) || !strings.Contains(string(body), `"lifecycle_state":"ACTIVE"`) {
		t.Errorf("the denied calls changed the dashboard: HTTP %d %s", code, body)
	}
	code, body := s.call("GET", dashboardsPath, none, nil)
	if code != 200 || string(body) != "{\"dashboards\":[]}\n" {
		t.Errorf("list as a principal without dashboards: HTTP %d %s", code, body)
	}

	// Its own copy of the file: it may open it, and every widget fails
	// with the privilege it lacks instead of showing rows.
	own := s.importDashboard(none, "My copy", secretDashboard)
	for _, w := range []string{"rows", "n", "note_filter", "device_filter"} {
		code, results, body := s.queryDashboard(none, own.DashboardID, map[string]any{"page": "p", "widget": w})
		if code != 200 || len(results) != 1 || results[0].Status.State != "FAILED" || strings.Contains(string(body), "classified") ||
			statementCode(results[0].Status.Error.ErrorCode, results[0].Status.Error.Message) != "PERMISSION_DENIED" || !strings.Contains(results[0].Status.Error.Message, "lacks USE CATALOG on CATALOG main") {
			t.Errorf("widget %s run by a principal without grants: HTTP %d %s", w, code, body)
		}
	}
	// Granted the schema but not the table: still denied, naming SELECT.
	s.sql(fmt.Sprintf("GRANT USE CATALOG ON CATALOG main TO `%s`", noneID))
	s.sql(fmt.Sprintf("GRANT USE SCHEMA ON SCHEMA main.default TO `%s`", noneID))
	if _, results, body := s.queryDashboard(none, own.DashboardID, map[string]any{"page": "p", "widget": "rows"}); len(results) != 1 ||
		results[0].Status.State != "FAILED" || !strings.Contains(results[0].Status.Error.Message, "lacks SELECT on TABLE main.default.secret") {
		t.Errorf("with USE SCHEMA only: %s", body)
	}
	s.sql(fmt.Sprintf("GRANT SELECT ON TABLE main.default.secret TO `%s`", noneID))
	if _, results, body := s.queryDashboard(none, own.DashboardID, map[string]any{"page": "p", "widget": "rows"}); len(results) != 1 ||
		len(rowsOf(results[0].StatementResponse)) != 2 {
		t.Errorf("with SELECT granted: %s", body)
	}

	// The built-in dashboards are the dev admin's.
	if code, body := s.call("GET", dashboardsPath+"?show_trashed=true", none, nil); code != 200 || strings.Count(string(body), "dashboard_id") != 1 {
		t.Errorf("a principal sees dashboards not its own: %s", body)
	}
	code, body = s.call("GET", dashboardsPath, devToken, nil)
	var list struct {
		Dashboards []lvDashboard `json:"dashboards"`
	}
	json.Unmarshal(body, &list)
	for _, d := range list.Dashboards {
		if d.DashboardID == own.DashboardID {
			continue
		}
		if code, _ := s.call("GET", dashboardsPath+"/"+d.DashboardID, none, nil); code != 403 {
			t.Errorf("%s opened by a principal that does not own it: HTTP %d", d.DisplayName, code)
		}
	}

	// A token scoped to a table (the SDK's ingest token) reaches no dashboard.
	s.sql(fmt.Sprintf("GRANT MODIFY ON TABLE main.default.secret TO `%s`", noneID))
	scoped := s.scopedToken(noneID, noneSecret, "main.default.secret")
	for _, c := range []struct{ method, path string }{{"GET", dashboardsPath}, {"POST", dashboardsPath}, {"GET", dashboardsPath + "/" + own.DashboardID}} {
		code, body := s.call(c.method, c.path, scoped, map[string]any{"display_name": "scoped"})
		if code != 403 || !strings.Contains(string(body), "scoped to tables") {
			t.Errorf("%s %s with a scoped token: HTTP %d %s", c.method, c.path, code, body)
		}
	}
	if code, body := s.call("GET", dashboardsPath, "", nil); code != 401 {
		t.Errorf("list without a token: HTTP %d %s", code, body)
	}
}

// TestAttackLakeviewSharing: a dashboard shared through the Permissions
// API opens to the level granted and no further, and its widgets still run
// as the viewer: sharing a dashboard never shares the owner's data.
func TestAttackLakeviewSharing(t *testing.T) {
	t.Parallel()
	s := startServer(t, "", "--memory")
	seedSecret(s)
	d := s.importDashboard(devToken, "Shared", secretDashboard)
	viewerID, viewerSecret := s.newPrincipal("lv-viewer")
	viewer := s.workspaceToken(viewerID, viewerSecret)
	perms := "/api/2.0/permissions/dashboards/" + d.DashboardID
	path := dashboardsPath + "/" + d.DashboardID
	query := "/zbemu/v1/lakeview/dashboards/" + d.DashboardID + "/query"
	share := func(method string, acl ...map[string]any) {
		t.Helper()
		if code, body := s.call(method, perms, devToken, map[string]any{"access_control_list": acl}); code != 200 {
			t.Fatalf("%s permissions: HTTP %d %s", method, code, body)
		}
	}
	try := func(level string, allowed map[string]bool) {
		t.Helper()
		for _, c := range []struct {
			name, method, path string
			body               any
		}{
			{"read", "GET", path, nil},
			{"list", "GET", dashboardsPath, nil},
			{"run", "POST", query, map[string]any{"page": "p", "widget": "rows"}},
			{"edit", "PATCH", path, map[string]any{"display_name": "Taken over"}},
			{"share", "PATCH", perms, map[string]any{"access_control_list": []map[string]any{{"service_principal_name": viewerID, "permission_level": "CAN_MANAGE"}}}},
			{"publish", "POST", path + "/published", map[string]any{"embed_credentials": true}},
		} {
			code, body := s.call(c.method, c.path, viewer, c.body)
			if strings.Contains(string(body), "classified") {
				t.Errorf("%s: %s %s shows the owner's data: %s", level, c.method, c.path, body)
			}
			if c.name == "list" {
				if listed := strings.Contains(string(body), d.DashboardID); listed != allowed["read"] {
					t.Errorf("%s: listed %v, want %v: %s", level, listed, allowed["read"], body)
				}
				continue
			}
			if got := code == 200; got != allowed[c.name] {
				t.Errorf("%s: %s %s: HTTP %d %s, allowed %v", level, c.method, c.path, code, body, allowed[c.name])
			} else if code != 200 && code != 403 {
				t.Errorf("%s: %s %s: HTTP %d %s, want 403", level, c.method, c.path, code, body)
			}
		}
	}
	try("none", map[string]bool{})
	share("PATCH", map[string]any{"service_principal_name": viewerID, "permission_level": "CAN_READ"})
	try("CAN_READ", map[string]bool{"read": true})
	share("PATCH", map[string]any{"group_name": "users", "permission_level": "CAN_RUN"})
	try("CAN_RUN for all users", map[string]bool{"read": true, "run": true})
	// Running is allowed, but every widget runs as the viewer, who has no grants.
	for _, w := range []string{"rows", "n", "note_filter", "device_filter"} {
		_, results, body := s.queryDashboard(viewer, d.DashboardID, map[string]any{"page": "p", "widget": w})
		if len(results) != 1 || results[0].Status.State != "FAILED" || statementCode(results[0].Status.Error.ErrorCode, results[0].Status.Error.Message) != "PERMISSION_DENIED" {
			t.Errorf("widget %s run by a viewer without grants on a shared dashboard: %s", w, body)
		}
	}
	// Unless the viewer may SELECT the table itself.
	s.sql(fmt.Sprintf("GRANT USE CATALOG ON CATALOG main TO `%s`", viewerID))
	s.sql(fmt.Sprintf("GRANT USE SCHEMA ON SCHEMA main.default TO `%s`", viewerID))
	s.sql(fmt.Sprintf("GRANT SELECT ON TABLE main.default.secret TO `%s`", viewerID))
	if _, results, body := s.queryDashboard(viewer, d.DashboardID, map[string]any{"page": "p", "widget": "n"}); len(results) != 1 || rowsOf(results[0].StatementResponse)[0][0] != "2" {
		t.Errorf("a viewer with SELECT: %s", body)
	}
	s.sql(fmt.Sprintf("REVOKE SELECT ON TABLE main.default.secret FROM `%s`", viewerID))
	share("PATCH", map[string]any{"service_principal_name": viewerID, "permission_level": "CAN_EDIT"})
	try("CAN_EDIT", map[string]bool{"read": true, "run": true, "edit": true})
	share("PUT")
	try("none again (PUT with an empty list)", map[string]bool{})

	code, body := s.call("GET", perms, devToken, nil)
	if code != 200 || !strings.Contains(string(body), `"service_principal_name":"`+devID+`"`) || !strings.Contains(string(body), `"object_type":"dashboard"`) {
		t.Errorf("GET permissions: HTTP %d %s", code, body)
	}
	for _, bad := range []map[string]any{
		{"service_principal_name": viewerID, "permission_level": "CAN_OWN"},
		{"group_name": "admins", "permission_level": "CAN_READ"},
		{"permission_level": "CAN_READ"},
	} {
		if code, body := s.call("PATCH", perms, devToken, map[string]any{"access_control_list": []any{bad}}); code != 400 {
			t.Errorf("PATCH permissions %v: HTTP %d %s, want 400", bad, code, body)
		}
	}
}

// TestAttackLakeviewBounds: an oversized serialized_dashboard is refused
// before it is stored (413 naming the limit), whether the body itself is
// over the API's bound or only the file is.
func TestAttackLakeviewBounds(t *testing.T) {
	t.Parallel()
	s := startServer(t, "", "--memory")
	for _, size := range []int{10 << 20, 5 << 20} {
		file := `{"pages": [], "uiSettings": {"pad": "` + strings.Repeat("a", size) + `"}}`
		code, body := s.call("POST", dashboardsPath, devToken, map[string]any{"display_name": fmt.Sprintf("big %d", size), "serialized_dashboard": file})
		if code != 413 {
			t.Errorf("%d bytes: HTTP %d %.300s, want 413", size, code, body)
			continue
		}
		if c, msg := apiErr(t, body); c != "RESOURCE_EXHAUSTED" || !strings.Contains(msg, "at most") || !strings.Contains(msg, "bytes") {
			t.Errorf("%d bytes: %s %q", size, c, msg)
		}
	}
	if _, body := s.call("GET", dashboardsPath+"?show_trashed=true", devToken, nil); strings.Count(string(body), "dashboard_id") != 2 {
		t.Errorf("an oversized dashboard was stored: %.500s", body)
	}
	for _, q := range []string{"page_size=1001", "page_size=-1", "page_size=x", "page_token=nope", "show_trashed=maybe"} {
		if code, body := s.call("GET", dashboardsPath+"?"+q, devToken, nil); code != 400 {
			t.Errorf("list ?%s: HTTP %d %s, want 400", q, code, body)
		}
	}
}

// TestAttackLakeviewMalformed: a malformed file is refused on create and
// update with the JSON path of the problem, and nothing is stored.
func TestAttackLakeviewMalformed(t *testing.T) {
	t.Parallel()
	s := startServer(t, "", "--memory")
	tests := []struct{ name, file, want string }{
		{"truncated", `{"datasets": [`, "serialized_dashboard is not valid JSON"},
		{"undefined dataset", strings.Replace(secretDashboard, `"datasetName": "s", "disaggregated": false,
     "fields": [{"name": "count(*)"`, `"datasetName": "x", "disaggregated": false,
     "fields": [{"name": "count(*)"`, 1), `pages[0].layout[1].widget.queries[0].query.datasetName: dataset "x" is not defined`},
		{"off the grid", strings.Replace(secretDashboard, `"x": 4, "y": 4, "width": 2`, `"x": 4, "y": 4, "width": 3`, 1),
			"pages[0].layout[3].position.width: must be 1 … 2 at x=4"},
		{"field without expression", strings.Replace(secretDashboard, `{"name": "count(*)", "expression": "COUNT(*)"}`, `{"name": "count(*)"}`, 1),
			"pages[0].layout[1].widget.queries[0].query.fields[0].expression: is required (a string)"},
		{"two files", `{"pages": []} {"pages": []}`, "serialized_dashboard has more than one JSON value"},
		{"not a string", "", "malformed JSON request body"},
	}
	ok := s.importDashboard(devToken, "Good", secretDashboard)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var file any = tt.file
			if tt.file == "" {
				file = map[string]any{"pages": []any{}}
			}
			for _, c := range []struct{ method, path string }{{"POST", dashboardsPath}, {"PATCH", dashboardsPath + "/" + ok.DashboardID}} {
				code, body := s.call(c.method, c.path, devToken, map[string]any{"display_name": "Bad " + tt.name, "serialized_dashboard": file})
				if code != 400 {
					t.Errorf("%s: HTTP %d %s, want 400", c.method, code, body)
					continue
				}
				if code, msg := apiErr(t, body); code != "INVALID_PARAMETER_VALUE" || !strings.Contains(msg, tt.want) {
					t.Errorf("%s: %s %q, want %q", c.method, code, msg, tt.want)
				}
			}
		})
	}
	code, body := s.call("GET", dashboardsPath+"/"+ok.DashboardID, devToken, nil)
	var d lvDashboard
	if code != 200 || json.Unmarshal(body, &d) != nil || d.SerializedDashboard != secretDashboard || d.DisplayName != "Good" || d.Etag != ok.Etag {
		t.Errorf("a refused update changed the dashboard: %s", body)
	}
}

// TestAttackLakeviewInjection: filter and parameter values that would be
// SQL if spliced (quotes, comments, a second statement, markers) are bound
// as values: they match no row, leave the tables alone and never appear in
// the statement; requests cannot name SQL of their own.
func TestAttackLakeviewInjection(t *testing.T) {
	t.Parallel()
	s := startServer(t, "", "--memory")
	seedSecret(s)
	d := s.importDashboard(devToken, "Injection", secretDashboard)
	payloads := []string{
		"' OR 1=1 --",
		"x'; DROP TABLE main.default.secret; --",
		"All' OR note <> '",
		"classified' UNION SELECT 1, 'x', 'y' --",
		":p_note", "$1", "?", `\' OR 1=1 --`, "All\x00",
	}
	for _, p := range payloads {
		for _, sel := range []map[string]any{
			{"filters": []map[string]any{{"widget": "note_filter", "value": p}}},
			{"filters": []map[string]any{{"widget": "device_filter", "values": []string{p, "nope"}}}},
			{"parameters": []map[string]any{{"keyword": "p_note", "value": p}}},
			{"parameters": []map[string]any{{"keyword": "p_note", "dataset": "s", "value": p}}},
		} {
			sel["page"], sel["widget"] = "p", "n"
			code, results, body := s.queryDashboard(devToken, d.DashboardID, sel)
			if code != 200 || len(results) != 1 || results[0].Status.State != "SUCCEEDED" {
				t.Errorf("%q via %v: HTTP %d %s", p, sel, code, body)
				continue
			}
			if rows := rowsOf(results[0].StatementResponse); len(rows) != 1 || rows[0][0] != "0" {
				t.Errorf("%q via %v matched rows: %v\n%s", p, sel, rows, results[0].Statement)
			}
			if strings.Contains(results[0].Statement, p) && p != ":p_note" {
				t.Errorf("%q is spliced into the statement: %s", p, results[0].Statement)
			}
		}
	}
	if n := s.count("main.default.secret"); n != 2 {
		t.Errorf("main.default.secret has %d rows after the attempts, want 2", n)
	}
	// A request names parameters and filters by keyword and widget only;
	// a keyword that is SQL names nothing.
	for _, bad := range []map[string]any{
		{"page": "p", "widget": "n", "parameters": []map[string]any{{"keyword": "p_note = p_note OR 1=1 --", "value": "x"}}},
		{"page": "p", "widget": "n", "filters": []map[string]any{{"widget": "rows) OR (1=1", "value": "x"}}},
		{"dataset": "s; DROP TABLE main.default.secret"},
	} {
		if code, _, body := s.queryDashboard(devToken, d.DashboardID, bad); code != 400 && code != 404 {
			t.Errorf("%v: HTTP %d %s", bad, code, body)
		}
	}
	if n := s.count("main.default.secret"); n != 2 {
		t.Errorf("main.default.secret has %d rows, want 2", n)
	}
}
