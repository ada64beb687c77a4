package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Browser tests of the workspace pages that render other components'
// state: Lakeview dashboards, pipelines and alerts.

// TestUIDashboards imports the every-widget dashboard through the page's
// file control, checks each page's charts and numbers against SQL,
// selects a filter, shows a failing widget's error and SQL, and shows the
// JSON path of a malformed file.
func TestUIDashboards(t *testing.T) {
	t.Parallel()
	ctx := newBrowser(t)
	s := startServer(t, "", "--memory")
	s.sql("CREATE TABLE main.default.lv_readings " + iotDDL)
	s.sql(`INSERT INTO main.default.lv_readings VALUES
		('d1', TIMESTAMP '2026-01-01 10:00:10', 20.0, 40.0, 'OK', 1),
		('d1', TIMESTAMP '2026-01-01 10:00:40', 22.0, 42.0, 'OK', 2),
		('d2', TIMESTAMP '2026-01-01 10:01:05', 30.0, 50.0, 'FAULT', 3),
		('d2', TIMESTAMP '2026-01-01 10:15:00', 31.5, NULL, 'FAULT', 4),
		('d3', TIMESTAMP '2026-01-01 10:20:00', 18.0, 38.0, 'OK', 5),
		('d3', TIMESTAMP '2026-01-01 10:25:00', 19.0, 35.0, 'OK', 6)`)
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.lvdash.json")
	if err := os.WriteFile(bad, []byte(`{"pages":[{"name":"p","layout":[{"widget":{"name":"w","spec":{"version":9,"widgetType":"counter"}},
		"position":{"x":0,"y":0,"width":1,"height":1}}]}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	good, err := filepath.Abs(filepath.Join("testdata", "lakeview", "every-widget.lvdash.json"))
	if err != nil {
		t.Fatal(err)
	}

	open(t, ctx, s, "/sql/dashboardsv3")
	waitJS(t, ctx, `!!document.querySelector("#dashboard-list table, #dashboard-list p")`)
	run(t, ctx, "upload a malformed file", chromedp.SetUploadFiles(chromedp.CSS("#import-file"), []string{bad}))
	waitJS(t, ctx, `!!document.querySelector("#import-status .error-box")`)
	if got := text(t, ctx, "#import-status"); !strings.Contains(got, "pages[0].layout[0].widget.spec.version") {
		t.Errorf("the import error %q does not name the JSON path", got)
	}
	run(t, ctx, "upload every-widget", chromedp.SetUploadFiles(chromedp.CSS("#import-file"), []string{good}))
	waitJS(t, ctx, `location.pathname.startsWith("/sql/dashboardsv3/") && !!document.querySelector(".lv-grid")`)

	// Overview: text, two filters, a counter and three charts.
	const charts = `document.querySelectorAll(".lv-grid .lv-widget:not(.loading) .lv-body svg").length`
	waitJS(t, ctx, charts+` === 3 && !!document.querySelector('[data-widget="count"] .counter')`)
	if got, want := text(t, ctx, `[data-widget="count"] .counter`), *s.sql("SELECT count(*) FROM main.default.lv_readings")[0][0]; got != want {
		t.Errorf("counter %q, want %s", got, want)
	}
	if got := text(t, ctx, `[data-widget="intro"] h2`); got != "Every widget" {
		t.Errorf("text box heading %q", got)
	}
	series := eval[string](t, ctx, `document.querySelector('[data-widget="per_hour"] .lv-body').dataset.series`)
	if want := *s.sql("SELECT count(DISTINCT device_id) FROM main.default.lv_readings WHERE ts BETWEEN TIMESTAMP '2026-01-01 00:00:00' AND TIMESTAMP '2026-01-01 10:30:00'")[0][0]; series != want {
		t.Errorf("the area chart draws %s series, want one per device (%s)", series, want)
	}
	choices := eval[string](t, ctx, `[...document.querySelectorAll('[data-widget="status_filter"] option')].map(o => o.value).sort().join(",")`)
	if choices != "All,FAULT,OK" {
		t.Errorf("status filter choices %q", choices)
	}
	screenshot(t, ctx, "dashboard")
	// Selecting a status re-queries the page with the parameter bound.
	eval[bool](t, ctx, `(() => { const s = document.querySelector('[data-widget="status_filter"] select'); s.value = "FAULT"; s.dispatchEvent(new Event("change")); return true })()`)
	want := *s.sql("SELECT count(*) FROM main.default.lv_readings WHERE status = 'FAULT'")[0][0]
	waitJS(t, ctx, fmt.Sprintf(`document.querySelector('[data-widget="count"] .counter') && document.querySelector('[data-widget="count"] .counter').textContent === %q`, want))

	// Auto refresh: a new reading shows without a click.
	s.sql("INSERT INTO main.default.lv_readings VALUES ('d2', TIMESTAMP '2026-01-01 10:29:00', 33.0, 51.0, 'FAULT', 7)")
	eval[bool](t, ctx, `(() => { const s = document.querySelector("#refresh-every"); s.value = "10"; s.dispatchEvent(new Event("change")); return true })()`)
	want = *s.sql("SELECT count(*) FROM main.default.lv_readings WHERE status = 'FAULT'")[0][0]
	waitJS(t, ctx, fmt.Sprintf(`document.querySelector('[data-widget="count"] .counter') && document.querySelector('[data-widget="count"] .counter').textContent === %q`, want))

	// Details: a multi-select, a pie, a scatter and a table.
	click(t, ctx, `#dashboard-pages button[data-page="details"]`)
	waitJS(t, ctx, charts+` === 2 && !!document.querySelector('[data-widget="rows"] .grid')`)
	if got, want := eval[string](t, ctx, `document.querySelector('[data-widget="rows"] .lv-body').dataset.rows`), *s.sql("SELECT count(*) FROM main.default.lv_readings")[0][0]; got != want {
		t.Errorf("table widget shows %s rows, want %s", got, want)
	}
	eval[bool](t, ctx, `(() => { const s = document.querySelector('[data-widget="device_filter"] select'); for (const o of s.options) o.selected = o.value === "d1";
		s.dispatchEvent(new Event("change")); return true })()`)
	want = *s.sql("SELECT count(*) FROM main.default.lv_readings WHERE device_id = 'd1'")[0][0]
	waitJS(t, ctx, fmt.Sprintf(`document.querySelector('[data-widget="rows"] .lv-body').dataset.rows === %q`, want))
	screenshot(t, ctx, "dashboard-details")

	// Global filters (the file's PAGE_TYPE_GLOBAL_FILTERS page) show above
	// every page and re-query the widgets of any page whose datasets they
	// bind: a device parameter on two datasets, a status field on two.
	eval[bool](t, ctx, `(() => { const s = document.querySelector('[data-widget="device_filter"] select'); for (const o of s.options) o.selected = false;
		s.dispatchEvent(new Event("change")); return true })()`)
	waitJS(t, ctx, `!!document.querySelector('#global-filters [data-widget="global_device"] select') && !!document.querySelector('#global-filters [data-widget="global_status"] select')`)
	if got := eval[string](t, ctx, `[...document.querySelectorAll('#global-filters [data-widget="global_device"] option')].map(o => o.value).sort().join(",")`); got != "All,d1,d2,d3" {
		t.Errorf("global device filter choices %q", got)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll('#dashboard-pages button').length`); n != 2 {
		t.Errorf("%d page tabs, want 2 (the global filters page is not a tab)", n)
	}
	rowsIs := func(where string) {
		t.Helper()
		want := *s.sql("SELECT count(*) FROM main.default.lv_readings WHERE " + where)[0][0]
		waitJS(t, ctx, fmt.Sprintf(`document.querySelector('[data-widget="rows"] .lv-body').dataset.rows === %q`, want))
	}
	rowsIs("true")
	eval[bool](t, ctx, `(() => { const s = document.querySelector('#global-filters [data-widget="global_device"] select'); s.value = "d2"; s.dispatchEvent(new Event("change")); return true })()`)
	rowsIs("device_id = 'd2'")
	eval[bool](t, ctx, `(() => { const s = document.querySelector('#global-filters [data-widget="global_status"] select'); for (const o of s.options) o.selected = o.value === "FAULT";
		s.dispatchEvent(new Event("change")); return true })()`)
	rowsIs("device_id = 'd2' AND status = 'FAULT'")
	screenshot(t, ctx, "dashboard-global-filters")
	// Back on the overview the global selection still applies (with the
	// page's own status filter, still FAULT), and the area chart draws d2 only.
	click(t, ctx, `#dashboard-pages button[data-page="overview"]`)
	want = *s.sql("SELECT count(*) FROM main.default.lv_readings WHERE status = 'FAULT' AND device_id = 'd2'")[0][0]
	waitJS(t, ctx, fmt.Sprintf(`document.querySelector('[data-widget="count"] .counter') && document.querySelector('[data-widget="count"] .counter').textContent === %q`, want))
	waitJS(t, ctx, `document.querySelector('[data-widget="per_hour"] .lv-body') && document.querySelector('[data-widget="per_hour"] .lv-body').dataset.series === "1"`)
	if got := eval[string](t, ctx, `document.querySelector('#global-filters [data-widget="global_device"] select').value`); got != "d2" {
		t.Errorf("the global device filter shows %q after changing pages, want d2", got)
	}

	// A widget whose query fails shows its error and SQL; the others render.
	broken := strings.Replace(mustRead(t, good), "FROM main.default.lv_readings\\n", "FROM main.default.no_such_table\\n", 1)
	d := s.importDashboard(devToken, "Broken", broken)
	open(t, ctx, s, "/sql/dashboardsv3/"+d.DashboardID)
	waitJS(t, ctx, `!!document.querySelector('[data-widget="count"] .lv-error') && !!document.querySelector('[data-widget="status_filter"] select')`)
	if got := text(t, ctx, `[data-widget="count"] .error-box`); !strings.Contains(got, "no_such_table") {
		t.Errorf("failed widget shows %q", got)
	}
	click(t, ctx, `[data-widget="count"] .lv-show-sql`)
	if got := eval[bool](t, ctx, `!document.querySelector('[data-widget="count"] .lv-sql').hidden`); !got {
		t.Error("Show SQL does not show the statement")
	}
	if got := text(t, ctx, `[data-widget="count"] .lv-sql`); !strings.Contains(got, "no_such_table") {
		t.Errorf("the failed widget's SQL is %q", got)
	}
	screenshot(t, ctx, "dashboard-failed-widget")

	// The list names both, next to the built-in dashboards.
	open(t, ctx, s, "/sql/dashboardsv3")
	waitJS(t, ctx, `!!document.querySelector("#dashboards-table")`)
	_, body := s.call("GET", dashboardsPath, devToken, nil)
	var listed struct {
		Dashboards []lvDashboard `json:"dashboards"`
	}
	json.Unmarshal(body, &listed)
	if n := eval[int](t, ctx, `document.querySelectorAll("#dashboards-table tbody tr").length`); n != len(listed.Dashboards) {
		t.Errorf("the list shows %d dashboards, the API %d", n, len(listed.Dashboards))
	}
	for _, want := range []string{"every-widget", "Broken"} {
		if got := text(t, ctx, "#dashboards-table"); !strings.Contains(got, want) {
			t.Errorf("the list lacks %s: %q", want, got)
		}
	}

	// The built-in monitoring dashboard (over system tables) renders with
	// no failed widget.
	for _, d := range listed.Dashboards {
		if d.DisplayName != "Zerobus Ingest monitoring" {
			continue
		}
		open(t, ctx, s, "/sql/dashboardsv3/"+d.DashboardID)
		waitJS(t, ctx, `document.querySelectorAll(".lv-widget").length > 0 && !document.querySelector(".lv-widget.loading")`)
		if failed := eval[[]string](t, ctx, `[...document.querySelectorAll(".lv-widget.failed")].map(w => w.dataset.widget + ": " + w.textContent)`); len(failed) > 0 {
			t.Errorf("%s: failed widgets %v", d.DisplayName, failed)
		}
		screenshot(t, ctx, "dashboard-monitoring")
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// uiPipelineSQL is a small pipeline: bronze with two expectations over the
// landing table, a reference table, silver joining both, a gold view.
const uiPipelineSQL = `CREATE OR REFRESH STREAMING TABLE bronze (
  CONSTRAINT valid_device EXPECT (device_id IS NOT NULL) ON VIOLATION DROP ROW,
  CONSTRAINT valid_temperature EXPECT (temperature BETWEEN -50 AND 150) ON VIOLATION DROP ROW
) AS SELECT device_id, ts, temperature, seq FROM STREAM(main.iot.sensor_readings);
CREATE OR REFRESH LIVE TABLE limits AS SELECT * FROM VALUES (60.0) AS t(warning);
CREATE OR REFRESH STREAMING TABLE silver AS SELECT b.*, b.temperature >= l.warning AS hot
FROM STREAM(LIVE.bronze) b CROSS JOIN LIVE.limits l;
CREATE OR REFRESH MATERIALIZED VIEW gold AS SELECT device_id, count(*) AS readings FROM LIVE.silver GROUP BY device_id;
`

// uiUpdate is the part of GET /api/2.0/pipelines/{id}/updates/{uid} the
// page shows.
type uiUpdate struct {
	Update struct {
		State string `json:"state"`
		Flows []struct {
			Dataset      string `json:"dataset"`
			RowsWritten  int64  `json:"rows_written"`
			Expectations []struct {
				Name          string `json:"name"`
				PassedRecords int64  `json:"passed_records"`
				FailedRecords int64  `json:"failed_records"`
			} `json:"expectations"`
		} `json:"zbemu_flows"`
	} `json:"update"`
}

// TestUIPipelines creates and runs a pipeline through the API, then checks
// its page: the dataset graph, rows and expectation bars equal to the
// update's, the event log, and a full refresh started from the page.
func TestUIPipelines(t *testing.T) {
	t.Parallel()
	ctx := newBrowser(t)
	s := startServer(t, "", "--memory")
	s.sql("CREATE SCHEMA main.iot")
	s.sql(landingDDL)
	s.insertJSON("main.iot.sensor_readings", labReadings(0, 100))
	file := filepath.Join(t.TempDir(), "ui.sql")
	if err := os.WriteFile(file, []byte(uiPipelineSQL), 0o644); err != nil {
		t.Fatal(err)
	}
	code, body := s.call("POST", "/api/2.0/pipelines", devToken, map[string]any{"name": "ui lab", "catalog": "main", "schema": "iot",
		"libraries": []any{map[string]any{"file": map[string]any{"path": file}}}})
	if code != 200 {
		t.Fatalf("create: %d %s", code, body)
	}
	var created struct {
		PipelineID string `json:"pipeline_id"`
	}
	json.Unmarshal(body, &created)
	id := created.PipelineID
	code, body = s.call("POST", "/api/2.0/pipelines/"+id+"/updates", devToken, map[string]any{})
	var started struct {
		UpdateID string `json:"update_id"`
	}
	if json.Unmarshal(body, &started); code != 200 || started.UpdateID == "" {
		t.Fatalf("start: %d %s", code, body)
	}
	var upd uiUpdate
	for deadline := time.Now().Add(3 * time.Minute); ; time.Sleep(200 * time.Millisecond) { // only against a hang
		_, body = s.call("GET", "/api/2.0/pipelines/"+id+"/updates/"+started.UpdateID, devToken, nil)
		json.Unmarshal(body, &upd)
		if upd.Update.State == "COMPLETED" || upd.Update.State == "FAILED" || time.Now().After(deadline) {
			break
		}
	}
	if upd.Update.State != "COMPLETED" {
		t.Fatalf("update: %s", body)
	}

	open(t, ctx, s, "/pipelines")
	waitJS(t, ctx, `!!document.querySelector("#pipelines-table")`)
	if got := text(t, ctx, "#pipelines-table tbody"); !strings.Contains(got, "ui lab") {
		t.Errorf("pipeline list %q", got)
	}
	click(t, ctx, `#pipelines-table a`)
	waitJS(t, ctx, `!!document.querySelector("#dataset-graph") && !!document.querySelector("#flows-table")`)
	nodes := eval[[]string](t, ctx, `[...document.querySelectorAll("#dataset-graph g.node")].map(g => g.dataset.dataset).sort()`)
	if got := strings.Join(nodes, ","); got != "bronze,gold,limits,main.iot.sensor_readings,silver" {
		t.Errorf("graph nodes %s", got)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll("#dataset-graph path.edge").length`); n != 4 {
		t.Errorf("graph draws %d edges, want 4 (landing→bronze, bronze→silver, limits→silver, silver→gold)", n)
	}
	c := countsFor(100)
	for _, f := range upd.Update.Flows {
		got := atoi(t, text(t, ctx, fmt.Sprintf(`#flows-table tr[data-dataset=%q] td:nth-child(4)`, f.Dataset)))
		if got != int(f.RowsWritten) {
			t.Errorf("%s: page shows %d rows written, the update %d", f.Dataset, got, f.RowsWritten)
		}
		for _, e := range f.Expectations {
			bar := eval[[]string](t, ctx, fmt.Sprintf(`(() => { const e = document.querySelector('#flows-table tr[data-dataset=%q] .expectation[data-name=%q]');
				return e ? [e.dataset.passed, e.dataset.failed, e.querySelector(".exp-pass").style.width] : [] })()`, f.Dataset, e.Name))
			if len(bar) != 3 || bar[0] != fmt.Sprint(e.PassedRecords) || bar[1] != fmt.Sprint(e.FailedRecords) {
				t.Errorf("%s/%s: bar %v, want %d passed %d failed", f.Dataset, e.Name, bar, e.PassedRecords, e.FailedRecords)
			}
		}
	}
	// valid_device drops the readings without a device: one in twenty.
	if got := eval[string](t, ctx, `document.querySelector('.expectation[data-name="valid_device"]').dataset.failed`); got != fmt.Sprint(c.perExpectation) {
		t.Errorf("valid_device failed %s, want %d", got, c.perExpectation)
	}
	_, body = s.call("GET", "/api/2.0/pipelines/"+id+"/events?max_results=250", devToken, nil)
	var ev struct {
		Events []json.RawMessage `json:"events"`
	}
	json.Unmarshal(body, &ev)
	if n := eval[int](t, ctx, `document.querySelectorAll("#events-table tbody tr").length`); n != len(ev.Events) || n == 0 {
		t.Errorf("event log shows %d events, the API %d", n, len(ev.Events))
	}
	screenshot(t, ctx, "pipeline")
	click(t, ctx, "#theme-toggle")
	waitJS(t, ctx, `document.documentElement.dataset.theme === "dark" && !!document.querySelector("#dataset-graph") && !!document.querySelector("#flows-table")`)
	screenshot(t, ctx, "pipeline-dark")
	click(t, ctx, "#theme-toggle")
	waitJS(t, ctx, `document.documentElement.dataset.theme === "light" && !!document.querySelector("#pl-full-refresh")`)

	// Full refresh from the page: a second update, which completes.
	click(t, ctx, "#pl-full-refresh")
	waitJS(t, ctx, `document.querySelectorAll("#updates-table tbody tr").length === 2 &&
		document.querySelector("#updates-table tbody tr [data-state]").dataset.state === "COMPLETED"`)
	if got := s.intSQL("SELECT count(*) FROM main.iot.bronze"); got != c.good+c.perExpectation*2 {
		// bronze checks two of the lab's four expectations
		t.Errorf("after the full refresh bronze has %d rows, want %d", got, c.good+c.perExpectation*2)
	}
}

// TestUIAlerts creates an alert from a saved query on the page, sees it go
// OK and then TRIGGERED when a reading crosses the threshold, opens its
// page (condition, notifications, history), its history in the SQL editor,
// and deletes it; a principal without grants sees none of it.
func TestUIAlerts(t *testing.T) {
	t.Parallel()
	ctx := newBrowser(t)
	s := startServer(t, "", "--memory")
	s.sql("CREATE TABLE main.default.readings (device STRING, temp DOUBLE)")
	s.sql("INSERT INTO main.default.readings VALUES ('d1', 20.5)")
	s.create(queriesPath, devToken, map[string]any{"query": map[string]any{"display_name": "Hottest reading", "query_text": "SELECT max(temp) AS hottest FROM main.default.readings"}})
	dest := s.create(destsPath, devToken, map[string]any{"display_name": "ops hook", "config": map[string]any{"generic_webhook": map[string]any{"url": "http://127.0.0.1:9/hook"}}})
	open(t, ctx, s, "/sql/alerts")
	waitJS(t, ctx, `document.querySelectorAll("#alert-query option").length === 2 && document.querySelectorAll("#alert-dest option").length === 2`)
	run(t, ctx, "fill the form", chromedp.SendKeys(chromedp.CSS("#alert-name"), "too_hot"), chromedp.SendKeys(chromedp.CSS("#alert-column"), "hottest"),
		chromedp.SendKeys(chromedp.CSS("#alert-threshold"), "80"))
	eval[bool](t, ctx, fmt.Sprintf(`(() => {
		const set = (sel, v) => { const e = document.querySelector(sel); e.value = v; e.dispatchEvent(new Event("change")); };
		set("#alert-query", document.querySelectorAll("#alert-query option")[1].value);
		set("#alert-op", "GREATER_THAN"); set("#alert-cron", "* * * * * ?"); set("#alert-dest", %q);
		return true })()`, dest))
	if got := eval[string](t, ctx, `document.querySelector("#alert-sql").value`); !strings.Contains(got, "max(temp) AS hottest") {
		t.Errorf("choosing the saved query filled the SQL with %q", got)
	}
	click(t, ctx, "#alert-create")
	row := `document.querySelector('#alerts-table tr[data-alert="too_hot"]')`
	waitJS(t, ctx, row+` && `+row+`.querySelector("[data-state]").dataset.state === "OK"`)
	s.sql("INSERT INTO main.default.readings VALUES ('d2', 81.5)")
	// The page refreshes every few seconds; the alert evaluates every second.
	waitJS(t, ctx, row+`.querySelector("[data-state]").dataset.state === "TRIGGERED"`)
	if got := eval[string](t, ctx, row+`.textContent`); !strings.Contains(got, "hottest > 80") || !strings.Contains(got, "webhook ops hook") {
		t.Errorf("the alert's row reads %q", got)
	}
	screenshot(t, ctx, "alerts")

	click(t, ctx, `#alerts-table tr[data-alert="too_hot"] a.alert-name`)
	waitJS(t, ctx, `!!document.querySelector("#alert-events-table")`)
	for sel, want := range map[string]string{"#alert-condition": "hottest > 80", "#alert-notifications": "webhook ops hook",
		"#alert-query-text": "SELECT max(temp) AS hottest", "#alert-events-table": "TRIGGERED"} {
		if got := text(t, ctx, sel); !strings.Contains(got, want) {
			t.Errorf("%s reads %q, want %q", sel, got, want)
		}
	}
	screenshot(t, ctx, "alert-detail")
	click(t, ctx, "#alert-events a.alert-history")
	waitJS(t, ctx, `!!window.zbemuEditor`)
	if got := eval[string](t, ctx, `window.zbemuEditor.getValue()`); !strings.Contains(got, "system.zbemu.alert_events WHERE alert_name = 'too_hot'") {
		t.Errorf("history query %q", got)
	}
	click(t, ctx, "#run")
	waitJS(t, ctx, `!!document.querySelector("#row-count")`)
	if got, want := eval[string](t, ctx, `document.querySelector("#row-count").dataset.rows`), *s.sql("SELECT count(*) FROM system.zbemu.alert_events WHERE alert_name = 'too_hot'")[0][0]; got != want || got == "0" {
		t.Errorf("history shows %s events, SQL %s", got, want)
	}
	open(t, ctx, s, "/sql/alerts")
	waitJS(t, ctx, "!!"+row)
	id := eval[string](t, ctx, row+`.dataset.id`)
	eval[bool](t, ctx, `window.confirm = () => true; true`)
	click(t, ctx, `#alerts-table tr[data-alert="too_hot"] .alert-delete`)
	waitJS(t, ctx, "!"+row)
	if _, body := s.call("GET", alertsPath, devToken, nil); strings.Contains(string(body), "too_hot") {
		t.Errorf("deleted on the page but listed by the API: %s", body)
	}

	// A principal without grants sees no alert of the admin's, and its page
	// says why.
	pid, secret := s.newPrincipal("viewer")
	tok := s.workspaceToken(pid, secret)
	ctx2 := newBrowser(t)
	run(t, ctx2, "store the token", chromedp.Navigate(s.url+"/ui/app.css"),
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`sessionStorage.setItem("zbemu.token", %q)`, tok)))
	open(t, ctx2, s, "/sql/alerts")
	waitJS(t, ctx2, `!!document.querySelector("#alert-list p")`)
	if got := text(t, ctx2, "#alert-list"); got != "No alerts yet." {
		t.Errorf("the viewer's list reads %q", got)
	}
	open(t, ctx2, s, "/sql/alerts/"+id)
	waitJS(t, ctx2, `!!document.querySelector("#alert-detail .error-box")`)
	if got := text(t, ctx2, "#alert-detail"); !strings.Contains(got, "PERMISSION_DENIED") {
		t.Errorf("the viewer's alert page reads %q", got)
	}
}

// entryDashboard has a counter over a dataset with a STRING and a DATE
// parameter, bound to a text-entry and a date-picker filter.
const entryDashboard = `{"datasets": [{"name": "r", "displayName": "Readings",
  "queryLines": ["SELECT count(*) AS n FROM main.default.lv_entry WHERE device_id = :p_dev AND day = :p_day"],
  "parameters": [
    {"keyword": "p_dev", "dataType": "STRING", "defaultSelection": {"values": {"dataType": "STRING", "values": [{"value": "d1"}]}}},
    {"keyword": "p_day", "dataType": "DATE", "defaultSelection": {"values": {"dataType": "DATE", "values": [{"value": "2026-01-01"}]}}}]}],
 "pages": [{"name": "p", "displayName": "Readings", "layout": [
  {"widget": {"name": "count", "queries": [{"name": "q", "query": {"datasetName": "r", "disaggregated": false,
     "fields": [{"name": "n", "expression": "SUM(` + "`n`" + `)"}]}}],
     "spec": {"version": 2, "widgetType": "counter", "encodings": {"value": {"fieldName": "n"}}}},
   "position": {"x": 0, "y": 0, "width": 2, "height": 3}},
  {"widget": {"name": "device", "queries": [{"name": "bind", "query": {"datasetName": "r", "parameters": [{"name": "p_dev", "keyword": "p_dev"}], "disaggregated": false}}],
     "spec": {"version": 2, "widgetType": "filter-text-entry", "encodings": {"fields": [{"parameterName": "p_dev", "queryName": "bind"}]},
       "frame": {"showTitle": true, "title": "Device"}}},
   "position": {"x": 2, "y": 0, "width": 2, "height": 2}},
  {"widget": {"name": "day", "queries": [{"name": "bind", "query": {"datasetName": "r", "parameters": [{"name": "p_day", "keyword": "p_day"}], "disaggregated": false}}],
     "spec": {"version": 2, "widgetType": "filter-date-picker", "encodings": {"fields": [{"parameterName": "p_day", "queryName": "bind"}]},
       "frame": {"showTitle": true, "title": "Day"}}},
   "position": {"x": 4, "y": 0, "width": 2, "height": 2}}]}]}`

// TestUIDashboardEntryFilters: a text-entry and a date-picker filter start
// from their parameters' defaults and re-query the page when changed.
func TestUIDashboardEntryFilters(t *testing.T) {
	t.Parallel()
	ctx := newBrowser(t)
	s := startServer(t, "", "--memory")
	s.sql("CREATE TABLE main.default.lv_entry (device_id STRING, day DATE)")
	s.sql(`INSERT INTO main.default.lv_entry VALUES ('d1', DATE '2026-01-01'), ('d1', DATE '2026-01-01'), ('d2', DATE '2026-01-01'),
		('d2', DATE '2026-01-02'), ('d2', DATE '2026-01-02'), ('d2', DATE '2026-01-02')`)
	d := s.importDashboard(devToken, "Entry filters", entryDashboard)
	open(t, ctx, s, "/sql/dashboardsv3/"+d.DashboardID)
	counter := `[data-widget="count"] .counter`
	want := func(dev, day string) string {
		return *s.sql(fmt.Sprintf("SELECT count(*) FROM main.default.lv_entry WHERE device_id = '%s' AND day = DATE '%s'", dev, day))[0][0]
	}
	waitJS(t, ctx, fmt.Sprintf(`!!document.querySelector(%q) && document.querySelector(%q).textContent === %q`, counter, counter, want("d1", "2026-01-01")))
	if dev, day := eval[string](t, ctx, `document.querySelector('[data-widget="device"] input').value`), eval[string](t, ctx, `document.querySelector('[data-widget="day"] input').value`); dev != "d1" || day != "2026-01-01" {
		t.Errorf("the filters start at %q and %q, want their parameters' defaults", dev, day)
	}
	set := func(widget, v string) {
		eval[bool](t, ctx, fmt.Sprintf(`(() => { const e = document.querySelector('[data-widget=%q] input'); e.value = %q; e.dispatchEvent(new Event("change")); return true })()`, widget, v))
	}
	set("device", "d2")
	waitJS(t, ctx, fmt.Sprintf(`document.querySelector(%q) && document.querySelector(%q).textContent === %q`, counter, counter, want("d2", "2026-01-01")))
	set("day", "2026-01-02")
	waitJS(t, ctx, fmt.Sprintf(`document.querySelector(%q) && document.querySelector(%q).textContent === %q`, counter, counter, want("d2", "2026-01-02")))
	if got := want("d2", "2026-01-02"); got != "3" {
		t.Fatalf("the seed is off: %s rows for d2 on 2026-01-02", got)
	}
	screenshot(t, ctx, "dashboard-entry-filters")
}
