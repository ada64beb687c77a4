package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/zbemu/zbemu/web"
)

const dashboardsPath = "/api/2.0/lakeview/dashboards"

// lvDashboard is the Lakeview API's Dashboard object.
type lvDashboard struct {
	DashboardID         string `json:"dashboard_id"`
	DisplayName         string `json:"display_name"`
	Path                string `json:"path"`
	ParentPath          string `json:"parent_path"`
	CreateTime          string `json:"create_time"`
	UpdateTime          string `json:"update_time"`
	Etag                string `json:"etag"`
	LifecycleState      string `json:"lifecycle_state"`
	SerializedDashboard string `json:"serialized_dashboard"`
	WarehouseID         string `json:"warehouse_id"`
}

// lvResult is one result of the query endpoint.
type lvResult struct {
	QueryName  string `json:"query_name"`
	Dataset    string `json:"dataset"`
	Statement  string `json:"statement"`
	Parameters []struct {
		Name  string  `json:"name"`
		Value *string `json:"value"`
		Type  string  `json:"type"`
	} `json:"parameters"`
	web.StatementResponse
}

// importDashboard creates a dashboard with token and fails unless it works.
func (s *server) importDashboard(token, name, serialized string) lvDashboard {
	s.t.Helper()
	code, body := s.call("POST", dashboardsPath, token, map[string]any{"display_name": name, "serialized_dashboard": serialized, "warehouse_id": "w1"})
	if code != 200 {
		s.t.Fatalf("create dashboard %s: HTTP %d %s", name, code, body)
	}
	var d lvDashboard
	if err := json.Unmarshal(body, &d); err != nil {
		s.t.Fatal(err)
	}
	return d
}

// queryDashboard calls the query endpoint and returns the HTTP status and
// the results.
func (s *server) queryDashboard(token, id string, req map[string]any) (int, []lvResult, []byte) {
	s.t.Helper()
	code, body := s.call("POST", "/zbemu/v1/lakeview/dashboards/"+id+"/query", token, req)
	var out struct {
		Results []lvResult `json:"results"`
	}
	if code == 200 {
		if err := json.Unmarshal(body, &out); err != nil {
			s.t.Fatalf("query endpoint: %v: %s", err, body)
		}
	}
	return code, out.Results, body
}

// canonical renders a result's rows as sorted lines, so results compare
// as sets.
func canonical(r web.StatementResponse) []string {
	var out []string
	for _, row := range rowsOf(r) {
		out = append(out, strings.Join(row, "|"))
	}
	slices.Sort(out)
	return out
}

var dashboardIDRE = regexp.MustCompile(`^[0-9a-f]{32}$`)

// TestLakeviewImportEveryWidget imports a two-page dashboard with a
// widget of every type (text, counter, bar, line, area, pie, scatter,
// table and the three filters, one of them bound to a parameter) through
// the API, runs each widget's queries through the query endpoint with and
// without filter selections, and compares the rows with hand-written SQL.
func TestLakeviewImportEveryWidget(t *testing.T) {
	t.Parallel()
	s := startServer(t, "", "--memory")
	s.sql("CREATE TABLE main.default.lv_readings " + iotDDL)
	s.sql(`INSERT INTO main.default.lv_readings VALUES
		('d1', TIMESTAMP '2026-01-01 10:00:10', 20.0, 40.0, 'OK', 1),
		('d1', TIMESTAMP '2026-01-01 10:00:40', 22.0, 42.0, 'OK', 2),
		('d2', TIMESTAMP '2026-01-01 10:01:05', 30.0, 50.0, 'FAULT', 3),
		('d2', TIMESTAMP '2026-01-01 11:15:00', 31.5, NULL, 'FAULT', 4),
		('d3', TIMESTAMP '2026-01-01 11:20:00', 18.0, 38.0, 'OK', 5),
		('d3', TIMESTAMP '2026-01-02 09:00:00', NULL, 35.0, NULL, 6)`)
	file, err := os.ReadFile(filepath.Join("testdata", "lakeview", "every-widget.lvdash.json"))
	if err != nil {
		t.Fatal(err)
	}
	d := s.importDashboard(devToken, "Every widget", string(file))
	if !dashboardIDRE.MatchString(d.DashboardID) || d.LifecycleState != "ACTIVE" || d.Etag == "" || d.WarehouseID != "w1" ||
		d.Path != "/Users/"+devID+"/Every widget.lvdash.json" || d.CreateTime == "" || d.UpdateTime == "" {
		t.Errorf("created dashboard %+v", d)
	}
	if d.SerializedDashboard != string(file) {
		t.Errorf("serialized_dashboard does not round-trip as imported")
	}

	const readings = "SELECT device_id, ts, temperature, humidity, status, seq FROM main.default.lv_readings"
	tests := []struct {
		name, page, widget string
		filters            []map[string]any
		direct             string // the same rows in plain SQL
	}{
		{"counter", "overview", "count", nil, "SELECT count(*) FROM main.default.lv_readings"},
		{"counter with the status filter", "overview", "count", []map[string]any{{"widget": "status_filter", "value": "FAULT"}},
			"SELECT count(*) FROM main.default.lv_readings WHERE status = 'FAULT'"},
		{"filter choices", "overview", "status_filter", nil, "SELECT 'All' UNION SELECT DISTINCT status FROM main.default.lv_readings"},
		{"bar", "overview", "avg_temp", nil, "SELECT device_id, avg(temperature) FROM main.default.lv_readings GROUP BY 1"},
		{"bar with the status filter", "overview", "avg_temp", []map[string]any{{"widget": "status_filter", "value": "OK"}},
			"SELECT device_id, avg(temperature) FROM main.default.lv_readings WHERE status = 'OK' GROUP BY 1"},
		{"line", "overview", "humidity_line", nil, "SELECT date_trunc('minute', ts), sum(humidity) FROM main.default.lv_readings GROUP BY 1"},
		{"area with the default window", "overview", "per_hour", nil,
			"SELECT date_trunc('hour', ts), count(*), device_id FROM main.default.lv_readings WHERE ts BETWEEN TIMESTAMP '2026-01-01 00:00:00' AND TIMESTAMP '2026-01-01 10:30:00' GROUP BY 1, 3"},
		{"area with a window selected", "overview", "per_hour", []map[string]any{{"widget": "window_filter", "min": "2026-01-01T11:00:00Z", "max": "2026-01-03T00:00:00Z"}},
			"SELECT date_trunc('hour', ts), count(*), device_id FROM main.default.lv_readings WHERE ts >= TIMESTAMP '2026-01-01 11:00:00' GROUP BY 1, 3"},
		{"multi-select choices", "details", "device_filter", nil, "SELECT device_id, count(*) FROM main.default.lv_readings GROUP BY 1"},
		{"pie", "details", "by_status", nil, "SELECT count(*), status FROM main.default.lv_readings GROUP BY 2"},
		{"pie with two devices selected", "details", "by_status", []map[string]any{{"widget": "device_filter", "values": []string{"d1", "d3"}}},
			"SELECT count(*), status FROM main.default.lv_readings WHERE device_id IN ('d1', 'd3') GROUP BY 2"},
		{"scatter", "details", "temp_vs_humidity", nil, "SELECT temperature, humidity FROM main.default.lv_readings"},
		{"table", "details", "rows", nil, readings},
		{"table with both filters", "details", "rows", []map[string]any{{"widget": "device_filter", "values": []string{"d2"}},
			{"page": "overview", "widget": "status_filter", "value": "FAULT"}}, readings + " WHERE device_id = 'd2' AND status = 'FAULT'"},
		// A global filter (the PAGE_TYPE_GLOBAL_FILTERS page) sets the
		// parameter or field of every dataset it binds, on any page.
		{"global filter choices", "global_filters", "global_device", nil, "SELECT 'All' UNION SELECT DISTINCT device_id FROM main.default.lv_readings"},
		{"counter with the global device parameter", "overview", "count", []map[string]any{{"page": "global_filters", "widget": "global_device", "value": "d2"}},
			"SELECT count(*) FROM main.default.lv_readings WHERE device_id = 'd2'"},
		{"area with the global device parameter", "overview", "per_hour", []map[string]any{{"page": "global_filters", "widget": "global_device", "value": "d1"}},
			"SELECT date_trunc('hour', ts), count(*), device_id FROM main.default.lv_readings WHERE device_id = 'd1' AND ts BETWEEN TIMESTAMP '2026-01-01 00:00:00' AND TIMESTAMP '2026-01-01 10:30:00' GROUP BY 1, 3"},
		{"table with the global status field filter", "details", "rows", []map[string]any{{"page": "global_filters", "widget": "global_status", "values": []string{"FAULT"}}},
			readings + " WHERE status = 'FAULT'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := map[string]any{"page": tt.page, "widget": tt.widget}
			if tt.filters != nil {
				req["filters"] = tt.filters
			}
			code, results, body := s.queryDashboard(devToken, d.DashboardID, req)
			if code != 200 || len(results) != 1 {
				t.Fatalf("HTTP %d, %d results: %s", code, len(results), body)
			}
			r := results[0]
			if r.Status.State != "SUCCEEDED" {
				t.Fatalf("%s: %+v\n%s", r.Status.State, r.Status.Error, r.Statement)
			}
			want := canonical(s.sqlResult(tt.direct))
			if got := canonical(r.StatementResponse); !slices.Equal(got, want) {
				t.Errorf("rows\n got: %q\nwant: %q\nSQL: %s", got, want, r.Statement)
			}
			// Selections are bound, never spliced into the text.
			for _, f := range tt.filters {
				for _, k := range []string{"value", "values", "min", "max"} {
					if v, ok := f[k]; ok && strings.Contains(r.Statement, strings.Trim(fmt.Sprint(v), "[]")) {
						t.Errorf("the selection %v is spliced into the statement: %s", v, r.Statement)
					}
				}
			}
		})
	}

	// The text box has no query; a filter's parameter binding runs nothing.
	if code, results, body := s.queryDashboard(devToken, d.DashboardID, map[string]any{"page": "overview", "widget": "intro"}); code != 200 || len(results) != 0 {
		t.Errorf("text box: HTTP %d %s", code, body)
	}
	if code, results, body := s.queryDashboard(devToken, d.DashboardID, map[string]any{"page": "overview", "widget": "window_filter"}); code != 200 || len(results) != 0 {
		t.Errorf("parameter-only filter: HTTP %d %s", code, body)
	}
	// A dataset's own query, with a parameter set directly.
	_, results, body := s.queryDashboard(devToken, d.DashboardID, map[string]any{"dataset": "readings",
		"parameters": []map[string]any{{"keyword": "p_status", "value": "OK"}}})
	if len(results) != 1 || !slices.Equal(canonical(results[0].StatementResponse), canonical(s.sqlResult(readings+" WHERE status = 'OK'"))) {
		t.Errorf("dataset query: %s", body)
	}
	// Selections that name nothing are refused, naming them.
	for _, bad := range []struct {
		req  map[string]any
		code int
		msg  string
	}{
		{map[string]any{"page": "overview", "widget": "nope"}, 404, `no widget "nope" on page "overview"`},
		{map[string]any{"dataset": "nope"}, 404, `has no dataset "nope"`},
		{map[string]any{"page": "overview", "widget": "count", "filters": []map[string]any{{"widget": "count", "value": "x"}}}, 400, `filters[0]: widget "count" is a counter, not a filter`},
		{map[string]any{"page": "overview", "widget": "count", "parameters": []map[string]any{{"keyword": "p_nope", "value": "x"}}}, 400, `parameters[0]: no dataset has a parameter "p_nope"`},
		{map[string]any{"page": "overview", "widget": "count", "filters": []map[string]any{{"widget": "status_filter", "values": []string{"a", "b"}}}}, 200, `parameter "p_status" takes one value, got 2`},
	} {
		code, results, body := s.queryDashboard(devToken, d.DashboardID, bad.req)
		msg := ""
		switch {
		case code != 200:
			_, msg = apiErr(t, body)
		case len(results) == 1 && results[0].Status.State == "FAILED":
			msg = results[0].Status.Error.Message
		}
		if code != bad.code || !strings.Contains(msg, bad.msg) {
			t.Errorf("%v: HTTP %d %s, want %d with %q", bad.req, code, body, bad.code, bad.msg)
		}
	}

	// The published revision keeps answering while the draft changes.
	if code, body := s.call("POST", dashboardsPath+"/"+d.DashboardID+"/published", devToken, nil); code != 200 {
		t.Fatalf("publish: HTTP %d %s", code, body)
	}
	draft := strings.Replace(string(file), `"name": "count"`, `"name": "count_renamed"`, 1)
	if code, body := s.call("PATCH", dashboardsPath+"/"+d.DashboardID, devToken, map[string]any{"serialized_dashboard": draft}); code != 200 {
		t.Fatalf("PATCH: HTTP %d %s", code, body)
	}
	for _, c := range []struct {
		published bool
		widget    string
		code      int
	}{{true, "count", 200}, {true, "count_renamed", 404}, {false, "count", 404}, {false, "count_renamed", 200}} {
		if code, _, body := s.queryDashboard(devToken, d.DashboardID, map[string]any{"page": "overview", "widget": c.widget, "published": c.published}); code != c.code {
			t.Errorf("widget %s, published %v: HTTP %d %s, want %d", c.widget, c.published, code, body, c.code)
		}
	}
}

// TestLakeviewAPI walks the dashboard lifecycle through the Lakeview API:
// create (also without a file), get, list with paging, PATCH with and
// without a stale etag, publish, trash.
func TestLakeviewAPI(t *testing.T) {
	t.Parallel()
	s := startServer(t, "", "--memory")
	// The two built-in dashboards come first.
	code, body := s.call("GET", dashboardsPath, devToken, nil)
	var list struct {
		Dashboards []lvDashboard `json:"dashboards"`
		Next       string        `json:"next_page_token"`
	}
	if code != 200 || json.Unmarshal(body, &list) != nil || len(list.Dashboards) != 2 ||
		list.Dashboards[0].DisplayName != "Zerobus Ingest monitoring" || list.Dashboards[1].DisplayName != "IoT lab" {
		t.Fatalf("list: HTTP %d %s", code, body)
	}
	if l := list.Dashboards[0]; l.SerializedDashboard != "" || l.Etag != "" || l.Path != "" || l.LifecycleState != "ACTIVE" {
		t.Errorf("a list entry carries the fields Databricks leaves out: %+v", l)
	}
	empty := s.importDashboard(devToken, "Empty", "")
	if !strings.Contains(empty.SerializedDashboard, `"pages"`) {
		t.Errorf("a dashboard created without a file: %+v", empty)
	}
	for i := 0; i < 3; i++ {
		s.importDashboard(devToken, fmt.Sprintf("Paged %d", i), "")
	}
	var names []string
	for tok, pages := "", 0; ; pages++ {
		code, body := s.call("GET", dashboardsPath+"?page_size=2&page_token="+tok, devToken, nil)
		list.Next = ""
		if code != 200 || json.Unmarshal(body, &list) != nil || len(list.Dashboards) > 2 || pages > 5 {
			t.Fatalf("page %d: HTTP %d %s", pages, code, body)
		}
		for _, d := range list.Dashboards {
			names = append(names, d.DisplayName)
		}
		if tok = list.Next; tok == "" {
			break
		}
	}
	if want := []string{"Zerobus Ingest monitoring", "IoT lab", "Empty", "Paged 0", "Paged 1", "Paged 2"}; !slices.Equal(names, want) {
		t.Errorf("paged list %q, want %q", names, want)
	}
	if code, body := s.call("POST", dashboardsPath, devToken, map[string]any{"display_name": "Empty"}); code != 409 || !strings.Contains(string(body), "RESOURCE_ALREADY_EXISTS") {
		t.Errorf("second dashboard at the same path: HTTP %d %s", code, body)
	}

	path := dashboardsPath + "/" + empty.DashboardID
	code, body = s.call("PATCH", path, devToken, map[string]any{"display_name": "Renamed", "etag": empty.Etag})
	var renamed lvDashboard
	if code != 200 || json.Unmarshal(body, &renamed) != nil || renamed.DisplayName != "Renamed" || renamed.Etag == empty.Etag ||
		renamed.SerializedDashboard != empty.SerializedDashboard || renamed.Path != "/Users/"+devID+"/Renamed.lvdash.json" {
		t.Fatalf("PATCH: HTTP %d %s", code, body)
	}
	if code, body := s.call("PATCH", path, devToken, map[string]any{"display_name": "Stale", "etag": empty.Etag}); code != 409 || !strings.Contains(string(body), `"ABORTED"`) {
		t.Errorf("PATCH with a stale etag: HTTP %d %s", code, body)
	}
	if code, body := s.call("PATCH", path, devToken, map[string]any{"serialized_dashboard": `{"pages": [{"name": "p", "layout": [{"widget": {"name": "w"}}]}]}`}); code != 400 ||
		!strings.Contains(string(body), "pages[0].layout[0].widget: needs a spec") {
		t.Errorf("PATCH with a bad file: HTTP %d %s", code, body)
	}

	code, body = s.call("POST", path+"/published", devToken, map[string]any{"embed_credentials": false, "warehouse_id": "w2"})
	if code != 200 || !strings.Contains(string(body), `"display_name":"Renamed"`) || !strings.Contains(string(body), `"warehouse_id":"w2"`) {
		t.Errorf("publish: HTTP %d %s", code, body)
	}
	if code, body := s.call("GET", path+"/published", devToken, nil); code != 200 || !strings.Contains(string(body), "revision_create_time") {
		t.Errorf("get published: HTTP %d %s", code, body)
	}
	if code, _ := s.call("DELETE", path+"/published", devToken, nil); code != 200 {
		t.Errorf("unpublish: HTTP %d", code)
	}
	if code, body := s.call("GET", path+"/published", devToken, nil); code != 404 || !strings.Contains(string(body), "RESOURCE_DOES_NOT_EXIST") {
		t.Errorf("get unpublished: HTTP %d %s", code, body)
	}

	if code, body := s.call("DELETE", path, devToken, nil); code != 200 || string(body) != "{}\n" {
		t.Errorf("DELETE: HTTP %d %s", code, body)
	}
	var trashed lvDashboard
	code, body = s.call("GET", path, devToken, nil)
	if code != 200 || json.Unmarshal(body, &trashed) != nil || trashed.LifecycleState != "TRASHED" {
		t.Errorf("GET after DELETE: HTTP %d %s", code, body)
	}
	if code, body := s.call("GET", dashboardsPath, devToken, nil); strings.Contains(string(body), empty.DashboardID) || code != 200 {
		t.Errorf("the list shows a trashed dashboard: %s", body)
	}
	if _, body := s.call("GET", dashboardsPath+"?show_trashed=true", devToken, nil); !strings.Contains(string(body), empty.DashboardID) {
		t.Errorf("show_trashed=true leaves out the trashed dashboard: %s", body)
	}
	if code, body := s.call("GET", dashboardsPath+"/0123456789abcdef0123456789abcdef", devToken, nil); code != 404 || !strings.Contains(string(body), "RESOURCE_DOES_NOT_EXIST") {
		t.Errorf("GET of an unknown id: HTTP %d %s", code, body)
	}
}

// TestLakeviewBuiltinDashboards: both built-in dashboards are installed on
// first start, every widget of the Zerobus monitoring dashboard runs over
// the system tables after real traffic, and the IoT lab's widgets over
// tables that do not exist fail one by one with the table's name while
// the others succeed. A restart does not install them twice.
func TestLakeviewBuiltinDashboards(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	s := startServer(t, data)
	s.sql("CREATE SCHEMA main.iot")
	s.sql("CREATE TABLE main.iot.sensor_readings " + iotDDL)
	if code, body := s.call("POST", insertPath("main.iot.sensor_readings"), devToken, iotRecords(0, 6)); code != 200 {
		t.Fatalf("REST insert: HTTP %d %s", code, body)
	}
	// Live readings: the IoT lab shows the last 24 hours by default.
	s.sql("INSERT INTO main.iot.sensor_readings VALUES ('d1', now() - INTERVAL 1 MINUTE, 21.5, 40.0, 'OK', 100), ('d2', now() - INTERVAL 2 MINUTES, 35.0, 60.0, 'FAULT', 101)")
	s.call("POST", insertPath("main.iot.sensor_readings"), devToken, []any{map[string]any{"device_id": "x", "ts": "yesterday"}})
	s.waitSQL("SELECT count(*) FROM system.lakeflow.zerobus_stream WHERE closed_time IS NOT NULL", "2")

	code, body := s.call("GET", dashboardsPath, devToken, nil)
	var list struct {
		Dashboards []lvDashboard `json:"dashboards"`
	}
	if code != 200 || json.Unmarshal(body, &list) != nil || len(list.Dashboards) != 2 {
		t.Fatalf("list: HTTP %d %s", code, body)
	}
	for _, d := range list.Dashboards {
		code, body := s.call("GET", dashboardsPath+"/"+d.DashboardID, devToken, nil)
		var full lvDashboard
		if code != 200 || json.Unmarshal(body, &full) != nil {
			t.Fatalf("get %s: HTTP %d %s", d.DisplayName, code, body)
		}
		var f struct {
			Pages []struct {
				Name   string `json:"name"`
				Layout []struct {
					Widget struct {
						Name string `json:"name"`
					} `json:"widget"`
				} `json:"layout"`
			} `json:"pages"`
		}
		json.Unmarshal([]byte(full.SerializedDashboard), &f)
		ran := 0
		for _, pg := range f.Pages {
			for _, it := range pg.Layout {
				_, results, body := s.queryDashboard(devToken, d.DashboardID, map[string]any{"page": pg.Name, "widget": it.Widget.Name})
				for _, r := range results {
					ran++
					failed := r.Status.State != "SUCCEEDED"
					missing := regexp.MustCompile(`silver_readings|gold_anomalies|gold_machine_health`).FindString(r.Statement)
					switch {
					case missing != "" && (!failed || r.Status.Error.ErrorCode == "" || !strings.Contains(r.Status.Error.Message, missing)):
						t.Errorf("%s/%s over a missing table: %s", pg.Name, it.Widget.Name, body)
					case missing == "" && failed:
						t.Errorf("%s/%s failed: %+v\n%s", pg.Name, it.Widget.Name, r.Status.Error, r.Statement)
					case missing == "" && len(rowsOf(r.StatementResponse)) == 0:
						t.Errorf("%s/%s: no rows, though there was traffic\n%s", pg.Name, it.Widget.Name, r.Statement)
					}
				}
			}
		}
		if ran < 10 {
			t.Errorf("%s: only %d widget queries ran", d.DisplayName, ran)
		}
	}
	s.stop()
	s = startServer(t, data)
	if _, body := s.call("GET", dashboardsPath+"?show_trashed=true", devToken, nil); strings.Count(string(body), "dashboard_id") != 2 {
		t.Errorf("after a restart: %s", body)
	}
}

// sdkExperimental is where the official Databricks SDK for JavaScript is
// installed for testdata/sdk/lakeview.js: testdata/sdk/node_modules once
// package.json lists it, or the node_modules directory named by
// ZBEMU_JSSDK_NODE_MODULES.
func sdkExperimental(t *testing.T) (env []string) {
	t.Helper()
	ensureSDK(t) // an install another test started must be over first
	if _, err := os.Stat(filepath.Join("testdata", "sdk", "node_modules", "@databricks", "sdk-experimental", "package.json")); err == nil {
		return nil
	}
	if dir := os.Getenv("ZBEMU_JSSDK_NODE_MODULES"); dir != "" {
		return []string{"NODE_PATH=" + dir}
	}
	t.Skip("@databricks/sdk-experimental is not installed in testdata/sdk (add it to package.json) and ZBEMU_JSSDK_NODE_MODULES is not set")
	return nil
}

// TestLakeviewOfficialSDK manages a dashboard with the official Databricks
// SDK for JavaScript: every call must parse zbemu's answers into the SDK's
// model, and the errors must be the SDK's typed errors.
func TestLakeviewOfficialSDK(t *testing.T) {
	t.Parallel()
	env := sdkExperimental(t)
	s := startServer(t, "", "--memory")
	file, err := os.ReadFile(filepath.Join("testdata", "lakeview", "every-widget.lvdash.json"))
	if err != nil {
		t.Fatal(err)
	}
	in, _ := json.Marshal(map[string]string{"host": s.url, "token": devToken, "serialized": string(file)})
	cmd := exec.Command("node", "testdata/sdk/lakeview.js")
	cmd.Stdin = strings.NewReader(string(in))
	cmd.Env = append(append(os.Environ(), "DATABRICKS_CONFIG_FILE="+filepath.Join(t.TempDir(), "none")), env...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v %s", err, out)
	}
	var r struct {
		Error                   string
		Created, Got            lvDashboard
		Trashed                 lvDashboard
		Listed                  []string
		Published, GotPublished struct {
			DisplayName        string `json:"display_name"`
			RevisionCreateTime string `json:"revision_create_time"`
		}
		Update, Missing struct {
			ErrorCode  string `json:"errorCode"`
			StatusCode int    `json:"statusCode"`
			Message    string `json:"message"`
		}
	}
	if err := json.Unmarshal(out, &r); err != nil || r.Error != "" {
		t.Fatalf("SDK: %v %s", err, out)
	}
	c := r.Created
	if !dashboardIDRE.MatchString(c.DashboardID) || c.DisplayName != "From the SDK" || c.Path != "/Users/sdk/From the SDK.lvdash.json" ||
		c.SerializedDashboard != string(file) || c.WarehouseID != "w-sdk" || c.LifecycleState != "ACTIVE" {
		t.Errorf("created: %+v", c)
	}
	if r.Got.DashboardID != c.DashboardID || r.Got.Etag != c.Etag || r.Got.SerializedDashboard != string(file) {
		t.Errorf("got: %+v", r.Got)
	}
	if want := []string{"Zerobus Ingest monitoring", "IoT lab", "From the SDK"}; !slices.Equal(r.Listed, want) {
		t.Errorf("listed one per page: %q, want %q", r.Listed, want)
	}
	if r.Update.StatusCode != 400 || r.Update.ErrorCode != "INVALID_PARAMETER_VALUE" || !strings.Contains(r.Update.Message, "PATCH without a body") {
		t.Errorf("update (the SDK sends PATCH without its body): %+v", r.Update)
	}
	if r.Published.DisplayName != "From the SDK" || r.GotPublished.RevisionCreateTime == "" {
		t.Errorf("published: %+v %+v", r.Published, r.GotPublished)
	}
	if r.Trashed.LifecycleState != "TRASHED" {
		t.Errorf("trashed: %+v", r.Trashed)
	}
	if r.Missing.StatusCode != 404 || r.Missing.ErrorCode != "RESOURCE_DOES_NOT_EXIST" {
		t.Errorf("get of a missing dashboard: %+v", r.Missing)
	}
}
