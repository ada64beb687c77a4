package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Browser tests drive the UI in headless Chromium (Debian's chromium
// package; .ci/run installs it) against the real binary, compare what each
// page shows with SQL results, click through it and save a screenshot per
// page under testdata/screenshots/.

// chromiumPath finds Chromium: $CHROMIUM, then the usual names on PATH.
func chromiumPath() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// newBrowser starts headless Chromium with a 1280×800 window. Without
// Chromium the test is skipped, except under CI=true, where it fails.
// Browser tests take turns (see browserTurn).
func newBrowser(t testing.TB) context.Context {
	t.Helper()
	// Generous: only there to end a hung test, never a measure of speed.
	return newBrowserFor(t, 10*time.Minute)
}

// newBrowserFor is newBrowser whose context ends after timeout.
func newBrowserFor(t testing.TB, timeout time.Duration) context.Context {
	t.Helper()
	path := chromiumPath()
	if path == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("Chromium is not installed but CI is set: .ci/run installs it with apt-get install -y chromium")
		}
		t.Skip("browser tests skipped: Chromium is not installed (apt-get install chromium, or set $CHROMIUM)")
	}
	browserTurn.take(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.WindowSize(1280, 800),
		chromedp.NoSandbox, chromedp.Flag("disable-dev-shm-usage", true), chromedp.UserDataDir(t.TempDir()))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, timeout)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 800)); err != nil {
		t.Fatalf("start Chromium %s: %v", path, err)
	}
	return ctx
}

// browserTurn lets one test at a time drive Chromium while the other
// parallel tests go on: browsers side by side starve a two-core machine
// until their pages time out. A test keeps its turn, for all the browsers
// it starts, until it ends.
var browserTurn = turn{sem: make(chan struct{}, 1)}

type turn struct {
	sem    chan struct{}
	mu     sync.Mutex
	holder string // the top-level test holding sem
}

func (u *turn) take(t testing.TB) {
	root, _, _ := strings.Cut(t.Name(), "/")
	u.mu.Lock()
	held := u.holder == root
	u.mu.Unlock()
	if held {
		return
	}
	u.sem <- struct{}{}
	u.mu.Lock()
	u.holder = root
	u.mu.Unlock()
	t.Cleanup(func() {
		u.mu.Lock()
		u.holder = ""
		u.mu.Unlock()
		<-u.sem
	})
}

// run runs browser actions and fails the test with what it was doing.
func run(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// eval evaluates JavaScript (awaiting a promise) and returns its value.
func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// waitJS polls a JavaScript condition until it is true.
func waitJS(t *testing.T, ctx context.Context, cond string) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](cond, chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(60*time.Second))); err != nil {
		page, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("page").innerText.slice(0, 3000)`))
		t.Fatalf("wait for %s: %v\npage text:\n%s", cond, err, page)
	}
}

// click clicks the first element matching a CSS selector.
func click(t *testing.T, ctx context.Context, sel string) {
	t.Helper()
	run(t, ctx, "click "+sel, chromedp.Click(chromedp.CSS(sel)))
}

// text returns the textContent of the first element matching sel.
func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	return eval[string](t, ctx, fmt.Sprintf(`(document.querySelector(%q) || {}).textContent || ""`, sel))
}

// open loads a page of the UI and waits until the app has rendered it.
func open(t *testing.T, ctx context.Context, s *server, path string) {
	t.Helper()
	run(t, ctx, "open "+path, chromedp.Navigate(s.url+path))
	waitJS(t, ctx, `document.body.dataset.ready === "1"`)
}

// screenshot saves the viewport as testdata/screenshots/name.png.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	run(t, ctx, "settle", chromedp.Sleep(300*time.Millisecond))
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	dir := filepath.Join("testdata", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// seedUI creates main.default.events with rows from three devices and one
// rejected record.
func seedUI(t *testing.T, s *server) {
	t.Helper()
	s.sql("CREATE TABLE main.default.events (device_id STRING NOT NULL COMMENT 'the sensor', ts TIMESTAMP NOT NULL, temp DOUBLE) COMMENT 'IoT readings'")
	var recs []map[string]any
	for i := range 30 {
		recs = append(recs, map[string]any{"device_id": fmt.Sprintf("d%d", i%3), "ts": 1732451234000000 + int64(i)*1000000, "temp": 20 + float64(i%7)})
	}
	if code, _, msg := s.restInsert(devToken, "main.default.events", recs); code != 200 {
		t.Fatalf("seed: %d %s", code, msg)
	}
	if code, _, _ := s.restInsert(devToken, "main.default.events", []map[string]any{{"device_id": "d9", "ts": "yesterday"}}); code != 400 {
		t.Fatalf("the failing record got %d, want 400", code)
	}
	s.sql("ALTER TABLE main.default.events ALTER COLUMN device_id SET TAGS ('pii' = 'low', 'sensor')")
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(strings.ReplaceAll(strings.TrimSpace(s), ",", ""))
	if err != nil {
		t.Fatalf("not a number: %q", s)
	}
	return n
}

func TestUIBrowser(t *testing.T) {
	t.Parallel()
	ctx := newBrowser(t)
	s := startServer(t, "", "--memory")
	seedUI(t, s)

	t.Run("connect", func(t *testing.T) {
		open(t, ctx, s, "/")
		waitJS(t, ctx, `!!document.querySelector("#snippet-code")`)
		curl := text(t, ctx, "#snippet-code")
		for _, want := range []string{s.url + "/zerobus/v1/tables/main.default.events/insert", devToken} {
			if !strings.Contains(curl, want) {
				t.Errorf("curl snippet lacks %q:\n%s", want, curl)
			}
		}
		// The example record has exactly the table's columns, and the
		// table accepts it.
		var rec map[string]any
		if err := json.Unmarshal([]byte(text(t, ctx, "#example-record")), &rec); err != nil {
			t.Fatal(err)
		}
		cols := s.sqlResult("SELECT * FROM main.default.events LIMIT 0").Manifest.Schema.Columns
		if len(rec) != len(cols) {
			t.Errorf("example record %v, want the %d columns %v", rec, len(cols), cols)
		}
		for _, c := range cols {
			if _, ok := rec[c.Name]; !ok {
				t.Errorf("example record lacks column %s", c.Name)
			}
		}
		if code, _, msg := s.restInsert(devToken, "main.default.events", []any{rec}); code != 200 {
			t.Errorf("the example record is refused: %d %s", code, msg)
		}
		click(t, ctx, `button[data-lang="Python SDK"]`)
		if py := text(t, ctx, "#snippet-code"); !strings.Contains(py, `sdk.create_stream("`+devID+`", "`+devSecret+`", TableProperties("main.default.events")`) {
			t.Errorf("Python SDK snippet:\n%s", py)
		}
		click(t, ctx, `button[data-lang="curl"]`)
		screenshot(t, ctx, "connect")
	})

	t.Run("explorer", func(t *testing.T) {
		open(t, ctx, s, "/explore/data/main/default/events")
		waitJS(t, ctx, `!!document.querySelector("#history-table") && !!document.querySelector("#sample .grid") && !!document.querySelector("#ingestion dl")`)
		n := eval[struct{ Columns, History, Sample int }](t, ctx, `({Columns: document.querySelectorAll("#columns tbody tr").length,
			History: document.querySelectorAll("#history-table tbody tr").length,
			Sample: Number(document.querySelector("#sample .grid").dataset.rows)})`)
		if want := len(s.sqlResult("SELECT * FROM main.default.events LIMIT 0").Manifest.Schema.Columns); n.Columns != want {
			t.Errorf("columns: %d rows, want %d", n.Columns, want)
		}
		if want := len(s.sql("DESCRIBE HISTORY main.default.events")); n.History != want {
			t.Errorf("history: %d rows, want %d (DESCRIBE HISTORY)", n.History, want)
		}
		if want := min(50, s.count("main.default.events")); n.Sample != want {
			t.Errorf("sample rows: %d, want %d", n.Sample, want)
		}
		rejected := *s.sql("SELECT count(*) FROM system.zbemu.rejected_records WHERE table_name = 'main.default.events'")[0][0]
		if got := text(t, ctx, `#ingestion [data-field="rejected"]`); !strings.HasPrefix(got, rejected+" ") {
			t.Errorf("rejected records %q, want %s", got, rejected)
		}
		if got := text(t, ctx, "#table-owner"); got != devID {
			t.Errorf("owner %q, want %s", got, devID)
		}
		waitJS(t, ctx, `document.querySelectorAll('#columns [data-column="device_id"] .badge').length === 2`)
		if got, none := text(t, ctx, `#columns [data-column="device_id"]`), text(t, ctx, `#columns [data-column="temp"]`); got != "pii = lowsensor" || none != "" {
			t.Errorf("column tags: device_id %q, temp %q", got, none)
		}
		screenshot(t, ctx, "explorer-table")
		// The system catalog is there too.
		open(t, ctx, s, "/explore/data/system")
		waitJS(t, ctx, `!!document.querySelector("#object-list")`)
		if got := text(t, ctx, "#object-list"); !strings.Contains(got, "lakeflow") || !strings.Contains(got, "zbemu") {
			t.Errorf("schemas of system: %q", got)
		}
		// A system table's page reads it from UC REST, like any table:
		// the same columns, type and comments as GET .../tables/{name}.
		const sysTable = "system.lakeflow.zerobus_stream"
		var uc struct {
			TableType string `json:"table_type"`
			Columns   []struct {
				Name, Comment string
			} `json:"columns"`
		}
		code, body := s.call("GET", "/api/2.1/unity-catalog/tables/"+sysTable, devToken, nil)
		if err := json.Unmarshal(body, &uc); code != 200 || err != nil || len(uc.Columns) == 0 {
			t.Fatalf("UC REST %s: %d %s", sysTable, code, body)
		}
		open(t, ctx, s, "/explore/data/system/lakeflow/zerobus_stream")
		waitJS(t, ctx, `!!document.querySelector("#columns") && !!document.querySelector("#sample .grid, #sample .error-box")`)
		shown := eval[[]string](t, ctx, `[...document.querySelectorAll("#columns tbody tr")].map(r => r.cells[1].textContent + "|" + r.cells[4].textContent)`)
		var want []string
		for _, c := range uc.Columns {
			want = append(want, c.Name+"|"+c.Comment)
		}
		if strings.Join(shown, ",") != strings.Join(want, ",") {
			t.Errorf("%s columns on the page %v, UC REST %v", sysTable, shown, want)
		}
		if tags := eval[string](t, ctx, `[...document.querySelectorAll("#columns tbody tr")].map(r => r.cells[5].textContent).join("")`); tags != "" {
			t.Errorf("%s shows column tags (or errors) %q; system tables have none", sysTable, tags)
		}
		if got := text(t, ctx, "#table-name + .badge"); got != uc.TableType {
			t.Errorf("%s type %q, UC REST %q", sysTable, got, uc.TableType)
		}
		if !eval[bool](t, ctx, `performance.getEntriesByType("resource").some(e => e.name.endsWith("/api/2.1/unity-catalog/tables/`+sysTable+`"))`) {
			t.Errorf("the page did not read %s from UC REST", sysTable)
		}
		screenshot(t, ctx, "explorer-system-table")
	})

	t.Run("sql editor", func(t *testing.T) {
		const q = "SELECT device_id, count(*) AS n, avg(temp) AS avg_temp FROM main.default.events GROUP BY device_id ORDER BY device_id"
		open(t, ctx, s, "/sql/editor")
		waitJS(t, ctx, `!!window.zbemuEditor`)
		eval[bool](t, ctx, fmt.Sprintf(`window.zbemuEditor.setValue(%q); true`, q))
		click(t, ctx, "#run")
		waitJS(t, ctx, `!!document.querySelector("#row-count")`)
		rows := s.sql(q)
		if got := text(t, ctx, "#row-count"); !strings.HasPrefix(got, fmt.Sprintf("%d rows", len(rows))) {
			t.Errorf("row count %q, want %d rows", got, len(rows))
		}
		cells := eval[[]string](t, ctx, `[...document.querySelectorAll("#result-view .g-row")].map(r => [...r.children].slice(1).map(c => c.textContent).join("|"))`)
		for i, r := range rows {
			if want := *r[0] + "|" + *r[1] + "|" + *r[2]; i >= len(cells) || cells[i] != want {
				t.Errorf("grid row %d = %v, want %q", i, cells, want)
				break
			}
		}
		click(t, ctx, "#visualize")
		waitJS(t, ctx, `document.querySelector("#chart") && document.querySelector("#chart").dataset.series === "1" && !!document.querySelector("#chart svg")`)
		// Two y columns: two series; colour by device: one per device.
		eval[bool](t, ctx, `(() => { const s = document.querySelector("#viz-y"); for (const o of s.options) o.selected = o.value !== "device_id";
			s.dispatchEvent(new Event("change")); return true })()`)
		waitJS(t, ctx, `document.querySelector("#chart").dataset.series === "2"`)
		for _, tc := range []struct{ chart, series string }{{"line", "2"}, {"pie", "1"}, {"scatter", "2"}, {"area", "2"}} {
			eval[bool](t, ctx, fmt.Sprintf(`(() => { const s = document.querySelector("#viz-type"); s.value = %q; s.dispatchEvent(new Event("change")); return true })()`, tc.chart))
			waitJS(t, ctx, fmt.Sprintf(`document.querySelector("#chart").dataset.series === %q && !!document.querySelector("#chart svg")`, tc.series))
		}
		eval[bool](t, ctx, `(() => { const t = document.querySelector("#viz-type"); t.value = "bar"; t.dispatchEvent(new Event("change"));
			const y = document.querySelector("#viz-y"); for (const o of y.options) o.selected = o.value === "n"; y.dispatchEvent(new Event("change"));
			const c = document.querySelector("#viz-color"); c.value = "device_id"; c.dispatchEvent(new Event("change")); return true })()`)
		waitJS(t, ctx, fmt.Sprintf(`document.querySelector("#chart").dataset.series === "%d"`, len(rows)))
		screenshot(t, ctx, "sql-editor-chart")

		// 100,000 rows: the grid keeps only the rows in view in the DOM
		// and scrolls to any of them.
		eval[bool](t, ctx, `window.zbemuEditor.setValue("SELECT id AS i, id * 2 AS twice FROM range(100000)"); true`)
		click(t, ctx, "#run")
		waitJS(t, ctx, `document.querySelector("#row-count") && document.querySelector("#row-count").dataset.rows === "100000"`)
		inDOM := eval[int](t, ctx, `document.querySelectorAll("#result-view .g-row").length`)
		if inDOM == 0 || inDOM > 100 {
			t.Errorf("%d grid rows in the DOM for 100,000 rows, want a window of at most 100", inDOM)
		}
		eval[bool](t, ctx, `(() => { const g = document.querySelector("#result-view .grid"); g.scrollTop = 70000 * 28; g.dispatchEvent(new Event("scroll")); return true })()`)
		waitJS(t, ctx, `[...document.querySelectorAll("#result-view .g-row")].some(r => r.children[1].textContent === "70000")`)
		if n := text(t, ctx, "#result-tabs"); !strings.Contains(n, "Result 2") {
			t.Errorf("result tabs %q, want a second tab", n)
		}
		hist := eval[int](t, ctx, `document.querySelectorAll("#history-list li").length`)
		if hist != 2 {
			t.Errorf("history lists %d queries, want 2", hist)
		}
		screenshot(t, ctx, "sql-editor-100k")

		// Run selection: only the selected statement runs.
		eval[bool](t, ctx, `(() => { const cm = window.zbemuEditor; cm.setValue("SELECT 1 AS one;\nSELECT 'picked' AS which, 2 AS two");
			cm.setSelection({line: 1, ch: 0}, {line: 1, ch: 40}); return true })()`)
		click(t, ctx, "#run")
		// The grid draws its rows once it has a size (a ResizeObserver).
		waitJS(t, ctx, `document.querySelector("#result-tabs").textContent.includes("Result 3") && !!document.querySelector("#result-view .g-row")`)
		if got := text(t, ctx, "#result-view .g-row"); got != "1picked2" {
			t.Errorf("running the selection shows %q, want the row of the second statement", got)
		}
		// Save it under a name; it is listed and loads back into the editor.
		run(t, ctx, "name the query", chromedp.SendKeys(chromedp.CSS("#save-name"), "picked query"))
		click(t, ctx, "#save")
		waitJS(t, ctx, `document.querySelector("#saved-list").textContent.includes("picked query")`)
		eval[bool](t, ctx, `window.zbemuEditor.setValue(""); true`)
		click(t, ctx, "#saved-list li")
		if got := eval[string](t, ctx, `window.zbemuEditor.getValue()`); !strings.Contains(got, "'picked'") {
			t.Errorf("the saved query loads as %q", got)
		}
		// Cancel a statement that would run for minutes.
		eval[bool](t, ctx, `window.zbemuEditor.setValue("SELECT count(*) FROM range(50000000000) t(x) WHERE x % 7 = 3"); true`)
		click(t, ctx, "#run")
		waitJS(t, ctx, `!document.querySelector("#cancel").disabled`)
		click(t, ctx, "#cancel")
		waitJS(t, ctx, `document.querySelector("#status").textContent === "Canceled."`)
		if got := text(t, ctx, "#result-view .error-box"); !strings.HasPrefix(got, "CANCELLED") {
			t.Errorf("a canceled statement shows %q", got)
		}
	})

	t.Run("ingestion monitor", func(t *testing.T) {
		st := wireStream(t, s, "main.default.events")
		if err := sendAndWait(t, st, `{"device_id":"live","ts":1}`); err != nil {
			t.Fatal(err)
		}
		open(t, ctx, s, "/ingest")
		waitJS(t, ctx, `Number(document.body.dataset.statsEvents || 0) >= 2 && !!document.querySelector("#streams-table") && !!document.querySelector("#rejected-table")`)
		code, body := s.call("GET", "/zbemu/v1/streams", devToken, nil)
		var streams struct {
			Streams []struct {
				ID string `json:"stream_id"`
			} `json:"streams"`
		}
		if err := json.Unmarshal(body, &streams); code != 200 || err != nil || len(streams.Streams) != 1 {
			t.Fatalf("GET /zbemu/v1/streams: %d %s", code, body)
		}
		if got := text(t, ctx, "#streams-table tbody"); !strings.Contains(got, streams.Streams[0].ID) || !strings.Contains(got, "GRPC") {
			t.Errorf("open streams %q, want stream %s", got, streams.Streams[0].ID)
		}
		// The stream's own ack latency (it sent one acknowledged request) and refused records.
		cells := eval[[]string](t, ctx, `Array.from(document.querySelectorAll("#streams-table tbody tr:first-child td")).map((td) => td.textContent)`)
		if len(cells) != 10 || !strings.HasSuffix(cells[6], " ms") || !strings.HasSuffix(cells[7], " ms") || cells[8] != "0" {
			t.Errorf("the stream's row reads %q, want ack p50 and p99 in ms and 0 refused records", cells)
		}
		if got := text(t, ctx, "#kpi-streams"); got != "1" {
			t.Errorf("open streams KPI %q, want 1", got)
		}
		if got := text(t, ctx, "#errors-table"); !strings.Contains(got, "INVALID_PARAMETER_VALUE") {
			t.Errorf("errors by code %q", got)
		}
		series := eval[string](t, ctx, `document.querySelector("#throughput-chart").dataset.series`)
		if series != "2" { // total and the one table
			t.Errorf("throughput chart draws %s series, want 2", series)
		}
		rej := s.sql("SELECT reason, hint, column_name FROM system.zbemu.rejected_records ORDER BY time DESC")
		if got := text(t, ctx, "#rejected-table tbody"); strings.Count(got, "main.default.events") != len(rej) {
			t.Errorf("rejected records list %q, want %d rows", got, len(rej))
		}
		click(t, ctx, "#rejected-table tbody tr")
		waitJS(t, ctx, `!!document.querySelector("#rejected-raw")`)
		if got, want := text(t, ctx, `#rejected-detail [data-field="reason"]`), *rej[0][0]; got != want {
			t.Errorf("reason %q, want %q", got, want)
		}
		if got, want := text(t, ctx, `#rejected-detail [data-field="hint"]`), *rej[0][1]; got != want {
			t.Errorf("hint %q, want %q", got, want)
		}
		if got := text(t, ctx, "#rejected-raw"); !strings.Contains(got, "yesterday") {
			t.Errorf("raw record %q", got)
		}
		// Updates move nothing and add no elements (charts' SVG aside).
		const layout = `JSON.stringify({boxes: ["#throughput-chart", "#latency-chart", "#tables", "#streams", "#errors", "#rejected"].map(s => {
			const r = document.querySelector(s).getBoundingClientRect(); return [s, r.top, r.height] }),
			elements: [...document.querySelectorAll("*")].filter(e => !e.closest("svg")).length})`
		before := eval[string](t, ctx, layout)
		seen := atoi(t, eval[string](t, ctx, `document.body.dataset.statsEvents`))
		waitJS(t, ctx, fmt.Sprintf(`Number(document.body.dataset.statsEvents) >= %d`, seen+3))
		if after := eval[string](t, ctx, layout); after != before {
			t.Errorf("the page changed while only the figures updated:\nbefore %s\nafter  %s", before, after)
		}
		// Live: a second stream shows up without a reload.
		st2 := wireStream(t, s, "main.default.events")
		if err := sendAndWait(t, st2, `{"device_id":"live2","ts":2}`); err != nil {
			t.Fatal(err)
		}
		waitJS(t, ctx, `document.querySelector("#kpi-streams").textContent === "2"`)
		screenshot(t, ctx, "ingest-rejected")
		eval[bool](t, ctx, `document.getElementById("page").scrollTop = 0; true`)
		screenshot(t, ctx, "ingest")
		click(t, ctx, "#theme-toggle")
		waitJS(t, ctx, `document.documentElement.dataset.theme === "dark" && Number(document.body.dataset.statsEvents || 0) >= 1 && !!document.querySelector("#rejected-table")`)
		screenshot(t, ctx, "ingest-dark")
		click(t, ctx, "#theme-toggle")
	})
}
